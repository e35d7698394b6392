// Contract tests for Engine::Leaderboard (engine/engine.h): ranking per
// metric, ties, prev_rank, percentile, paging, search, windows, snapshot
// freshness and concurrent use.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "engine/engine.h"
#include "engine/engine_state.h"

namespace burnrate::engine {
namespace {

TimeMs T(const char* s) { return *ParseRfc3339(s); }

model::Event Use(std::string user, std::string team, TimeMs ts, int64_t tokens, int64_t cost = -1) {
  static int n = 0;
  model::Event e;
  e.id = "e" + std::to_string(++n);
  e.user = std::move(user);
  e.team = std::move(team);
  e.org = "acme";
  e.model = "claude-sonnet-4-5";
  e.ts = e.received = ts;
  e.tokens.input = tokens;
  e.cost_nanos = cost >= 0 ? cost : tokens * 10;
  return e;
}

model::Event Outcome(std::string user, TimeMs ts, double value) {
  model::Event e;
  e.type = model::EventType::kOutcome;
  e.id = "o" + user + std::to_string(ts);
  e.user = std::move(user);
  e.team = "platform";
  e.org = "acme";
  e.ts = ts;
  e.outcome_kind = "tests_passed";  // weight 1
  e.outcome_value = value;
  return e;
}

class LeaderboardTest : public testing::Test {
 protected:
  LeaderboardTest() : clock_(T("2026-03-21T14:30:00Z")) {
    EngineOptions o;
    o.board_refresh_ms = 0;  // every read after a change sees it
    eng_ = std::make_unique<Engine>(o, clock_);
    // 24h window: [03-20 15:00, 03-21 15:00); the previous one the day before.
    TimeMs cur = T("2026-03-21T10:00:00Z"), prev = T("2026-03-20T10:00:00Z");
    std::vector<model::Event> evs = {
        Use("alice", "platform", cur, 1000), Use("bob", "web", cur, 1000, 1),
        Use("bob", "web", cur, 1000, 0),     Use("bob", "web", cur, 1000, 0),
        Use("carol", "platform", cur, 500),  Use("carol", "platform", cur, 500),
        Use("alice", "platform", prev, 100), Use("bob", "web", prev, 5000),
        Use("dave", "web", prev, 50),
    };
    eng_->Apply(evs);
  }

  Board Query(Metric m, Window w = Window::k24h, Entity e = Entity::kUser, size_t limit = 100,
              size_t offset = 0, std::string search = "") {
    BoardQuery q;
    q.entity = e, q.window = w, q.metric = m, q.limit = limit, q.offset = offset,
    q.search = std::move(search);
    auto b = eng_->Leaderboard(q);
    EXPECT_TRUE(b.ok());
    return b.ok() ? *b : Board{};
  }

  static std::vector<std::string> Ids(const Board& b) {
    std::vector<std::string> ids;
    for (const auto& e : b.entries) ids.push_back(e.id);
    return ids;
  }

  FakeClock clock_;
  std::unique_ptr<Engine> eng_;
};

// A board that takes long to refresh (build, then the ticker's sort) is
// refreshed every ten refreshes' time, so the ticker's rebuilds of a large
// board stay near a tenth of a core.
TEST(SnapshotRefresh, SlowBuildsAreRefreshedLessOften) {
  EXPECT_EQ(BoardRefreshAfter(250, 3), 250);   // a small board: every board_refresh_ms
  EXPECT_EQ(BoardRefreshAfter(250, 40), 400);  // 40 ms builds: every 400 ms
}

TEST_F(LeaderboardTest, TokensRankPrevRankPercentile) {
  Board b = Query(Metric::kTokens);
  EXPECT_EQ(Ids(b), (std::vector<std::string>{"bob", "alice", "carol"}));  // alice = carol: by name
  EXPECT_EQ(b.total_entries, 3);  // dave spent nothing in this window
  EXPECT_EQ(b.range.from, T("2026-03-20T15:00:00Z"));
  EXPECT_EQ(b.range.to, T("2026-03-21T15:00:00Z"));
  ASSERT_EQ(b.entries.size(), 3u);
  const BoardEntry& bob = b.entries[0];
  EXPECT_EQ(bob.rank, 1);
  EXPECT_EQ(bob.prev_rank, 1);  // 5000 yesterday, first then too
  EXPECT_EQ(bob.team, "web");
  EXPECT_EQ(bob.org, "acme");
  EXPECT_EQ(bob.c.Total(), 3000);
  EXPECT_EQ(bob.c.requests, 3);
  EXPECT_DOUBLE_EQ(bob.percentile, 100);
  EXPECT_EQ(b.entries[1].rank, 2);
  EXPECT_EQ(b.entries[1].prev_rank, 2);
  EXPECT_NEAR(b.entries[1].percentile, 200.0 / 3, 1e-9);
  EXPECT_EQ(b.entries[2].rank, 3);
  EXPECT_EQ(b.entries[2].prev_rank, 0);  // carol did nothing yesterday
  EXPECT_NEAR(b.entries[2].percentile, 100.0 / 3, 1e-9);
}

TEST_F(LeaderboardTest, OtherMetrics) {
  Board cost = Query(Metric::kCost);
  EXPECT_EQ(Ids(cost), (std::vector<std::string>{"alice", "carol", "bob"}));
  EXPECT_EQ(cost.entries[2].c.cost_nanos, 1);
  Board req = Query(Metric::kRequests);
  EXPECT_EQ(Ids(req), (std::vector<std::string>{"bob", "carol", "alice"}));
}

TEST_F(LeaderboardTest, PagingAndSearch) {
  Board page = Query(Metric::kTokens, Window::k24h, Entity::kUser, 1, 1);
  ASSERT_EQ(page.entries.size(), 1u);
  EXPECT_EQ(page.entries[0].id, "alice");
  EXPECT_EQ(page.entries[0].rank, 2);
  EXPECT_EQ(page.total_entries, 3);
  EXPECT_TRUE(Query(Metric::kTokens, Window::k24h, Entity::kUser, 10, 3).entries.empty());
  Board found = Query(Metric::kTokens, Window::k24h, Entity::kUser, 10, 0, "o");
  EXPECT_EQ(Ids(found), (std::vector<std::string>{"bob", "carol"}));
  EXPECT_EQ(found.entries[1].rank, 3);  // ranks stay those of the whole board
}

TEST_F(LeaderboardTest, WindowsAndEntities) {
  Board week = Query(Metric::kTokens, Window::k7d);
  EXPECT_EQ(Ids(week), (std::vector<std::string>{"bob", "alice", "carol", "dave"}));
  EXPECT_EQ(week.entries[0].c.Total(), 8000);
  Board all = Query(Metric::kTokens, Window::kAll);
  EXPECT_EQ(all.total_entries, 4);
  EXPECT_EQ(all.entries[0].prev_rank, 0);  // "all" has no previous window
  Board teams = Query(Metric::kTokens, Window::k24h, Entity::kTeam);
  EXPECT_EQ(Ids(teams), (std::vector<std::string>{"web", "platform"}));
  EXPECT_EQ(teams.entries[1].c.Total(), 2000);
  EXPECT_EQ(teams.entries[0].prev_rank, 1);
  Board orgs = Query(Metric::kTokens, Window::k24h, Entity::kOrg);
  ASSERT_EQ(orgs.entries.size(), 1u);
  EXPECT_EQ(orgs.entries[0].c.Total(), 5000);
  Board models = Query(Metric::kTokens, Window::kDay, Entity::kModel);
  ASSERT_EQ(models.entries.size(), 1u);
  EXPECT_EQ(models.entries[0].id, "claude-sonnet-4-5");
  EXPECT_EQ(models.entries[0].prev_rank, 1);
}

TEST_F(LeaderboardTest, ValueEfficiencyAndHonest) {
  std::vector<model::Event> evs = {Outcome("alice", T("2026-03-21T11:00:00Z"), 4),
                                   Outcome("carol", T("2026-03-21T11:00:00Z"), 1)};
  eng_->Apply(evs);
  Board value = Query(Metric::kValue);
  EXPECT_EQ(Ids(value),
            (std::vector<std::string>{"alice", "carol"}));  // bob has no value: unranked
  EXPECT_EQ(value.total_entries, 2);
  // Efficiency is not ranked under efficiency_min_tokens (1M by default).
  EXPECT_EQ(Query(Metric::kEfficiency).total_entries, 0);

  // Waste counts against "honest" tokens.
  eng_->SetWasteFn([](Entity e, std::string_view id, TimeRange) -> int64_t {
    return e == Entity::kUser && id == "bob" ? 2500 : 0;
  });
  eng_->Apply(std::vector<model::Event>{Use("erin", "web", T("2026-03-21T11:00:00Z"), 1)});
  Board honest = Query(Metric::kHonest);
  EXPECT_EQ(Ids(honest), (std::vector<std::string>{"alice", "carol", "bob", "erin"}));
  EXPECT_EQ(honest.entries[2].wasted_tokens, 2500);
}

TEST(Leaderboard, EfficiencyIsShrunkTowardsTheBoardRate) {
  FakeClock clock(T("2026-03-21T14:30:00Z"));
  EngineOptions o;
  o.board_refresh_ms = 0;
  o.efficiency_min_tokens = 1000;
  o.efficiency_prior_mtokens = 1;  // k = 1M tokens
  Engine eng(o, clock);
  TimeMs t = T("2026-03-21T10:00:00Z");
  std::vector<model::Event> evs = {
      Use("big", "t", t, 9'000'000),   Outcome("big", t, 90),     // 10 per Mtok
      Use("lucky", "t", t, 1'000'000), Outcome("lucky", t, 30),   // 30 per Mtok
      Use("tiny", "t", t, 10),         Outcome("tiny", t, 100)};  // under the minimum
  eng.Apply(evs);
  BoardQuery q;
  q.window = Window::k24h;
  q.metric = Metric::kEfficiency;
  Board b = *eng.Leaderboard(q);
  ASSERT_EQ(b.entries.size(), 2u);
  // Board rate r = 220 / 10.00001 Mtok ~ 22; big: (90 + r) / 10; lucky: (30 + r) / 2.
  double r = 220.0 / (10'000'010 / 1e6);
  EXPECT_EQ(b.entries[0].id, "lucky");
  EXPECT_NEAR(b.entries[0].efficiency, (30 + r) / 2, 1e-9);
  EXPECT_NEAR(b.entries[1].efficiency, (90 + r) / 10, 1e-9);
}

TEST(Leaderboard, SnapshotsRefreshAfterChangesAndOnTheHour) {
  FakeClock clock(T("2026-03-21T14:30:00Z"));
  EngineOptions o;
  o.board_refresh_ms = 250;
  Engine eng(o, clock);
  eng.Apply(std::vector<model::Event>{Use("a", "t", T("2026-03-21T14:10:00Z"), 10)});
  BoardQuery q;
  q.window = Window::k24h;
  EXPECT_EQ(eng.Leaderboard(q)->entries[0].c.Total(), 10);
  eng.Apply(std::vector<model::Event>{Use("a", "t", T("2026-03-21T14:11:00Z"), 5)});
  // Within the refresh period a read may be stale, never wrong about versions.
  Board stale = *eng.Leaderboard(q);
  EXPECT_LT(stale.version, eng.version());
  clock.Advance(300);
  eng.RefreshBoards();
  Board fresh = *eng.Leaderboard(q);
  EXPECT_EQ(fresh.entries[0].c.Total(), 15);
  EXPECT_EQ(fresh.version, eng.version());
  // Without RefreshBoards, a read more than 10 periods stale rebuilds itself.
  eng.Apply(std::vector<model::Event>{Use("a", "t", T("2026-03-21T14:12:00Z"), 1)});
  clock.Advance(2600);
  EXPECT_EQ(eng.Leaderboard(q)->entries[0].c.Total(), 16);
  // A day later, with no new events, the 24h board is empty: the window
  // moved even though the data did not, also for a board nobody read for a
  // while (RefreshBoards skips those).
  clock.Advance(2 * kMinuteMs);
  eng.RefreshBoards();
  clock.Advance(kDayMs);
  Board later = *eng.Leaderboard(q);
  EXPECT_EQ(later.total_entries, 0);
  EXPECT_EQ(later.range.to, T("2026-03-22T15:00:00Z"));
}

// A background read (the badge evaluator's) is answered like any other but
// does not ask the ticker to keep the board fresh: RefreshBoards rebuilds a
// board only when a foreground reader looked at it in the last minute.
TEST(Leaderboard, BackgroundReadsDoNotKeepTheTickerRebuilding) {
  FakeClock clock(T("2026-03-21T14:30:00Z"));
  EngineOptions o;
  o.board_refresh_ms = 250;
  Engine eng(o, clock);
  eng.Apply(std::vector<model::Event>{Use("a", "t", T("2026-03-21T14:10:00Z"), 10)});
  BoardQuery q;
  q.window = Window::k7d;
  q.background = true;
  EXPECT_EQ(eng.Leaderboard(q)->entries[0].c.Total(), 10);  // built on the spot
  eng.Apply(std::vector<model::Event>{Use("a", "t", T("2026-03-21T14:11:00Z"), 5)});
  clock.Advance(300);
  eng.RefreshBoards();
  Board bg = *eng.Leaderboard(q);
  EXPECT_EQ(bg.entries[0].c.Total(), 10);  // not rebuilt by the ticker: within 10 periods
  EXPECT_LT(bg.version, eng.version());
  // A dashboard reads the same board: nobody kept it fresh, so it takes no
  // snapshot older than the engine's version; from now on the ticker keeps it.
  q.background = false;
  EXPECT_EQ(eng.Leaderboard(q)->entries[0].c.Total(), 15);
  eng.Apply(std::vector<model::Event>{Use("a", "t", T("2026-03-21T14:12:00Z"), 1)});
  clock.Advance(300);
  eng.RefreshBoards();
  q.background = true;
  EXPECT_EQ(eng.Leaderboard(q)->entries[0].c.Total(), 16);
  EXPECT_EQ(eng.Leaderboard(q)->version, eng.version());
  // Alone, a background reader still never sees more than 10 periods of staleness.
  eng.Apply(std::vector<model::Event>{Use("a", "t", T("2026-03-21T14:13:00Z"), 1)});
  clock.Advance(2 * kMinuteMs);
  EXPECT_EQ(eng.Leaderboard(q)->entries[0].c.Total(), 17);
}

// Board rows sum an entity's buckets over a window (EntityState::Sum),
// starting at the first bucket of the window's first hour (a search). Every
// window over a history with gaps, several sources an hour and outcomes sums
// what a scan of the buckets sums: the search must not start late or early.
TEST(EntityStateSum, EveryWindowEqualsAScanOfTheBuckets) {
  EntityState ent;
  for (int32_t hour = 100; hour < 400; ++hour) {
    if (hour % 7 == 3 || (hour > 200 && hour < 230)) continue;  // hours without usage
    for (uint32_t slot = 0; slot < uint32_t(kSourceClasses); slot += 1 + hour % 2) {
      Counters c;
      c.input = hour * 10 + slot;
      c.requests = 1;
      ent.Add(hour, slot, c);
    }
    if (hour % 5 == 0) {
      Counters o;
      o.outcomes = 1;
      ent.Add(hour, kOutcomeSlot, o);
    }
  }
  for (int32_t from = 95; from < 405; from += 3) {
    for (int32_t to = from; to < 405; to += 11) {
      Counters want;
      for (const Bucket& b : ent.hours)
        if (b.hour >= from && b.hour < to) b.AddTo(want);
      for (const OutcomeBucket& b : ent.outcome_hours)
        if (b.hour >= from && b.hour < to) b.AddTo(want);
      Counters got = ent.Sum({int64_t(from) * kHourMs, int64_t(to) * kHourMs});
      ASSERT_EQ(got.input, want.input) << from << ".." << to;
      ASSERT_EQ(got.requests, want.requests) << from << ".." << to;
      ASSERT_EQ(got.outcomes, want.outcomes) << from << ".." << to;
    }
  }
  ent.Prune(250);
  ASSERT_FALSE(ent.hours.empty());
  EXPECT_EQ(ent.hours.front().hour, 250);
  EXPECT_EQ(ent.outcome_hours.front().hour, 250);
}

// Boards are rebuilt from the rows of the snapshot they replace for the
// entities unchanged since: after rounds of updates to some users (new
// users, team moves, outcomes, an hour turning), every board equals the one
// a fresh engine builds from all the events at once.
TEST(Leaderboard, IncrementalRebuildEqualsAFullBuild) {
  FakeClock clock(T("2026-03-21T14:30:00Z"));
  EngineOptions o;
  o.board_refresh_ms = 0;
  Engine eng(o, clock);
  std::vector<model::Event> all;
  auto compare = [&] {
    Engine full(o, clock);
    full.Apply(all);
    for (Entity e : {Entity::kUser, Entity::kTeam, Entity::kOrg, Entity::kProject})
      for (Window w : {Window::k24h, Window::k7d, Window::kDay, Window::kAll})
        for (Metric m : {Metric::kTokens, Metric::kCost, Metric::kValue, Metric::kEfficiency}) {
          BoardQuery q;
          q.entity = e, q.window = w, q.metric = m, q.limit = 1000;
          Board a = *eng.Leaderboard(q), b = *full.Leaderboard(q);
          ASSERT_EQ(a.entries.size(), b.entries.size());
          ASSERT_EQ(a.total_entries, b.total_entries);
          for (size_t i = 0; i < a.entries.size(); ++i) {
            const BoardEntry &x = a.entries[i], &y = b.entries[i];
            ASSERT_EQ(x.id, y.id) << i;
            EXPECT_EQ(x.rank, y.rank);
            EXPECT_EQ(x.prev_rank, y.prev_rank);
            EXPECT_EQ(x.team, y.team);
            EXPECT_EQ(x.org, y.org);
            EXPECT_EQ(x.c.Total(), y.c.Total());
            EXPECT_EQ(x.c.cost_nanos, y.c.cost_nanos);
            EXPECT_EQ(x.c.outcomes, y.c.outcomes);
            EXPECT_EQ(x.c.value, y.c.value);
            EXPECT_EQ(x.source_tokens, y.source_tokens);
            EXPECT_EQ(x.efficiency, y.efficiency);
            EXPECT_EQ(x.percentile, y.percentile);
          }
        }
  };
  uint64_t seed = 7;
  auto rnd = [&](uint64_t n) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    return (seed >> 33) % n;
  };
  for (int round = 0; round < 6; ++round) {
    std::vector<model::Event> evs;
    int users = 40 + 30 * round;  // new users every round
    for (int i = 0; i < 60; ++i) {
      uint64_t u = rnd(uint64_t(users));
      // A few users move team in later rounds; the users new in a round
      // are in teams (and orgs) new in that round, so the snapshots' shared
      // team and org name tables must grow.
      std::string team = u < 40 ? "t" + std::to_string((u + (round > 2 && u % 7 == 0 ? 1 : 0)) % 9)
                                : "nt" + std::to_string(u / 30);
      TimeMs ts = clock.NowMs() - TimeMs(rnd(40)) * kHourMs;
      model::Event e = rnd(5) == 0 ? Outcome("u" + std::to_string(u), ts, double(rnd(4) + 1))
                                   : Use("u" + std::to_string(u), team, ts, int64_t(rnd(900) + 1));
      e.project = "p" + std::to_string(rnd(3));
      if (u >= 40) e.org = "org" + std::to_string(u / 30);
      evs.push_back(e);
    }
    eng.Apply(evs);
    all.insert(all.end(), evs.begin(), evs.end());
    compare();
    if (HasFatalFailure()) return;
    clock.Advance(round == 3 ? kHourMs : kMinuteMs);
  }
}

TEST(Leaderboard, ConcurrentApplyAndRead) {
  FakeClock clock(T("2026-03-21T14:30:00Z"));
  EngineOptions o;
  o.board_refresh_ms = 1;
  Engine eng(o, clock);
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < 2000; ++i) {
      eng.Apply(
          std::vector<model::Event>{Use("u" + std::to_string(i % 97), "t" + std::to_string(i % 5),
                                        T("2026-03-21T10:00:00Z") + i, 1)});
    }
    done = true;
  });
  std::thread refresher([&] {
    while (!done) {
      clock.Advance(1);
      eng.RefreshBoards();
    }
  });
  int reads = 0;
  do {
    for (Metric m : {Metric::kTokens, Metric::kCost, Metric::kRequests}) {
      BoardQuery q;
      q.metric = m;
      q.window = Window::k24h;
      auto b = eng.Leaderboard(q);
      ASSERT_TRUE(b.ok());
      int64_t prev = INT64_MAX;
      for (const auto& e : b->entries) {
        EXPECT_LE(e.c.Total(), prev);  // sorted within one snapshot
        if (m == Metric::kTokens) prev = e.c.Total();
      }
      ++reads;
    }
  } while (!done);
  writer.join();
  refresher.join();
  clock.Advance(10000);
  BoardQuery q;
  q.entity = Entity::kTeam;
  q.window = Window::k24h;
  int64_t total = 0;
  auto board = eng.Leaderboard(q);  // keep the Result alive through the loop
  for (const auto& e : board->entries) total += e.c.Total();
  EXPECT_EQ(total, 2000);
  EXPECT_GT(reads, 0);
}

// Trust by source: rows carry the tokens of each source class; a board of
// some classes ranks their usage only, while outcomes count whatever their
// source; all-time boards too.
TEST(LeaderboardSources, RowsSplitTokensBySourceAndBoardsRestrictToTrustedClasses) {
  FakeClock clock(T("2026-03-21T14:30:00Z"));
  EngineOptions o;
  o.board_refresh_ms = 0;
  Engine eng(o, clock);
  TimeMs t = T("2026-03-21T10:00:00Z");
  auto from = [&](std::string user, const char* source, int64_t tokens) {
    model::Event e = Use(std::move(user), "platform", t, tokens);
    e.source = source;
    return e;
  };
  std::vector<model::Event> evs = {
      from("gina", "gateway", 1000),
      from("gina", "claude_code", 50),
      from("gina", "gateway", 500),
      from("uma", "api", 9000),
      from("uma", "otlp", 100),
      from("lou", "codex", 4000),
      from("ned", "ndjson:gateway", 7000),  // a client claiming the gateway's name
  };
  evs.push_back(Outcome("uma", t, 3));
  evs.back().source = "api";
  eng.Apply(evs);
  EXPECT_EQ(SourceClassOf("ndjson:gateway"), SourceClass::kNdjson);
  EXPECT_EQ(SourceClassOf("gemini_cli"), SourceClass::kLogs);
  EXPECT_EQ(SourceClassOf("copilot"), SourceClass::kOtlp);

  for (Window w : {Window::k24h, Window::kAll}) {
    auto all = eng.Leaderboard({.window = w});
    ASSERT_TRUE(all.ok());
    ASSERT_EQ(all->entries.size(), 4u);
    EXPECT_EQ(all->entries[0].id, "uma");
    EXPECT_EQ(all->entries[0].source_tokens, (std::array<int64_t, 4>{0, 100, 0, 9000}));
    const BoardEntry* gina = nullptr;
    for (const auto& e : all->entries)
      if (e.id == "gina") gina = &e;
    ASSERT_NE(gina, nullptr);
    EXPECT_EQ(gina->source_tokens, (std::array<int64_t, 4>{1500, 0, 50, 0}));

    auto trusted = eng.Leaderboard({.window = w, .sources = *ParseSources("gateway,otlp")});
    ASSERT_TRUE(trusted.ok());
    ASSERT_EQ(trusted->entries.size(), 2u) << WindowName(w);
    EXPECT_EQ(trusted->entries[0].id, "gina");
    EXPECT_EQ(trusted->entries[0].c.Total(), 1500);
    EXPECT_EQ(trusted->entries[0].c.requests, 2);
    EXPECT_EQ(trusted->entries[1].id, "uma");
    EXPECT_EQ(trusted->entries[1].c.Total(), 100);
    EXPECT_EQ(trusted->entries[1].c.value, 3) << "outcomes count whatever their source";
    // The split is the whole window's, not the restricted board's.
    EXPECT_EQ(trusted->entries[1].source_tokens[3], 9000);

    auto logs = eng.Leaderboard({.window = w, .sources = *ParseSources("logs")});
    ASSERT_EQ(logs->entries.size(), 2u);
    EXPECT_EQ(logs->entries[0].id, "lou");
  }
  EXPECT_FALSE(ParseSources("gateway,bogus").ok());
  EXPECT_EQ(*ParseSources(""), kAllSources);
}

TEST(LeaderboardSources, SeveralClassesInOneHourStayOnePointOfTheSeries) {
  FakeClock clock(T("2026-03-21T14:30:00Z"));
  Engine eng({}, clock);
  std::vector<model::Event> evs;
  for (int h = 0; h < 10; ++h)
    for (int i = 0; i < 5; ++i) {
      evs.push_back(Use("solo", "t", T("2026-03-21T00:10:00Z") + h * kHourMs, 10));
      evs.back().source = "gateway";
      evs.push_back(Use("duo", "t", T("2026-03-21T00:10:00Z") + h * kHourMs, 10));
      evs.back().source = i % 2 ? "gateway" : "claude_code";
    }
  // Out of order: an hour in the middle, another class.
  evs.push_back(Use("duo", "t", T("2026-03-21T04:20:00Z"), 10));
  evs.back().source = "otlp";
  eng.Apply(evs);
  auto p = eng.Usage(Entity::kUser, "duo", {0, T("2026-03-22T00:00:00Z")}, Granularity::kHour);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->points.size(), 10u);  // one point an hour whatever the classes
  EXPECT_EQ(p->totals.Total(), 510);
  auto b = eng.Leaderboard({.window = Window::k24h, .sources = *ParseSources("otlp")});
  ASSERT_EQ(b->entries.size(), 1u);
  EXPECT_EQ(b->entries[0].c.Total(), 10);
  static_assert(sizeof(Bucket) == 48);
}

}  // namespace
}  // namespace burnrate::engine
