// Throughput and latency of POST /v1/check over real HTTP on 127.0.0.1:
// the lead's Beast server with the Governor's routes, keep-alive clients
// (one http::Client per benchmark thread). Each iteration is a check; one in
// eight is followed by a settle so reservations stay few.
// Run: ./build/govern_http_bench --benchmark_min_time=3
#include <benchmark/benchmark.h>
#include <toml++/toml.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "govern/govern.h"
#include "http/client.h"
#include "http/http.h"

namespace burnrate::govern {
namespace {

constexpr const char* kConfig = R"(
[[governance.budget]]
id = "user-month"
scope = "user"
limit_tokens = 1000000000000
[[governance.budget]]
id = "team-month"
scope = "team"
limit_tokens = 1000000000000
[[governance.rate_limit]]
id = "key-rate"
scope = "key"
requests_per_min = 1000000000
max_concurrent = 100000
)";

struct Env {
  Env() : audit(nullptr, SystemClock::Get()), gov(SystemClock::Get(), audit, nullptr) {
    toml::table root = toml::parse(kConfig);
    if (!gov.Configure(root).ok()) std::abort();
    gov.RegisterRoutes(router);
    router.SetAuthenticator([](std::string_view) -> Result<std::pair<http::Role, std::string>> {
      return std::pair{http::Role::kIngest, std::string("bench")};
    });
    http::ServerOptions o;
    o.port = 0;
    o.threads = 2;
    server = std::make_unique<http::Server>(o, router);
    if (!server->Start().ok()) std::abort();
  }
  AuditLog audit;
  Governor gov;
  http::Router router;
  std::unique_ptr<http::Server> server;
};

Env& TheEnv() {
  static Env* env = new Env();
  return *env;
}

void BM_HttpCheck(benchmark::State& state) {
  Env& env = TheEnv();
  auto c = http::Client::Create("http://127.0.0.1:" + std::to_string(env.server->port()));
  if (!c.ok()) {
    state.SkipWithError("client");
    return;
  }
  (*c)->set_bearer("k");
  std::vector<int64_t> ns;
  ns.reserve(1 << 20);
  std::string body =
      R"({"user":"u)" + std::to_string(state.thread_index()) +
      R"(","team":"t1","key":"k1","model":"claude-sonnet-4-5","estimated_tokens":4000})";
  int i = 0;
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    auto r = (*c)->Send("POST", "/v1/check", body);
    auto t1 = std::chrono::steady_clock::now();
    if (!r.ok() || r->status != 200) {
      state.SkipWithError("check failed");
      return;
    }
    if (ns.size() < ns.capacity()) ns.push_back((t1 - t0).count());
    if (++i % 8 == 0) {
      size_t at = r->body.find("\"reservation_id\":\"") + 18;
      std::string id = r->body.substr(at, r->body.find('"', at) - at);
      (void)(*c)->Send("POST", "/v1/settle",
                       R"({"reservation_id":")" + id + R"(","tokens":{"output":10}})");
    }
  }
  state.SetItemsProcessed(state.iterations());
  std::sort(ns.begin(), ns.end());
  if (!ns.empty()) {
    state.counters["p50_us"] = ns[ns.size() / 2] / 1e3;
    state.counters["p99_us"] = ns[std::min(ns.size() - 1, ns.size() * 99 / 100)] / 1e3;
  }
}
BENCHMARK(BM_HttpCheck)->Threads(1)->Threads(4)->Threads(8)->UseRealTime();

}  // namespace
}  // namespace burnrate::govern

BENCHMARK_MAIN();
