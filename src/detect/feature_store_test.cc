#include "detect/feature_store.h"

#include <gtest/gtest.h>

#include "detect/scorer.h"
#include "model/prompt_features.h"

namespace burnrate::detect {
namespace {

constexpr TimeMs kDay0 = 20000 * kDayMs;

model::Event Usage(const std::string& user, TimeMs ts, const std::string& session,
                   const std::string& prompt = "") {
  model::Event e;
  e.user = user, e.team = "core", e.ts = ts, e.received = ts, e.session = session, e.client = "ws1";
  e.tokens.input = 100, e.tokens.output = 50, e.tokens.cache_read = 850;
  if (!prompt.empty()) e.prompt = model::ComputePromptFeatures(prompt);
  return e;
}

model::Event Outcome(const std::string& user, TimeMs ts, const std::string& session) {
  model::Event e;
  e.type = model::EventType::kOutcome;
  e.user = user, e.team = "core", e.ts = ts, e.received = ts, e.session = session,
  e.outcome_kind = "commit";
  return e;
}

TEST(FeatureStore, RegularLoopHasLowGapVariationAndManyHours) {
  DetectConfig cfg;
  FeatureStore fs(cfg);
  for (TimeMs t = kDay0; t < kDay0 + 20 * kHourMs; t += 60 * kSecondMs)
    fs.Observe(Usage("bot", t, "s1", "continue with the next step of the plan"));
  auto users = fs.Collect(20000);
  ASSERT_EQ(users.size(), 1u);
  const auto& f = users[0];
  EXPECT_EQ(f.user, "bot");
  EXPECT_EQ(f.hours_active, 20);
  EXPECT_LT(f.gap_cv, 0.01);
  EXPECT_GT(f.exact_dup_rate, 0.99);
  EXPECT_EQ(f.requests, 1200);
  EXPECT_EQ(f.tokens, 1200 * 1000);
  EXPECT_DOUBLE_EQ(f.cache_read_share, 0.85);
  EXPECT_EQ(f.outcome_free_share, 1.0);
}

// Short prompts count as prompts but not for the repeat rates.
TEST(FeatureStore, ShortPromptsAreNotJudgedForRepetition) {
  DetectConfig cfg;
  FeatureStore fs(cfg);
  TimeMs t = kDay0;
  for (int i = 0; i < 60; ++i, t += kMinuteMs)
    fs.Observe(Usage("dev", t, "s1", i % 2 ? "continue" : "yes"));
  for (int i = 0; i < 20; ++i, t += kMinuteMs)
    fs.Observe(Usage("dev", t, "s1",
                     "please refactor module " + std::to_string(i) + " and keep its tests green"));
  auto users = fs.Collect(20000);
  ASSERT_EQ(users.size(), 1u);
  EXPECT_EQ(users[0].prompts, 80);
  EXPECT_EQ(users[0].repeat_prompts, 20);
  EXPECT_LT(users[0].exact_dup_rate, 0.1);
}

TEST(FeatureStore, ConcurrencyCountsSessionsActiveInTheSameSlot) {
  DetectConfig cfg;
  FeatureStore fs(cfg);
  for (int s = 0; s < 10; ++s)
    for (int i = 0; i < 5; ++i)
      fs.Observe(Usage("farm", kDay0 + kHourMs + i * kMinuteMs, "s" + std::to_string(s)));
  // One long-lived session touched in two distant slots does not add up.
  fs.Observe(Usage("dev", kDay0 + kHourMs, "a"));
  fs.Observe(Usage("dev", kDay0 + 5 * kHourMs, "a"));
  fs.Observe(Usage("dev", kDay0 + 3 * kHourMs, "b"));
  for (const auto& f : fs.Collect(20000)) {
    if (f.user == "farm") {
      EXPECT_EQ(f.max_concurrency, 10);
    }
    if (f.user == "dev") {
      EXPECT_EQ(f.max_concurrency, 1);
    }
  }
}

TEST(FeatureStore, OutcomesCoverTheirSessionOrTheWholeDay) {
  DetectConfig cfg;
  FeatureStore fs(cfg);
  fs.Observe(Usage("a", kDay0 + kHourMs, "s1"));
  fs.Observe(Usage("a", kDay0 + kHourMs, "s2"));
  fs.Observe(Outcome("a", kDay0 + 2 * kHourMs, "s1"));
  fs.Observe(Usage("b", kDay0 + kHourMs, "s1"));
  model::Event o = Outcome("b", kDay0 + 2 * kHourMs, "");
  fs.Observe(o);
  for (const auto& f : fs.Collect(20000)) {
    if (f.user == "a") {
      EXPECT_DOUBLE_EQ(f.outcome_free_share, 0.5);
    }
    if (f.user == "b") {
      EXPECT_DOUBLE_EQ(f.outcome_free_share, 0.0);
    }
    EXPECT_EQ(f.outcomes, 1);
  }
}

TEST(FeatureStore, NearDuplicatesAndDistinctPrompts) {
  DetectConfig cfg;
  FeatureStore fs(cfg);
  std::string base =
      "please summarise the design document for the billing service and list every open question "
      "about retries idempotency keys and the reconciliation job that runs at midnight";
  for (int i = 0; i < 100; ++i) {
    std::string p = base + " variant " + std::to_string(i);
    fs.Observe(Usage("near", kDay0 + i * kMinuteMs, "s", p));
    fs.Observe(Usage("varied", kDay0 + i * kMinuteMs, "s",
                     "question " + std::to_string(i * 7919) + " about module " + std::to_string(i) +
                         " and its tests in file " + std::to_string(i * 31)));
  }
  for (const auto& f : fs.Collect(20000)) {
    if (f.user == "near") {
      EXPECT_GT(f.near_dup_rate, 0.9);
      EXPECT_LT(f.exact_dup_rate, 0.3);
      EXPECT_FALSE(f.templates.empty());
    } else {
      EXPECT_LT(f.exact_dup_rate, 0.3);
    }
  }
}

TEST(FeatureStore, FutureClientClockFallsBackToReceived) {
  DetectConfig cfg;
  FeatureStore fs(cfg);
  model::Event e = Usage("a", kDay0 + 5 * kDayMs, "s");
  e.received = kDay0 + kHourMs;
  fs.Observe(e);
  EXPECT_EQ(fs.Collect(20000).size(), 1u);
  EXPECT_TRUE(fs.Collect(20005).empty());
}

TEST(FeatureStore, OldDaysArePrunedAndLateEventsDropped) {
  DetectConfig cfg;
  cfg.retain_days = 2;
  FeatureStore fs(cfg);
  fs.Observe(Usage("a", kDay0, "s"));
  fs.Observe(Usage("a", kDay0 + 3 * kDayMs, "s"));
  EXPECT_TRUE(fs.Collect(20000).empty());
  fs.Observe(Usage("a", kDay0, "s"));  // too late: not resurrected
  EXPECT_TRUE(fs.Collect(20000).empty());
  EXPECT_EQ(fs.Collect(20003).size(), 1u);
}

TEST(FeatureStore, RollingHourBlendsTheCurrentAndPreviousHour) {
  DetectConfig cfg;
  FeatureStore fs(cfg);
  for (int i = 0; i < 10; ++i)
    fs.Observe(Usage("a", kDay0 + 5 * kHourMs + i * kMinuteMs, "s"));  // 05:00-05:09
  for (int i = 0; i < 4; ++i)
    fs.Observe(Usage("a", kDay0 + 6 * kHourMs + i * kMinuteMs, "s"));  // 06:00-06:03
  auto w = fs.RollingHour("a", kDay0 + 6 * kHourMs + 15 * kMinuteMs);  // 06:15: 4 + 0.75 x 10
  EXPECT_DOUBLE_EQ(w.requests, 11.5);
  EXPECT_DOUBLE_EQ(w.tokens, 11500);
  EXPECT_EQ(fs.RollingHour("nobody", kDay0).requests, 0);
}

TEST(Scorer, ClustersAccountsSharingTemplates) {
  DetectConfig cfg;
  Scorer scorer(cfg);
  std::vector<UserDayFeatures> users(8);
  for (int i = 0; i < 8; ++i) {
    users[i].user = "u" + std::to_string(i);
    // Six accounts share a template (a few bits apart); two have their own.
    uint64_t sh = i < 6 ? (0x0123456789abcdefull ^ (1ull << i)) : (0xfedcba9876543210ull * (i + 1));
    users[i].templates = {{sh, 0.8}};
  }
  std::vector<char> productive = {1, 0, 0, 0, 0, 0, 1, 1};
  scorer.AssignClusters(users, productive);
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(users[i].cluster_accounts, 6);
    EXPECT_DOUBLE_EQ(users[i].cluster_share, 0.8);
    EXPECT_NEAR(users[i].cluster_productive, 1.0 / 6, 1e-9);
  }
  EXPECT_EQ(users[6].cluster_accounts, 0);
  EXPECT_EQ(users[7].cluster_accounts, 0);
}

TEST(Scorer, SmallTeamsAreComparedWithTheOrg) {
  DetectConfig cfg;
  Scorer scorer(cfg);
  std::vector<UserDayFeatures> users;
  for (int i = 0; i < 20; ++i) {
    UserDayFeatures f;
    f.user = "u" + std::to_string(i), f.team = i < 18 ? "big" : "tiny";
    f.requests = 100, f.tokens = i < 18 ? 1000 : 9000, f.max_concurrency = 1;
    users.push_back(f);
  }
  auto scored = scorer.Score(users);
  EXPECT_EQ(scored[19].peers.peers, 20);  // org baseline
  EXPECT_EQ(scored[0].peers.peers, 18);   // team baseline
  EXPECT_DOUBLE_EQ(scored[0].peers.tokens, 1000);
}

}  // namespace
}  // namespace burnrate::detect

namespace burnrate::detect {
namespace {

// Five accounts firing on one shared schedule link up; five accounts with
// independent random minutes, and five that are busy every minute of the same
// afternoon, do not (their overlap is what chance predicts).
TEST(Scorer, SynchronisedTimingBeyondChance) {
  DetectConfig cfg;
  Scorer scorer(cfg);
  std::vector<UserDayFeatures> users;
  uint64_t x = 88172645463325252ull;
  auto rnd = [&] { return x ^= x << 13, x ^= x >> 7, x ^= x << 17; };
  auto add = [&](const std::string& name, auto active) {
    UserDayFeatures f;
    f.user = name, f.requests = 100;
    f.minutes.assign(23, 0);
    for (int m = 0; m < 1440; ++m)
      if (active(m)) f.minutes[m / 64] |= 1ull << (m % 64);
    users.push_back(f);
  };
  for (int i = 0; i < 5; ++i)
    add("sync" + std::to_string(i),
        [&](int m) { return m >= 480 && m < 1080 && m % 5 == 0 && rnd() % 10 != 0; });
  for (int i = 0; i < 5; ++i)
    add("rand" + std::to_string(i), [&](int m) { return m >= 480 && m < 1080 && rnd() % 5 == 0; });
  for (int i = 0; i < 5; ++i)
    add("busy" + std::to_string(i), [&](int m) { return m >= 720 && m < 1080; });
  std::vector<char> productive(users.size(), 0);
  scorer.AssignSyncClusters(users, productive);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(users[i].sync_accounts, 5) << users[i].user;
  for (int i = 5; i < 15; ++i) EXPECT_EQ(users[i].sync_accounts, 0) << users[i].user;
  productive.assign(users.size(), 1);  // productive accounts are never candidates
  scorer.AssignSyncClusters(users, productive);
  EXPECT_EQ(users[0].sync_accounts, 0);
}

// A user-day without prompts keeps no prompt state (most users of a large
// organisation send none on a given day); the first prompt adds it.
TEST(FeatureStore, PromptStateOnlyOnceAPromptArrives) {
  DetectConfig cfg;
  FeatureStore fs(cfg);
  fs.Observe(Usage("quiet", kDay0, "s1"));
  fs.Observe(Usage("chatty", kDay0, "s1"));
  size_t two_without = fs.ApproxBytes();
  fs.Observe(Usage("chatty", kDay0 + kMinuteMs, "s1", "please refactor the parser module"));
  EXPECT_GT(fs.ApproxBytes(), two_without + 200);
  auto users = fs.Collect(20000);
  ASSERT_EQ(users.size(), 2u);
  for (const auto& f : users) EXPECT_EQ(f.prompts, f.user == "chatty" ? 1 : 0);
}

// A user-day holds a plausibility tally only from its first finding on:
// the findings of each check are counted, a clean user-day reports none.
TEST(FeatureStore, PlausibilityTallyOnlyOnceAFindingArrives) {
  DetectConfig cfg;
  FeatureStore fs(cfg);
  fs.Observe(Usage("clean", kDay0, "s1"));
  fs.Observe(Usage("odd", kDay0, "s1"));
  size_t two_clean = fs.ApproxBytes();
  model::Event huge = Usage("odd", kDay0 + 2 * kHourMs, "s1");
  huge.tokens.output = int64_t(cfg.implausible_max_output) + 1;
  fs.Observe(huge);
  EXPECT_GE(fs.ApproxBytes(), two_clean + sizeof(ImplausibleTally));
  // An event of s1 from well before its last one: out of order.
  fs.Observe(
      Usage("odd", kDay0 + 2 * kHourMs - (cfg.implausible_reorder_seconds + 5) * kSecondMs, "s1"));
  fs.Observe(huge);
  auto users = fs.Collect(20000);
  ASSERT_EQ(users.size(), 2u);
  for (const auto& f : users) {
    const ImplausibleTally& t = f.implausible;
    if (f.user == "clean") {
      EXPECT_FALSE(t.Any());
      continue;
    }
    EXPECT_EQ(t.events[size_t(Implausible::kOutputPerRequest)], 2);
    EXPECT_EQ(t.events[size_t(Implausible::kOutOfOrder)], 1);
    EXPECT_EQ(t.tokens, 2 * huge.tokens.Total());
  }
}

// Sessions past the small-table size are found through the index: every
// event of a session lands in the same one, however many there are.
TEST(FeatureStore, ManySessionsAreCountedOnce) {
  DetectConfig cfg;
  FeatureStore fs(cfg);
  TimeMs t = kDay0;
  for (int round = 0; round < 3; ++round)
    for (int s = 0; s < 40; ++s, t += kSecondMs)
      fs.Observe(Usage("many", t, "session-" + std::to_string(s)));
  fs.Observe(Outcome("many", t, "session-39"));
  auto users = fs.Collect(20000);
  ASSERT_EQ(users.size(), 1u);
  EXPECT_EQ(users[0].sessions, 40);
  EXPECT_EQ(users[0].requests, 120);
  // Only session-39 has an outcome: the other 39 sessions' tokens are free.
  EXPECT_EQ(users[0].outcome_free_tokens, 39 * 3 * 1000);
}

// Many users in one day: each keeps its own state (the day's table grows
// in chunks without moving the earlier users).
TEST(FeatureStore, ThousandsOfUsersInOneDay) {
  DetectConfig cfg;
  FeatureStore fs(cfg);
  for (int round = 0; round < 2; ++round)
    for (int u = 0; u < 5000; ++u)
      fs.Observe(Usage("u" + std::to_string(u), kDay0 + round * kHourMs + u, "s"));
  auto users = fs.Collect(20000);
  ASSERT_EQ(users.size(), 5000u);
  for (const auto& f : users) ASSERT_EQ(f.requests, 2) << f.user;
  EXPECT_EQ(fs.RollingHour("u42", kDay0 + kHourMs + 30 * kMinuteMs).requests, 1.5);
}

}  // namespace
}  // namespace burnrate::detect
