#include "agents/agent_event.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "common/hash.h"
#include "common/json_writer.h"
#include "common/time_util.h"

namespace burnrate::agents {

std::string AgentEventId(Source s, const claude::UsageEntry& e) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(e.key_hi),
                static_cast<unsigned long long>(e.key_lo));
  return std::string(EventIdPrefix(s)) + buf;
}

void AppendAgentEvent(Source s, const claude::UsageEntry& e, const claude::StringTable& strings,
                      std::string_view user, std::string_view client, std::string* out) {
  const std::string& model = strings[e.model];
  JsonWriter w;
  w.BeginObject();
  w.Key("id").String(AgentEventId(s, e));
  w.Key("ts").String(FormatRfc3339(e.ts));
  w.Key("user").String(user);
  w.Key("project").String(strings[e.project]);
  w.Key("source").String(EventSourceName(s));
  w.Key("session").String(strings[e.session]);
  if (!client.empty()) w.Key("client").String(client);
  w.Key("model").String(model.empty() ? "unknown" : model);
  w.Key("input_tokens").Int(e.tokens.input);
  w.Key("output_tokens").Int(e.tokens.output);
  w.Key("cache_read_tokens").Int(e.tokens.cache_read);
  w.Key("cache_write_tokens").Int(e.tokens.cache_write);
  if (e.line_cost_nanos >= 0) w.Key("cost_usd").NanoUsd(e.line_cost_nanos);
  w.EndObject();
  out->append(w.str());
  out->push_back('\n');
}

std::string MachineId(std::string_view override_id) {
  if (!override_id.empty()) return std::string(override_id);
  std::string raw;
  for (const char* path : {"/etc/machine-id", "/var/lib/dbus/machine-id"}) {
    std::ifstream f(path);
    if (f && std::getline(f, raw) && !raw.empty()) break;
    raw.clear();
  }
  if (raw.empty()) {
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) == 0) raw = host;
  }
  return "m-" + Sha256Hex("burnrate-machine:" + raw).substr(0, 16);
}

}  // namespace burnrate::agents
