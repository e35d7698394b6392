#include "model/event.h"

#include "common/hash.h"
#include "common/json_writer.h"
#include "common/time_util.h"

namespace burnrate::model {

uint64_t EventFingerprint(const Event& e) {
  // The seed separates our fingerprints from other uses of Hash64.
  return Hash64(e.id, 0x6275726e72617465ULL /* "burnrate" */);
}

uint32_t UsageDigest(const Event& e) {
  if (e.type != EventType::kUsage) return 0;
  const TokenCounts& t = e.tokens;
  const int64_t usage[] = {t.input,       t.output,         t.cache_read,
                           t.cache_write, t.cache_write_1h, e.requests};
  uint64_t u = Hash64(std::string_view(reinterpret_cast<const char*>(usage), sizeof(usage)));
  uint64_t s = Hash64(e.source, 0x736f75726365ULL /* "source" */);
  // The source byte is never 0, so no digest is 0 ("not compared").
  uint32_t src = uint32_t(s >> 56) | 1u;
  return (src << 24) | uint32_t(u & 0xffffff);
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
