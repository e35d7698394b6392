// burnrate-loadgen: end-to-end measurements that need a real server.
//
//   ingest:  the same events (a) inserted straight into a fresh SQLite file,
//            one row per event, in batch-sized transactions with
//            synchronous=FULL (the raw durable append rate of the rows; the
//            baseline of the ratio), (a') appended through the store
//            (event blocks), then (b) posted as NDJSON over loopback HTTP by
//            concurrent clients to a real server (parse, validate, dedup,
//            group commit, engine). Prints all three and the ratio b/a, and
//            the CPU time per event of the server's threads (by name) and of
//            the whole process (clients included) during (b): on a shared
//            machine the rate depends on the load, the CPU cost much less.
//            --org replaces the uniform stream (10,000 simulated users, one
//            day after another) with an organisation's day: 85,000 users
//            of Zipf-like activity in ~900 teams, projects per team, a
//            model mix, prompt text on a fraction of events, events spread
//            over the last 24 hours and interleaved across users in time
//            order, as a gateway delivers them (MakeOrgBatches).
//            --targets URL,URL --key K posts the same bodies to servers
//            already running instead (several nodes on one PostgreSQL:
//            scripts/bench-cluster.sh) and prints only the total rate.
//   board:   leaderboard p50/p99 over HTTP against a server holding N users.
//   restart: builds a database of N events, then times recovery from it.
//   org-day: a Meta-sized day (40 M events, 2 T tokens, 85,000 users) through
//            the real HTTP path, then checks boards and budgets
//            (bench/loadgen_org_day.cc).
//
// Everything runs in this process (server threads + client threads) over
// real sockets and real files; results go to stdout as one JSON line each.
#include <sqlite3.h>
#include <sys/resource.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>
#include <unordered_set>

#include "app/app.h"
#include "common/thread_priority.h"
#include "engine/engine.h"
#include "http/client.h"
#include "ingest/ingest.h"
#include "loadgen_org_day.h"
#include "loadgen_prompt.h"
#include "sim/simulator.h"
#include "store/store.h"
#include "thread_cpu.h"

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

using bench::ThreadCpu;

static double LoadAverage() {
  double l[1] = {0};
  return getloadavg(l, 1) == 1 ? l[0] : -1;
}

static double ProcessCpuSeconds() {  // every thread, ended ones included
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto secs = [](const timeval& t) { return double(t.tv_sec) + double(t.tv_usec) / 1e6; };
  return secs(ru.ru_utime) + secs(ru.ru_stime);
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

// An organisation's day (issue #14): `users` users (85,000 for the seed's
// organisation) in users/94 teams (~900), each team with 1-4 projects.
// Activity is Zipf-like (weight 1/rank^1.07, rank = user index + 1): the
// top user sends a few thousand times the median's events. Each event is
// a request of one model of a mix (60% sonnet, 20% haiku, 15% opus, 5%
// gpt-5) with cache reads, in a session of its user's two-hour slot
// (Ingest gives every kOrgPromptEvery-th event prompt text). Times are uniform over the
// 24 hours before `end`, and the whole stream is in time order, so users
// interleave as a gateway firehose delivers them.
constexpr int kOrgPromptEvery = 10;  // org mode: one event in ten carries prompt text

static std::vector<std::vector<model::Event>> MakeOrgBatches(int users, int64_t events,
                                                             size_t batch, TimeMs end,
                                                             uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<double> cum(static_cast<size_t>(users));
  double total = 0;
  for (int i = 0; i < users; ++i) cum[size_t(i)] = total += 1.0 / std::pow(double(i + 1), 1.07);
  std::uniform_real_distribution<double> uni(0, 1);
  struct ModelMix {
    const char* name;
    double share;
  };
  static const ModelMix kModels[] = {{"claude-sonnet-4-5", 0.60},
                                     {"claude-haiku-4-5", 0.20},
                                     {"claude-opus-4-1", 0.15},
                                     {"gpt-5", 0.05}};
  int teams = std::max(1, users / 94);
  std::vector<std::pair<TimeMs, model::Event>> all;
  all.reserve(size_t(events));
  for (int64_t n = 0; n < events; ++n) {
    int u = int(std::lower_bound(cum.begin(), cum.end(), uni(rng) * total) - cum.begin());
    u = std::min(u, users - 1);
    model::Event e;
    e.id = "org-" + std::to_string(seed) + "-" + std::to_string(n);
    e.user = "user" + std::to_string(u);
    int team = int((uint64_t(u) * 2654435761u) % uint64_t(teams));  // ranks spread over teams
    e.team = "team" + std::to_string(team);
    e.org = "org";
    e.project = "team" + std::to_string(team) + "-p" + std::to_string(u % (1 + team % 4));
    e.source = "claude_code";
    e.ts = end - kDayMs + TimeMs(uni(rng) * double(kDayMs - kSecondMs));
    e.session = e.user + "-s" + std::to_string((e.ts / kHourMs) / 2);
    double m = uni(rng);
    for (const ModelMix& mm : kModels) {
      e.model = mm.name;
      if ((m -= mm.share) < 0) break;
    }
    e.tokens.input = 200 + int64_t(uni(rng) * 6000);
    e.tokens.output = 50 + int64_t(uni(rng) * 2500);
    e.tokens.cache_read = int64_t(uni(rng) * 120000);
    e.tokens.cache_write = uni(rng) < 0.2 ? int64_t(uni(rng) * 20000) : 0;
    e.cost_nanos = -1;  // priced by the server
    all.emplace_back(e.ts, std::move(e));
  }
  std::stable_sort(all.begin(), all.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::vector<model::Event>> out(1);
  for (auto& [ts, e] : all) {
    if (out.back().size() >= batch) out.emplace_back();
    out.back().push_back(std::move(e));
  }
  return out;
}

// The baseline: every event as one row of a rowid table (26 columns, no
// index), prepared statement, one synced WAL transaction per batch: as fast
// as row-per-event SQLite appends get.
static Result<double> RawRowAppends(const std::string& path,
                                    const std::vector<std::vector<model::Event>>& batches) {
  for (const char* f : {"", "-wal", "-shm"}) std::filesystem::remove(path + f);
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) return Status::IOError("cannot open " + path);
  auto exec = [&](const char* sql) {
    return sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK;
  };
  bool ok =
      exec("PRAGMA journal_mode=WAL") && exec("PRAGMA synchronous=FULL") &&
      exec("PRAGMA cache_size=-65536") &&
      exec(
          "CREATE TABLE events (seq INTEGER PRIMARY KEY, id TEXT NOT NULL, fp INTEGER NOT NULL, "
          "type INTEGER NOT NULL, ts INTEGER NOT NULL, received INTEGER NOT NULL, user TEXT, team "
          "TEXT, "
          "org TEXT, project TEXT, source TEXT, session TEXT, client TEXT, model TEXT, input "
          "INTEGER, "
          "output INTEGER, cache_read INTEGER, cache_write INTEGER, cache_write_1h INTEGER, "
          "cost_nanos INTEGER, requests INTEGER, outcome_kind TEXT, outcome_value REAL, p_len "
          "INTEGER, "
          "p_ratio REAL, p_simhash INTEGER, p_exact INTEGER)");
  sqlite3_stmt* s = nullptr;
  ok = ok &&
       sqlite3_prepare_v2(
           db,
           "INSERT INTO events VALUES (NULL,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
           -1, &s, nullptr) == SQLITE_OK;
  auto t0 = Clock_::now();
  int64_t n = 0;
  for (size_t b = 0; ok && b < batches.size(); ++b) {
    ok = exec("BEGIN");
    for (const model::Event& e : batches[b]) {
      int i = 1;
      auto text = [&](const std::string& v) {
        sqlite3_bind_text(s, i++, v.data(), int(v.size()), SQLITE_STATIC);
      };
      auto num = [&](int64_t v) { sqlite3_bind_int64(s, i++, v); };
      text(e.id), num(int64_t(model::EventFingerprint(e))), num(int(e.type)), num(e.ts),
          num(e.received);
      text(e.user), text(e.team), text(e.org), text(e.project), text(e.source), text(e.session),
          text(e.client);
      text(e.model), num(e.tokens.input), num(e.tokens.output), num(e.tokens.cache_read),
          num(e.tokens.cache_write);
      num(e.tokens.cache_write_1h), num(e.cost_nanos), num(e.requests), text(e.outcome_kind);
      sqlite3_bind_double(s, i++, e.outcome_value);
      num(e.prompt.present ? int64_t(e.prompt.length) : -1);
      sqlite3_bind_double(s, i++, e.prompt.compress_ratio);
      num(int64_t(e.prompt.simhash)), num(int64_t(e.prompt.exact_hash));
      ok = ok && sqlite3_step(s) == SQLITE_DONE;
      sqlite3_reset(s);
      ++n;
    }
    ok = ok && exec("COMMIT");
  }
  double secs = Seconds(t0, Clock_::now());
  std::string err = sqlite3_errmsg(db);
  sqlite3_finalize(s);
  sqlite3_close(db);
  if (!ok) return Status::IOError("raw sqlite appends: " + err);
  return double(n) / secs;
}

struct PostResult {
  double events_per_s = 0, p50_ms = 0, p99_ms = 0;
  int64_t accepted = 0;
  // Leaderboard reads by one reader during the ingest (issue #14: p99 < 1 ms).
  int64_t board_reads = 0;
  double board_p50_ms = 0, board_p99_ms = 0, board_max_ms = 0;
  // The same query in process (Engine::Leaderboard, no HTTP, no client),
  // right after each HTTP read: what the engine itself costs a reader.
  double board_inproc_p50_ms = 0, board_inproc_p99_ms = 0, board_inproc_max_ms = 0;
  double server_cpu_us = 0, process_cpu_us = 0;  // per accepted event
  std::string cpu_by_thread;                     // JSON members "br-http":0.80,...
  bool realtime_reader = false;                  // the board reader ran in SCHED_RR
};

// The board reader's scheduling class (--plain-reader clears it): it stands
// in for a dashboard on another machine, so by default it runs in the
// real-time class when permitted and does not queue for a core behind the
// posting clients; its latency is then the server's.
static bool realtime_reader = true;
// The server's I/O threads' class (--io-priority), as `burnrate serve`.
static IoPriority server_io_priority = IoPriority::kAuto;

// A dashboard reading the live board while `posting`: one client, the top
// 100 users of the day by tokens, every 20 ms (a dashboard refreshes far
// less often; this samples the latency, it does not load the server).
// Returns each read's latency in ms.
static std::vector<double> ReadBoardsWhile(const std::string& url, const std::string& key,
                                           const std::atomic<bool>& posting, engine::Engine& eng,
                                           std::vector<double>* inproc) {
  std::vector<double> out;
  engine::BoardQuery q;
  q.entity = engine::Entity::kUser, q.window = engine::Window::k24h;
  q.metric = engine::Metric::kTokens, q.limit = 100;
  auto created = http::Client::Create(url);
  if (!created.ok()) return out;
  auto client = std::move(*created);
  client->set_bearer(key);
  while (posting) {
    auto s = Clock_::now();
    auto r = client->Send("GET", "/v1/leaderboard?entity=user&window=24h&metric=tokens&limit=100");
    double ms = Seconds(s, Clock_::now()) * 1000;
    if (!r.ok() || r->status != 200) {
      std::cerr << "board read failed\n";
      break;
    }
    out.push_back(ms);
    auto i = Clock_::now();
    (void)eng.Leaderboard(q);
    inproc->push_back(Seconds(i, Clock_::now()) * 1000);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return out;
}

// Posts every body to a fresh real server by `clients` concurrent clients.
// `prompt_features` false sets [detection] prompt_features = 0: prompt text
// is parsed and dropped (only its length kept), no features computed.
static Result<PostResult> PostAll(const std::vector<std::string>& bodies, int clients,
                                  const std::string& dir, bool prompt_features) {
  for (const char* f : {"/e2e.db", "/e2e.db-wal", "/e2e.db-shm"}) std::filesystem::remove(dir + f);
  app::Config cfg;
  cfg.db_path = dir + "/e2e.db";
  cfg.listen = "127.0.0.1:0";
  cfg.limits.retention_ms = 60 * kDayMs;
  cfg.io_priority = server_io_priority;
  if (!prompt_features)
    cfg.toml = std::make_shared<toml::table>(toml::parse("[detection]\nprompt_features = 0\n"));
  BR_ASSIGN_OR_RETURN(auto app, app::App::Open(cfg, SystemClock::Get()));
  BR_ASSIGN_OR_RETURN(std::string key, app::CreateApiKey(app->store(), "ingest", "loadgen", "", 0));
  BR_ASSIGN_OR_RETURN(std::string viewer,
                      app::CreateApiKey(app->store(), "viewer", "loadgen", "", 0));
  BR_RETURN_IF_ERROR(app->Start());
  std::string url = "http://127.0.0.1:" + std::to_string(app->port());
  std::atomic<size_t> next{0};
  std::atomic<int64_t> accepted{0};
  std::vector<double> lat;
  std::mutex lat_mu;
  std::atomic<bool> posting{true};
  std::vector<double> board_lat, board_inproc;
  std::thread reader(
      [&] { board_lat = ReadBoardsWhile(url, viewer, posting, app->engine(), &board_inproc); });
  bool reader_rt = realtime_reader && MakeRealtime(reader).ok();
  auto cpu0 = ThreadCpu();
  double process_cpu0 = ProcessCpuSeconds();
  auto t0 = Clock_::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&] {
      auto created = http::Client::Create(url);
      auto client = std::move(*created);
      client->set_bearer(key);
      for (size_t i; (i = next++) < bodies.size();) {
        auto s = Clock_::now();
        auto r = client->Send("POST", "/v1/events", bodies[i],
                              {{"Content-Type", "application/x-ndjson"}});
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
  posting = false;
  reader.join();
  auto cpu1 = ThreadCpu();
  double process_cpu = ProcessCpuSeconds() - process_cpu0;
  app->Stop();
  PostResult out;
  out.accepted = accepted;
  out.realtime_reader = reader_rt;
  double per = 1e6 / double(std::max<int64_t>(out.accepted, 1));
  // CPU per accepted event by server thread name (the client threads have
  // ended by now; process_cpu counts them too).
  for (const auto& [name, secs] : cpu1) {
    if (!name.starts_with("br-")) continue;
    double us = (secs - cpu0[name]) * per;
    out.server_cpu_us += us;
    out.cpu_by_thread += (out.cpu_by_thread.empty() ? "" : ",") + ("\"" + name + "\":") +
                         std::to_string(us).substr(0, 5);
  }
  out.process_cpu_us = process_cpu * per;
  std::sort(lat.begin(), lat.end());
  out.events_per_s = double(out.accepted) / e2e_s;
  out.p50_ms = lat.empty() ? 0 : lat[lat.size() / 2];
  out.p99_ms = lat.empty() ? 0 : lat[lat.size() * 99 / 100];
  std::sort(board_lat.begin(), board_lat.end());
  out.board_reads = int64_t(board_lat.size());
  if (!board_lat.empty()) {
    out.board_p50_ms = board_lat[board_lat.size() / 2];
    out.board_p99_ms = board_lat[board_lat.size() * 99 / 100];
    out.board_max_ms = board_lat.back();
  }
  std::sort(board_inproc.begin(), board_inproc.end());
  if (!board_inproc.empty()) {
    out.board_inproc_p50_ms = board_inproc[board_inproc.size() / 2];
    out.board_inproc_p99_ms = board_inproc[board_inproc.size() * 99 / 100];
    out.board_inproc_max_ms = board_inproc.back();
  }
  return out;
}

// --targets: posts every body to servers already running (e.g. several
// nodes on one PostgreSQL), client c to targets[c % n], and prints the
// total rate; nothing is started or stored here.
static int PostToTargets(const std::vector<std::string>& bodies, int64_t total, int clients,
                         const std::string& targets, const std::string& key) {
  std::vector<std::string> urls;
  for (size_t i = 0, j; i <= targets.size(); i = j + 1) {
    j = targets.find(',', i);
    if (j == std::string::npos) j = targets.size();
    if (j > i) urls.push_back(targets.substr(i, j - i));
  }
  if (urls.empty() || key.empty()) return std::cerr << "--targets needs URLs and --key\n", 2;
  std::atomic<size_t> next{0};
  std::atomic<int64_t> accepted{0}, failed{0};
  auto t0 = Clock_::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      auto created = http::Client::Create(urls[size_t(c) % urls.size()]);
      if (!created.ok()) return void(failed += 1);
      auto client = std::move(*created);
      client->set_bearer(key);
      for (size_t i; (i = next++) < bodies.size();) {
        auto r = client->Send("POST", "/v1/events", bodies[i],
                              {{"Content-Type", "application/x-ndjson"}});
        if (!r.ok() || r->status != 200) {
          std::cerr << "post failed: " << (r.ok() ? r->body : r.status().ToString()) << "\n";
          failed += 1;
          continue;
        }
        accepted += std::stoll(r->body.substr(r->body.find("\"accepted\":") + 11));
      }
    });
  }
  for (auto& t : threads) t.join();
  double secs = Seconds(t0, Clock_::now());
  std::printf(
      "{\"bench\":\"ingest_targets\",\"targets\":%zu,\"events\":%lld,\"clients\":%d,"
      "\"accepted\":%lld,\"failed_posts\":%lld,\"seconds\":%.2f,\"events_per_s\":%.0f,"
      "\"load_average_1m\":%.2f}\n",
      urls.size(), (long long)total, clients, (long long)accepted.load(), (long long)failed.load(),
      secs, double(accepted) / secs, LoadAverage());
  return accepted == total && failed == 0 ? 0 : 1;
}

// Without --prompts: raw row-per-event SQLite appends of the same rows, the
// store's block appends, then the real server over HTTP. With --prompts the
// same bodies (prompt text on every event) are posted `repeat` times to each
// of two servers, alternating: text parsed and dropped, then features
// computed; the median cut over the pairs is the cost of the features alone
// (docs/PERFORMANCE.md, Detection).
static int Ingest(int64_t events, size_t batch, int clients, const std::string& dir, bool prompts,
                  int repeat, bool org, int users, const std::string& write_bodies,
                  const std::string& targets, const std::string& key) {
  auto batches = org ? MakeOrgBatches(users, events, batch, SystemClock::Get().NowMs(), 42)
                     : MakeBatches(10000, events, batch);
  {
    std::unordered_set<std::string_view> seen;  // the users the stream really has
    for (auto& b : batches)
      for (auto& e : b) seen.insert(e.user);
    users = int(seen.size());
  }
  int64_t total = 0;
  for (auto& b : batches) total += int64_t(b.size());
  std::vector<std::string> bodies;
  for (auto& b : batches) {
    std::string body;
    for (auto& e : b) {
      std::string line = sim::Simulator::ToNdjson(e);
      int64_t k = int64_t(bodies.size() * batch) + int64_t(&e - b.data());
      if (prompts || (org && k % kOrgPromptEvery == 0)) {
        line.pop_back();
        line += ",\"prompt\":{\"text\":\"" +
                bench::LoadgenPrompt(int64_t(bodies.size() * batch + body.size())) + "\"}}";
      }
      body += line + "\n";
    }
    bodies.push_back(std::move(body));
  }
  if (!write_bodies.empty()) {  // for bench/curl_import.sh: the same bodies as files, then stop
    std::filesystem::create_directories(write_bodies);
    for (size_t i = 0; i < bodies.size(); ++i) {
      char name[48];
      std::snprintf(name, sizeof name, "/body-%05zu.ndjson", i);
      std::ofstream(write_bodies + name, std::ios::binary) << bodies[i];
    }
    std::printf(
        "{\"bench\":\"bodies\",\"dir\":\"%s\",\"bodies\":%zu,\"events\":%lld,\"users\":%d}\n",
        write_bodies.c_str(), bodies.size(), (long long)total, users);
    return 0;
  }
  if (!targets.empty()) return PostToTargets(bodies, total, clients, targets, key);
  // (a) raw durable row-per-event appends of the same rows.
  auto raw_rate = RawRowAppends(dir + "/raw.db", batches);
  if (!raw_rate.ok()) return std::cerr << raw_rate.status().ToString() << "\n", 1;
  // (a') the same batches through the store (event blocks).
  for (const char* f : {"/blocks.db", "/blocks.db-wal", "/blocks.db-shm"})
    std::filesystem::remove(dir + f);
  auto blocks = store::OpenSqliteStore(dir + "/blocks.db");
  if (!blocks.ok()) return std::cerr << blocks.status().ToString() << "\n", 1;
  auto t0 = Clock_::now();
  for (auto& b : batches) {
    Status st = (*blocks)->Append(b);
    if (!st.ok()) return std::cerr << st.ToString() << "\n", 1;
  }
  double store_rate = double(total) / Seconds(t0, Clock_::now());
  blocks->reset();
  // (b) the real server over HTTP.
  std::vector<double> rates[2];
  bool all_accepted = true;
  for (int r = 0; r < repeat; ++r) {
    for (int features = prompts ? 0 : 1; features <= 1; ++features) {
      auto res = PostAll(bodies, clients, dir, features == 1);
      if (!res.ok()) return std::cerr << res.status().ToString() << "\n", 1;
      all_accepted = all_accepted && res->accepted == total;
      rates[features].push_back(res->events_per_s);
      std::printf(
          "{\"bench\":\"ingest\",\"shape\":\"%s\",\"users\":%d,\"prompts\":%s,\"prompt_features\":%"
          "s,\"events\":%lld,\"batch\":%zu,\"clients\":%d,"
          "\"raw_sqlite_events_per_s\":%.0f,\"store_blocks_events_per_s\":%.0f,\"http_events_per_"
          "s\":%.0f,"
          "\"ratio\":%.3f,\"accepted\":%lld,\"request_p50_ms\":%.1f,\"request_p99_ms\":%.1f,\"max_"
          "rss_mb\":%ld,"
          "\"server_cpu_us_per_event\":%.2f,\"server_cpu_us_per_event_by_thread\":{%s},"
          "\"process_cpu_us_per_event\":%.2f,\"board_reads\":%lld,\"board_reader\":\"%s\","
          "\"board_p50_ms\":%.3f,"
          "\"board_p99_ms\":%.3f,\"board_max_ms\":%.3f,\"board_inproc_p50_ms\":%.3f,"
          "\"board_inproc_p99_ms\":%.3f,\"board_inproc_max_ms\":%.3f,\"load_average_1m\":%.2f}\n",
          org ? "organisation" : "uniform", users, prompts ? "true" : "false",
          features ? "true" : "false", (long long)total, batch, clients, *raw_rate, store_rate,
          res->events_per_s, res->events_per_s / *raw_rate, (long long)res->accepted, res->p50_ms,
          res->p99_ms, MaxRssMb(), res->server_cpu_us, res->cpu_by_thread.c_str(),
          res->process_cpu_us, (long long)res->board_reads,
          res->realtime_reader ? "realtime" : "normal", res->board_p50_ms, res->board_p99_ms,
          res->board_max_ms, res->board_inproc_p50_ms, res->board_inproc_p99_ms,
          res->board_inproc_max_ms, LoadAverage());
      std::fflush(stdout);
    }
  }
  if (prompts) {
    auto median = [](std::vector<double> v) {
      std::sort(v.begin(), v.end());
      return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
    };
    auto best = [](const std::vector<double>& v) { return *std::max_element(v.begin(), v.end()); };
    double m0 = median(rates[0]), m1 = median(rates[1]);
    // Each features run against the dropped run just before it: the pair
    // shares the machine's load of the moment.
    std::vector<double> cuts;
    for (size_t i = 0; i < rates[1].size(); ++i) cuts.push_back(1 - rates[1][i] / rates[0][i]);
    std::printf(
        "{\"bench\":\"prompt_features_cost\",\"runs\":%d,\"best_dropped_events_per_s\":%.0f,"
        "\"best_features_events_per_s\":%.0f,\"throughput_cut_best\":%.3f,"
        "\"median_dropped_events_per_s\":%.0f,\"median_features_events_per_s\":%.0f,"
        "\"throughput_cut_median\":%.3f,\"throughput_cut_pairs_median\":%.3f,\"load_average_1m\":%."
        "2f}\n",
        repeat, best(rates[0]), best(rates[1]), 1 - best(rates[1]) / best(rates[0]), m0, m1,
        1 - m1 / m0, median(cuts), LoadAverage());
  }
  return all_accepted ? 0 : 1;
}

static int Board(int users, int queries, const std::string& dir) {
  for (const char* f : {"/board.db", "/board.db-wal", "/board.db-shm"})
    std::filesystem::remove(dir + f);
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
  // A board of the trusted sources only (docs/leaderboards.md, "Trust by
  // source") is its own snapshot: its first build.
  engine::BoardQuery trusted = q;
  trusted.sources = engine::SourceMask(1u << int(engine::SourceClass::kGateway) |
                                       1u << int(engine::SourceClass::kOtlp));
  auto tt = Clock_::now();
  (void)eng.Leaderboard(trusted);
  double trusted_build_ms = Seconds(tt, Clock_::now()) * 1000;
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
  auto pct = [](const std::vector<double>& v, double p) {
    return v[size_t(double(v.size() - 1) * p)];
  };
  std::printf(
      "{\"bench\":\"board\",\"users\":%d,\"window\":\"30d\",\"snapshot_build_ms\":%.1f,\"inproc_"
      "p50_us\":%.1f,"
      "\"inproc_p99_us\":%.1f,\"http_p50_us\":%.1f,\"http_p99_us\":%.1f,\"rss_after_load_mb\":%ld,"
      "\"trusted_snapshot_build_ms\":%.1f}\n",
      users, build_ms, pct(inproc, 0.5), pct(inproc, 0.99), pct(overhttp, 0.5), pct(overhttp, 0.99),
      rss, trusted_build_ms);
  return 0;
}

// `days` spreads the events' arrival (and time) evenly over that many days
// ending now, in arrival order; 0 stores them all as arriving now (the
// worst case for the recovery horizons: everything is recent).
static int Restart(int64_t events, int days, const std::string& dir) {
  std::string path = dir + "/restart.db";
  if (!std::filesystem::exists(path)) {
    auto s = store::OpenSqliteStore(path, {.synchronous_full = false});
    if (!s.ok()) return std::cerr << s.status().ToString() << "\n", 1;
    // The simulated day is the same in every round (same seed), so it is
    // generated once; each round appends it again under new ids, one
    // 100,000-event commit (one block) at a time.
    auto day = MakeBatches(100000, std::min<int64_t>(events, 1'000'000), 100000);
    int64_t n = 0;
    while (n < events) {
      for (const auto& base : day) {
        if (n >= events) break;
        std::vector<model::Event> b(
            base.begin(), base.begin() + std::min<int64_t>(int64_t(base.size()), events - n));
        TimeMs now = SystemClock::Get().NowMs();
        for (size_t i = 0; i < b.size(); ++i) {
          model::Event& e = b[i];
          e.id += "-r" + std::to_string(n), e.received = now, e.team = "t", e.org = "o";
          if (days > 0) {
            TimeMs span = days * kDayMs,
                   at = now - span + TimeMs(double(span) * double(n + int64_t(i)) / double(events));
            e.received = at, e.ts = at - 2 * kSecondMs;
          }
        }
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
  // CPU time per stage (they overlap: scan || engine+listeners || dedup), so
  // a loaded machine's figure can be read against a quiet one's.
  ingest::Ingestor::RecoveryStats r = (*app)->ingestor().recovery_stats();
  std::printf(
      "{\"bench\":\"restart\",\"events\":%lld,\"recovery_s\":%.1f,\"max_rss_mb\":%ld,\"cpu_scan_"
      "s\":%.1f,"
      "\"cpu_engine_s\":%.1f,\"cpu_listeners_s\":%.1f,\"cpu_dedup_s\":%.1f,\"dedup_ids\":%lld,"
      "\"governance_events\":%lld,"
      "\"detection_events\":%lld}\n",
      (long long)(*app)->engine().events_applied(), s, MaxRssMb(), r.scan_cpu_seconds,
      r.apply_cpu_seconds, r.listener_cpu_seconds, r.dedup_cpu_seconds, (long long)r.dedup_restored,
      (long long)r.replayed[0], (long long)r.replayed[1]);
  (*app)->Stop();
  return 0;
}

int main(int argc, char** argv) {
  CLI::App cli{"burnrate end-to-end load generator"};
  std::string mode = "ingest", dir = "/tmp/burnrate-bench", write_bodies, targets, key;
  int64_t events = 1'000'000;
  size_t batch = 10000;
  int clients = 8, users = 100000, queries = 2000;
  bool prompts = false, org = false;
  int days = 0;
  int repeat = 1;
  cli.add_option("--mode", mode,
                 "ingest, board, restart or org-day (an organisation's day, 40 M events by "
                 "default, with end-state checks; bench/loadgen_org_day.cc)");
  cli.add_option("--days", days,
                 "restart: spread the stored events' arrival over this many days (0: all now)");
  cli.add_option("--events", events);
  cli.add_option("--batch", batch);
  cli.add_option("--clients", clients);
  cli.add_option("--users", users);
  cli.add_option("--queries", queries);
  cli.add_option("--dir", dir);
  cli.add_flag("--prompts", prompts,
               "every event carries prompt text; posted to a server that drops it and to one that "
               "computes features");
  cli.add_flag(
      "--org", org,
      "ingest: an organisation's day (--users users, Zipf-like activity, ~900 teams at 85,000 "
      "users, model "
      "mix, prompts on one event in ten, interleaved in time order) instead of the uniform stream");
  cli.add_option("--write-bodies", write_bodies,
                 "ingest: write the request bodies to this directory (body-NNNNN.ndjson) and stop");
  cli.add_option("--repeat", repeat,
                 "ingest: runs per variant (with --prompts, alternating pairs)");
  cli.add_option("--targets", targets,
                 "ingest: post to these running servers (comma-separated base URLs, clients "
                 "spread over them) instead of starting one; needs --key");
  cli.add_option("--key", key, "ingest --targets: an ingest key of the servers");
  bool plain_reader = false;
  std::string io_priority = "auto";
  cli.add_option("--io-priority", io_priority,
                 "ingest, org-day: the server's HTTP I/O threads' scheduling, as burnrate serve "
                 "--io-priority")
      ->check(CLI::IsMember({"auto", "realtime", "normal"}));
  cli.add_flag("--plain-reader", plain_reader,
               "ingest, org-day: the board reader is a normal thread, not real-time (which "
               "stands in for a dashboard on another machine)");
  CLI11_PARSE(cli, argc, argv);
  std::filesystem::create_directories(dir);
  if (org && cli.count("--users") == 0) users = 85000;  // the seed's organisation
  realtime_reader = !plain_reader;
  ParseIoPriority(io_priority, &server_io_priority);
  if (mode == "ingest")
    return Ingest(events, batch, clients, dir, prompts, repeat, org, users, write_bodies, targets,
                  key);
  if (mode == "board") return Board(users, queries, dir);
  if (mode == "restart") return Restart(events, days, dir);
  if (mode == "org-day") {
    bench::OrgDayOptions od;
    if (cli.count("--events")) od.events = events;
    if (cli.count("--users")) od.users = users;
    if (cli.count("--batch")) od.batch = batch;
    if (cli.count("--clients")) od.clients = clients;
    od.dir = dir;
    od.realtime_reader = !plain_reader;
    od.io_priority = server_io_priority;
    return bench::OrgDay(od);
  }
  std::cerr << "unknown mode " << mode << "\n";
  return 2;
}
