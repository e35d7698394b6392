// PolicyRegistry: the governor's policies and settings, and their
// administration by the config file and the admin API.
//
// Readers (every check) take Snapshot(): an immutable PolicySet published
// through an atomic shared_ptr, so they never wait for writers, and a check
// that started on the old set finishes on it. Writers (ReplaceConfigured,
// the admin API) are serialised by one mutex, copy the set, change the copy
// and publish it. Policies made in the config file are owned by the file:
// the API may read them but not change them. API-made policies are
// versioned (every version kept, in a PolicyStore once attached) and audited.
//
// Ownership: borrows the Clock and the AuditLog, and the PolicyStore once
// attached; all must outlive it. Thread-safety: every method is safe.
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "govern/audit_log.h"
#include "govern/govern_stores.h"
#include "govern/policy.h"
#include "govern/settings.h"

namespace burnrate::govern {

// An immutable view of all policies and settings; replaced, never mutated
// once published.
struct PolicySet {
  std::vector<Policy> policies;
  GovernorSettings settings;
  // Per scope kind: subject -> policy indices; and "*" policies.
  std::array<std::unordered_map<std::string, std::vector<int>>, kScopeKinds> by_subject;
  std::array<std::vector<int>, kScopeKinds> wildcard;
  bool has_budgets = false;  // a budget policy is among `policies` (set by Index)

  void Index();  // rebuilds by_subject and wildcard from policies
  const Policy* Find(const std::string& id) const;

  // Calls f(policy, scope kind, subject value) for each policy of `kind`
  // that applies to a request by these subjects (indexed by ScopeKind; an
  // empty value matches nothing) and this model.
  template <class F>
  void ForEachMatch(PolicyKind kind, const std::array<const std::string*, kScopeKinds>& values,
                    const std::string& model, F&& f) const {
    for (int k = 0; k < kScopeKinds; ++k) {
      const std::string& v = *values[k];
      if (v.empty()) continue;
      auto visit = [&](int idx) {
        const Policy& p = policies[idx];
        if (p.kind == kind && p.MatchesModel(model)) f(p, static_cast<ScopeKind>(k), v);
      };
      if (auto it = by_subject[k].find(v); it != by_subject[k].end())
        for (int idx : it->second) visit(idx);
      for (int idx : wildcard[k]) visit(idx);
    }
  }
};

class PolicyRegistry {
 public:
  PolicyRegistry(const Clock& clock, AuditLog& audit);

  std::shared_ptr<const PolicySet> Snapshot() const { return set_.load(); }

  // Publishes `next`'s settings and config-made policies in place of the
  // current ones; API-made policies are kept unless `next` has one of the
  // same id. Returns the published set.
  std::shared_ptr<const PolicySet> ReplaceConfigured(std::shared_ptr<PolicySet> next);
  // Loads the API-made policies saved in `db` and keeps versions there from
  // now on. Call once, before the first check.
  Status AttachDb(PolicyStore* db);
  // Applies the versions that other nodes sharing the attached store saved
  // since (an API-made policy's newer version, or its deletion); config-made
  // policies stay. Returns whether the set changed. Nodes on one PostgreSQL
  // call it every second, so a policy made on one applies on all within 2 s.
  Result<bool> Refresh();

  std::vector<Policy> List() const;
  Result<Policy> Get(const std::string& id) const;
  // Creates (must_exist = false) or replaces (true) an API-made policy.
  Result<Policy> Upsert(Policy p, const std::string& actor, bool must_exist);
  Status Delete(const std::string& id, const std::string& actor);
  Result<std::vector<PolicyVersion>> History(const std::string& id) const;

 private:
  // Keeps a new version of an API-made policy (in the db once attached).
  // Caller holds mu_.
  Status Record(const PolicyVersion& v);

  const Clock& clock_;
  AuditLog& audit_;
  std::atomic<std::shared_ptr<const PolicySet>> set_;

  mutable std::mutex mu_;  // serialises writers; guards the members below
  PolicyStore* db_ = nullptr;
  std::unordered_map<std::string, int64_t> last_version_;
  std::unordered_map<std::string, std::vector<PolicyVersion>> mem_history_;  // without a db only
};

}  // namespace burnrate::govern
