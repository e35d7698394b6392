#include "govern/governor.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <random>
#include <thread>

#include "govern/test_util.h"
#include "model/price_book.h"
#include "store/sqlite/sqlite_stores.h"

namespace burnrate::govern {
namespace {

using testing::At;
using testing::Fixture;

constexpr const char* kTeamBudget = R"(
[governance]
reservation_ttl = "1m"
[[governance.budget]]
id = "team-month"
scope = "team"
subject = "*"
limit_tokens = 1000000
period = "month"
)";

// Hundreds of concurrent clients check and settle against one budget. With
// honest estimates (actual <= estimate) the total admitted never exceeds
// the budget, and the budget is used to at least 99%.
TEST(GovernorRace, ConcurrentCheckSettleNeverOverspends) {
  Fixture f(kTeamBudget);
  constexpr int kThreads = 256;
  constexpr int64_t kLimit = 1000000;
  std::atomic<int64_t> admitted{0}, overshoot_seen{0};
  std::atomic<bool> done{false};
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; ++t) {
    ts.emplace_back([&, t] {
      std::mt19937 rng(t);
      int denials = 0;
      while (denials < 20) {
        int64_t est = 50 + rng() % 200;
        CheckRequest r;
        r.user = "u" + std::to_string(t), r.team = "core", r.model = "m", r.estimated_tokens = est;
        auto res = f.gov.Check(r);
        ASSERT_TRUE(res.ok());
        if (res->decision != Decision::kAllow) {
          ++denials;
          std::this_thread::yield();
          continue;
        }
        int64_t actual = est - static_cast<int64_t>(rng() % 3 == 0 ? rng() % 20 : 0);  // honest
        admitted += actual;
        SettleRequest s;
        s.reservation_id = res->reservation_id;
        s.tokens.output = actual;
        ASSERT_TRUE(f.gov.Settle(s).ok());
      }
    });
  }
  std::thread monitor([&] {
    while (!done) {
      if (admitted.load() > kLimit) ++overshoot_seen;
      std::this_thread::yield();
    }
  });
  for (auto& th : ts) th.join();
  done = true;
  monitor.join();
  EXPECT_EQ(overshoot_seen.load(), 0);
  EXPECT_LE(admitted.load(), kLimit);
  EXPECT_GE(admitted.load(), kLimit * 99 / 100);
  EXPECT_EQ(f.gov.outstanding_reservations(), 0u);
}

// Concurrent checks without settling: the sum of reserved estimates admitted
// never exceeds the budget.
TEST(GovernorRace, ReservationsAloneNeverExceedBudget) {
  Fixture f(kTeamBudget);
  std::atomic<int64_t> reserved{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < 200; ++t) {
    ts.emplace_back([&] {
      for (int i = 0; i < 100; ++i) {
        CheckResult r = f.Check("x", 97, "m", "core");
        if (r.decision == Decision::kAllow) reserved += 97;
      }
    });
  }
  for (auto& th : ts) th.join();
  EXPECT_LE(reserved.load(), 1000000);
  EXPECT_GT(reserved.load(), 1000000 - 97);
}

TEST(Governor, DenyNamesPolicyAndRemaining) {
  Fixture f(kTeamBudget);
  CheckResult a = f.Check("alice", 600000, "m", "core");
  ASSERT_EQ(a.decision, Decision::kAllow);
  EXPECT_EQ(a.policy, "team-month");
  EXPECT_EQ(a.remaining, 400000);
  CheckResult b = f.Check("bob", 500000, "m", "core");
  EXPECT_EQ(b.decision, Decision::kDeny);
  EXPECT_EQ(b.policy, "team-month");
  EXPECT_EQ(b.remaining, 400000);
  EXPECT_EQ(b.retry_after_ms, At("2026-04-01T00:00:00Z") - f.clock.NowMs());
  // Other teams are separate subjects of the same "*" policy.
  EXPECT_EQ(f.Check("carol", 500000, "m", "web").decision, Decision::kAllow);
  // Settling lower than estimated frees the difference.
  f.Settle(a.reservation_id, 100000);
  EXPECT_EQ(f.Check("bob", 500000, "m", "core").decision, Decision::kAllow);
  auto audit = f.audit.Query({.action = "deny"});
  ASSERT_TRUE(audit.ok());
  ASSERT_EQ(audit->size(), 1u);
  EXPECT_EQ((*audit)[0].subject, "user:bob");
}

TEST(Governor, ReservationsExpire) {
  Fixture f(kTeamBudget);
  CheckResult a = f.Check("alice", 1000000, "m", "core");
  ASSERT_EQ(a.decision, Decision::kAllow);
  EXPECT_EQ(f.Check("bob", 1, "m", "core").decision, Decision::kDeny);
  f.clock.Advance(61 * kSecondMs);
  f.gov.Tick();
  EXPECT_EQ(f.gov.outstanding_reservations(), 0u);
  EXPECT_EQ(f.Check("bob", 1, "m", "core").decision, Decision::kAllow);
  SettleRequest s;
  s.reservation_id = a.reservation_id;
  Status settled = f.gov.Settle(s);
  EXPECT_EQ(settled.code(), Status::Code::kNotFound);
  EXPECT_EQ(settled.field(), "reservation_id");
}

TEST(Governor, UnsettledReservationsPerSubjectAreBounded) {
  Fixture f("[governance]\nmax_unsettled_per_subject = 3\nreservation_ttl = \"1m\"\n");
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    CheckResult r = f.Check("alice", 10);
    ASSERT_EQ(r.decision, Decision::kAllow);
    ids.push_back(r.reservation_id);
  }
  CheckResult over = f.Check("alice", 10);
  EXPECT_EQ(over.decision, Decision::kThrottle);
  EXPECT_EQ(over.policy, "reservations:unsettled");
  EXPECT_NE(over.reason.find("user:alice holds 3 unsettled reservations"), std::string::npos)
      << over.reason;
  EXPECT_GT(over.retry_after_ms, 0);
  EXPECT_EQ(f.Check("bob", 10).decision, Decision::kAllow);  // per subject
  f.Settle(ids[0], 10);                                      // settling frees a place
  EXPECT_EQ(f.Check("alice", 10).decision, Decision::kAllow);
  EXPECT_EQ(f.Check("alice", 10).decision, Decision::kThrottle);
  f.clock.Advance(61 * kSecondMs);  // so does expiry
  f.gov.Tick();
  EXPECT_EQ(f.gov.outstanding_reservations(), 0u);
  EXPECT_EQ(f.Check("alice", 10).decision, Decision::kAllow);
}

TEST(Governor, UnsettledReservationsPerServerAreBounded) {
  Fixture f("[governance]\nmax_unsettled_total = 2\n");
  CheckResult a = f.Check("alice", 10);
  ASSERT_EQ(a.decision, Decision::kAllow);
  ASSERT_EQ(f.Check("bob", 10).decision, Decision::kAllow);
  CheckResult over = f.Check("carol", 10);
  EXPECT_EQ(over.decision, Decision::kThrottle);
  EXPECT_EQ(over.policy, "reservations:unsettled");
  EXPECT_NE(over.reason.find("this server holds 2 unsettled reservations"), std::string::npos)
      << over.reason;
  f.Settle(a.reservation_id, 10);
  EXPECT_EQ(f.Check("carol", 10).decision, Decision::kAllow);
}

TEST(Governor, IngestedUsageCountsAndSettledEventsAreNotCountedTwice) {
  Fixture f(kTeamBudget);
  model::Event e;
  e.id = "ev1", e.user = "alice", e.team = "core", e.model = "m", e.cost_nanos = 0;
  e.tokens.input = 900000;
  f.gov.OnUsage(e);
  EXPECT_EQ(f.Check("bob", 200000, "m", "core").decision, Decision::kDeny);
  CheckResult r = f.Check("bob", 100000, "m", "core");
  ASSERT_EQ(r.decision, Decision::kAllow);
  SettleRequest s;
  s.reservation_id = r.reservation_id, s.event_id = "ev2", s.tokens.output = 100000;
  ASSERT_TRUE(f.gov.Settle(s).ok());
  model::Event dup = e;
  dup.id = "ev2", dup.tokens.input = 100000;
  f.gov.OnUsage(dup);  // the same request arriving through ingestion: skipped
  EXPECT_EQ(f.Check("bob", 0, "m", "core").remaining, 0);
}

// The issue's case: a settle naming an event_id and the ingested event
// with that id counted twice (used went 1200 -> 1900 for 700 tokens). Each
// order must count once.
struct SettleEventPair {
  Fixture f{kTeamBudget};
  model::Event Event(const std::string& id, int64_t tokens) {
    model::Event e;
    e.id = id, e.user = "alice", e.team = "core", e.model = "m", e.cost_nanos = 0;
    e.received = f.clock.NowMs();
    e.tokens.output = tokens;
    return e;
  }
  void SettleFor(const std::string& event_id, int64_t tokens) {
    CheckResult r = f.Check("alice", 1000, "m", "core");
    ASSERT_EQ(r.decision, Decision::kAllow);
    SettleRequest s;
    s.reservation_id = r.reservation_id, s.event_id = event_id, s.tokens.output = tokens;
    ASSERT_TRUE(f.gov.Settle(s).ok());
  }
  // Budget used (no reservation is outstanding when this is asked).
  int64_t Used() { return 1000000 - f.Check("alice", 0, "m", "core").remaining; }
};

TEST(Governor, EventThenSettleWithItsIdCountsOnce) {
  SettleEventPair p;
  p.f.gov.OnUsage(p.Event("seed", 1200));
  EXPECT_EQ(p.Used(), 1200);
  p.f.gov.OnUsage(p.Event("ev-700", 700));
  EXPECT_EQ(p.Used(), 1900);
  p.SettleFor("ev-700", 700);   // counted by ingestion: releases its reservation only
  EXPECT_EQ(p.Used(), 1900);    // and its estimate of 1000 is no longer reserved
  p.SettleFor("ev-other", 50);  // a settle whose event is not ingested counts
  EXPECT_EQ(p.Used(), 1950);
}

TEST(Governor, SettleThenEventWithItsIdCountsOnce) {
  SettleEventPair p;
  p.f.gov.OnUsage(p.Event("seed", 1200));
  p.SettleFor("ev-700", 700);
  EXPECT_EQ(p.Used(), 1900);
  p.f.gov.OnUsage(p.Event("ev-700", 700));
  EXPECT_EQ(p.Used(), 1900);
  p.SettleFor("ev-700", 700);  // a second settle naming the same event
  EXPECT_EQ(p.Used(), 1900);
}

// The ids are remembered for a day: a pair further apart counts twice,
// which the header and docs/http-api.md state.
TEST(Governor, SettledIdsAreForgottenAfterTheirTtl) {
  SettleEventPair p;
  p.SettleFor("ev-1", 100);
  p.f.clock.Advance(Governor::kRecentIdsTtl + 1);
  p.f.gov.OnUsage(p.Event("ev-1", 100));
  EXPECT_EQ(p.Used(), 200);
}

// After a restart the in-memory limit store is rebuilt from the stored
// events (ReplayUsage); the settle's own count is gone with the process,
// so the pair still counts once, in both orders.
TEST(Governor, SettleEventPairCountsOnceAcrossARestart) {
  for (bool settle_first : {true, false}) {
    SettleEventPair before;
    model::Event e = before.Event("ev-700", 700);
    if (settle_first) before.SettleFor("ev-700", 700);
    before.f.gov.OnUsage(e);
    if (!settle_first) before.SettleFor("ev-700", 700);
    EXPECT_EQ(before.Used(), 700);
    SettleEventPair after;  // the restarted server, replaying the stored event
    ASSERT_GT(after.f.gov.ReplayHorizon(after.f.clock.NowMs()), 0);
    after.f.gov.ReplayUsage(e);
    EXPECT_EQ(after.Used(), 700) << (settle_first ? "settle first" : "event first");
    after.SettleFor("ev-700", 700);  // a late settle after the restart: still once
    EXPECT_EQ(after.Used(), 700);
  }
}

// The ingest listener's batch (chunks of 64 ids under one lock, the id
// table's loads started ahead): the same counts as OnUsage event by event,
// a settled id among them skipped, a repeated id counted as often as
// OnUsage counts it, and outcomes ignored.
TEST(Governor, OnUsageBatchCountsAsOnUsageEventByEvent) {
  SettleEventPair batched, single;
  for (SettleEventPair* p : {&batched, &single}) p->SettleFor("ev-77", 5);
  std::vector<model::Event> evs;
  for (int i = 0; i < 200; ++i) evs.push_back(batched.Event("ev-" + std::to_string(i), i + 1));
  evs.push_back(batched.Event("ev-3", 1000));  // a repeated id
  evs[10].type = model::EventType::kOutcome;
  batched.f.gov.OnUsageBatch(evs);
  for (const model::Event& e : evs) single.f.gov.OnUsage(e);
  EXPECT_EQ(batched.Used(), single.Used());
  // 1..200 without event 10's 11 and the settled ev-77's 78, the settle's
  // 5 and the repeat's 1000.
  EXPECT_EQ(batched.Used(), 200 * 201 / 2 - 11 - 78 + 5 + 1000);
  batched.SettleFor("ev-150", 151);  // recorded as ingested: releases only
  EXPECT_EQ(batched.Used(), single.Used());
}

TEST(RecentIds, ByKeyEqualsById) {
  RecentIds ids(/*ttl=*/1000, /*max_entries=*/100);
  for (int i = 0; i < 300; ++i) {
    uint64_t key = RecentIds::KeyOf("id-" + std::to_string(i));
    ids.Prefetch(key, 8);
    if (i % 2)
      ids.AddKey(key, i);
    else
      ids.Add("id-" + std::to_string(i), i);
  }
  EXPECT_EQ(ids.size(), 100u);
  for (int i = 0; i < 300; ++i) {
    uint64_t key = RecentIds::KeyOf("id-" + std::to_string(i));
    EXPECT_EQ(ids.ContainsKey(key, 300), i >= 200) << i;
    EXPECT_EQ(ids.Contains("id-" + std::to_string(i), 300), i >= 200) << i;
  }
}

TEST(RecentIds, RemembersForTtlAndAtMostMaxIds) {
  RecentIds ids(/*ttl=*/1000, /*max_entries=*/3);
  ids.Add("a", 0);
  EXPECT_TRUE(ids.Contains("a", 1000));
  EXPECT_FALSE(ids.Contains("a", 1001));
  EXPECT_FALSE(ids.Contains("b", 0));
  ids.Add("b", 10), ids.Add("c", 20), ids.Add("d", 30);  // over the count: "a" goes
  EXPECT_FALSE(ids.Contains("a", 30));
  EXPECT_TRUE(ids.Contains("b", 30) && ids.Contains("c", 30) && ids.Contains("d", 30));
  EXPECT_EQ(ids.size(), 3u);
  ids.Add("e", 1015);  // "b" (added at 10) expired by then
  EXPECT_FALSE(ids.Contains("b", 1015));
  EXPECT_TRUE(ids.Contains("c", 1015));
  EXPECT_EQ(ids.size(), 3u);
  ids.Erase("c");
  EXPECT_FALSE(ids.Contains("c", 1015));
  ids.Add("c", 1030);  // added again after an erase: a fresh entry
  EXPECT_TRUE(ids.Contains("c", 2000));
}

// Many ids through the open-addressing table: growth, eviction by count
// and erasure (backward shift) keep exactly the ids a reference holds.
TEST(RecentIds, ManyIdsMatchAReference) {
  constexpr int kMax = 5000;
  RecentIds ids(/*ttl=*/kDayMs, kMax);
  std::map<int, bool> held;  // id -> still held, for the last kMax added
  for (int i = 0; i < 20000; ++i) {
    ids.Add("id-" + std::to_string(i), i);
    held[i] = true;
    if (held.size() > size_t(kMax)) held.erase(held.begin());
    if (i % 7 == 3) {
      int gone = i - (i % 1000);  // an id still held or already evicted
      ids.Erase("id-" + std::to_string(gone));
      if (held.count(gone)) held[gone] = false;
    }
  }
  size_t live = 0;
  for (const auto& [i, h] : held) {
    EXPECT_EQ(ids.Contains("id-" + std::to_string(i), 20000), h) << i;
    live += h;
  }
  EXPECT_EQ(ids.size(), live);
  for (int i = 0; i < 20000 - kMax; i += 97)
    EXPECT_FALSE(ids.Contains("id-" + std::to_string(i), 20000));
}

TEST(Governor, RateLimitsThrottleWithRetryAfter) {
  Fixture f(R"(
[[governance.rate_limit]]
id = "per-user"
scope = "user"
requests_per_min = 2
max_concurrent = 10
[[governance.rate_limit]]
id = "opus-tokens"
scope = "user"
model = "claude-opus*"
tokens_per_min = 1000
)");
  EXPECT_EQ(f.Check("a", 10).decision, Decision::kAllow);
  EXPECT_EQ(f.Check("a", 10).decision, Decision::kAllow);
  CheckResult t = f.Check("a", 10);
  EXPECT_EQ(t.decision, Decision::kThrottle);
  EXPECT_EQ(t.policy, "per-user");
  EXPECT_EQ(t.retry_after_ms, 30000);
  f.clock.Advance(30000);
  EXPECT_EQ(f.Check("a", 10).decision, Decision::kAllow);
  // Per-model token bucket applies to opus only.
  EXPECT_EQ(f.Check("b", 900, "claude-opus-4").decision, Decision::kAllow);
  CheckResult o = f.Check("b", 900, "claude-opus-4");
  EXPECT_EQ(o.decision, Decision::kThrottle);
  EXPECT_EQ(o.policy, "opus-tokens");
  EXPECT_EQ(f.Check("c", 900, "claude-sonnet").decision, Decision::kAllow);
}

TEST(Governor, ConcurrencyLimitReleasedOnSettle) {
  Fixture f(R"(
[[governance.rate_limit]]
id = "one-at-a-time"
scope = "key"
max_concurrent = 1
)");
  CheckRequest r;
  r.key = "k1", r.estimated_tokens = 5;
  auto a = f.gov.Check(r);
  ASSERT_EQ(a->decision, Decision::kAllow);
  EXPECT_EQ(f.gov.Check(r)->decision, Decision::kThrottle);
  SettleRequest s;
  s.reservation_id = a->reservation_id;
  ASSERT_TRUE(f.gov.Settle(s).ok());
  EXPECT_EQ(f.gov.Check(r)->decision, Decision::kAllow);
}

TEST(Governor, ExemptionsAndSoftBudgets) {
  Fixture f(R"(
[governance]
exempt_users = ["ci-bot"]
batch_jobs = ["nightly-eval"]
[[governance.budget]]
id = "hard"
scope = "user"
limit_tokens = 100
[[governance.budget]]
id = "soft"
scope = "user"
subject = "carol"
limit_tokens = 10
enforce = "soft"
)");
  EXPECT_EQ(f.Check("ci-bot", 1000).decision, Decision::kAllow);
  EXPECT_EQ(f.Check("ci-bot", 1000).policy, "exempt");
  CheckRequest r;
  r.user = "dave", r.batch_job = "nightly-eval", r.estimated_tokens = 1000;
  EXPECT_EQ(f.gov.Check(r)->decision, Decision::kAllow);
  EXPECT_EQ(f.Check("dave", 1000).decision, Decision::kDeny);
  // Soft budget never denies; the hard one still applies.
  EXPECT_TRUE(f.Use("carol", 50));
  EXPECT_TRUE(f.Use("carol", 50));
  EXPECT_FALSE(f.Use("carol", 1));
}

TEST(Governor, ThrottleLevelsFromDetection) {
  Fixture f(R"(
[governance]
throttle_rpm = [2, 1, 0]
)");
  f.gov.SetThrottle("mallory", 1, "prompt farming suspected");
  EXPECT_EQ(f.Check("mallory", 1).decision, Decision::kAllow);
  EXPECT_EQ(f.Check("mallory", 1).decision, Decision::kAllow);
  CheckResult t = f.Check("mallory", 1);
  EXPECT_EQ(t.decision, Decision::kThrottle);
  EXPECT_EQ(t.policy, "throttle:level-1");
  f.gov.SetThrottle("mallory", 3, "confirmed");
  CheckResult d = f.Check("mallory", 1);
  EXPECT_EQ(d.decision, Decision::kDeny);
  EXPECT_EQ(d.policy, "throttle:flagged");
  f.gov.SetThrottle("mallory", 0, "cleared", "admin");
  EXPECT_EQ(f.Check("mallory", 1).decision, Decision::kAllow);
  auto flags = f.audit.Query({.subject = "user:mallory"});
  ASSERT_TRUE(flags.ok());
  int flag = 0, unflag = 0;
  for (const auto& e : *flags) flag += e.action == "flag", unflag += e.action == "unflag";
  EXPECT_EQ(flag, 2);
  EXPECT_EQ(unflag, 1);
}

TEST(Governor, PolicyAdminIsVersionedAndAudited) {
  Fixture f(kTeamBudget);
  Policy p;
  p.id = "alice-day", p.scope = ScopeKind::kUser, p.subject = "alice", p.limit = 10;
  p.period = PeriodKind::kDay;
  ASSERT_TRUE(f.gov.policies().Upsert(p, "root", false).ok());
  EXPECT_EQ(f.gov.policies().Upsert(p, "root", false).status().code(),
            Status::Code::kAlreadyExists);
  EXPECT_EQ(f.Check("alice", 11).decision, Decision::kDeny);
  p.limit = 20;
  auto v2 = f.gov.policies().Upsert(p, "root", true);
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(v2->version, 2);
  EXPECT_EQ(f.Check("alice", 11).decision, Decision::kAllow);
  ASSERT_TRUE(f.gov.policies().Delete("alice-day", "root").ok());
  EXPECT_EQ(f.gov.policies().Get("alice-day").status().code(), Status::Code::kNotFound);
  auto h = f.gov.policies().History("alice-day");
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->size(), 3u);
  EXPECT_TRUE((*h)[2].deleted);
  // Config-made policies are owned by the file.
  Policy c;
  c.id = "team-month", c.limit = 5;
  EXPECT_EQ(f.gov.policies().Upsert(c, "root", true).status().code(),
            Status::Code::kPermissionDenied);
  auto audit = f.audit.Query({.actor = "root"});
  ASSERT_TRUE(audit.ok());
  ASSERT_EQ(audit->size(), 3u);
  EXPECT_EQ((*audit)[0].action, "policy.delete");
  EXPECT_EQ((*audit)[2].action, "policy.create");
}

TEST(Governor, ApiPoliciesSurviveRestartThroughDb) {
  std::string path = ::testing::TempDir() + "/govern_policies_test.db";
  std::remove(path.c_str());
  FakeClock clock(At("2026-03-10T12:00:00Z"));
  {
    auto db = store::SqliteGovernStore::Open(path);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    AuditLog audit(db->get(), clock);
    Governor g(clock, audit, nullptr);
    ASSERT_TRUE(g.AttachDb(db->get(), db->get()).ok());
    Policy p;
    p.id = "usd", p.scope = ScopeKind::kTeam, p.unit = Unit::kNanoUsd, p.limit = 2500000000;
    ASSERT_TRUE(g.policies().Upsert(p, "root", false).ok());
    ASSERT_TRUE(g.policies().Upsert(p, "root", true).ok());
  }
  auto db = store::SqliteGovernStore::Open(path);
  ASSERT_TRUE(db.ok());
  AuditLog audit(db->get(), clock);
  Governor g(clock, audit, nullptr);
  ASSERT_TRUE(g.AttachDb(db->get(), db->get()).ok());
  auto p = g.policies().Get("usd");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->limit, 2500000000);
  EXPECT_EQ(p->version, 2);
  EXPECT_EQ(p->unit, Unit::kNanoUsd);
  auto entries = audit.Query({.action = "policy.update"});
  ASSERT_TRUE(entries.ok());
  EXPECT_EQ(entries->size(), 1u);
}

TEST(Governor, UsdBudgetUsesEstimatedCost) {
  Fixture f(R"(
[[governance.budget]]
id = "usd"
scope = "user"
limit_usd = 1.0
)");
  CheckRequest r;
  r.user = "a", r.estimated_tokens = 10, r.estimated_cost_nanos = 600000000;
  auto a = f.gov.Check(r);
  ASSERT_EQ(a->decision, Decision::kAllow);
  EXPECT_EQ(a->unit, Unit::kNanoUsd);
  EXPECT_EQ(a->remaining, 400000000);
  EXPECT_EQ(f.gov.Check(r)->decision, Decision::kDeny);
}

// Without estimated_cost_usd the estimate is priced as output tokens (an
// upper bound); settle without cost_usd prices the actual token kinds.
TEST(Governor, UsdBudgetPricesTokensWhenCostIsMissing) {
  Fixture f(R"(
[[governance.budget]]
id = "usd"
scope = "user"
limit_usd = 10.0
)");
  model::PriceTable prices = model::PriceTable::Builtin();
  model::PriceBook book(prices);
  f.gov.SetPrices(&book);
  model::TokenCounts out;
  out.output = 100000;
  const int64_t per_100k_output = prices.CostNanos("claude-sonnet-4-5", out);
  ASSERT_GT(per_100k_output, 0);
  CheckResult a = f.Check("a", 100000, "claude-sonnet-4-5");
  ASSERT_EQ(a.decision, Decision::kAllow);
  EXPECT_EQ(a.unit, Unit::kNanoUsd);
  EXPECT_EQ(a.remaining, 10000000000 - per_100k_output);
  SettleRequest s;
  s.reservation_id = a.reservation_id;
  s.tokens.input = 100000;  // input is cheaper than output
  ASSERT_TRUE(f.gov.Settle(s).ok());
  model::TokenCounts in;
  in.input = 100000;
  CheckResult b = f.Check("a", 0, "claude-sonnet-4-5");
  EXPECT_EQ(b.remaining, 10000000000 - prices.CostNanos("claude-sonnet-4-5", in));
}

// A model the table lacks is priced from its family for checks and settles,
// with the same book that prices ingested events, so a USD budget fires for
// it: claude-opus-5-5 is priced as claude-opus-4-8 ($25 per million output).
TEST(Governor, UsdBudgetCountsFamilyEstimates) {
  Fixture f(R"(
[[governance.budget]]
id = "usd"
scope = "user"
limit_usd = 3.0
)");
  model::PriceBook book;
  f.gov.SetPrices(&book);
  CheckResult a = f.Check("a", 100000, "claude-opus-5-5");  // $2.50 estimated
  ASSERT_EQ(a.decision, Decision::kAllow);
  EXPECT_EQ(a.remaining, 3'000'000'000 - 2'500'000'000);
  CheckResult denied = f.Check("a", 100000, "claude-opus-5-5");
  EXPECT_EQ(denied.decision, Decision::kDeny);
  EXPECT_EQ(denied.policy, "usd");
  // Settle without a cost prices the actual tokens at the same estimate.
  SettleRequest s;
  s.reservation_id = a.reservation_id;
  s.tokens.output = 40000;  // $1.00
  ASSERT_TRUE(f.gov.Settle(s).ok());
  EXPECT_EQ(f.Check("a", 0, "claude-opus-5-5").remaining, 2'000'000'000);
  // A model of no known family stays unpriced: it costs nothing here.
  CheckResult unknown = f.Check("a", 100000, "totally-unknown-model");
  EXPECT_EQ(unknown.decision, Decision::kAllow);
  EXPECT_EQ(unknown.remaining, 2'000'000'000);
}

}  // namespace
}  // namespace burnrate::govern

namespace burnrate::govern {
namespace {

// Restart: replaying only the events received since ReplayHorizon(now),
// each at its arrival time, leaves every budget exactly where live ingest
// left it, including events one millisecond either side of a period start
// (calendar day and month in Europe/Berlin, and a rolling hour's oldest slot).
TEST(GovernorReplay, HorizonAndArrivalTimeMatchLiveUsageAtPeriodBoundaries) {
  constexpr const char* kBudgets = R"(
[governance]
time_zone = "Europe/Berlin"
[[governance.budget]]
id = "day"
scope = "user"
subject = "d"
limit_tokens = 1000000000000
period = "day"
[[governance.budget]]
id = "month"
scope = "user"
subject = "m"
limit_tokens = 1000000000000
period = "month"
[[governance.budget]]
id = "hour"
scope = "user"
subject = "r"
limit_tokens = 1000000000000
period = "rolling"
window = "1h"
)";
  constexpr int64_t kLimit = 1'000'000'000'000;
  const TimeMs now = At("2026-03-10T12:00:00Z");
  // Berlin month start 2026-02-28T23:00Z, day start 2026-03-09T23:00Z, the
  // rolling hour's oldest slot starts at 11:01 (60 slots of a minute).
  const char* arrivals[] = {"2026-02-10T10:00:00Z", "2026-02-28T22:59:59.999Z",
                            "2026-02-28T23:00:00Z", "2026-03-09T22:59:59.999Z",
                            "2026-03-09T23:00:00Z", "2026-03-10T11:00:59.999Z",
                            "2026-03-10T11:01:00Z", "2026-03-10T11:59:59Z"};
  Fixture live(kBudgets, At(arrivals[0]));
  Fixture replay(kBudgets, now);
  const TimeMs horizon = replay.gov.ReplayHorizon(now);
  EXPECT_EQ(horizon, At("2026-02-28T23:00:00Z"));  // the oldest window that holds `now`: the month
  int64_t tokens = 1;
  for (const char* a : arrivals) {
    for (const char* user : {"d", "m", "r"}) {
      model::Event e;
      e.id = std::string(user) + a, e.user = user, e.model = "m", e.cost_nanos = 0;
      e.received = At(a), e.ts = e.received - kMinuteMs;
      e.tokens.input = tokens;
      live.clock.Set(e.received);
      live.gov.OnUsage(e);
      if (e.received >= horizon) replay.gov.ReplayUsage(e);
    }
    tokens *= 10;  // each arrival's share is visible in the sums
  }
  live.clock.Set(now);
  for (const char* user : {"d", "m", "r"}) {
    EXPECT_EQ(replay.Check(user, 0).remaining, live.Check(user, 0).remaining) << user;
  }
  // And the sums are the expected ones: day from 23:00Z, month from
  // 2026-02-28T23:00Z, rolling hour from 11:01.
  EXPECT_EQ(replay.Check("d", 0).remaining, kLimit - 11'110'000);
  EXPECT_EQ(replay.Check("m", 0).remaining, kLimit - 11'111'100);
  EXPECT_EQ(replay.Check("r", 0).remaining, kLimit - 11'000'000);
}

TEST(GovernorReplay, NothingToReplayWithoutBudgets) {
  Fixture f(R"(
[[governance.rate_limit]]
id = "rpm"
scope = "user"
requests_per_min = 10
)");
  EXPECT_EQ(f.gov.ReplayHorizon(f.clock.NowMs()), f.clock.NowMs());
}

}  // namespace
}  // namespace burnrate::govern
