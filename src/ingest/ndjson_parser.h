// Parsing and validation of native NDJSON events (docs/event-format.md).
//
// One JSON object per line. Each line is parsed and validated on its own: a
// bad line becomes a Reject naming the line (1-based) and the field, and the
// good lines around it are kept. Blank lines are skipped. Unknown fields are
// ignored. Prompt text is turned into features by `prompt_features` and
// never kept.
//
// Thread-safety: a parser is used by one thread at a time; keep one per
// thread (it reuses its simdjson buffers).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "model/event.h"

namespace burnrate::ingest {

struct Limits {
  int64_t max_tokens = 50'000'000;          // per token field of one event
  double max_cost_usd = 10'000;             // per event
  size_t max_string = 256;                  // bytes, for ids and names
  size_t max_prompt = 1 << 20;              // bytes of prompt text
  size_t max_line = 2 << 20;                // bytes of one line
  TimeMs max_future_ms = kHourMs;           // ts may be this far ahead of now
  TimeMs retention_ms = 90 * kDayMs;        // ts may be this far behind now
};

struct Reject {
  int64_t line = 0;
  std::string error;
  std::string field;
};

struct ParsedBatch {
  std::vector<model::Event> events;
  std::vector<int64_t> lines;  // the line number of each event
  std::vector<Reject> rejects;
};

using PromptFeatureFn = std::function<model::PromptFeatures(std::string_view text)>;

class NdjsonParser {
 public:
  NdjsonParser(Limits limits, PromptFeatureFn prompt_features);
  ~NdjsonParser();
  // Parses a whole body; `now` bounds the timestamps.
  ParsedBatch Parse(std::string_view body, TimeMs now);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace burnrate::ingest
