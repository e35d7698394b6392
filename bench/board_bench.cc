// Leaderboards, profiles, badges and SSE fan-out at 100,000 users.
//
// The fixture fills one engine with 100,000 users in 10,000 teams and 10
// orgs: each user active 2 hours on each of 10 days of the last 30, with a
// session per day, and 30% of users with outcomes (2.6 million events).
//   BM_BoardQuery/<metric>/<window>  a board page (100 rows) from a warm snapshot
//   BM_BoardRebuild/<window>         one snapshot rebuild after new data
//   BM_Profile                       a user profile: 7 windows x 4 ranks
//   BM_BadgeEvaluate                 every default rule (pure evaluation)
//   BM_BadgeServiceEvaluate          the same, persisted to SQLite (steady state)
//   BM_SseFanout/<subscribers>       the ticker's per-change work: one board
//                                    page as JSON, framed and queued per
//                                    subscriber (socket writes excluded)
#include <benchmark/benchmark.h>

#include <filesystem>
#include <random>

#include "badges/badges.h"
#include "common/json_writer.h"
#include "engine/engine.h"
#include "store/sqlite/sqlite_stores.h"

namespace {

using namespace burnrate;

constexpr int kUsers = 100'000;
constexpr TimeMs kNow = 1'780'000'000'000;  // a fixed "now"

struct World {
  FakeClock clock{kNow};
  std::unique_ptr<engine::Engine> eng;
  World() {
    engine::EngineOptions o;
    o.board_refresh_ms = 250;
    eng = std::make_unique<engine::Engine>(o, clock);
    std::mt19937_64 rng(42);
    std::vector<model::Event> batch;
    int64_t id = 0;
    for (int u = 0; u < kUsers; ++u) {
      std::string user = "user" + std::to_string(u), team = "team" + std::to_string(u / 10);
      std::string org = "org" + std::to_string(u % 10);
      for (int d = 0; d < 10; ++d) {
        TimeMs day = kNow - int64_t(rng() % 30) * kDayMs - 2 * kHourMs;
        for (int h = 0; h < 2; ++h) {
          model::Event e;
          e.id = std::to_string(++id);
          e.user = user, e.team = team, e.org = org,
          e.model = (u % 3) ? "claude-sonnet-4-5" : "claude-opus-4-1";
          e.session = "s" + std::to_string(d);
          e.ts = day + h * kHourMs;
          e.tokens.input = int64_t(rng() % 200'000), e.tokens.output = int64_t(rng() % 20'000);
          e.cost_nanos = e.tokens.Total() * 3000;
          batch.push_back(std::move(e));
        }
        if (u % 10 < 3) {
          model::Event o = batch.back();
          o.id += "o", o.type = model::EventType::kOutcome,
                       o.outcome_kind = (d % 2) ? "commit" : "edit_accepted";
          o.outcome_value = 1 + double(rng() % 3);
          batch.push_back(std::move(o));
        }
      }
      if (batch.size() > 100'000) eng->Apply(batch), batch.clear();
    }
    eng->Apply(batch);
  }
};

World& W() {
  static World w;
  return w;
}

// Runs first: builds the world (2.6M events applied to the engine).
void BM_BuildWorld(benchmark::State& st) {
  for (auto _ : st) benchmark::DoNotOptimize(&W());
  st.counters["users"] = double(W().eng->entity_count(engine::Entity::kUser));
}
BENCHMARK(BM_BuildWorld)->Iterations(1)->Unit(benchmark::kMillisecond);

void BM_BoardQuery(benchmark::State& st) {
  engine::BoardQuery q;
  q.metric = engine::Metric(st.range(0));
  q.window = engine::Window(st.range(1));
  q.limit = 100;
  (void)W().eng->Leaderboard(q);  // warm: build the snapshot and the order
  for (auto _ : st) benchmark::DoNotOptimize(W().eng->Leaderboard(q));
  st.SetLabel(std::string(engine::MetricName(q.metric)) + "/" + engine::WindowName(q.window));
}
BENCHMARK(BM_BoardQuery)
    ->ArgsProduct({{0, 1, 2, 3, 4, 5}, {0, 1, 2, 3, 4, 5, 6}})
    ->Unit(benchmark::kMicrosecond);

void BM_BoardRebuild(benchmark::State& st) {
  engine::BoardQuery q;
  q.window = engine::Window(st.range(0));
  q.limit = 100;
  model::Event e;
  e.id = "x", e.user = "user1", e.team = "team0", e.org = "org1", e.model = "m", e.ts = kNow,
  e.cost_nanos = 0;
  e.tokens.input = 1;
  for (auto _ : st) {
    W().eng->Apply(std::span<const model::Event>(&e, 1));
    W().clock.Advance(3 * kSecondMs);  // past 10 refresh periods: the read rebuilds
    benchmark::DoNotOptimize(W().eng->Leaderboard(q));
  }
  W().clock.Set(kNow);
  st.SetLabel(engine::WindowName(q.window));
}
BENCHMARK(BM_BoardRebuild)->DenseRange(0, 6)->Unit(benchmark::kMillisecond);

void BM_Profile(benchmark::State& st) {
  for (engine::Window w : engine::kAllWindows) {  // warm snapshots, as a served board would be
    engine::BoardQuery q;
    q.window = w;
    (void)W().eng->Leaderboard(q);
  }
  static constexpr engine::Metric kRanked[] = {engine::Metric::kTokens, engine::Metric::kValue,
                                               engine::Metric::kEfficiency,
                                               engine::Metric::kHonest};
  for (auto _ : st) {
    auto p = W().eng->GetProfile(engine::Entity::kUser, "user4242");
    for (engine::Window w : engine::kAllWindows)
      benchmark::DoNotOptimize(W().eng->Ranks(engine::Entity::kUser, w, "user4242", kRanked));
    benchmark::DoNotOptimize(p);
  }
}
BENCHMARK(BM_Profile)->Unit(benchmark::kMicrosecond);

void BM_BadgeEvaluate(benchmark::State& st) {
  auto rules = badges::DefaultRules();
  int64_t awards = 0;
  for (auto _ : st) {
    awards = 0;
    badges::BoardCache boards;
    for (const auto& r : rules)
      awards += int64_t(badges::EvaluateRule(r, *W().eng, W().clock.NowMs(), &boards).size());
  }
  st.counters["awards"] = double(awards);
  st.counters["rules"] = double(rules.size());
}
BENCHMARK(BM_BadgeEvaluate)->Unit(benchmark::kMillisecond);

void BM_BadgeServiceEvaluate(benchmark::State& st) {
  std::string db = (std::filesystem::temp_directory_path() / "board_bench_badges.db").string();
  for (const char* ext : {"", "-wal", "-shm"}) std::filesystem::remove(db + ext);
  auto svc = badges::BadgeService::Open(store::OpenSqliteBadgeStore(db).value(),
                                        badges::DefaultRules(), *W().eng, W().clock)
                 .value();
  (void)svc->Evaluate();  // first pass writes every award; steady state writes what moved
  for (auto _ : st) benchmark::DoNotOptimize(svc->Evaluate());
  st.counters["awards_written_first_pass"] = double(svc->stats().awarded_new);
  svc.reset();
  for (const char* ext : {"", "-wal", "-shm"}) std::filesystem::remove(db + ext);
}
BENCHMARK(BM_BadgeServiceEvaluate)->Unit(benchmark::kMillisecond);

void BM_RankSnapshotWrite(benchmark::State& st) {
  std::string db = (std::filesystem::temp_directory_path() / "board_bench_ranks.db").string();
  for (const char* ext : {"", "-wal", "-shm"}) std::filesystem::remove(db + ext);
  auto svc =
      badges::BadgeService::Open(store::OpenSqliteBadgeStore(db).value(), {}, *W().eng, W().clock)
          .value();
  for (auto _ : st) benchmark::DoNotOptimize(svc->SnapshotRanks());
  svc.reset();
  for (const char* ext : {"", "-wal", "-shm"}) std::filesystem::remove(db + ext);
}
BENCHMARK(BM_RankSnapshotWrite)->Unit(benchmark::kMillisecond)->Iterations(3);

// What the ticker does per board change: format the page once, then frame
// and queue it for every subscriber (the server copies the frame into each
// connection's queue the same way).
void BM_SseFanout(benchmark::State& st) {
  size_t subscribers = size_t(st.range(0));
  std::vector<std::string> queues(subscribers);
  engine::BoardQuery q;
  q.window = engine::Window::k24h;
  q.limit = 20;
  for (auto _ : st) {
    auto b = W().eng->Leaderboard(q);
    JsonWriter w;
    w.BeginObject().Key("version").Uint(b->version).Key("entries").BeginArray();
    for (const auto& e : b->entries) {
      w.BeginObject().Key("rank").Int(e.rank).Key("id").String(e.id).Key("team").String(e.team);
      w.Key("total_tokens")
          .Int(e.c.Total())
          .Key("cost_nanos")
          .Int(e.c.cost_nanos)
          .Key("value")
          .Double(e.c.value);
      w.Key("percentile").Double(e.percentile).EndObject();
    }
    w.EndArray().EndObject();
    std::string data = w.Take();
    for (auto& qu : queues) {
      qu.clear();
      qu.append("event: leaderboard\ndata: ").append(data).append("\n\n");
    }
    benchmark::DoNotOptimize(queues.data());
  }
  st.counters["per_subscriber_ns"] =
      benchmark::Counter(double(subscribers), benchmark::Counter::kIsIterationInvariantRate |
                                                  benchmark::Counter::kInvert);
}
BENCHMARK(BM_SseFanout)->Arg(200)->Arg(1000)->Arg(10000)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
