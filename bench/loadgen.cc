// burnrate-loadgen: end-to-end measurements that need a real server.
//
//   ingest:  the same events (a) appended straight to a fresh SQLite store in
//            batches (the raw durable append rate), then (b) posted as NDJSON
//            over loopback HTTP by concurrent clients to a real server (parse,
//            validate, dedup, group commit, engine). Prints both and the ratio.
//   board:   leaderboard p50/p99 over HTTP against a server holding N users.
//   restart: builds a database of N events, then times recovery from it.
//
// Everything runs in this process (server threads + client threads) over
// real sockets and real files; results go to stdout as one JSON line each.
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <thread>
#include <toml++/toml.h>

#include "app/app.h"
#include "engine/engine.h"
#include "http/client.h"
#include "ingest/ingest.h"
#include "sim/simulator.h"
#include "store/store.h"

using namespace burnrate;
using Clock_ = std::chrono::steady_clock;

static double Seconds(Clock_::time_point a, Clock_::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

static long MaxRssMb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024;
}

static std::vector<std::vector<model::Event>> MakeBatches(int users, int64_t events, size_t batch) {
  sim::SimOptions o;
  o.users = users;
  o.days = 30;
  o.seed = 42;
  o.end = SystemClock::Get().NowMs();
  sim::Simulator s(o);
  std::vector<std::vector<model::Event>> out(1);
  int64_t n = 0;
  // Generate whole days backwards from the end until enough events exist.
  for (int d = 1; d <= 30 && n < events; ++d) {
    s.Generate(o.end - d * kDayMs, o.end - (d - 1) * kDayMs, [&](model::Event&& e) {
      if (n >= events) return;
      if (out.back().size() >= batch) out.emplace_back();
      e.id += "-" + std::to_string(n);  // unique across repeated days
      out.back().push_back(std::move(e));
      ++n;
    });
  }
  return out;
}

// A realistic prompt of about 300 bytes, different for every event, so the
// features (zstd ratio, SimHash, exact hash) are computed for real.
static std::string PromptFor(int64_t n) {
  static const char* kVerbs[] = {"refactor", "fix", "explain", "add tests for", "speed up", "document"};
  static const char* kThings[] = {"the retry loop in the payment client", "the flaky integration test",
                                  "the SQL query behind the monthly report", "the websocket reconnect logic",
                                  "the feature flag parser", "the image resize worker"};
  return std::string("Please ") + kVerbs[n % 6] + " " + kThings[(n / 6) % 6] + " (ticket " + std::to_string(n) +
         "); keep the public API unchanged, follow the style guide, and explain any behaviour change in the "
         "commit message. Run the unit tests and the linter before you finish, and list what you changed.";
}

struct PostResult {
  double events_per_s = 0, p50_ms = 0, p99_ms = 0;
  int64_t accepted = 0;
};

// Posts every body to a fresh real server by `clients` concurrent clients.
// `prompt_features` false sets [detection] prompt_features = 0: prompt text
// is parsed and dropped (only its length kept), no features computed.
static Result<PostResult> PostAll(const std::vector<std::string>& bodies, int clients, const std::string& dir,
                                  bool prompt_features) {
  for (const char* f : {"/e2e.db", "/e2e.db-wal", "/e2e.db-shm"}) std::filesystem::remove(dir + f);
  app::Config cfg;
  cfg.db_path = dir + "/e2e.db";
  cfg.listen = "127.0.0.1:0";
  cfg.limits.retention_ms = 60 * kDayMs;
  if (!prompt_features) cfg.toml = std::make_shared<toml::table>(toml::parse("[detection]\nprompt_features = 0\n"));
  BR_ASSIGN_OR_RETURN(auto app, app::App::Open(cfg, SystemClock::Get()));
  BR_ASSIGN_OR_RETURN(std::string key, app::CreateApiKey(app->store(), "ingest", "loadgen", "", 0));
  BR_RETURN_IF_ERROR(app->Start());
  std::string url = "http://127.0.0.1:" + std::to_string(app->port());
  std::atomic<size_t> next{0};
  std::atomic<int64_t> accepted{0};
  std::vector<double> lat;
  std::mutex lat_mu;
  auto t0 = Clock_::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&] {
      auto created = http::Client::Create(url);
      auto client = std::move(*created);
      client->set_bearer(key);
      for (size_t i; (i = next++) < bodies.size();) {
        auto s = Clock_::now();
        auto r = client->Send("POST", "/v1/events", bodies[i], {{"Content-Type", "application/x-ndjson"}});
        double ms = Seconds(s, Clock_::now()) * 1000;
        if (!r.ok() || r->status != 200) {
          std::cerr << "post failed: " << (r.ok() ? r->body : r.status().ToString()) << "\n";
          continue;
        }
        size_t p = r->body.find("\"accepted\":");
        accepted += std::stoll(r->body.substr(p + 11));
        std::lock_guard lock(lat_mu);
        lat.push_back(ms);
      }
    });
  }
  for (auto& t : threads) t.join();
  double e2e_s = Seconds(t0, Clock_::now());
  app->Stop();
  std::sort(lat.begin(), lat.end());
  PostResult out;
  out.accepted = accepted;
  out.events_per_s = double(out.accepted) / e2e_s;
  out.p50_ms = lat.empty() ? 0 : lat[lat.size() / 2];
  out.p99_ms = lat.empty() ? 0 : lat[lat.size() * 99 / 100];
  return out;
}

// With --prompts the same bodies (prompt text on every event) are posted
// `repeat` times to each of two servers, alternating: text parsed and
// dropped, then features computed. The ratio of the best runs is the cost of
// the features alone (docs/PERFORMANCE.md, Detection).
static int Ingest(int64_t events, size_t batch, int clients, const std::string& dir, bool prompts, int repeat) {
  auto batches = MakeBatches(10000, events, batch);
  int64_t total = 0;
  for (auto& b : batches) total += int64_t(b.size());
  std::vector<std::string> bodies;
  for (auto& b : batches) {
    std::string body;
    for (auto& e : b) {
      std::string line = sim::Simulator::ToNdjson(e);
      if (prompts) {
        line.pop_back();
        line += ",\"prompt\":{\"text\":\"" + PromptFor(int64_t(bodies.size() * batch + body.size())) + "\"}}";
      }
      body += line + "\n";
    }
    bodies.push_back(std::move(body));
  }
  // (a) raw durable appends of the same rows.
  std::filesystem::remove(dir + "/raw.db");
  auto raw = store::OpenSqliteStore(dir + "/raw.db");
  if (!raw.ok()) return std::cerr << raw.status().ToString() << "\n", 1;
  auto t0 = Clock_::now();
  for (auto& b : batches) {
    Status st = (*raw)->Append(b);
    if (!st.ok()) return std::cerr << st.ToString() << "\n", 1;
  }
  double raw_rate = double(total) / Seconds(t0, Clock_::now());
  // (b) the real server over HTTP.
  double best[2] = {0, 0};
  std::vector<double> rates[2];
  bool all_accepted = true;
  for (int r = 0; r < repeat; ++r) {
    for (int features = prompts ? 0 : 1; features <= 1; ++features) {
      auto res = PostAll(bodies, clients, dir, features == 1);
      if (!res.ok()) return std::cerr << res.status().ToString() << "\n", 1;
      all_accepted = all_accepted && res->accepted == total;
      best[features] = std::max(best[features], res->events_per_s);
      rates[features].push_back(res->events_per_s);
      std::printf(
          "{\"bench\":\"ingest\",\"prompts\":%s,\"prompt_features\":%s,\"events\":%lld,\"batch\":%zu,"
          "\"clients\":%d,\"raw_sqlite_events_per_s\":%.0f,\"http_events_per_s\":%.0f,\"ratio\":%.3f,"
          "\"accepted\":%lld,\"request_p50_ms\":%.1f,\"request_p99_ms\":%.1f,\"max_rss_mb\":%ld}\n",
          prompts ? "true" : "false", features ? "true" : "false", (long long)total, batch, clients, raw_rate,
          res->events_per_s, res->events_per_s / raw_rate, (long long)res->accepted, res->p50_ms, res->p99_ms,
          MaxRssMb());
      std::fflush(stdout);
    }
  }
  if (prompts) {
    auto median = [](std::vector<double> v) {
      std::sort(v.begin(), v.end());
      return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
    };
    double m0 = median(rates[0]), m1 = median(rates[1]);
    // Each features run against the dropped run just before it: the pair
    // shares the machine's load of the moment.
    std::vector<double> cuts;
    for (size_t i = 0; i < rates[1].size(); ++i) cuts.push_back(1 - rates[1][i] / rates[0][i]);
    std::printf("{\"bench\":\"prompt_features_cost\",\"runs\":%d,\"best_dropped_events_per_s\":%.0f,"
                "\"best_features_events_per_s\":%.0f,\"throughput_cut_best\":%.3f,"
                "\"median_dropped_events_per_s\":%.0f,\"median_features_events_per_s\":%.0f,"
                "\"throughput_cut_median\":%.3f,\"throughput_cut_pairs_median\":%.3f}\n",
                repeat, best[0], best[1], 1 - best[1] / best[0], m0, m1, 1 - m1 / m0, median(cuts));
  }
  return all_accepted ? 0 : 1;
}

static int Board(int users, int queries, const std::string& dir) {
  for (const char* f : {"/board.db", "/board.db-wal", "/board.db-shm"}) std::filesystem::remove(dir + f);
  app::Config cfg;
  cfg.db_path = dir + "/board.db";
  cfg.listen = "127.0.0.1:0";
  auto app = app::App::Open(cfg, SystemClock::Get());
  if (!app.ok()) return std::cerr << app.status().ToString() << "\n", 1;
  auto key = app::CreateApiKey((*app)->store(), "viewer", "loadgen", "", 0);
  // Load the engine directly (the ingest path is measured above): 30 days of
  // hourly activity for every user.
  engine::Engine& eng = (*app)->engine();
  TimeMs now = SystemClock::Get().NowMs();
  std::vector<model::Event> chunk;
  for (int u = 0; u < users; ++u) {
    for (int h = 0; h < 30 * 24; h += 3) {
      model::Event e;
      e.user = "user" + std::to_string(u);
      e.team = "team" + std::to_string(u / 10);
      e.org = "org" + std::to_string(u / 10000);
      e.project = "p" + std::to_string(u % 50);
      e.model = "claude-sonnet-4-5";
      e.ts = now - h * kHourMs;
      e.tokens.input = 1000 + (u * 7919 + h * 104729) % 100000;
      e.tokens.output = 100 + (u * 31 + h) % 5000;
      e.cost_nanos = e.tokens.input * 3000;
      chunk.push_back(std::move(e));
    }
    if (chunk.size() > 100000) eng.Apply(chunk), chunk.clear();
  }
  eng.Apply(chunk);
  long rss = MaxRssMb();
  Status st = (*app)->Start();
  if (!st.ok()) return std::cerr << st.ToString() << "\n", 1;
  // In process, then over HTTP, on a fresh snapshot.
  engine::BoardQuery q;
  q.window = engine::Window::k30d;
  auto tb = Clock_::now();
  (void)eng.Leaderboard(q);
  double build_ms = Seconds(tb, Clock_::now()) * 1000;
  std::vector<double> inproc, overhttp;
  for (int i = 0; i < queries; ++i) {
    auto s = Clock_::now();
    auto b = eng.Leaderboard(q);
    inproc.push_back(Seconds(s, Clock_::now()) * 1e6);
  }
  auto created = http::Client::Create("http://127.0.0.1:" + std::to_string((*app)->port()));
  auto client = std::move(*created);
  client->set_bearer(*key);
  for (int i = 0; i < queries; ++i) {
    auto s = Clock_::now();
    auto r = client->Send("GET", "/v1/leaderboard?entity=user&window=30d&metric=tokens&limit=100");
    overhttp.push_back(Seconds(s, Clock_::now()) * 1e6);
    if (!r.ok() || r->status != 200) return std::cerr << "board query failed\n", 1;
  }
  (*app)->Stop();
  std::sort(inproc.begin(), inproc.end());
  std::sort(overhttp.begin(), overhttp.end());
  auto pct = [](const std::vector<double>& v, double p) { return v[size_t(double(v.size() - 1) * p)]; };
  std::printf(
      "{\"bench\":\"board\",\"users\":%d,\"window\":\"30d\",\"snapshot_build_ms\":%.1f,\"inproc_p50_us\":%.1f,"
      "\"inproc_p99_us\":%.1f,\"http_p50_us\":%.1f,\"http_p99_us\":%.1f,\"rss_after_load_mb\":%ld}\n",
      users, build_ms, pct(inproc, 0.5), pct(inproc, 0.99), pct(overhttp, 0.5), pct(overhttp, 0.99), rss);
  return 0;
}

static int Restart(int64_t events, const std::string& dir) {
  std::string path = dir + "/restart.db";
  if (!std::filesystem::exists(path)) {
    auto s = store::OpenSqliteStore(path, {.synchronous_full = false});
    if (!s.ok()) return std::cerr << s.status().ToString() << "\n", 1;
    int64_t n = 0;
    while (n < events) {
      auto batches = MakeBatches(100000, std::min<int64_t>(events - n, 1'000'000), 100000);
      for (auto& b : batches) {
        for (auto& e : b) e.id += "-r" + std::to_string(n), e.received = SystemClock::Get().NowMs(), e.team = "t", e.org = "o";
        (void)(*s)->Append(b);
        n += int64_t(b.size());
      }
      std::cerr << "\rbuilt " << n << " events" << std::flush;
    }
    std::cerr << "\n";
  }
  app::Config cfg;
  cfg.db_path = path;
  cfg.listen = "127.0.0.1:0";
  auto t0 = Clock_::now();
  auto app = app::App::Open(cfg, SystemClock::Get());
  if (!app.ok()) return std::cerr << app.status().ToString() << "\n", 1;
  Status st = (*app)->StartOffline();
  if (!st.ok()) return std::cerr << st.ToString() << "\n", 1;
  double s = Seconds(t0, Clock_::now());
  std::printf("{\"bench\":\"restart\",\"events\":%lld,\"recovery_s\":%.1f,\"max_rss_mb\":%ld}\n",
              (long long)(*app)->engine().events_applied(), s, MaxRssMb());
  (*app)->Stop();
  return 0;
}

int main(int argc, char** argv) {
  CLI::App cli{"burnrate end-to-end load generator"};
  std::string mode = "ingest", dir = "/tmp/burnrate-bench";
  int64_t events = 1'000'000;
  size_t batch = 10000;
  int clients = 8, users = 100000, queries = 2000;
  bool prompts = false;
  int repeat = 1;
  cli.add_option("--mode", mode, "ingest, board or restart");
  cli.add_option("--events", events);
  cli.add_option("--batch", batch);
  cli.add_option("--clients", clients);
  cli.add_option("--users", users);
  cli.add_option("--queries", queries);
  cli.add_option("--dir", dir);
  cli.add_flag("--prompts", prompts,
               "every event carries prompt text; posted to a server that drops it and to one that computes features");
  cli.add_option("--repeat", repeat, "ingest: alternating runs per variant (best is reported)");
  CLI11_PARSE(cli, argc, argv);
  std::filesystem::create_directories(dir);
  if (mode == "ingest") return Ingest(events, batch, clients, dir, prompts, repeat);
  if (mode == "board") return Board(users, queries, dir);
  if (mode == "restart") return Restart(events, dir);
  std::cerr << "unknown mode " << mode << "\n";
  return 2;
}
