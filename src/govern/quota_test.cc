// Priority-weighted quotas through the governor: allowances follow weights
// and demand, users share their project's allowance, the org total holds.
#include <gtest/gtest.h>

#include "govern/test_util.h"

namespace burnrate::govern {
namespace {

using testing::At;
using testing::Fixture;

constexpr const char* kQuota = R"(
[governance.quota]
org = "acme"
limit_tokens = 1000
period = "month"
recompute_every = "1m"
demand_window = "1h"
[governance.quota.weights]
payments = 3
search = 1
)";

CheckResult CheckIn(Fixture& f, const std::string& user, const std::string& project,
                    int64_t tokens) {
  CheckRequest r;
  r.user = user, r.org = "acme", r.project = project, r.estimated_tokens = tokens, r.model = "m";
  auto res = f.gov.Check(r);
  EXPECT_TRUE(res.ok());
  return *res;
}

TEST(Quota, IdleProjectsSplitByWeightAndUsersShare) {
  Fixture f(kQuota);
  f.gov.RecomputeQuotas();
  QuotaView v = f.gov.Quota();
  ASSERT_EQ(v.projects.size(), 2u);
  EXPECT_EQ(v.projects[0].name, "payments");
  EXPECT_EQ(v.projects[0].allowance, 750);
  EXPECT_EQ(v.projects[1].allowance, 250);
  // Two users of "search" share its 250.
  CheckResult a = CheckIn(f, "ann", "search", 200);
  ASSERT_EQ(a.decision, Decision::kAllow);
  EXPECT_EQ(a.policy, "quota:acme/search");
  EXPECT_EQ(a.remaining, 50);
  CheckResult b = CheckIn(f, "ben", "search", 100);
  EXPECT_EQ(b.decision, Decision::kDeny);
  EXPECT_EQ(b.policy, "quota:acme/search");
  EXPECT_EQ(CheckIn(f, "ben", "payments", 700).decision, Decision::kAllow);
}

TEST(Quota, DemandShiftsAllowanceToBusyProject) {
  Fixture f(kQuota);
  // search burns 100 tokens over the last hour; the month has ~21 days left,
  // so its demand is far above its weighted share; payments is idle.
  model::Event e;
  e.user = "ann", e.org = "acme", e.project = "search", e.cost_nanos = 0, e.tokens.input = 100;
  f.gov.OnUsage(e);
  f.gov.RecomputeQuotas();
  QuotaView v = f.gov.Quota();
  ASSERT_EQ(v.projects.size(), 2u);
  EXPECT_EQ(v.projects[1].name, "search");
  EXPECT_GT(v.projects[1].demand, 1000);
  EXPECT_EQ(v.projects[1].used, 100);
  // payments demands 0: fair share 0; search takes the whole capacity as fair share.
  EXPECT_EQ(v.projects[0].fair_share, 0);
  EXPECT_EQ(v.projects[1].fair_share, 1000);
  EXPECT_EQ(v.projects[1].allowance, 1000);
  EXPECT_FALSE(v.projects[1].why.empty());
  // The org total is enforced as well: 100 already used.
  EXPECT_EQ(CheckIn(f, "ann", "search", 901).decision, Decision::kDeny);
  EXPECT_EQ(CheckIn(f, "ann", "search", 900).decision, Decision::kAllow);
}

// Usage ingested with no budget and no quota skips the limit store; the
// projects it names are still noted (each once, whatever the repeats), so
// a quota configured later splits over them too.
TEST(Quota, ProjectsSeenBeforeAQuotaIsConfiguredAreInIt) {
  Fixture f("");
  for (int rep = 0; rep < 3; ++rep) {
    for (int i = 0; i < 40; ++i) {
      model::Event e;
      e.user = "u" + std::to_string(i), e.team = "t" + std::to_string(i % 7), e.org = "acme";
      e.project = "p" + std::to_string(i), e.cost_nanos = 0, e.tokens.input = 10;
      f.gov.OnUsage(e);
    }
  }
  ASSERT_TRUE(f.gov.Configure(toml::parse(kQuota)).ok());
  f.gov.RecomputeQuotas();
  QuotaView v = f.gov.Quota();
  EXPECT_EQ(v.projects.size(), 42u);  // p0..p39, payments, search
}

TEST(Quota, TickRecomputesOnSchedule) {
  Fixture f(kQuota);
  f.gov.Tick();
  TimeMs first = f.gov.Quota().computed_at;
  f.clock.Advance(30 * kSecondMs);
  f.gov.Tick();
  EXPECT_EQ(f.gov.Quota().computed_at, first);
  f.clock.Advance(31 * kSecondMs);
  f.gov.Tick();
  EXPECT_GT(f.gov.Quota().computed_at, first);
}

TEST(Quota, AllowanceExplainsItself) {
  Fixture f(std::string(kQuota) + R"(
[[governance.budget]]
id = "per-user"
scope = "user"
limit_tokens = 500
)");
  f.gov.RecomputeQuotas();
  CheckRequest who;
  who.user = "ann", who.org = "acme", who.project = "payments";
  std::string j = f.gov.AllowanceJson(who);
  EXPECT_NE(j.find(R"("policy":"per-user")"), std::string::npos) << j;
  EXPECT_NE(j.find(R"("allowance":750)"), std::string::npos) << j;
  EXPECT_NE(j.find("shared by all users of project payments"), std::string::npos) << j;
}

}  // namespace
}  // namespace burnrate::govern
