// What a distinct user costs on the ingest path: one 10,000-event request
// through the whole Ingestor of a real App (parse, enrich, dedup, durable
// commit, engine, governance and detection listeners), with the events
// spread over 100 users, over 10,000 users already known, and over 10,000
// users never seen before. The differences, divided by the users, are the
// per-distinct-user and per-new-user costs (docs/PERFORMANCE.md, "Per user").
//
// BM_OrgStream: an organisation's interleaved stream (85,000 users of
// Zipf-like activity, ~900 teams, a model mix, time order over 24 hours)
// through the same Ingestor without HTTP or parsing (SubmitEvents, batches of
// 10,000): 500,000 events to meet the users, then 500,000 timed. Reports
// the CPU per event of the committer (dedup, event block, SQLite) and of
// the applier (engine, governance, detection) from /proc/self/task, the two
// threads whose per-event cost is out-of-cache lookups.
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <random>
#include <sstream>

#include "app/app.h"
#include "common/clock.h"
#include "ingest/ingest.h"
#include "thread_cpu.h"

using namespace burnrate;

namespace {

constexpr int kEvents = 10000;

// A 10,000-event NDJSON body: event i belongs to user prefix + (i % users),
// of team (user / 10), within the last hour; ids unique by `round`.
std::string Body(const std::string& prefix, int users, int64_t round, TimeMs now) {
  std::string body;
  for (int i = 0; i < kEvents; ++i) {
    int u = i % users;
    body += fmt::format(
        "{{\"id\":\"r{}-{}\",\"ts\":{},\"user\":\"{}{}\",\"team\":\"team{}\",\"model\":\"claude-"
        "sonnet-4-5\","
        "\"session\":\"s{}\",\"input_tokens\":{},\"output_tokens\":{}}}\n",
        round, i, now - (i % 3600) * 1000, prefix, u, u / 10, u, 1000 + i, 100 + i % 500);
  }
  return body;
}

// CPU seconds of every thread of this process so far: the request's work
// runs on the ingestor's threads, and on a shared machine the wall time
// also counts waiting for a core.
double ProcessCpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto secs = [](const timeval& t) { return double(t.tv_sec) + double(t.tv_usec) / 1e6; };
  return secs(ru.ru_utime) + secs(ru.ru_stime);
}

struct Server {
  std::string dir = "/tmp/burnrate-apply-bench";
  std::unique_ptr<app::App> app;
  Server() {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    app::Config cfg;
    cfg.db_path = dir + "/apply.db";
    app = std::move(*app::App::Open(cfg, SystemClock::Get()));
    (void)app->StartOffline();
  }
  ~Server() {
    app->Stop();
    app.reset();
    std::filesystem::remove_all(dir);
  }
  int64_t Post(std::string body) {
    std::promise<Result<ingest::IngestResult>> done;
    auto f = done.get_future();
    app->ingestor().SubmitBody(
        std::move(body), ingest::Encoding::kIdentity, 1 << 30,
        [&](Result<ingest::IngestResult> r) { done.set_value(std::move(r)); });
    auto r = f.get();
    return r.ok() ? r->accepted : -1;
  }
};

// range(0): distinct users in the request; range(1): 1 = every request has
// users never seen before, 0 = the same users, posted once before timing.
void BM_RequestUsers(benchmark::State& state) {
  int users = int(state.range(0));
  bool fresh = state.range(1) != 0;
  Server s;
  TimeMs now = SystemClock::Get().NowMs();
  int64_t round = 0;
  if (!fresh) s.Post(Body("known", users, round++, now));
  double cpu = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::string prefix = fresh ? "new" + std::to_string(round) + "-" : "known";
    std::string body = Body(prefix, users, round++, now);
    double cpu0 = ProcessCpuSeconds();
    state.ResumeTiming();
    if (s.Post(std::move(body)) != kEvents) state.SkipWithError("events not accepted");
    cpu += ProcessCpuSeconds() - cpu0;
  }
  state.SetItemsProcessed(state.iterations() * kEvents);
  // The figure to compare across cases: CPU of all threads per request.
  state.counters["cpu_ms_per_request"] = cpu * 1e3 / double(state.iterations());
}
BENCHMARK(BM_RequestUsers)
    ->Args({100, 0})
    ->Args({10000, 0})
    ->Args({10000, 1})
    ->ArgNames({"users", "new"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

using bench::ThreadCpu;

// `n` events of an organisation's day, in time order, users drawn with
// weight 1/rank^1.07 from `users`.
std::vector<model::Event> OrgEvents(int users, int n, TimeMs now) {
  std::vector<double> cdf(static_cast<size_t>(users));
  double sum = 0;
  for (int r = 0; r < users; ++r) cdf[size_t(r)] = sum += 1.0 / std::pow(r + 1, 1.07);
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> u01(0, 1);
  static const char* kModels[] = {"claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-1",
                                  "gpt-5"};
  std::vector<model::Event> out(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    model::Event& e = out[size_t(i)];
    int r = int(std::lower_bound(cdf.begin(), cdf.end(), u01(rng) * sum) - cdf.begin());
    double m = u01(rng);
    e.id = fmt::format("org-{}", i);
    e.user = fmt::format("user{:05d}@example.com", r);
    e.team = fmt::format("team{:03d}", r % 900);
    e.project = fmt::format("proj{:03d}-{}", r % 900, r % 3);
    e.model = kModels[m < 0.6 ? 0 : m < 0.8 ? 1 : m < 0.95 ? 2 : 3];
    e.session = fmt::format("s{}", r);
    e.ts = now - kDayMs + TimeMs(double(kDayMs) * i / n);
    e.tokens.input = 200 + i % 3000, e.tokens.output = 50 + i % 900;
    e.tokens.cache_read = i % 7 == 0 ? 20000 : 0;
  }
  return out;
}

void BM_OrgStream(benchmark::State& state) {
  constexpr int kUsers = 85000, kHalf = 500000, kBatch = 10000;
  Server s;
  std::vector<model::Event> all = OrgEvents(kUsers, 2 * kHalf, SystemClock::Get().NowMs());
  auto submit = [&](int from, int to) {
    for (int b = from; b < to; b += kBatch) {
      std::vector<model::Event> batch(all.begin() + b, all.begin() + std::min(to, b + kBatch));
      auto r = s.app->ingestor().IngestSync(std::move(batch));
      if (!r.ok() || r->accepted != std::min(to, b + kBatch) - b)
        state.SkipWithError("events not accepted");
    }
    s.app->ingestor().WaitApplied();
  };
  submit(0, kHalf);  // meet the users
  std::map<std::string, double> cpu0, cpu1;
  for (auto _ : state) {
    cpu0 = ThreadCpu();
    submit(kHalf, 2 * kHalf);
    cpu1 = ThreadCpu();
  }
  for (const char* t : {"br-applier", "br-committer"})
    state.counters[std::string(t) + "_us_per_event"] = (cpu1[t] - cpu0[t]) * 1e6 / kHalf;
  state.SetItemsProcessed(kHalf);
}
BENCHMARK(BM_OrgStream)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
