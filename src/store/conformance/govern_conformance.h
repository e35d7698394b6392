// Conformance suites for governance's stores (govern/govern_stores.h):
// AuditStore, PolicyStore, AlertStore. See conformance.h.
#pragma once

#include "govern/govern.h"
#include "store/conformance/conformance.h"

namespace burnrate::store::conformance {

using AuditStoreConformance = ConformanceTest<govern::AuditStore>;
using PolicyStoreConformance = ConformanceTest<govern::PolicyStore>;
using AlertStoreConformance = ConformanceTest<govern::AlertStore>;

inline govern::AuditEntry Entry(TimeMs ts, std::string actor, std::string action,
                                std::string subject) {
  return {0, ts, std::move(actor), std::move(action), std::move(subject), "why", R"({"k":1})"};
}

TEST_P(AuditStoreConformance, AppendAssignsAscendingIdsAndQueriesNewestFirst) {
  std::vector<govern::AuditEntry> batch = {Entry(1000, "governor", "deny", "user:alice"),
                                           Entry(2000, "root", "policy.create", "policy:p"),
                                           Entry(3000, "governor", "throttle", "user:bob")};
  ASSERT_TRUE(s().AppendAudit(batch).ok());
  EXPECT_GT(batch[0].id, 0);
  EXPECT_LT(batch[0].id, batch[1].id);
  EXPECT_LT(batch[1].id, batch[2].id);
  std::vector<govern::AuditEntry> more = {Entry(4000, "root", "key.revoke", "key:k1")};
  ASSERT_TRUE(s().AppendAudit(more).ok());
  EXPECT_GT(more[0].id, batch[2].id);
  auto all = s().QueryAudit({});
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 4u);
  EXPECT_EQ((*all)[0].action, "key.revoke");
  EXPECT_EQ((*all)[3].action, "deny");
  EXPECT_EQ((*all)[3].ts, 1000);
  EXPECT_EQ((*all)[3].reason, "why");
  EXPECT_EQ((*all)[3].detail, R"({"k":1})");
}

TEST_P(AuditStoreConformance, FiltersCombineAndPage) {
  std::vector<govern::AuditEntry> batch;
  for (int i = 0; i < 10; ++i)
    batch.push_back(Entry(1000 * i, i % 2 ? "governor" : "root", i % 3 ? "deny" : "throttle",
                          "user:u" + std::to_string(i % 4)));
  ASSERT_TRUE(s().AppendAudit(batch).ok());
  EXPECT_EQ(s().QueryAudit({.actor = "governor"})->size(), 5u);
  EXPECT_EQ(s().QueryAudit({.action = "throttle"})->size(), 4u);  // 0, 3, 6, 9
  EXPECT_EQ(s().QueryAudit({.subject = "user:u1"})->size(), 3u);  // 1, 5, 9
  EXPECT_EQ(s().QueryAudit({.actor = "governor", .action = "throttle"})->size(), 2u);
  auto window = s().QueryAudit({.from = 2000, .to = 5000});
  ASSERT_EQ(window->size(), 3u);
  EXPECT_EQ((*window)[0].ts, 4000);
  auto first = s().QueryAudit({.limit = 4});
  ASSERT_EQ(first->size(), 4u);
  auto next = s().QueryAudit({.before_id = first->back().id, .limit = 100});
  ASSERT_EQ(next->size(), 6u);
  EXPECT_LT((*next)[0].id, first->back().id);
}

TEST_P(AuditStoreConformance, EntriesSurviveReopening) {
  if (!persistent()) GTEST_SKIP() << "not persistent";
  std::vector<govern::AuditEntry> batch = {Entry(5, "a", "flag.confirmed", "user:x")};
  ASSERT_TRUE(s().AppendAudit(batch).ok());
  Reopen();
  auto all = s().QueryAudit({});
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].id, batch[0].id);
  EXPECT_EQ((*all)[0].action, "flag.confirmed");
  std::vector<govern::AuditEntry> more = {Entry(6, "a", "deny", "user:x")};
  ASSERT_TRUE(s().AppendAudit(more).ok());
  EXPECT_GT(more[0].id, batch[0].id);  // ids keep ascending across restarts
}

inline govern::PolicyVersion Version(std::string id, int64_t v, bool deleted = false) {
  return {std::move(id), v,       1000 * v,
          "root",        deleted, R"({"id":"x","v":)" + std::to_string(v) + "}"};
}

TEST_P(PolicyStoreConformance, LatestVersionPerPolicyAndHistory) {
  EXPECT_TRUE(s().LatestPolicies()->empty());
  ASSERT_TRUE(s().SavePolicyVersion(Version("b", 1)).ok());
  ASSERT_TRUE(s().SavePolicyVersion(Version("a", 1)).ok());
  ASSERT_TRUE(s().SavePolicyVersion(Version("a", 2)).ok());
  ASSERT_TRUE(s().SavePolicyVersion(Version("b", 2, true)).ok());
  auto latest = s().LatestPolicies();
  ASSERT_TRUE(latest.ok()) << latest.status().ToString();
  ASSERT_EQ(latest->size(), 2u);
  EXPECT_EQ((*latest)[0].id, "a");
  EXPECT_EQ((*latest)[0].version, 2);
  EXPECT_FALSE((*latest)[0].deleted);
  EXPECT_EQ((*latest)[0].body, Version("a", 2).body);
  EXPECT_EQ((*latest)[1].id, "b");
  EXPECT_TRUE((*latest)[1].deleted);  // deleted ones carry their version on
  auto history = s().PolicyHistory("a");
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0].version, 1);
  EXPECT_EQ((*history)[1].ts, 2000);
  EXPECT_EQ((*history)[1].actor, "root");
  EXPECT_TRUE(s().PolicyHistory("nope")->empty());
}

TEST_P(PolicyStoreConformance, AVersionIsNeverOverwritten) {
  ASSERT_TRUE(s().SavePolicyVersion(Version("a", 1)).ok());
  govern::PolicyVersion again = Version("a", 1);
  again.body = "{}";
  EXPECT_FALSE(s().SavePolicyVersion(again).ok());
  EXPECT_EQ(s().PolicyHistory("a")->at(0).body, Version("a", 1).body);
}

TEST_P(PolicyStoreConformance, VersionsSurviveReopening) {
  if (!persistent()) GTEST_SKIP() << "not persistent";
  ASSERT_TRUE(s().SavePolicyVersion(Version("a", 3)).ok());
  Reopen();
  auto latest = s().LatestPolicies();
  ASSERT_EQ(latest->size(), 1u);
  EXPECT_EQ((*latest)[0].version, 3);
}

inline govern::DeliveryRecord Delivery(std::string kind, std::string subject, TimeMs created) {
  govern::DeliveryRecord d;
  d.kind = std::move(kind), d.policy = "p", d.subject = std::move(subject), d.text = "80% used";
  d.pct = 80, d.alert_ts = created, d.url = "http://127.0.0.1:9/hook", d.slack = false;
  d.created = d.updated = created;
  return d;
}

TEST_P(AlertStoreConformance, DeliveriesInsertUpdateQuery) {
  govern::DeliveryRecord a = Delivery("budget", "team:core", 1000),
                         b = Delivery("quota", "user:ada", 2000);
  ASSERT_TRUE(s().InsertDelivery(a).ok());
  ASSERT_TRUE(s().InsertDelivery(b).ok());
  EXPECT_GT(a.id, 0);
  EXPECT_GT(b.id, a.id);
  a.attempts = 2, a.status = 500, a.last_error = "HTTP 500", a.state = "failed", a.updated = 3000;
  ASSERT_TRUE(s().UpdateDelivery(a).ok());
  auto all = s().QueryDeliveries({});
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, b.id);  // newest first
  const govern::DeliveryRecord& back = (*all)[1];
  EXPECT_EQ(back.kind, "budget");
  EXPECT_EQ(back.subject, "team:core");
  EXPECT_EQ(back.text, "80% used");
  EXPECT_EQ(back.pct, 80);
  EXPECT_EQ(back.url, "http://127.0.0.1:9/hook");
  EXPECT_FALSE(back.slack);
  EXPECT_EQ(back.attempts, 2);
  EXPECT_EQ(back.status, 500);
  EXPECT_EQ(back.last_error, "HTTP 500");
  EXPECT_EQ(back.state, "failed");
  EXPECT_EQ(back.created, 1000);
  EXPECT_EQ(back.updated, 3000);
  EXPECT_EQ(s().QueryDeliveries({.state = "pending"})->size(), 1u);
  EXPECT_EQ(s().QueryDeliveries({.kind = "budget"})->size(), 1u);
  EXPECT_EQ(s().QueryDeliveries({.subject = "user:ada"})->size(), 1u);
  EXPECT_EQ(s().QueryDeliveries({.from = 1500})->size(), 1u);
  EXPECT_EQ(s().QueryDeliveries({.to = 1500})->size(), 1u);
  EXPECT_EQ(s().QueryDeliveries({.before_id = b.id})->size(), 1u);
  EXPECT_EQ(s().QueryDeliveries({.limit = 1})->size(), 1u);
}

TEST_P(AlertStoreConformance, PruneKeepsPendingDeliveries) {
  govern::DeliveryRecord done = Delivery("budget", "x", 1000),
                         pending = Delivery("budget", "y", 1000);
  ASSERT_TRUE(s().InsertDelivery(done).ok());
  ASSERT_TRUE(s().InsertDelivery(pending).ok());
  done.state = "delivered";
  ASSERT_TRUE(s().UpdateDelivery(done).ok());
  ASSERT_TRUE(s().PruneDeliveries(5000).ok());
  auto left = s().QueryDeliveries({});
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ((*left)[0].id, pending.id);
}

TEST_P(AlertStoreConformance, FiredAlertsReplaceAndPrune) {
  ASSERT_TRUE(s().SaveFiredAlert("p|team:core|2026-03|80", 100).ok());
  ASSERT_TRUE(s().SaveFiredAlert("p|team:core|2026-03|100", 200).ok());
  ASSERT_TRUE(s().SaveFiredAlert("p|team:core|2026-03|80", 300).ok());  // replaces
  auto fired = s().FiredAlerts();
  ASSERT_TRUE(fired.ok());
  std::sort(fired->begin(), fired->end());
  ASSERT_EQ(fired->size(), 2u);
  EXPECT_EQ((*fired)[1], std::make_pair(std::string("p|team:core|2026-03|80"), TimeMs(300)));
  ASSERT_TRUE(s().PruneFiredAlerts(250).ok());  // drops until < 250
  fired = s().FiredAlerts();
  ASSERT_EQ(fired->size(), 1u);
  EXPECT_EQ((*fired)[0].second, 300);
}

TEST_P(AlertStoreConformance, PendingDeliveriesAndFiredAlertsSurviveReopening) {
  if (!persistent()) GTEST_SKIP() << "not persistent";
  govern::DeliveryRecord d = Delivery("budget", "x", 1000);
  ASSERT_TRUE(s().InsertDelivery(d).ok());
  ASSERT_TRUE(s().SaveFiredAlert("k", 9).ok());
  Reopen();
  auto pending = s().QueryDeliveries({.state = "pending"});
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].id, d.id);
  EXPECT_EQ(s().FiredAlerts()->size(), 1u);
}

}  // namespace burnrate::store::conformance
