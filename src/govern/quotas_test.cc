// Quotas on their own: the charges a request gets, the demand op usage
// feeds, and that allowances follow the counters in the store.
#include "govern/quotas.h"

#include <gtest/gtest.h>

#include <set>

#include "govern/limit_keys.h"
#include "govern/test_util.h"

namespace burnrate::govern {
namespace {

using testing::At;

QuotaConfig Acme() {
  QuotaConfig qc;
  qc.org = "acme", qc.unit = Unit::kTokens, qc.limit = 1000;
  qc.weights = {{"payments", 3}, {"search", 1}};
  return qc;
}

TEST(Quotas, ChargesTheOrgAndTheProjectOnlyForTheQuotaOrg) {
  auto store = NewInMemoryLimitStore();
  Quotas q(*store);
  const TimeMs now = At("2026-03-10T12:00:00Z");
  QuotaConfig qc = Acme();
  q.Recompute(qc, TimeZone::Utc(), now);
  std::vector<Charge> out;
  q.AddCharges(qc, TimeZone::Utc(), "acme", "payments", now, 40, 7, out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].policy_id(), "quota:acme");
  EXPECT_EQ(out[0].op.key, limit_key::QuotaOrg("acme"));
  EXPECT_EQ(out[0].op.amount, 40);  // tokens: the unit is tokens
  EXPECT_EQ(out[1].policy_id(), "quota:acme/payments");
  EXPECT_EQ(out[1].subject, "project:payments");
  EXPECT_EQ(out[1].op.limit, 750);
  out.clear();
  q.AddCharges(qc, TimeZone::Utc(), "other", "payments", now, 40, 7, out);
  EXPECT_TRUE(out.empty());
  q.AddCharges(qc, TimeZone::Utc(), "acme", "new-project", now, 40, 7, out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].op.limit, -1) << "not yet allocated: counted, not enforced";
}

TEST(Quotas, DemandFollowsUsageAndSeenProjectsJoin) {
  auto store = NewInMemoryLimitStore();
  Quotas q(*store);
  TimeMs now = At("2026-03-10T12:00:00Z");
  QuotaConfig qc = Acme();
  EXPECT_FALSE(q.DemandOp(qc, TimeZone::Utc(), "acme", "", now, 1, 1).has_value());
  EXPECT_FALSE(q.DemandOp(qc, TimeZone::Utc(), "other", "search", now, 1, 1).has_value());
  auto op = q.DemandOp(qc, TimeZone::Utc(), "acme", "search", now, 500, 9);
  ASSERT_TRUE(op.has_value());
  EXPECT_EQ(op->key, limit_key::QuotaDemand("acme", "search"));
  EXPECT_EQ(op->actual, 500);
  ASSERT_TRUE(store->Settle(now, 0, {*op}, {}, {}, nullptr).ok());
  q.NoteProject("docs");
  q.Recompute(qc, TimeZone::Utc(), now);
  QuotaView v = q.View();
  ASSERT_EQ(v.projects.size(), 3u);  // docs (seen), payments, search (weights)
  EXPECT_EQ(v.projects[0].name, "docs");
  EXPECT_GT(v.projects[2].demand, 0) << "search's recent pace is its demand";
  EXPECT_FALSE(q.Due(now));
  EXPECT_TRUE(q.Due(now + qc.recompute_every_ms));
}

TEST(LimitKey, KindsNeverCollide) {
  // The same parts under every kind give distinct keys.
  std::set<std::string> keys = {limit_key::Budget("p", "s"),     limit_key::Requests("p", "s"),
                                limit_key::Tokens("p", "s"),     limit_key::Concurrent("p", "s"),
                                limit_key::Unsettled("p|s"),     limit_key::Throttle("p|s"),
                                limit_key::QuotaOrg("p|s"),      limit_key::QuotaProject("p", "s"),
                                limit_key::QuotaDemand("p", "s")};
  EXPECT_EQ(keys.size(), 9u);
}

}  // namespace
}  // namespace burnrate::govern
