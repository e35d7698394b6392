// What a distinct user costs on the ingest path: one 10,000-event request
// through the whole Ingestor of a real App (parse, enrich, dedup, durable
// commit, engine, governance and detection listeners), with the events
// spread over 100 users, over 10,000 users already known, and over 10,000
// users never seen before. The differences, divided by the users, are the
// per-distinct-user and per-new-user costs (docs/PERFORMANCE.md, "Per user").
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <sys/resource.h>

#include <filesystem>
#include <future>

#include "app/app.h"
#include "common/clock.h"
#include "ingest/ingest.h"

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

}  // namespace

BENCHMARK_MAIN();
