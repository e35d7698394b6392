#include "govern/policy_registry.h"

#include <fmt/format.h>

namespace burnrate::govern {

void PolicySet::Index() {
  for (auto& m : by_subject) m.clear();
  for (auto& w : wildcard) w.clear();
  has_budgets = false;
  for (int i = 0; i < static_cast<int>(policies.size()); ++i) {
    const Policy& p = policies[i];
    has_budgets |= p.kind == PolicyKind::kBudget;
    int k = static_cast<int>(p.scope);
    if (p.subject == "*")
      wildcard[k].push_back(i);
    else
      by_subject[k][p.subject].push_back(i);
  }
}

const Policy* PolicySet::Find(const std::string& id) const {
  for (const Policy& p : policies)
    if (p.id == id) return &p;
  return nullptr;
}

PolicyRegistry::PolicyRegistry(const Clock& clock, AuditLog& audit) : clock_(clock), audit_(audit) {
  auto s = std::make_shared<PolicySet>();
  s->Index();
  set_.store(std::move(s));
}

std::shared_ptr<const PolicySet> PolicyRegistry::ReplaceConfigured(
    std::shared_ptr<PolicySet> next) {
  std::lock_guard<std::mutex> l(mu_);
  for (const Policy& p : Snapshot()->policies)
    if (p.origin != "config" && !next->Find(p.id)) next->policies.push_back(p);
  next->Index();
  set_.store(next);
  return next;
}

Status PolicyRegistry::AttachDb(PolicyStore* db) {
  BR_ASSIGN_OR_RETURN(std::vector<PolicyVersion> latest, db->LatestPolicies());
  std::lock_guard<std::mutex> l(mu_);
  db_ = db;
  auto next = std::make_shared<PolicySet>(*Snapshot());
  for (const PolicyVersion& v : latest) {
    last_version_[v.id] = v.version;
    if (v.deleted || next->Find(v.id)) continue;
    auto p = PolicyFromJson(v.body);
    if (!p.ok()) return Status::Internal("stored policy " + v.id + ": " + p.status().message());
    p->version = v.version;
    next->policies.push_back(std::move(*p));
  }
  next->Index();
  set_.store(std::move(next));
  return Status::OK();
}

Result<bool> PolicyRegistry::Refresh() {
  PolicyStore* db;
  {
    std::lock_guard<std::mutex> l(mu_);
    db = db_;
  }
  if (!db) return false;
  // Read outside mu_: a slow database never delays this node's own writes.
  BR_ASSIGN_OR_RETURN(std::vector<PolicyVersion> latest, db->LatestPolicies());
  std::lock_guard<std::mutex> l(mu_);
  std::shared_ptr<PolicySet> next;
  for (const PolicyVersion& v : latest) {
    int64_t& known = last_version_[v.id];
    if (v.version <= known) continue;  // this node's own, or seen already
    known = v.version;
    if (!next) next = std::make_shared<PolicySet>(*Snapshot());
    const Policy* cur = next->Find(v.id);
    if (cur && cur->origin == "config") continue;
    std::erase_if(next->policies, [&](const Policy& p) { return p.id == v.id; });
    if (v.deleted) continue;
    auto p = PolicyFromJson(v.body);
    if (!p.ok()) return Status::Internal("stored policy " + v.id + ": " + p.status().message());
    p->version = v.version;
    p->origin = "api";
    next->policies.push_back(std::move(*p));
  }
  if (!next) return false;
  next->Index();
  set_.store(std::move(next));
  return true;
}

std::vector<Policy> PolicyRegistry::List() const { return Snapshot()->policies; }

Result<Policy> PolicyRegistry::Get(const std::string& id) const {
  auto s = Snapshot();
  if (const Policy* p = s->Find(id)) return *p;
  return Status::NotFound("no policy '" + id + "'");
}

Status PolicyRegistry::Record(const PolicyVersion& v) {
  if (db_)
    BR_RETURN_IF_ERROR(db_->SavePolicyVersion(v));
  else
    mem_history_[v.id].push_back(v);
  last_version_[v.id] = v.version;
  return Status::OK();
}

Result<Policy> PolicyRegistry::Upsert(Policy p, const std::string& actor, bool must_exist) {
  std::lock_guard<std::mutex> l(mu_);
  auto next = std::make_shared<PolicySet>(*Snapshot());
  Policy* old = const_cast<Policy*>(next->Find(p.id));
  if (old && old->origin == "config")
    return Status::PermissionDenied("policy '" + p.id +
                                    "' is defined in the config file; change it there");
  if (must_exist && !old) return Status::NotFound("no policy '" + p.id + "'");
  if (!must_exist && old)
    return Status::AlreadyExists("policy '" + p.id + "' exists; use PUT to change it");
  // PolicyFromJson validated it already; this answer names no field.
  BR_RETURN_IF_ERROR(p.Validate().WithField(""));
  p.origin = "api";
  p.version = last_version_[p.id] + 1;
  PolicyVersion v{p.id, p.version, clock_.NowMs(), actor, false, p.ToJson()};
  BR_RETURN_IF_ERROR(Record(v));
  if (old)
    *old = p;
  else
    next->policies.push_back(p);
  next->Index();
  set_.store(std::move(next));
  BR_RETURN_IF_ERROR(
      audit_.AppendDurable({0, 0, actor, old ? "policy.update" : "policy.create", "policy:" + p.id,
                            fmt::format("version {}", p.version), v.body}));
  return p;
}

Status PolicyRegistry::Delete(const std::string& id, const std::string& actor) {
  std::lock_guard<std::mutex> l(mu_);
  auto next = std::make_shared<PolicySet>(*Snapshot());
  const Policy* old = next->Find(id);
  if (!old) return Status::NotFound("no policy '" + id + "'");
  if (old->origin == "config")
    return Status::PermissionDenied("policy '" + id +
                                    "' is defined in the config file; remove it there");
  PolicyVersion v{id, last_version_[id] + 1, clock_.NowMs(), actor, true, old->ToJson()};
  BR_RETURN_IF_ERROR(Record(v));
  std::erase_if(next->policies, [&](const Policy& p) { return p.id == id; });
  next->Index();
  set_.store(std::move(next));
  return audit_.AppendDurable(
      {0, 0, actor, "policy.delete", "policy:" + id, fmt::format("version {}", v.version), v.body});
}

Result<std::vector<PolicyVersion>> PolicyRegistry::History(const std::string& id) const {
  std::lock_guard<std::mutex> l(mu_);
  if (db_) return db_->PolicyHistory(id);
  auto it = mem_history_.find(id);
  if (it == mem_history_.end()) return std::vector<PolicyVersion>{};
  return it->second;
}

}  // namespace burnrate::govern
