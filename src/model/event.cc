#include "model/event.h"

#include <iterator>
#include <string_view>

#include "common/hash.h"
#include "common/json_writer.h"
#include "common/time_util.h"

namespace burnrate::model {

uint64_t EventFingerprint(const Event& e) {
  // The seed separates our fingerprints from other uses of Hash64.
  return Hash64(e.id, 0x6275726e72617465ULL /* "burnrate" */);
}

// The digest's top byte: each source this code base writes has its own
// code, so reports of two of them (a gateway's and a transcript's, which
// may legitimately differ) are never compared; any other name hashes into
// the codes above them. Never 0, so no digest is 0 ("not compared").
static uint32_t SourceCode(std::string_view source) {
  static constexpr std::string_view kKnown[] = {"",         "api",         "gateway", "otlp",
                                                "copilot",  "claude_code", "codex",   "gemini_cli",
                                                "opencode", "proxy",       "sim",     "ndjson"};
  constexpr uint32_t kOthers = std::size(kKnown) + 1;  // first code of other names
  for (uint32_t i = 0; i < std::size(kKnown); ++i)
    if (source == kKnown[i]) return i + 1;
  return kOthers + uint32_t(Hash64(source, 0x736f75726365ULL /* "source" */) % (256 - kOthers));
}

uint32_t UsageDigest(const Event& e) {
  if (e.type != EventType::kUsage) return 0;
  const TokenCounts& t = e.tokens;
  const int64_t usage[] = {t.input,       t.output,         t.cache_read,
                           t.cache_write, t.cache_write_1h, e.requests};
  uint64_t u = Hash64(std::string_view(reinterpret_cast<const char*>(usage), sizeof(usage)));
  return (SourceCode(e.source) << 24) | uint32_t(u & 0xffffff);
}

void WriteEventFields(JsonWriter& w, const Event& e, bool stored) {
  bool outcome = e.type == EventType::kOutcome;
  if (outcome) w.Key("type").String("outcome");
  w.Key("id").String(e.id).Key("ts");
  if (stored) {
    w.Int(e.ts).Key("received").Int(e.received);
  } else {
    w.String(FormatRfc3339(e.ts));
  }
  w.Key("user").String(e.user);
  const std::pair<const char*, const std::string*> names[] = {
      {"team", &e.team},     {"org", &e.org},         {"project", &e.project},
      {"source", &e.source}, {"session", &e.session}, {"client", &e.client}};
  for (const auto& [key, value] : names)
    if (!value->empty()) w.Key(key).String(*value);
  if (outcome) {
    w.Key("kind").String(e.outcome_kind).Key("value").Double(e.outcome_value);
  } else {
    w.Key("model").String(e.model);
    w.Key("input_tokens").Int(e.tokens.input).Key("output_tokens").Int(e.tokens.output);
    w.Key("cache_read_tokens")
        .Int(e.tokens.cache_read)
        .Key("cache_write_tokens")
        .Int(e.tokens.cache_write);
    if (stored) {
      w.Key("cache_write_1h_tokens").Int(e.tokens.cache_write_1h);
      w.Key("cost_usd").NanoUsd(e.cost_nanos).Key("cost_nanos").Int(e.cost_nanos);
      if (e.cost_basis == CostBasis::kEstimated) w.Key("cost_basis").String("estimated");
      if (e.cost_basis == CostBasis::kUnpriced) w.Key("cost_basis").String("unpriced");
    }
  }
  if (stored && e.requests != 1) w.Key("requests").Int(e.requests);
}

}  // namespace burnrate::model
