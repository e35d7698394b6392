// libFuzzer target for the native NDJSON event parser (ingest/ndjson_parser.h)
// and the body decoders in front of it (ingest::Decompress).
//
// Beyond "no crash, no sanitizer report", it checks the parser's contract
// on every input: each non-blank line yields exactly one event or one
// counted reject, in line order; at most max_reject_details rejects are
// kept, with short errors; every event has its required fields and values
// within the limits; every reject names a line of the body; feeding the
// body in pieces gives what parsing it whole gives; a decoder never hands
// over more than its cap. With prompt features on, the events and rejects
// are those of the parser without them, and taking events mid-body changes
// no feature.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "ingest/ingest.h"
#include "ingest/ndjson_parser.h"
#include "model/prompt_features.h"

using burnrate::ingest::Decompress;
using burnrate::ingest::Limits;
using burnrate::ingest::NdjsonParser;

namespace {

constexpr burnrate::TimeMs kNow = 1'774'101'784'577;  // 2026-03-21T14:03:04.577Z

void Check(bool ok) {
  if (!ok) std::abort();
}

void ParseAndCheck(NdjsonParser& parser, const Limits& limits, std::string_view body) {
  auto batch = parser.Parse(body, kNow);
  // The same body in pieces of a size the input picks.
  parser.Begin(kNow);
  size_t step = body.empty() ? 1 : 1 + uint8_t(body[0]) % 61;
  for (size_t pos = 0; pos < body.size(); pos += step) parser.Feed(body.substr(pos, step));
  auto pieces = parser.Finish();
  Check(pieces.events.size() == batch.events.size() && pieces.lines == batch.lines);
  Check(pieces.rejects.total == batch.rejects.total &&
        pieces.rejects.by_kind == batch.rejects.by_kind);
  for (size_t i = 0; i < batch.events.size(); ++i) Check(pieces.events[i].id == batch.events[i].id);
  int64_t lines = 0, nonblank = 0;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t nl = body.find('\n', pos);
    if (nl == std::string_view::npos) nl = body.size();
    std::string_view line = body.substr(pos, nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    ++lines;
    if (line.find_first_not_of(" \t") != std::string_view::npos) ++nonblank;
    pos = nl + 1;
  }
  Check(int64_t(batch.events.size()) + batch.rejects.total == nonblank);
  Check(batch.lines.size() == batch.events.size());
  Check(batch.rejects.details.size() ==
        std::min<size_t>(size_t(batch.rejects.total), limits.max_reject_details));
  int64_t by_kind = 0;
  for (int64_t n : batch.rejects.by_kind) by_kind += n;
  Check(by_kind == batch.rejects.total);
  int64_t last = 0;
  for (const auto& r : batch.rejects.details) {
    Check(r.line > last && r.line <= lines);
    Check(!r.error.empty() && r.error.size() < 400 && r.field.size() < 100);
    last = r.line;
  }
  last = 0;
  for (size_t i = 0; i < batch.events.size(); ++i) {
    const auto& e = batch.events[i];
    Check(batch.lines[i] > last && batch.lines[i] <= lines);
    last = batch.lines[i];
    Check(!e.id.empty() && e.id.size() <= limits.max_string);
    Check(!e.user.empty() && e.user.size() <= limits.max_string);
    Check(e.type == burnrate::model::EventType::kOutcome || !e.model.empty());
    for (int64_t t : {e.tokens.input, e.tokens.output, e.tokens.cache_read, e.tokens.cache_write,
                      e.tokens.cache_write_1h}) {
      Check(t >= 0 && t <= limits.max_tokens);
    }
    // Outcome events may carry (ignored) token fields; the 1h rule is for usage.
    Check(e.type == burnrate::model::EventType::kOutcome ||
          e.tokens.cache_write_1h <= e.tokens.cache_write);
    Check(e.ts <= kNow + limits.max_future_ms && e.ts >= kNow - limits.retention_ms);
    Check(e.cost_nanos >= -1 && e.cost_nanos <= int64_t(limits.max_cost_usd * 1e9) + 1);
    Check(e.received == kNow);
  }
}

bool SamePrompt(const burnrate::model::PromptFeatures& a,
                const burnrate::model::PromptFeatures& b) {
  return a.present == b.present && a.length == b.length && a.compress_ratio == b.compress_ratio &&
         a.simhash == b.simhash && a.exact_hash == b.exact_hash;
}

// `plain` is the body parsed without a feature function.
void CheckFeatures(NdjsonParser& parser, std::string_view body,
                   const burnrate::ingest::ParsedBatch& plain) {
  auto whole = parser.Parse(body, kNow);
  Check(whole.lines == plain.lines && whole.rejects.by_kind == plain.rejects.by_kind);
  for (size_t i = 0; i < whole.events.size(); ++i) {
    Check(whole.events[i].id == plain.events[i].id);
    // Computed or not, a text gives its length, and a prompt is present alike.
    Check(whole.events[i].prompt.present == plain.events[i].prompt.present);
    Check(whole.events[i].prompt.length == plain.events[i].prompt.length);
  }
  // In pieces, events taken whenever two are parsed.
  parser.Begin(kNow);
  std::vector<burnrate::model::Event> events;
  size_t step = body.empty() ? 1 : 1 + uint8_t(body.back()) % 29;
  for (size_t pos = 0; pos < body.size(); pos += step) {
    parser.Feed(body.substr(pos, step));
    if (parser.pending_events() >= 2) {
      for (auto& e : parser.TakeEvents().events) events.push_back(std::move(e));
    }
  }
  for (auto& e : parser.Finish().events) events.push_back(std::move(e));
  Check(events.size() == whole.events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    Check(events[i].id == whole.events[i].id);
    Check(SamePrompt(events[i].prompt, whole.events[i].prompt));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Limits limits;
  static NdjsonParser parser(limits, nullptr);
  static NdjsonParser with_features(limits, burnrate::model::ComputePromptFeatures);
  std::string_view in(reinterpret_cast<const char*>(data), size);
  ParseAndCheck(parser, limits, in);
  CheckFeatures(with_features, in, parser.Parse(in, kNow));
  // The same bytes as a compressed body: must fail cleanly or decode.
  for (const char* enc : {"gzip", "zstd", "GZIP", "Zstd"}) {
    auto body = Decompress(in, enc, 1 << 20);
    if (body.ok()) {
      Check(body->size() <= (1u << 20));
      ParseAndCheck(parser, limits, *body);
    }
  }
  return 0;
}
