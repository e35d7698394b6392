// In-process cost of a governance check (and settle), with latency
// percentiles. Run: ./build/govern_bench --benchmark_min_time=2
//
// The configuration is a realistic mix: a per-user monthly budget, a team
// monthly USD budget, an org weekly budget, a per-key rate limit (requests,
// tokens, concurrency) and an org quota split across projects, so a check
// touches 5 budgets, 2 buckets and 1 slot.
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <mutex>
#include <queue>
#include <unordered_map>
#include <vector>

#include "govern/govern.h"
#include "govern/redis_test_server.h"
#include "govern/reservation_table.h"

namespace burnrate::govern {
namespace {

constexpr const char* kConfig = R"(
[governance]
time_zone = "Europe/Berlin"
[[governance.budget]]
id = "user-month"
scope = "user"
limit_tokens = 1000000000000
[[governance.budget]]
id = "team-usd"
scope = "team"
limit_usd = 1000000000.0
[[governance.budget]]
id = "org-week"
scope = "org"
limit_tokens = 1000000000000
period = "week"
[[governance.rate_limit]]
id = "key-rate"
scope = "key"
requests_per_min = 1000000000
tokens_per_min = 1000000000000
max_concurrent = 100000
[governance.quota]
org = "acme"
limit_tokens = 1000000000000
[governance.quota.weights]
p0 = 1
p1 = 2
p2 = 3
)";

struct Env {
  Env() : clock(1773144000000), audit(nullptr, clock), gov(clock, audit, nullptr) {
    toml::table root = toml::parse(kConfig);
    if (!gov.Configure(root).ok()) std::abort();
  }
  FakeClock clock;
  AuditLog audit;
  Governor gov;
};

Env& TheEnv() {
  static Env* env = new Env();
  return *env;
}

CheckRequest Req(int i) {
  CheckRequest r;
  r.user = "user" + std::to_string(i % 500);
  r.team = "team" + std::to_string(i % 20);
  r.org = "acme";
  r.project = "p" + std::to_string(i % 3);
  r.key = "key" + std::to_string(i % 200);
  r.model = "claude-sonnet-4-5";
  r.estimated_tokens = 4000;
  r.estimated_cost_nanos = 20000000;
  return r;
}

void Percentiles(benchmark::State& state, std::vector<int64_t>& ns) {
  if (ns.empty()) return;
  std::sort(ns.begin(), ns.end());
  auto at = [&](double q) { return double(ns[std::min(ns.size() - 1, size_t(q * ns.size()))]); };
  state.counters["p50_ns"] = at(0.50);
  state.counters["p99_ns"] = at(0.99);
  state.counters["p999_ns"] = at(0.999);
}

// Check alone (reservations are settled outside the timed region).
void BM_Check(benchmark::State& state) {
  Env& env = TheEnv();
  std::vector<CheckRequest> reqs;
  for (int i = 0; i < 1000; ++i) reqs.push_back(Req(i + int(state.thread_index()) * 7919));
  std::vector<int64_t> ns;
  ns.reserve(1 << 20);
  SettleRequest s;
  s.tokens.output = 3000;
  size_t i = 0;
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    auto r = env.gov.Check(reqs[i++ % reqs.size()]);
    auto t1 = std::chrono::steady_clock::now();
    if (ns.size() < ns.capacity()) ns.push_back((t1 - t0).count());
    state.PauseTiming();
    s.reservation_id = r->reservation_id;
    (void)env.gov.Settle(s);
    state.ResumeTiming();
  }
  Percentiles(state, ns);
}
BENCHMARK(BM_Check)->Threads(1)->Threads(2)->UseRealTime();

// A full round trip: check then settle.
void BM_CheckAndSettle(benchmark::State& state) {
  Env& env = TheEnv();
  std::vector<CheckRequest> reqs;
  for (int i = 0; i < 1000; ++i) reqs.push_back(Req(i + int(state.thread_index()) * 7919));
  std::vector<int64_t> ns;
  ns.reserve(1 << 20);
  SettleRequest s;
  s.tokens.output = 3000;
  size_t i = 0;
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    auto r = env.gov.Check(reqs[i++ % reqs.size()]);
    s.reservation_id = r->reservation_id;
    (void)env.gov.Settle(s);
    auto t1 = std::chrono::steady_clock::now();
    if (ns.size() < ns.capacity()) ns.push_back((t1 - t0).count());
  }
  Percentiles(state, ns);
}
BENCHMARK(BM_CheckAndSettle)->Threads(1)->Threads(2)->UseRealTime();

// Checks that are never settled, as when clients crash or skip /v1/settle:
// 2.5 M reservations pile up (the TTL is 5 minutes and the fake clock does
// not move). Reports the worst single check and how many took over 1 ms:
// a stall here (growing the reservation tables under a shard lock) blocks
// an HTTP thread and shows up as p99 at the endpoint.
void BM_CheckUnsettled(benchmark::State& state) {
  FakeClock clock(1773144000000);
  AuditLog audit(nullptr, clock);
  Governor gov(clock, audit, nullptr);
  toml::table root = toml::parse(R"(
[[governance.budget]]
id = "team-month"
scope = "team"
limit_tokens = 1000000000000000
[[governance.rate_limit]]
id = "per-key"
scope = "key"
requests_per_min = 1000000000
max_concurrent = 100000000
)");
  if (!gov.Configure(root).ok()) std::abort();
  std::vector<CheckRequest> reqs;
  for (int i = 0; i < 1000; ++i) {
    CheckRequest r;
    r.user = "u" + std::to_string(i), r.team = "t" + std::to_string(i % 50), r.key = "k";
    r.model = "claude-sonnet-4-5", r.estimated_tokens = 4000;
    reqs.push_back(r);
  }
  std::vector<int64_t> ns;
  ns.reserve(3 << 20);
  size_t i = 0;
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    auto r = gov.Check(reqs[i++ % reqs.size()]);
    auto t1 = std::chrono::steady_clock::now();
    if (ns.size() < ns.capacity()) ns.push_back((t1 - t0).count());
    benchmark::DoNotOptimize(r);
  }
  state.counters["outstanding"] = double(gov.outstanding_reservations());
  state.counters["over_1ms"] =
      double(std::count_if(ns.begin(), ns.end(), [](int64_t v) { return v > 1000000; }));
  state.counters["max_ns"] = ns.empty() ? 0 : double(*std::max_element(ns.begin(), ns.end()));
  Percentiles(state, ns);
}
BENCHMARK(BM_CheckUnsettled)->Iterations(2500000)->Unit(benchmark::kMicrosecond);

// The same check through the Redis LimitStore (a real redis-server on
// loopback, started here): one EVALSHA round trip per check and per settle.
// Compare with BM_Check / BM_CheckAndSettle above (in-process store).
struct RedisEnv {
  RedisEnv() : clock(1773144000000), audit(nullptr, clock) {
    if (!server.ok()) std::abort();
    auto store = NewRedisLimitStore(server.url());
    if (!store.ok()) std::abort();
    gov = std::make_unique<Governor>(clock, audit, nullptr, std::move(*store));
    toml::table root = toml::parse(kConfig);
    if (!gov->Configure(root).ok()) std::abort();
  }
  testing::RedisTestServer server;
  FakeClock clock;
  AuditLog audit;
  std::unique_ptr<Governor> gov;
};

RedisEnv& TheRedisEnv() {
  static RedisEnv env;  // destroyed at exit, which stops the server
  return env;
}

// One check through Redis, then its settle: timed together (`settle_timed`)
// or the check alone.
void RedisCheck(benchmark::State& state, bool settle_timed) {
  Governor& gov = *TheRedisEnv().gov;
  std::vector<CheckRequest> reqs;
  for (int i = 0; i < 1000; ++i) reqs.push_back(Req(i + int(state.thread_index()) * 7919));
  std::vector<int64_t> ns;
  ns.reserve(1 << 20);
  SettleRequest s;
  s.tokens.output = 3000;
  size_t i = 0;
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    auto r = gov.Check(reqs[i++ % reqs.size()]);
    auto t1 = std::chrono::steady_clock::now();
    if (!r.ok() || r->decision != Decision::kAllow) {
      state.SkipWithError("check not allowed");
      break;
    }
    if (!settle_timed) state.PauseTiming();
    s.reservation_id = r->reservation_id;
    (void)gov.Settle(s);
    if (settle_timed)
      t1 = std::chrono::steady_clock::now();
    else
      state.ResumeTiming();
    if (ns.size() < ns.capacity()) ns.push_back((t1 - t0).count());
  }
  Percentiles(state, ns);
}
void BM_RedisCheck(benchmark::State& state) { RedisCheck(state, false); }
void BM_RedisCheckAndSettle(benchmark::State& state) { RedisCheck(state, true); }
BENCHMARK(BM_RedisCheck)->Threads(1)->Threads(4)->UseRealTime();
BENCHMARK(BM_RedisCheckAndSettle)->Threads(1)->Threads(4)->UseRealTime();

// The reservation table alone against the design it replaced (32 mutex
// shards of std::unordered_map<id string, reservation> plus an expiry heap),
// filling 2 M outstanding reservations: worst insert and inserts > 1 ms.
// The payload is the size of a real reservation (strings and a vector).
struct Payload {
  std::string model = "claude-sonnet-4-5", team = "team-17", key = "b|team-month|team-17";
  std::vector<int64_t> charges = {1, 2, 3};
};

struct MapTable {
  struct Shard {
    std::mutex mu;
    std::unordered_map<std::string, Payload> map;
    std::priority_queue<std::pair<TimeMs, std::string>, std::vector<std::pair<TimeMs, std::string>>,
                        std::greater<>>
        expiry;
  };
  std::array<Shard, 32> shards;
  uint64_t seq = 0;
  std::string Insert(Payload p, TimeMs expires) {
    std::string id = fmt::format("r{:016x}{:x}", 0x1234abcdULL, ++seq);
    Shard& s = shards[std::hash<std::string>()(id) % 32];
    std::lock_guard<std::mutex> l(s.mu);
    s.expiry.emplace(expires, id);
    s.map.emplace(id, std::move(p));
    return id;
  }
};

template <typename Table>
void BM_ReservationFill(benchmark::State& state) {
  for (auto _ : state) {
    auto table = std::make_unique<Table>();
    std::vector<int64_t> ns;
    ns.reserve(2000000);
    for (int i = 0; i < 2000000; ++i) {
      auto t0 = std::chrono::steady_clock::now();
      benchmark::DoNotOptimize(table->Insert(Payload{}, 1000 + i));
      ns.push_back((std::chrono::steady_clock::now() - t0).count());
    }
    state.counters["over_1ms"] =
        double(std::count_if(ns.begin(), ns.end(), [](int64_t v) { return v > 1000000; }));
    state.counters["max_ns"] = double(*std::max_element(ns.begin(), ns.end()));
    Percentiles(state, ns);
    state.PauseTiming();
    table.reset();
    state.ResumeTiming();
  }
}
struct SlabTable : ReservationTable<Payload> {
  SlabTable() : ReservationTable<Payload>(0x1234abcd) {}
};
BENCHMARK_TEMPLATE(BM_ReservationFill, MapTable)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_ReservationFill, SlabTable)->Iterations(1)->Unit(benchmark::kMillisecond);

// Ingested usage (OnUsage) per event.
void BM_OnUsage(benchmark::State& state) {
  Env& env = TheEnv();
  model::Event e;
  e.user = "user1", e.team = "team1", e.org = "acme", e.project = "p1", e.model = "m";
  e.tokens.input = 1000, e.cost_nanos = 1000;
  for (auto _ : state) env.gov.OnUsage(e);
}
BENCHMARK(BM_OnUsage);

void BM_WeightedMaxMin(benchmark::State& state) {
  std::vector<ShareClaim> claims;
  for (int i = 0; i < state.range(0); ++i)
    claims.push_back({"p" + std::to_string(i), 1.0 + i % 5, 1000 * (i % 17)});
  for (auto _ : state) benchmark::DoNotOptimize(WeightedMaxMin(100000, claims));
}
BENCHMARK(BM_WeightedMaxMin)->Arg(10)->Arg(100);

}  // namespace
}  // namespace burnrate::govern

BENCHMARK_MAIN();
