// The event model: what burnrate counts. See docs/event-format.md.
//
// An Event is either usage (tokens spent on one model request) or an outcome
// (a commit, a merged pull request, accepted lines...). Events are plain
// values; the ingest layer fills them from NDJSON, OTLP, transcripts or the
// proxy, and the engine, store and detectors read them.
#pragma once

#include <cstdint>
#include <string>

#include "common/clock.h"

namespace burnrate {
class JsonWriter;
}

namespace burnrate::model {

enum class EventType : uint8_t { kUsage = 0, kOutcome = 1 };

// How a usage event's cost was found: given by the client or from an exact
// price (kPriced), from the model family's price because the table lacks the
// model (kEstimated), or not at all because no family matched either
// (kUnpriced: the cost is 0 but the tokens are real). See docs/pricing.md.
enum class CostBasis : uint8_t { kPriced = 0, kEstimated = 1, kUnpriced = 2 };

struct TokenCounts {
  int64_t input = 0;
  int64_t output = 0;
  int64_t cache_read = 0;
  int64_t cache_write = 0;     // all cache writes (5-minute and 1-hour)
  int64_t cache_write_1h = 0;  // the part of cache_write with 1-hour TTL (priced higher)

  int64_t Total() const { return input + output + cache_read + cache_write; }
  TokenCounts& operator+=(const TokenCounts& o) {
    input += o.input;
    output += o.output;
    cache_read += o.cache_read;
    cache_write += o.cache_write;
    cache_write_1h += o.cache_write_1h;
    return *this;
  }
};

// Features derived from a prompt's text on arrival; the text itself is never
// kept. `present` is false when the event carried no prompt at all.
struct PromptFeatures {
  bool present = false;
  uint32_t length = 0;       // bytes of prompt text
  float compress_ratio = 0;  // compressed/original size; low = repetitive text
  uint64_t simhash = 0;      // 64-bit SimHash over word shingles (near-duplicates)
  uint64_t exact_hash = 0;   // hash of the normalised text (exact duplicates)
};

// Known outcome kinds; any other single word is accepted as a custom kind.
inline constexpr const char* kOutcomeKinds[] = {"commit",        "pull_request",  "lines_added",
                                                "lines_removed", "edit_accepted", "edit_rejected",
                                                "tests_passed",  "ticket_closed"};

struct Event {
  EventType type = EventType::kUsage;
  std::string id;       // client idempotency key
  TimeMs ts = 0;        // when it happened (client clock)
  TimeMs received = 0;  // when burnrate accepted it (server clock)
  std::string user;
  std::string team;  // empty: resolved from the identity directory
  std::string org;
  std::string project;
  std::string source;  // "api", "claude_code", "otlp", "proxy", ...
  std::string session;
  std::string client;  // workstation / client id
  std::string model;

  TokenCounts tokens;
  int64_t cost_nanos = -1;  // USD * 1e9; -1 = not given, computed from prices
  CostBasis cost_basis = CostBasis::kPriced;
  int64_t requests = 1;  // requests this record stands for (>1 only for rollups)

  std::string outcome_kind;  // outcome events only
  double outcome_value = 0;

  PromptFeatures prompt;
};

// A stable 64-bit fingerprint of an event's idempotency key, used for
// de-duplication. Two events with the same id are the same event.
uint64_t EventFingerprint(const Event& e);

// A 32-bit digest of what a usage event reports, kept beside its id in the
// de-duplication index so that the same id reported again with other usage
// is told from a retry (docs/detection.md, "Implausible usage"). The top 8
// bits are the source's code (exact for the sources burnrate writes, a hash
// for other names), the low 24 a hash of the token counts and the request
// count: two reports conflict only when they come from the same source (a gateway and a transcript
// measure one response separately and may differ; a source that re-sends its own id with other
// tokens was edited). 0 for outcome events: not compared.
uint32_t UsageDigest(const Event& e);
// Whether two non-zero digests are of one source and differ in usage.
inline bool UsageConflicts(uint32_t a, uint32_t b) {
  return a != 0 && b != 0 && (a >> 24) == (b >> 24) && a != b;
}

// Writes the event's fields in the NDJSON event format
// (docs/event-format.md) into an object `w` has open, so the line can be
// ingested again. `stored` adds what the server keeps beside them
// (received, cache_write_1h_tokens, cost_usd, cost_nanos, requests when not
// 1) and writes ts as epoch milliseconds instead of RFC 3339. Prompt
// features are the caller's (model::WritePromptFeatures).
void WriteEventFields(JsonWriter& w, const Event& e, bool stored);

}  // namespace burnrate::model
