// Aggregates scanned usage entries into report rows: per local day, week,
// month, per session, or per 5-hour billing block.
//
// Pure logic over a ScanResult: no files, no clock (the caller passes
// `now` for the active block), no printing (report_render.h). Costs are
// nano-USD integers. Thread-safety: BuildReport is reentrant.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "claude/transcript_scan.h"
#include "common/time_util.h"
#include "model/price_book.h"
#include "model/price_table.h"

namespace burnrate::claude {

enum class ReportKind { kDaily, kWeekly, kMonthly, kSession, kBlocks };
// auto: the line's costUSD when present, else computed; calculate: always
// computed from prices; display: costUSD only (0 when absent).
enum class CostMode { kAuto, kCalculate, kDisplay };

Result<ReportKind> ParseReportKind(std::string_view s);
Result<CostMode> ParseCostMode(std::string_view s);

struct ModelTotals {
  std::string model;
  model::TokenCounts tokens;
  int64_t cost_nanos = 0;
  uint64_t requests = 0;
  bool cost_estimated = false;  // some cost from the model family's price
  bool cost_unpriced = false;   // some tokens had no price (counted $0)
};

struct ReportRow {
  std::string key;      // "2026-03-21", "2026-03" (monthly), session id, block start
  std::string project;  // session rows
  TimeMs first_ts = 0, last_ts = 0;
  model::TokenCounts tokens;
  int64_t cost_nanos = 0;
  uint64_t requests = 0;
  bool cost_estimated = false, cost_unpriced = false;  // as in ModelTotals, for any entry
  std::vector<ModelTotals> models;  // by cost, then tokens, descending; no "<synthetic>"
  // Blocks only.
  TimeMs block_start = 0, block_end = 0;
  bool active = false, gap = false;
  double tokens_per_minute = 0, cost_per_hour_usd = 0;
  int64_t projected_tokens = 0, projected_cost_nanos = 0;
  bool has_burn_rate = false;
};

// A model whose computed cost had no exact price: priced from its family
// (`priced_as`, an estimate) or not at all (unpriced, counted $0).
struct PricingNote {
  std::string model;
  model::CostBasis basis = model::CostBasis::kEstimated;
  std::string priced_as;  // the family's table entry; empty when unpriced
  model::TokenCounts tokens;
  int64_t cost_nanos = 0;
  uint64_t requests = 0;
};

struct Report {
  ReportKind kind = ReportKind::kDaily;
  std::vector<ReportRow> rows;  // chronological (sessions: by last activity)
  ReportRow totals;
  std::vector<PricingNote> pricing;  // most tokens first; empty when every cost was exact
};

struct ReportSpec {
  ReportKind kind = ReportKind::kDaily;
  CostMode cost_mode = CostMode::kAuto;
  TimeZone tz = TimeZone::Utc();
  std::optional<int64_t> since_day, until_day;  // local day numbers, inclusive
  bool week_starts_sunday = false;
  TimeMs now = 0;  // for blocks: which block is active
};

// Cost of one entry under `mode`. `<synthetic>` and API-error lines cost 0.
// A model the table lacks is priced from its family (model/price_table.h).
int64_t EntryCost(const UsageEntry& e, const std::string& model_name,
                  const model::PriceTable& prices, CostMode mode);

// The same for an entry whose model is already resolved: the cost and how
// it was found (a given costUSD counts as priced).
model::Priced PriceEntry(const UsageEntry& e, const std::string& model_name,
                         const model::PriceResolution& r, CostMode mode);

// Resolves each distinct model name once, so a family lookup costs nothing
// per entry.
Report BuildReport(const ScanResult& scan, const model::PriceTable& prices, const ReportSpec& spec);

// "20260321" or "2026-03-21" to a local day number in `tz`.
Result<int64_t> ParseDayArg(std::string_view s, const TimeZone& tz);

}  // namespace burnrate::claude
