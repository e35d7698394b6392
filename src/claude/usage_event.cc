#include "claude/usage_event.h"

#include <cstdio>

#include "common/hash.h"
#include "common/json_writer.h"
#include "common/time_util.h"
#include "model/prompt_features.h"

namespace burnrate::claude {

// "cc-" and both halves as 16 lower-case hex digits ("cc-%016llx%016llx"),
// without printf: the gateway makes one per request.
std::string UsageEventId(const UsageEntry& e) {
  std::string id;
  id.reserve(3 + 32);
  id = "cc-";
  AppendHex64(id, e.key_hi);
  AppendHex64(id, e.key_lo);
  return id;
}

std::string UsageEventIdForIds(std::string_view message_id, std::string_view request_id) {
  std::string key;
  key.reserve(message_id.size() + 1 + request_id.size());
  key.append(message_id).push_back('\n');
  key.append(request_id);
  UsageEntry e;
  e.key_hi = Hash64(key, kUsageKeySeedHi);
  e.key_lo = Hash64(key, kUsageKeySeedLo);
  return UsageEventId(e);
}

void AppendUsageEvent(const UsageEntry& e, const StringTable& strings, std::string_view user,
                      std::string* out, const model::PromptFeatures* prompt,
                      std::string_view client) {
  const std::string& model = strings[e.model];
  JsonWriter w;
  w.BeginObject();
  w.Key("id").String(UsageEventId(e));
  w.Key("ts").String(FormatRfc3339(e.ts));
  w.Key("user").String(user);
  w.Key("project").String(strings[e.project]);
  w.Key("source").String("claude_code");
  w.Key("session").String(strings[e.session]);
  if (!client.empty()) w.Key("client").String(client);
  w.Key("model").String(model.empty() ? "unknown" : model);
  w.Key("input_tokens").Int(e.tokens.input);
  w.Key("output_tokens").Int(e.tokens.output);
  w.Key("cache_read_tokens").Int(e.tokens.cache_read);
  w.Key("cache_write_tokens").Int(e.tokens.cache_write);
  if (e.tokens.cache_write_1h > 0) w.Key("cache_write_1h_tokens").Int(e.tokens.cache_write_1h);
  if (e.api_error || model == "<synthetic>") {
    w.Key("cost_usd").Int(0);
  } else if (e.line_cost_nanos >= 0) {
    w.Key("cost_usd").NanoUsd(e.line_cost_nanos);
  }
  if (prompt && prompt->present) model::WritePromptFeatures(w, *prompt);
  w.EndObject();
  out->append(w.str());
  out->push_back('\n');
}

}  // namespace burnrate::claude
