// Policies: the [governance] config section, the admin API, versions.
//
// Policies live in an immutable PolicySet published through an atomic
// shared_ptr: readers (checks) never wait for writers, and a check that
// started on the old set finishes on it. Writers (Configure, the admin API)
// are serialised by admin_mu_, copy the set, change the copy and publish.
// Policies made in the config file are owned by the file: the API may read
// them but not change them. API-made policies are versioned in govern_db
// (every version kept) and survive restarts.
#include <fmt/format.h>

#include "govern/governor.h"
#include "govern/governor_internal.h"

namespace burnrate::govern {

void Governor::PolicySet::Index() {
  for (auto& m : by_subject) m.clear();
  for (auto& w : wildcard) w.clear();
  for (int i = 0; i < static_cast<int>(policies.size()); ++i) {
    const Policy& p = policies[i];
    int k = static_cast<int>(p.scope);
    if (p.subject == "*") wildcard[k].push_back(i);
    else by_subject[k][p.subject].push_back(i);
  }
}

const Policy* Governor::PolicySet::Find(const std::string& id) const {
  for (const Policy& p : policies)
    if (p.id == id) return &p;
  return nullptr;
}

void Governor::Publish(std::shared_ptr<const PolicySet> s) { policies_.store(std::move(s)); }

namespace {

std::string Where(const toml::node& n, std::string_view path) {
  return fmt::format("{} (line {})", path, n.source().begin.line);
}

Status StringSet(const toml::table& g, const char* key, std::unordered_set<std::string>& out) {
  const toml::node* n = g.get(key);
  if (!n) return Status::OK();
  const toml::array* a = n->as_array();
  if (!a) return Status::InvalidArgument(Where(*n, std::string("governance.") + key) + ": must be an array of strings");
  for (const auto& e : *a) {
    auto v = e.value<std::string>();
    if (!v) return Status::InvalidArgument(Where(e, std::string("governance.") + key) + ": must be strings");
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
  if (q.limit <= 0) return Status::InvalidArgument(w + ".limit_usd: limit_usd or limit_tokens > 0 required");
  auto period = ParsePeriod(t["period"].value_or(std::string("month")));
  if (!period.ok() || *period == PeriodKind::kRolling)
    return Status::InvalidArgument(w + ".period: want day, week or month");
  q.period = *period;
  for (auto [key, out] : {std::pair{"recompute_every", &q.recompute_every_ms}, {"demand_window", &q.demand_window_ms}}) {
    if (auto s = t[key].value<std::string>()) {
      auto d = ParseDuration(*s);
      if (!d.ok() || *d <= 0) return Status::InvalidArgument(w + "." + key + ": " + d.status().message());
      *out = *d;
    }
  }
  q.default_weight = t["default_weight"].value_or(1.0);
  if (const toml::table* ws = t["weights"].as_table()) {
    for (const auto& [k, v] : *ws) {
      auto d = v.value<double>();
      if (!d || *d <= 0) return Status::InvalidArgument(w + ".weights." + std::string(k.str()) + ": must be > 0");
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
    if (h.url.rfind("http://", 0) != 0) return Status::InvalidArgument(w + ".url: want http://host:port/path");
    std::string format = (*t)["format"].value_or(std::string("slack"));
    if (format != "slack" && format != "json") return Status::InvalidArgument(w + ".format: want slack or json");
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
    if (!z.ok()) return Status::InvalidArgument(Where(*g.get("time_zone"), "governance.time_zone") + ": " + z.status().message());
    st.tz = *z;
  }
  if (auto ttl = g["reservation_ttl"].value<std::string>()) {
    auto d = ParseDuration(*ttl);
    if (!d.ok() || *d <= 0) return Status::InvalidArgument("governance.reservation_ttl: " + d.status().message());
    st.reservation_ttl_ms = *d;
  }
  if (const toml::node* n = g.get("max_unsettled_per_subject")) {
    auto v = n->value<int64_t>();
    if (!v || *v < 0) return Status::InvalidArgument(Where(*n, "governance.max_unsettled_per_subject") + ": want an integer >= 0");
    st.max_unsettled = *v;
  }
  if (const toml::node* n = g.get("max_unsettled_total")) {
    auto v = n->value<int64_t>();
    if (!v || *v < 0) return Status::InvalidArgument(Where(*n, "governance.max_unsettled_total") + ": want an integer >= 0");
    st.max_unsettled_total = *v;
  }
  if (const toml::node* n = g.get("limit_store_unavailable")) {
    std::string v = n->value_or(std::string());
    if (v != "deny" && v != "allow")
      return Status::InvalidArgument(Where(*n, "governance.limit_store_unavailable") + ": want deny or allow");
    st.allow_when_store_unavailable = v == "allow";
  }
  if (const toml::node* n = g.get("limit_store")) {
    if (!n->is_string()) return Status::InvalidArgument(Where(*n, "governance.limit_store") + ": want a string");
  }
  if (const toml::array* a = g["throttle_rpm"].as_array()) {
    if (a->size() != 3) return Status::InvalidArgument(Where(*a, "governance.throttle_rpm") + ": want 3 integers");
    for (size_t i = 0; i < 3; ++i) st.throttle_rpm[i] = (*a)[i].value_or(int64_t{0});
  }
  BR_RETURN_IF_ERROR(StringSet(g, "exempt_users", st.exempt_users));
  BR_RETURN_IF_ERROR(StringSet(g, "exempt_keys", st.exempt_keys));
  BR_RETURN_IF_ERROR(StringSet(g, "batch_jobs", st.batch_jobs));
  if (const toml::table* q = g["quota"].as_table()) BR_RETURN_IF_ERROR(ParseQuota(*q, st.quota));
  if (const toml::array* a = g["webhook"].as_array()) BR_RETURN_IF_ERROR(ParseWebhooks(*a, st.webhooks));
  return Status::OK();
}

}  // namespace

Status Governor::Configure(const toml::table& root) {
  auto next = std::make_shared<PolicySet>();
  const toml::table* g = root["governance"].as_table();
  if (g) {
    BR_RETURN_IF_ERROR(ParseSettings(*g, next->settings));
    for (auto [key, kind] : {std::pair{"budget", PolicyKind::kBudget}, {"rate_limit", PolicyKind::kRateLimit}}) {
      const toml::array* a = (*g)[key].as_array();
      if (!a) continue;
      for (size_t i = 0; i < a->size(); ++i) {
        std::string w = Where((*a)[i], fmt::format("governance.{}[{}]", key, i));
        const toml::table* t = (*a)[i].as_table();
        if (!t) return Status::InvalidArgument(w + ": must be a table");
        BR_ASSIGN_OR_RETURN(Policy p, PolicyFromToml(*t, kind, w));
        if (next->Find(p.id)) return Status::InvalidArgument(w + ".id: duplicate policy id '" + p.id + "'");
        next->policies.push_back(std::move(p));
      }
    }
  }
  std::lock_guard<std::mutex> l(admin_mu_);
  for (const Policy& p : Snapshot()->policies)
    if (p.origin != "config" && !next->Find(p.id)) next->policies.push_back(p);
  next->Index();
  if (alerter_) alerter_->SetWebhooks(next->settings.webhooks);
  Publish(next);
  RecomputeQuotas();
  audit_.Append({0, 0, "config", "policy.configure", "governance", "configuration loaded",
                 fmt::format(R"({{"policies":{}}})", next->policies.size())});
  return Status::OK();
}

Status Governor::AttachDb(GovernDb* db) {
  BR_ASSIGN_OR_RETURN(std::vector<PolicyVersion> latest, db->LatestPolicies());
  std::lock_guard<std::mutex> l(admin_mu_);
  db_ = db;
  auto next = std::make_shared<PolicySet>(*Snapshot());
  for (const PolicyVersion& v : latest) {
    last_version_[v.id] = v.version;
    if (v.deleted || next->Find(v.id)) continue;
    auto p = PolicyFromJson(v.body, nullptr);
    if (!p.ok()) return Status::Internal("stored policy " + v.id + ": " + p.status().message());
    p->version = v.version;
    next->policies.push_back(std::move(*p));
  }
  next->Index();
  Publish(next);
  // Alerts raised before a restart stay raised for the rest of their period.
  BR_ASSIGN_OR_RETURN(auto fired, db->FiredAlerts());
  {
    std::lock_guard<std::mutex> m(misc_mu_);
    for (auto& [key, until] : fired) alerted_.emplace(std::move(key), until);
  }
  alert_db_.store(db);
  return Status::OK();
}

std::vector<Policy> Governor::ListPolicies() const { return Snapshot()->policies; }

Result<Policy> Governor::GetPolicy(const std::string& id) const {
  auto s = Snapshot();
  if (const Policy* p = s->Find(id)) return *p;
  return Status::NotFound("no policy '" + id + "'");
}

Result<Policy> Governor::UpsertPolicy(Policy p, const std::string& actor, bool must_exist) {
  std::lock_guard<std::mutex> l(admin_mu_);
  auto next = std::make_shared<PolicySet>(*Snapshot());
  Policy* old = const_cast<Policy*>(next->Find(p.id));
  if (old && old->origin == "config")
    return Status::PermissionDenied("policy '" + p.id + "' is defined in the config file; change it there");
  if (must_exist && !old) return Status::NotFound("no policy '" + p.id + "'");
  if (!must_exist && old) return Status::AlreadyExists("policy '" + p.id + "' exists; use PUT to change it");
  std::string field;
  BR_RETURN_IF_ERROR(p.Validate(&field));
  p.origin = "api";
  p.version = last_version_[p.id] + 1;
  PolicyVersion v{p.id, p.version, clock_.NowMs(), actor, false, p.ToJson()};
  if (db_) BR_RETURN_IF_ERROR(db_->SavePolicyVersion(v));
  else mem_history_[p.id].push_back(v);
  last_version_[p.id] = p.version;
  if (old) *old = p;
  else next->policies.push_back(p);
  next->Index();
  Publish(next);
  BR_RETURN_IF_ERROR(audit_.AppendDurable({0, 0, actor, old ? "policy.update" : "policy.create", "policy:" + p.id,
                                            fmt::format("version {}", p.version), v.body}));
  return p;
}

Status Governor::DeletePolicy(const std::string& id, const std::string& actor) {
  std::lock_guard<std::mutex> l(admin_mu_);
  auto next = std::make_shared<PolicySet>(*Snapshot());
  const Policy* old = next->Find(id);
  if (!old) return Status::NotFound("no policy '" + id + "'");
  if (old->origin == "config")
    return Status::PermissionDenied("policy '" + id + "' is defined in the config file; remove it there");
  int64_t version = last_version_[id] + 1;
  PolicyVersion v{id, version, clock_.NowMs(), actor, true, old->ToJson()};
  if (db_) BR_RETURN_IF_ERROR(db_->SavePolicyVersion(v));
  else mem_history_[id].push_back(v);
  last_version_[id] = version;
  std::erase_if(next->policies, [&](const Policy& p) { return p.id == id; });
  next->Index();
  Publish(next);
  return audit_.AppendDurable(
      {0, 0, actor, "policy.delete", "policy:" + id, fmt::format("version {}", version), v.body});
}

Result<std::vector<PolicyVersion>> Governor::PolicyHistory(const std::string& id) const {
  std::lock_guard<std::mutex> l(admin_mu_);
  if (db_) return db_->PolicyHistory(id);
  auto it = mem_history_.find(id);
  if (it == mem_history_.end()) return std::vector<PolicyVersion>{};
  return it->second;
}

}  // namespace burnrate::govern
