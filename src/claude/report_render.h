// Prints a Report as a terminal table or as JSON (ccusage-compatible field
// names: inputTokens, outputTokens, cacheCreationTokens, cacheReadTokens,
// totalTokens, totalCost, modelsUsed, modelBreakdowns, plus burnrate's
// cacheCreation1hTokens and a "skipped" summary). Thread-safe (no state).
#pragma once

#include <ostream>
#include <string>

#include "claude/report.h"

namespace burnrate::claude {

struct RenderOptions {
  bool breakdown = false;  // per-model rows / modelBreakdowns
  bool verbose = false;    // list skipped lines as file:line
  TimeZone tz = TimeZone::Utc();
  std::string title = "Claude Code";  // whose usage: the table's first words
};

void RenderTable(const Report& report, const ScanResult& scan, const RenderOptions& opts,
                 std::ostream& out);
std::string RenderJson(const Report& report, const ScanResult& scan, const RenderOptions& opts);
// One warning line per model priced from its family or not at all, naming
// the model and its tokens (report.pricing); nothing when every cost was
// exact. For stderr, so JSON on stdout stays clean.
void RenderPricingWarnings(const Report& report, std::ostream& err);

// "1,234,567".
std::string WithCommas(int64_t v);
// "12.35" dollars from nano-USD, rounded to cents.
std::string Dollars(int64_t nanos);

}  // namespace burnrate::claude
