// The Redis LimitStore against a real redis-server (started by the test on a
// free loopback port, no persistence).
#include <hiredis/hiredis.h>
#include <toml++/toml.h>

#include <atomic>
#include <random>
#include <thread>

#include "govern/redis_test_server.h"
#include "govern/test_util.h"

namespace burnrate::govern {
namespace {

using testing::At;
using testing::RedisTestServer;

std::unique_ptr<LimitStore> Open(const RedisTestServer& srv, int db = 0) {
  auto s = NewRedisLimitStore(srv.url(db));
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(*s) : nullptr;
}

WindowSpec Month(TimeMs now) { return WindowFor(PeriodKind::kMonth, 0, TimeZone::Utc(), now); }

TEST(RedisLimitStore, UrlIsValidated) {
  EXPECT_TRUE(NewRedisLimitStore("redis://127.0.0.1:6379/2").ok());
  EXPECT_TRUE(NewRedisLimitStore("redis://localhost").ok());
  for (const char* bad : {"redis://", "redis://h:0", "redis://h:99999", "redis://h:x",
                          "redis://h/x", "http://h:1", "redis://user:pw@h:1"}) {
    auto s = NewRedisLimitStore(bad);
    EXPECT_EQ(s.status().code(), Status::Code::kInvalidArgument) << bad;
    EXPECT_NE(s.status().message().find("governance.limit_store"), std::string::npos);
  }
  toml::table cfg = toml::parse("[governance]\nlimit_store = \"mysql://x\"\n");
  EXPECT_FALSE(LimitStoreFromConfig(&cfg).ok());
  EXPECT_TRUE(LimitStoreFromConfig(nullptr).ok());
}

TEST(RedisLimitStore, TwoNodesShareOneBudgetAtomically) {
  RedisTestServer srv;
  ASSERT_TRUE(srv.ok());
  auto a = Open(srv), b = Open(srv);
  const TimeMs now = At("2026-03-10T12:00:00Z");
  AdmitRequest r;
  r.now = now, r.expires = now + kMinuteMs;
  r.budgets.push_back({"b|team|core", Month(now), 1000, 600});
  EXPECT_TRUE(a->Admit(r).admitted());
  AdmitResult second = b->Admit(r);  // the other node sees the reservation
  EXPECT_EQ(second.failure, AdmitResult::Failure::kBudget);
  EXPECT_EQ(second.committed[0], 600);
  BudgetState st = b->Read("b|team|core", Month(now), now);
  EXPECT_EQ(st.used, 0);
  EXPECT_EQ(st.reserved, 600);
  // Settling lower frees the difference, for every node.
  std::vector<int64_t> used;
  ASSERT_TRUE(
      a->Settle(now, r.expires, {{"b|team|core", Month(now), 600, 350}}, {}, {}, &used).ok());
  EXPECT_EQ(used, std::vector<int64_t>{350});
  EXPECT_TRUE(b->Admit(r).admitted());
  st = a->Read("b|team|core", Month(now), now);
  EXPECT_EQ(st.used + st.reserved, 950);
  // Next month the budget starts again (the reservations lapsed by then).
  TimeMs april = At("2026-04-01T00:00:00Z");
  st = a->Read("b|team|core", Month(april), april);
  EXPECT_EQ(st.used, 0);
  EXPECT_EQ(st.reserved, 0);
}

TEST(RedisLimitStore, RollingWindowForgetsOldSlots) {
  RedisTestServer srv;
  ASSERT_TRUE(srv.ok());
  auto s = Open(srv);
  TimeMs t0 = At("2026-03-10T12:00:00Z");
  auto w = [&](TimeMs now) {
    return WindowFor(PeriodKind::kRolling, kHourMs, TimeZone::Utc(), now);
  };
  ASSERT_TRUE(s->Settle(t0, 0, {{"b|roll|u", w(t0), 0, 100}}, {}, {}, nullptr).ok());
  TimeMs t1 = t0 + 30 * kMinuteMs;
  ASSERT_TRUE(s->Settle(t1, 0, {{"b|roll|u", w(t1), 0, 50}}, {}, {}, nullptr).ok());
  EXPECT_EQ(s->Read("b|roll|u", w(t1), t1).used, 150);
  TimeMs t2 = t0 + kHourMs + 2 * kMinuteMs;  // the first 100 left the window
  EXPECT_EQ(s->Read("b|roll|u", w(t2), t2).used, 50);
  TimeMs t3 = t1 + 2 * kHourMs;
  EXPECT_EQ(s->Read("b|roll|u", w(t3), t3).used, 0);
}

TEST(RedisLimitStore, BucketsAndSlotsAreAllOrNothing) {
  RedisTestServer srv;
  ASSERT_TRUE(srv.ok());
  auto s = Open(srv);
  TimeMs now = At("2026-03-10T12:00:00Z");
  AdmitRequest r;
  r.now = now, r.expires = now + kMinuteMs;
  r.budgets.push_back({"b|p|u", Month(now), -1, 10});  // counted only
  r.buckets.push_back({"rq|p|u", 2, 1});
  r.slots.push_back({"c|p|u", 1});
  ASSERT_TRUE(s->Admit(r).admitted());
  AdmitResult slot = s->Admit(r);
  EXPECT_EQ(slot.failure, AdmitResult::Failure::kSlot);
  EXPECT_EQ(s->Read("b|p|u", Month(now), now).reserved, 10);  // the failed admit reserved nothing
  ASSERT_TRUE(
      s->Settle(now, r.expires, {{"b|p|u", Month(now), 10, 10}}, {}, {"c|p|u"}, nullptr).ok());
  ASSERT_TRUE(s->Admit(r).admitted());  // second request of the bucket's 2 per minute
  ASSERT_TRUE(s->Settle(now, r.expires, {}, {}, {"c|p|u"}, nullptr).ok());
  AdmitResult bucket = s->Admit(r);
  EXPECT_EQ(bucket.failure, AdmitResult::Failure::kBucket);
  EXPECT_EQ(bucket.retry_after_ms, 30000);  // one request refills in 30 s
  r.now += 30000;
  EXPECT_TRUE(s->Admit(r).admitted());
}

TEST(RedisLimitStore, ReservationsOfADeadNodeLapseByThemselves) {
  RedisTestServer srv;
  ASSERT_TRUE(srv.ok());
  TimeMs now = At("2026-03-10T12:00:00Z");
  {
    auto dead = Open(srv);
    AdmitRequest r;
    r.now = now, r.expires = now + kMinuteMs;
    r.budgets.push_back({"b|team|core", Month(now), 1000, 900});
    r.slots.push_back({"c|p|k", 1});
    ASSERT_TRUE(dead->Admit(r).admitted());
  }  // never settles
  auto live = Open(srv);
  AdmitRequest r;
  r.now = now + 30 * kSecondMs, r.expires = r.now + kMinuteMs;
  r.budgets.push_back({"b|team|core", Month(now), 1000, 900});
  EXPECT_EQ(live->Admit(r).failure, AdmitResult::Failure::kBudget);
  r.budgets.clear();
  r.slots.push_back({"c|p|k", 1});
  EXPECT_EQ(live->Admit(r).failure, AdmitResult::Failure::kSlot);
  TimeMs later = now + kMinuteMs + 15 * kSecondMs;  // expiry rounded up to 15 s
  EXPECT_EQ(live->Read("b|team|core", Month(later), later).reserved, 0);
  r.now = later, r.expires = later + kMinuteMs;
  EXPECT_TRUE(live->Admit(r).admitted());
  // A late release of the lapsed reservation changes nothing.
  ASSERT_TRUE(
      live->Settle(later, now + kMinuteMs, {{"b|team|core", Month(later), 900, 0}}, {}, {}, nullptr)
          .ok());
  EXPECT_EQ(live->Read("b|team|core", Month(later), later).reserved, 0);
}

constexpr const char* kRaceConfig = R"(
[[governance.budget]]
id = "team-month"
scope = "team"
subject = "core"
limit_tokens = 10000000
)";

// Two Governors ("nodes") on one Redis, 200 concurrent clients checking and
// settling honest estimates against one budget.
TEST(RedisLimitStore, RaceTwoNodesNeverOverspendAndFillTheBudget) {
  RedisTestServer srv;
  ASSERT_TRUE(srv.ok());
  FakeClock clock(At("2026-03-10T12:00:00Z"));
  AuditLog audit(nullptr, clock);
  std::vector<std::unique_ptr<Governor>> nodes;
  for (int i = 0; i < 2; ++i) {
    nodes.push_back(std::make_unique<Governor>(clock, audit, nullptr, Open(srv)));
    ASSERT_TRUE(nodes.back()->Configure(toml::parse(kRaceConfig)).ok());
  }
  constexpr int kClients = 200;
  std::atomic<int64_t> admitted_est{0}, settled{0};
  std::atomic<int> outstanding{0}, errors{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      Governor& gov = *nodes[c % 2];
      std::mt19937 rng(c);
      for (;;) {
        CheckRequest req;
        req.user = "u" + std::to_string(c), req.team = "core", req.model = "m";
        req.estimated_tokens = 1000 + int64_t(rng() % 4001);
        auto res = gov.Check(req);
        if (!res.ok()) return (void)errors.fetch_add(1);
        if (res->decision != Decision::kAllow) {
          // Stop only once nobody holds a reservation: until then settles
          // below their estimates may still free room.
          if (outstanding.load() == 0) return;
          std::this_thread::yield();
          continue;
        }
        outstanding.fetch_add(1);
        admitted_est.fetch_add(req.estimated_tokens);
        SettleRequest s;
        s.reservation_id = res->reservation_id;
        s.tokens.output =
            req.estimated_tokens * int64_t(60 + rng() % 41) / 100;  // honest: <= estimate
        if (!gov.Settle(s).ok()) errors.fetch_add(1);
        settled.fetch_add(s.tokens.output);
        outstanding.fetch_sub(1);
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(errors.load(), 0);
  auto reader = Open(srv);
  TimeMs now = clock.NowMs();
  BudgetState st = reader->Read("b|team-month|core", Month(now), now);
  EXPECT_EQ(st.used, settled.load());
  EXPECT_EQ(st.reserved, 0);
  EXPECT_LE(st.used, 10000000);
  EXPECT_GE(st.used, 9900000);               // at least 99% of the budget admitted and used
  EXPECT_GT(admitted_est.load(), 10000000);  // estimates above actuals freed room that was reused
}

// A node restarting on a shared store replays no stored usage into it: the
// counters survived in Redis, and replaying would count the usage twice.
TEST(RedisLimitStore, RestartedNodeReplaysNothing) {
  RedisTestServer srv;
  ASSERT_TRUE(srv.ok());
  FakeClock clock(At("2026-03-10T12:00:00Z"));
  AuditLog audit(nullptr, clock);
  model::Event e;
  e.id = "e1", e.user = "u1", e.team = "core", e.model = "m";
  e.tokens.input = 700;
  e.cost_nanos = 0;
  e.received = clock.NowMs();
  {
    Governor before(clock, audit, nullptr, Open(srv));
    ASSERT_TRUE(before.Configure(toml::parse(kRaceConfig)).ok());
    before.OnUsage(e);
  }
  clock.Advance(60000);
  Governor after(clock, audit, nullptr, Open(srv));
  ASSERT_TRUE(after.Configure(toml::parse(kRaceConfig)).ok());
  EXPECT_EQ(after.ReplayHorizon(clock.NowMs()), clock.NowMs());
  TimeMs now = clock.NowMs();
  EXPECT_EQ(Open(srv)->Read("b|team-month|core", Month(now), now).used, 700);
  // The in-process store forgets at exit, so it replays the month.
  Governor memory(clock, audit, nullptr);
  ASSERT_TRUE(memory.Configure(toml::parse(kRaceConfig)).ok());
  EXPECT_EQ(memory.ReplayHorizon(now), Month(now).start);
}

// Pooled connections the server has closed (here: killed; in production a
// Redis restart or its idle `timeout`) are replaced, not taken for an outage.
TEST(RedisLimitStore, PooledConnectionClosedByTheServerIsReplaced) {
  RedisTestServer srv;
  ASSERT_TRUE(srv.ok());
  FakeClock clock(At("2026-03-10T12:00:00Z"));
  AuditLog audit(nullptr, clock);
  Governor gov(clock, audit, nullptr, Open(srv));
  ASSERT_TRUE(gov.Configure(toml::parse(kRaceConfig)).ok());
  CheckRequest req;
  req.user = "alice", req.team = "core", req.model = "m", req.estimated_tokens = 100;
  ASSERT_EQ(gov.Check(req)->decision, Decision::kAllow);
  redisContext* admin = redisConnect("127.0.0.1", srv.port());
  ASSERT_TRUE(admin != nullptr && admin->err == 0);
  auto* killed =
      static_cast<redisReply*>(redisCommand(admin, "CLIENT KILL TYPE normal SKIPME yes"));
  ASSERT_TRUE(killed != nullptr);
  EXPECT_GE(killed->integer, 1);  // the governor's pooled connection
  freeReplyObject(killed);
  redisFree(admin);
  auto after = gov.Check(req);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->decision, Decision::kAllow) << after->reason;
  EXPECT_FALSE(after->reservation_id.empty());
}

TEST(RedisLimitStore, DownFailsClosedByDefaultAndOpenWhenConfigured) {
  RedisTestServer srv;
  ASSERT_TRUE(srv.ok());
  for (bool open : {false, true}) {
    SCOPED_TRACE(open ? "allow" : "deny");
    FakeClock clock(At("2026-03-10T12:00:00Z"));
    AuditLog audit(nullptr, clock);
    Governor gov(clock, audit, nullptr, Open(srv));
    std::string cfg = kRaceConfig;
    if (open)
      cfg = "[governance]\nlimit_store_unavailable = \"allow\"\n" + std::string(kRaceConfig);
    ASSERT_TRUE(gov.Configure(toml::parse(cfg)).ok());
    CheckRequest req;
    req.user = "alice", req.team = "core", req.model = "m", req.estimated_tokens = 100;
    auto before = gov.Check(req);
    ASSERT_EQ(before->decision, Decision::kAllow);

    srv.Stop();
    auto down = gov.Check(req);
    ASSERT_TRUE(down.ok());
    EXPECT_EQ(down->policy, "limit-store:unavailable");
    EXPECT_NE(down->reason.find("limit store unavailable"), std::string::npos) << down->reason;
    if (open) {
      EXPECT_EQ(down->decision, Decision::kAllow);
      EXPECT_TRUE(down->reservation_id.empty());
    } else {
      EXPECT_EQ(down->decision, Decision::kDeny);
      EXPECT_EQ(down->retry_after_ms, kSecondMs);
      auto denied = audit.Query({.action = "deny"});
      ASSERT_TRUE(denied.ok());
      EXPECT_EQ(denied->size(), 1u);
    }
    SettleRequest s;
    s.reservation_id = before->reservation_id, s.tokens.output = 100;
    EXPECT_EQ(gov.Settle(s).code(), Status::Code::kUnavailable);

    ASSERT_TRUE(srv.Start());      // an empty Redis again (no persistence)
    clock.Advance(2 * kSecondMs);  // past the fail-fast second
    auto back = gov.Check(req);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->decision, Decision::kAllow);
    EXPECT_FALSE(back->reservation_id.empty());
    std::string metrics;
    gov.AppendMetrics(metrics);
    EXPECT_NE(metrics.find("burnrate_governance_limit_store_errors_total 2"), std::string::npos)
        << metrics;
  }
}

}  // namespace
}  // namespace burnrate::govern
