// PolicyRegistry: config-owned policies, API versions and their history,
// the policy scan that checks and usage share.
#include "govern/policy_registry.h"

#include <gtest/gtest.h>

#include "govern/test_util.h"
#include "store/sqlite/sqlite_stores.h"

namespace burnrate::govern {
namespace {

using testing::At;

Policy Budget(const std::string& id, ScopeKind scope, const std::string& subject,
              const std::string& origin, const std::string& model = "") {
  Policy p;
  p.id = id, p.scope = scope, p.subject = subject, p.origin = origin, p.model = model;
  p.limit = 100;
  return p;
}

struct RegistryTest : ::testing::Test {
  FakeClock clock{At("2026-03-10T12:00:00Z")};
  AuditLog audit{nullptr, clock};
  PolicyRegistry reg{clock, audit};
};

TEST_F(RegistryTest, ConfigReplacementKeepsApiPolicies) {
  auto cfg = std::make_shared<PolicySet>();
  cfg->policies.push_back(Budget("from-file", ScopeKind::kTeam, "core", "config"));
  reg.ReplaceConfigured(cfg);
  ASSERT_TRUE(reg.Upsert(Budget("from-api", ScopeKind::kUser, "ada", "api"), "root", false).ok());

  auto next = std::make_shared<PolicySet>();  // the file no longer has "from-file"
  next->policies.push_back(Budget("new-file", ScopeKind::kOrg, "acme", "config"));
  auto published = reg.ReplaceConfigured(next);
  std::vector<std::string> ids;
  for (const Policy& p : published->policies) ids.push_back(p.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"new-file", "from-api"}));
  EXPECT_EQ(reg.Snapshot(), published);
}

TEST_F(RegistryTest, TheApiCannotChangeConfigPolicies) {
  auto cfg = std::make_shared<PolicySet>();
  cfg->policies.push_back(Budget("from-file", ScopeKind::kTeam, "core", "config"));
  reg.ReplaceConfigured(cfg);
  Policy p = Budget("from-file", ScopeKind::kTeam, "core", "api");
  EXPECT_EQ(reg.Upsert(p, "root", true).status().code(), Status::Code::kPermissionDenied);
  EXPECT_EQ(reg.Delete("from-file", "root").code(), Status::Code::kPermissionDenied);
  EXPECT_TRUE(reg.Get("from-file").ok());
}

TEST_F(RegistryTest, VersionsCarryOnAcrossDeleteAndRecreate) {
  Policy p = Budget("cap", ScopeKind::kUser, "ada", "api");
  ASSERT_TRUE(reg.Upsert(p, "root", false).ok());
  p.limit = 200;
  auto v2 = reg.Upsert(p, "root", true);
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(v2->version, 2);
  ASSERT_TRUE(reg.Delete("cap", "root").ok());
  auto v4 = reg.Upsert(p, "root", false);
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->version, 4);
  auto h = reg.History("cap");
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->size(), 4u);
  EXPECT_TRUE((*h)[2].deleted);
  EXPECT_EQ(reg.Delete("nope", "root").code(), Status::Code::kNotFound);
}

TEST_F(RegistryTest, VersionsSurviveARestartWithTheDb) {
  auto db = store::SqliteGovernStore::Open(":memory:");
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE(reg.AttachDb(db->get()).ok());
  ASSERT_TRUE(reg.Upsert(Budget("cap", ScopeKind::kUser, "ada", "api"), "root", false).ok());
  PolicyRegistry again(clock, audit);
  ASSERT_TRUE(again.AttachDb(db->get()).ok());
  auto p = again.Get("cap");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->version, 1);
  Policy changed = *p;
  changed.limit = 5;
  auto v2 = again.Upsert(changed, "root", true);
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(v2->version, 2);
}

TEST(PolicySet, ForEachMatchVisitsExactAndWildcardOfTheKindAndModel) {
  PolicySet s;
  s.policies.push_back(Budget("team-core", ScopeKind::kTeam, "core", "api"));
  s.policies.push_back(Budget("each-user", ScopeKind::kUser, "*", "api"));
  s.policies.push_back(Budget("opus-only", ScopeKind::kUser, "ada", "api", "claude-opus*"));
  Policy rate = Budget("rate", ScopeKind::kUser, "ada", "api");
  rate.kind = PolicyKind::kRateLimit;
  s.policies.push_back(rate);
  s.Index();
  std::string user = "ada", team = "core", none;
  std::array<const std::string*, kScopeKinds> subjects = {&user, &team, &none, &none, &none};
  std::vector<std::string> seen;
  s.ForEachMatch(PolicyKind::kBudget, subjects, "claude-sonnet-4-5",
                 [&](const Policy& p, ScopeKind k, const std::string& v) {
                   seen.push_back(p.id + "@" + ScopeName(k) + ":" + v);
                 });
  EXPECT_EQ(seen, (std::vector<std::string>{"each-user@user:ada", "team-core@team:core"}));
  seen.clear();
  s.ForEachMatch(PolicyKind::kBudget, subjects, "claude-opus-4-5",
                 [&](const Policy& p, ScopeKind, const std::string&) { seen.push_back(p.id); });
  EXPECT_EQ(seen, (std::vector<std::string>{"opus-only", "each-user", "team-core"}));
}

}  // namespace
}  // namespace burnrate::govern
