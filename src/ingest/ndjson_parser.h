// Parsing and validation of native NDJSON events (docs/event-format.md).
//
// One JSON object per line. Each line is parsed and validated on its own: a
// bad line becomes a Reject naming the line (1-based), the field and the
// kind of error, and the good lines around it are kept. Blank lines are
// skipped. Unknown fields are ignored; a key given twice in one object is an
// error. Prompt text is turned into features by `prompt_features` and never
// kept.
//
// Memory: a batch keeps the parsed events, the first
// Limits::max_reject_details rejects and a count per error kind, so a body
// of bad lines costs a constant, whatever its size. A body may be fed in
// pieces (Begin/Feed/Finish, e.g. straight from a decoder); the parser then
// holds at most one line (Limits::max_line) between pieces.
//
// Thread-safety: a parser is used by one thread at a time; keep one per
// thread (it reuses its simdjson buffers).
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "model/event.h"

namespace burnrate::ingest {

struct Limits {
  int64_t max_tokens = 50'000'000;    // per token field of one event
  double max_cost_usd = 10'000;       // per event
  size_t max_string = 256;            // bytes, for ids and names
  size_t max_prompt = 1 << 20;        // bytes of prompt text
  size_t max_line = 2 << 20;          // bytes of one line (2 MiB)
  TimeMs max_future_ms = kHourMs;     // ts may be this far ahead of now
  TimeMs retention_ms = 90 * kDayMs;  // ts may be this far behind now
  size_t max_reject_details = 100;    // rejects listed one by one; the rest are counted
};

// What was wrong with a rejected line, for counting. Names are stable API
// (RejectKindName; docs/event-format.md, "Errors").
enum class RejectKind : uint8_t {
  kInvalidJson,   // not JSON, or not UTF-8
  kNotObject,     // JSON, but not an object
  kLineTooLong,   // longer than Limits::max_line
  kDuplicateKey,  // a key given twice in one object
  kMissingField,  // a required field is absent or empty
  kWrongType,     // e.g. a string where a number belongs
  kOutOfRange,    // a number, time or length outside its limits
  kInvalidValue,  // a value of the right type but not allowed (type, kind, hex)
  kCount
};
inline constexpr size_t kRejectKinds = size_t(RejectKind::kCount);
// "invalid_json", "not_an_object", "line_too_long", "duplicate_key",
// "missing_field", "wrong_type", "out_of_range", "invalid_value".
const char* RejectKindName(RejectKind k);

struct Reject {
  int64_t line = 0;
  std::string error;
  std::string field;
  RejectKind kind = RejectKind::kInvalidValue;
};

// Rejected lines: the first few in detail, all of them counted.
struct Rejects {
  std::vector<Reject> details;                  // the first max_details, in line order
  int64_t total = 0;                            // every rejected line
  std::array<int64_t, kRejectKinds> by_kind{};  // indexed by RejectKind
  size_t max_details = 100;

  void Add(Reject r);
};

struct ParsedBatch {
  std::vector<model::Event> events;
  std::vector<int64_t> lines;  // the line number of each event
  Rejects rejects;
};

using PromptFeatureFn = std::function<model::PromptFeatures(std::string_view text)>;

class NdjsonParser {
 public:
  NdjsonParser(Limits limits, PromptFeatureFn prompt_features);
  ~NdjsonParser();
  // Parses a whole body; `now` bounds the timestamps.
  ParsedBatch Parse(std::string_view body, TimeMs now);

  // The same for a body that arrives in pieces: Begin, Feed each piece in
  // order (lines may span pieces), then Finish, which returns the batch.
  void Begin(TimeMs now);
  void Feed(std::string_view piece);
  ParsedBatch Finish();
  // Between pieces: how many events are parsed and not yet taken, and
  // takes them (with their line numbers), for a caller that commits a long
  // body in parts. Rejects stay until Finish.
  size_t pending_events() const;
  ParsedBatch TakeEvents();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace burnrate::ingest
