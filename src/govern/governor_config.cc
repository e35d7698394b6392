// The [governance] config section: settings, budgets, rate limits, quota
// and webhooks, parsed into a PolicySet that the PolicyRegistry publishes.
// Errors name the key and its line in the file.
#include <fmt/format.h>
#include <toml++/toml.h>

#include "govern/governor.h"

namespace burnrate::govern {

namespace {

std::string Where(const toml::node& n, std::string_view path) {
  return fmt::format("{} (line {})", path, n.source().begin.line);
}

Status StringSet(const toml::table& g, const char* key, std::unordered_set<std::string>& out) {
  const toml::node* n = g.get(key);
  if (!n) return Status::OK();
  const toml::array* a = n->as_array();
  if (!a)
    return Status::InvalidArgument(Where(*n, std::string("governance.") + key) +
                                   ": must be an array of strings");
  for (const auto& e : *a) {
    auto v = e.value<std::string>();
    if (!v)
      return Status::InvalidArgument(Where(e, std::string("governance.") + key) +
                                     ": must be strings");
    out.insert(*v);
  }
  return Status::OK();
}

Status ParseQuota(const toml::table& t, QuotaConfig& q) {
  std::string w = Where(t, "governance.quota");
  q.org = t["org"].value_or(std::string());
  if (q.org.empty()) return Status::InvalidArgument(w + ".org: required");
  if (auto usd = t["limit_usd"].value<double>()) {
    q.unit = Unit::kNanoUsd, q.limit = static_cast<int64_t>(*usd * 1e9);
  } else if (auto tok = t["limit_tokens"].value<int64_t>()) {
    q.unit = Unit::kTokens, q.limit = *tok;
  }
  if (q.limit <= 0)
    return Status::InvalidArgument(w + ".limit_usd: limit_usd or limit_tokens > 0 required");
  auto period = ParsePeriod(t["period"].value_or(std::string("month")));
  if (!period.ok() || *period == PeriodKind::kRolling)
    return Status::InvalidArgument(w + ".period: want day, week or month");
  q.period = *period;
  for (auto [key, out] : {std::pair{"recompute_every", &q.recompute_every_ms},
                          {"demand_window", &q.demand_window_ms}}) {
    if (auto s = t[key].value<std::string>()) {
      auto d = ParseDuration(*s);
      if (!d.ok() || *d <= 0)
        return Status::InvalidArgument(w + "." + key + ": " + d.status().message());
      *out = *d;
    }
  }
  q.default_weight = t["default_weight"].value_or(1.0);
  if (const toml::table* ws = t["weights"].as_table()) {
    for (const auto& [k, v] : *ws) {
      auto d = v.value<double>();
      if (!d || *d <= 0)
        return Status::InvalidArgument(w + ".weights." + std::string(k.str()) + ": must be > 0");
      q.weights[std::string(k.str())] = *d;
    }
  }
  return Status::OK();
}

Status ParseWebhooks(const toml::array& a, std::vector<WebhookConfig>& out) {
  for (size_t i = 0; i < a.size(); ++i) {
    std::string w = Where(a[i], fmt::format("governance.webhook[{}]", i));
    const toml::table* t = a[i].as_table();
    if (!t) return Status::InvalidArgument(w + ": must be a table");
    WebhookConfig h;
    h.url = (*t)["url"].value_or(std::string());
    if (h.url.rfind("http://", 0) != 0)
      return Status::InvalidArgument(w + ".url: want http://host:port/path");
    std::string format = (*t)["format"].value_or(std::string("slack"));
    if (format != "slack" && format != "json")
      return Status::InvalidArgument(w + ".format: want slack or json");
    h.slack = format == "slack";
    if (const toml::array* ev = (*t)["events"].as_array())
      for (const auto& e : *ev) h.events.push_back(e.value_or(std::string()));
    out.push_back(std::move(h));
  }
  return Status::OK();
}

Status ParseSettings(const toml::table& g, GovernorSettings& st) {
  if (auto tz = g["time_zone"].value<std::string>()) {
    auto z = TimeZone::Load(*tz);
    if (!z.ok())
      return Status::InvalidArgument(Where(*g.get("time_zone"), "governance.time_zone") + ": " +
                                     z.status().message());
    st.tz = *z;
  }
  if (auto ttl = g["reservation_ttl"].value<std::string>()) {
    auto d = ParseDuration(*ttl);
    if (!d.ok() || *d <= 0)
      return Status::InvalidArgument("governance.reservation_ttl: " + d.status().message());
    st.reservation_ttl_ms = *d;
  }
  if (const toml::node* n = g.get("max_unsettled_per_subject")) {
    auto v = n->value<int64_t>();
    if (!v || *v < 0)
      return Status::InvalidArgument(Where(*n, "governance.max_unsettled_per_subject") +
                                     ": want an integer >= 0");
    st.max_unsettled = *v;
  }
  if (const toml::node* n = g.get("max_unsettled_total")) {
    auto v = n->value<int64_t>();
    if (!v || *v < 0)
      return Status::InvalidArgument(Where(*n, "governance.max_unsettled_total") +
                                     ": want an integer >= 0");
    st.max_unsettled_total = *v;
  }
  if (const toml::node* n = g.get("limit_store_unavailable")) {
    std::string v = n->value_or(std::string());
    if (v != "deny" && v != "allow")
      return Status::InvalidArgument(Where(*n, "governance.limit_store_unavailable") +
                                     ": want deny or allow");
    st.allow_when_store_unavailable = v == "allow";
  }
  if (const toml::node* n = g.get("limit_store")) {
    if (!n->is_string())
      return Status::InvalidArgument(Where(*n, "governance.limit_store") + ": want a string");
  }
  if (const toml::array* a = g["throttle_rpm"].as_array()) {
    if (a->size() != 3)
      return Status::InvalidArgument(Where(*a, "governance.throttle_rpm") + ": want 3 integers");
    for (size_t i = 0; i < 3; ++i) st.throttle_rpm[i] = (*a)[i].value_or(int64_t{0});
  }
  BR_RETURN_IF_ERROR(StringSet(g, "exempt_users", st.exempt_users));
  BR_RETURN_IF_ERROR(StringSet(g, "exempt_keys", st.exempt_keys));
  BR_RETURN_IF_ERROR(StringSet(g, "batch_jobs", st.batch_jobs));
  if (const toml::table* q = g["quota"].as_table()) BR_RETURN_IF_ERROR(ParseQuota(*q, st.quota));
  if (const toml::array* a = g["webhook"].as_array())
    BR_RETURN_IF_ERROR(ParseWebhooks(*a, st.webhooks));
  return Status::OK();
}

}  // namespace

Status Governor::Configure(const toml::table& root) {
  auto next = std::make_shared<PolicySet>();
  const toml::table* g = root["governance"].as_table();
  if (g) {
    BR_RETURN_IF_ERROR(ParseSettings(*g, next->settings));
    for (auto [key, kind] :
         {std::pair{"budget", PolicyKind::kBudget}, {"rate_limit", PolicyKind::kRateLimit}}) {
      const toml::array* a = (*g)[key].as_array();
      if (!a) continue;
      for (size_t i = 0; i < a->size(); ++i) {
        std::string w = Where((*a)[i], fmt::format("governance.{}[{}]", key, i));
        const toml::table* t = (*a)[i].as_table();
        if (!t) return Status::InvalidArgument(w + ": must be a table");
        BR_ASSIGN_OR_RETURN(Policy p, PolicyFromToml(*t, kind, w));
        if (next->Find(p.id))
          return Status::InvalidArgument(w + ".id: duplicate policy id '" + p.id + "'");
        next->policies.push_back(std::move(p));
      }
    }
  }
  std::shared_ptr<const PolicySet> published = policies_.ReplaceConfigured(next);
  if (alerter_) alerter_->SetWebhooks(published->settings.webhooks);
  RecomputeQuotas();
  audit_.Append({0, 0, "config", "policy.configure", "governance", "configuration loaded",
                 fmt::format(R"({{"policies":{}}})", published->policies.size())});
  return Status::OK();
}

Status Governor::AttachDb(PolicyStore* policies, AlertStore* db) {
  BR_RETURN_IF_ERROR(policies_.AttachDb(policies));
  // Alerts raised before a restart stay raised for the rest of their period.
  BR_ASSIGN_OR_RETURN(auto fired, db->FiredAlerts());
  {
    std::lock_guard<std::mutex> m(misc_mu_);
    for (auto& [key, until] : fired) alerted_.emplace(std::move(key), until);
  }
  alert_db_.store(db);
  return Status::OK();
}

}  // namespace burnrate::govern
