// burnrate-restartgen: restart time and memory at organisation scale.
//
//   burnrate-restartgen --events N --days D --dir DIR [--full]
//
// The first run builds DIR/restart.db: N events from --users users (85,000)
// in about 900 teams, each user active in an 8-hour working day, arrivals
// spread evenly over the last D days (so the de-duplication window and
// detection hold what a live server's would), appended through the store in
// 100,000-event commits (synchronous off: building is not what is measured).
// Each run then times App::Open + recovery until ready to serve, in this
// process, and prints one JSON line: wall seconds, events applied to the
// engine from the stored blocks (the tail), whether a checkpoint was
// loaded, and peak RSS after recovery, which for 85,000 users over 90 days
// is the engine's memory at that scale (hourly buckets for keep_hours).
// --full deletes the checkpoint first (a full replay: the baseline, and
// what writes the first checkpoint, at Stop).
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "app/app.h"
#include "engine/engine.h"
#include "ingest/ingest.h"
#include "store/store.h"

using namespace burnrate;

static long MaxRssMb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024;
}

// User + system CPU of the whole process so far: what a restart costs
// whatever else the machine runs (the wall time depends on the load).
static double ProcessCpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto s = [](timeval t) { return double(t.tv_sec) + double(t.tv_usec) * 1e-6; };
  return s(ru.ru_utime) + s(ru.ru_stime);
}

static long RssMb() {
  long pages = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return resident * sysconf(_SC_PAGESIZE) / (1 << 20);
}

// Deterministic, fast: a user's skew (a few heavy users, many light ones)
// comes from squaring a uniform draw.
static Status Build(const std::string& path, int64_t events, int days, int users) {
  auto s = store::OpenSqliteStore(path, {.synchronous_full = false});
  if (!s.ok()) return s.status();
  static const char* kModels[] = {"claude-sonnet-4-5", "claude-opus-4-1", "gpt-5",
                                  "gemini-2.5-pro"};
  TimeMs now = SystemClock::Get().NowMs();
  TimeMs span = int64_t(days) * kDayMs;
  std::vector<model::Event> batch(100000);
  uint64_t x = 88172645463325252ull;
  auto next = [&] { return x ^= x << 13, x ^= x >> 7, x ^= x << 17; };
  for (int64_t n = 0; n < events;) {
    size_t k = size_t(std::min<int64_t>(int64_t(batch.size()), events - n));
    TimeMs at = now - span + TimeMs(double(span) * double(n) / double(events));
    for (size_t i = 0; i < k; ++i) {
      model::Event& e = batch[i];
      double r = double(next() % 1'000'000) / 1e6;
      int u = int(r * r * users);
      int hour =
          9 + int((uint64_t(u) * 2654435761u) % 3) + int(next() % 8);  // an 8-hour day per user
      e.id = "r" + std::to_string(n + int64_t(i));
      e.type = model::EventType::kUsage;
      e.user = "user" + std::to_string(u);
      e.team = "team" + std::to_string(u % 900);
      e.org = "org" + std::to_string(u % 12);
      e.project = "proj" + std::to_string(u % 3000);
      e.session = "s" + std::to_string(u) + "-" + std::to_string(at / kDayMs);
      e.model = kModels[next() % 4];
      e.received = at;
      e.ts = at - at % kDayMs + hour * kHourMs + TimeMs(next() % kHourMs);
      if (e.ts > at) e.ts -= kDayMs;
      e.tokens.input = int64_t(next() % 20000);
      e.tokens.output = int64_t(next() % 2000);
      e.tokens.cache_read = int64_t(next() % 100000);
      e.tokens.cache_write = int64_t(next() % 5000);
      e.cost_nanos = e.tokens.input * 3000 + e.tokens.output * 15000 + e.tokens.cache_read * 300;
      e.requests = 1;
      e.source = "api";
    }
    BR_RETURN_IF_ERROR((*s)->Append(std::span<const model::Event>(batch.data(), k)));
    n += int64_t(k);
    if (n % 10'000'000 < 100000) std::cerr << "\rbuilt " << n << " events" << std::flush;
  }
  std::cerr << "\n";
  return Status::OK();
}

int main(int argc, char** argv) {
  CLI::App cli{"burnrate restart and memory benchmark"};
  std::string dir = "/tmp/burnrate-restart";
  int64_t events = 50'000'000;
  int days = 90, users = 85000;
  bool full = false;
  cli.add_option("--events", events);
  cli.add_option("--days", days, "arrivals spread over this many days, ending now");
  cli.add_option("--users", users);
  cli.add_option("--dir", dir);
  cli.add_flag("--full", full, "delete the checkpoint first: full replay");
  CLI11_PARSE(cli, argc, argv);
  std::filesystem::create_directories(dir);
  std::string path = dir + "/restart.db";
  if (!std::filesystem::exists(path)) {
    Status st = Build(path, events, days, users);
    if (!st.ok()) return std::cerr << st.ToString() << "\n", 1;
  }
  if (full) std::filesystem::remove(path + ".checkpoint");
  app::Config cfg;
  cfg.db_path = path;
  cfg.listen = "127.0.0.1:0";
  auto t0 = std::chrono::steady_clock::now();
  auto app = app::App::Open(cfg, SystemClock::Get());
  if (!app.ok()) return std::cerr << app.status().ToString() << "\n", 1;
  Status st = (*app)->StartOffline();
  if (!st.ok()) return std::cerr << st.ToString() << "\n", 1;
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double cpu = ProcessCpuSeconds();
  ingest::Ingestor::RecoveryStats r = (*app)->ingestor().recovery_stats();
  long rss = RssMb(), max_rss = MaxRssMb();
  auto t1 = std::chrono::steady_clock::now();
  (*app)->Stop();  // writes the checkpoint when the engine moved past the loaded one
  double stop_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  std::error_code ec;
  auto ckpt_bytes = std::filesystem::file_size(path + ".checkpoint", ec);
  std::printf(
      "{\"bench\":\"restart\",\"stored_events\":%lld,\"days\":%d,\"users\":%lld,\"from_"
      "checkpoint\":%s,"
      "\"recovery_s\":%.2f,\"process_cpu_s\":%.1f,\"engine_tail_events\":%lld,\"dedup_ids\":%lld,"
      "\"detection_events\":%lld,"
      "\"cpu_scan_s\":%.1f,\"cpu_engine_s\":%.1f,\"cpu_listeners_s\":%.1f,\"cpu_dedup_s\":%.1f,"
      "\"rss_after_recovery_mb\":%ld,\"max_rss_mb\":%ld,\"stop_s\":%.1f,\"checkpoint_file_mb\":%."
      "1f}\n",
      (long long)(*app)->engine().events_applied(), days,
      (long long)(*app)->engine().entity_count(engine::Entity::kUser),
      r.engine_events < r.events ? "true" : "false", s, cpu, (long long)r.engine_events,
      (long long)r.dedup_restored, (long long)r.replayed[1], r.scan_cpu_seconds,
      r.apply_cpu_seconds, r.listener_cpu_seconds, r.dedup_cpu_seconds, rss, max_rss, stop_s,
      ec ? 0.0 : double(ckpt_bytes) / 1e6);
  return 0;
}
