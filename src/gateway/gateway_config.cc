// [gateway] in the config file (docs/gateway.md).
#include <toml++/toml.h>

#include <cctype>

#include "gateway/gateway.h"

namespace burnrate::gateway {

namespace {

Status Bad(const std::string& key, const std::string& what) {
  return Status::InvalidArgument("config [gateway]: " + key + " " + what);
}

// An integer key within [lo, hi]; absent keys keep *out.
Status Int(const toml::table& t, const char* name, const std::string& where, int64_t lo, int64_t hi,
           int64_t* out) {
  const toml::node* n = t.get(name);
  if (n == nullptr) return Status::OK();
  std::optional<int64_t> v = n->value<int64_t>();
  if (!v || *v < lo || *v > hi) {
    return Bad(where + name,
               "must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
  *out = *v;
  return Status::OK();
}

Status IntField(const toml::table& t, const char* name, const std::string& where, int64_t lo,
                int64_t hi, int* out) {
  int64_t v = *out;
  BR_RETURN_IF_ERROR(Int(t, name, where, lo, hi, &v));
  *out = int(v);
  return Status::OK();
}

Status Provider(const toml::table& g, const char* name, const char* default_env,
                const char* default_url, const std::function<const char*(const char*)>& getenv,
                ProviderConfig* out) {
  const toml::node* node = g.get(name);
  if (node == nullptr) return Status::OK();
  const toml::table* t = node->as_table();
  std::string where = std::string(name) + ".";
  if (t == nullptr) return Bad(name, "must be a table");
  out->enabled = true;
  out->upstream.base_url = (*t)["base_url"].value_or(std::string(default_url));
  if (out->upstream.base_url.empty()) return Bad(where + "base_url", "must be a non-empty string");
  out->upstream.ca_file = (*t)["ca_file"].value_or(std::string());
  std::string env = (*t)["api_key_env"].value_or(std::string(default_env));
  out->api_key = (*t)["api_key"].value_or(std::string());
  if (out->api_key.empty() && !env.empty()) {
    if (const char* v = getenv(env.c_str())) out->api_key = v;
  }
  UpstreamOptions& o = out->upstream;
  BR_RETURN_IF_ERROR(IntField(*t, "connect_timeout_ms", where, 1, 600'000, &o.connect_timeout_ms));
  BR_RETURN_IF_ERROR(
      IntField(*t, "first_byte_timeout_ms", where, 1, 3'600'000, &o.first_byte_timeout_ms));
  BR_RETURN_IF_ERROR(IntField(*t, "idle_timeout_ms", where, 1, 3'600'000, &o.idle_timeout_ms));
  BR_RETURN_IF_ERROR(
      IntField(*t, "max_idle_connections", where, 0, 100'000, &o.max_idle_connections));
  return Status::OK();
}

// [[gateway.passthrough]]: key_sha256 (64 hex digits) and user required.
Status Passthrough(const toml::table& g, std::vector<PassthroughKey>* out) {
  const toml::node* node = g.get("passthrough");
  if (node == nullptr) return Status::OK();
  const toml::array* list = node->as_array();
  if (list == nullptr)
    return Bad("passthrough", "must be an array of tables ([[gateway.passthrough]])");
  for (const toml::node& item : *list) {
    const toml::table* t = item.as_table();
    if (t == nullptr) return Bad("passthrough", "entries must be tables");
    PassthroughKey k;
    k.key_sha256 = (*t)["key_sha256"].value_or(std::string());
    k.user = (*t)["user"].value_or(std::string());
    k.team = (*t)["team"].value_or(std::string());
    k.project = (*t)["project"].value_or(std::string());
    for (char& c : k.key_sha256) c = char(std::tolower(static_cast<unsigned char>(c)));
    if (k.key_sha256.size() != 64 ||
        k.key_sha256.find_first_not_of("0123456789abcdef") != std::string::npos)
      return Bad("passthrough.key_sha256",
                 "must be the SHA-256 of the provider key in hex (sha256sum), 64 digits");
    if (k.user.empty()) return Bad("passthrough.user", "is required (whose usage the key is)");
    out->push_back(std::move(k));
  }
  return Status::OK();
}

}  // namespace

Result<GatewayConfig> ParseGatewayConfig(const toml::table& root,
                                         const std::function<const char*(const char*)>& getenv) {
  GatewayConfig c;
  const toml::node* node = root.get("gateway");
  if (node == nullptr) return c;
  const toml::table* g = node->as_table();
  if (g == nullptr) return Bad("", "must be a table");
  c.enabled = (*g)["enabled"].value_or(true);
  BR_RETURN_IF_ERROR(Provider(*g, "anthropic", "ANTHROPIC_API_KEY", "https://api.anthropic.com",
                              getenv, &c.anthropic));
  BR_RETURN_IF_ERROR(
      Provider(*g, "openai", "OPENAI_API_KEY", "https://api.openai.com", getenv, &c.openai));
  if (c.enabled && !c.anthropic.enabled && !c.openai.enabled) {
    return Bad("", "needs [gateway.anthropic] or [gateway.openai] (each with base_url)");
  }
  BR_RETURN_IF_ERROR(Passthrough(*g, &c.passthrough));
  BR_RETURN_IF_ERROR(IntField(*g, "threads", "", 0, 64, &c.threads));
  BR_RETURN_IF_ERROR(IntField(*g, "event_batch_max", "", 1, 65'536, &c.event_batch_max));
  BR_RETURN_IF_ERROR(IntField(*g, "event_batch_delay_ms", "", 0, 10'000, &c.event_batch_delay_ms));
  BR_RETURN_IF_ERROR(Int(*g, "default_max_tokens", "", 0, 10'000'000, &c.default_max_tokens));
  BR_RETURN_IF_ERROR(Int(*g, "max_body_bytes", "", 1024, int64_t(1) << 32, &c.max_body_bytes));
  for (auto [name, out, lo, hi] :
       {std::tuple{"bytes_per_token", &c.bytes_per_token, 0.5, 100.0},
        std::tuple{"unpriced_usd_per_mtok", &c.unpriced_usd_per_mtok, 0.0, 100000.0}}) {
    const toml::node* n = g->get(name);
    if (n == nullptr) continue;
    std::optional<double> v = n->value<double>();
    if (!v || *v < lo || *v > hi)
      return Bad(name,
                 "must be a number in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    *out = *v;
  }
  return c;
}

}  // namespace burnrate::gateway
