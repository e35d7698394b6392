// burnrate-loadgen --mode org-day: a Meta-sized day through the real HTTP
// path (issue #14, item 3).
//
// The seed's organisation burns about 2 T tokens a day across 85,000 users,
// its top user 281 B a month (~9.4 B a day, 0.47% of the day). One day of
// it is ~40 M events of ~50,000 tokens each, mostly cache reads. The events
// are generated on the fly, batch by batch, by the posting clients (40 M
// events do not fit in memory as objects): batch b is a pure function of
// b, so the clients need no coordination beyond taking the next b.
//
// Users: Zipf-Mandelbrot activity, weight 1/(rank + q)^1.07, with q solved
// so that the top user's share is the seed's 0.47% (plain Zipf at 85,000
// users would give the top user 12% of everything). ~900 teams of 1-4
// projects, the model mix of the org ingest case, cache reads and writes,
// prompt text on one usage event in ten, an outcome (an accepted edit) on
// one event in 25, times spread evenly over the 24 hours before the start
// in time order (users interleave as a gateway delivers them).
//
// The server is a real App with governance (a soft daily token budget for
// the organisation and one for every team), detection (scoring every 30 s
// during the load) and badges on. At the end it checks, over HTTP:
//   - every event accepted;
//   - the org board (window all) equals the generated tokens, and the top
//     10 users of the user board are the generated top 10 with their exact
//     totals (waiting for the paced board refresh, at most 60 s);
//   - the budgets' usage (GET /v1/allowance) equals the generated tokens of
//     the org and of the top user's team (when the run did not cross UTC
//     midnight, which splits the daily budget period);
//   - detection scored the day: GET /v1/flags answers; the flag count is
//     reported (the stream has no planted farms, so no count is "right").
// It prints wall time, events/s, peak RSS, the board reads' latency during
// the load, and each check.
#include "loadgen_org_day.h"

#include <simdjson.h>
#include <sys/resource.h>
#include <toml++/toml.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "app/app.h"
#include "common/clock.h"
#include "common/thread_priority.h"
#include "http/client.h"
#include "loadgen_prompt.h"

namespace burnrate::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;

double Since(SteadyClock::time_point t0) {
  return std::chrono::duration<double>(SteadyClock::now() - t0).count();
}

long PeakRssMb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024;
}

double LoadAverage1m() {
  double l = 0;
  std::ifstream("/proc/loadavg") >> l;
  return l;
}

constexpr double kTopUserShare = 281e9 / 30 / 2e12;  // the seed's top user, of the day
constexpr int kPromptEvery = 10;                     // usage events with prompt text
constexpr int kOutcomeEvery = 25;                    // events that are outcomes

// Zipf-Mandelbrot activity over users: weight 1/(rank + q)^1.07.
class Activity {
 public:
  Activity(int users, double top_share) {
    double lo = 0, hi = 100000;
    for (int i = 0; i < 60; ++i) {  // the top share falls as q grows
      double q = (lo + hi) / 2;
      Fill(users, q);
      (cum_.front() / cum_.back() > top_share ? lo : hi) = q;
    }
    Fill(users, hi);
  }
  int Draw(double u01) const {
    auto it = std::lower_bound(cum_.begin(), cum_.end(), u01 * cum_.back());
    return int(std::min<ptrdiff_t>(it - cum_.begin(), ptrdiff_t(cum_.size()) - 1));
  }

 private:
  void Fill(int users, double q) {
    cum_.assign(size_t(users), 0);
    double total = 0;
    for (int i = 0; i < users; ++i) cum_[size_t(i)] = total += std::pow(double(i) + 1 + q, -1.07);
  }
  std::vector<double> cum_;
};

// What the generator sent, to check the server's state against.
struct Expected {
  std::vector<int64_t> user_tokens, team_tokens;
  int64_t events = 0, tokens = 0;
  explicit Expected(int users, int teams)
      : user_tokens(size_t(users)), team_tokens(size_t(teams)) {}
  void Merge(const Expected& o) {
    for (size_t i = 0; i < user_tokens.size(); ++i) user_tokens[i] += o.user_tokens[i];
    for (size_t i = 0; i < team_tokens.size(); ++i) team_tokens[i] += o.team_tokens[i];
    events += o.events, tokens += o.tokens;
  }
};

struct Day {
  const OrgDayOptions& o;
  const Activity& activity;
  int teams;
  TimeMs start;  // the day's first instant; it ends where the run begins

  int TeamOf(int u) const { return int((uint64_t(u) * 2654435761u) % uint64_t(teams)); }

  // Batch b as NDJSON into `body` (cleared), counted into `exp`.
  void Batch(int64_t b, std::string& body, Expected& exp) const {
    body.clear();
    std::mt19937_64 rng(0x6f726764ull * 1000003 + uint64_t(b));
    std::uniform_real_distribution<double> uni(0, 1);
    int64_t first = b * int64_t(o.batch), last = std::min(o.events, first + int64_t(o.batch));
    static const char* kModels[] = {"claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-1",
                                    "gpt-5"};
    static const double kShares[] = {0.60, 0.20, 0.15, 0.05};
    char line[512];
    for (int64_t n = first; n < last; ++n) {
      int u = activity.Draw(uni(rng));
      int t = TeamOf(u);
      TimeMs ts = start + TimeMs(double(n) * double(kDayMs) / double(o.events));
      long long slot = (ts / kHourMs) / 2;  // a session per user and two-hour slot
      int p = u % (1 + t % 4);
      exp.events++;
      if (n % kOutcomeEvery == kOutcomeEvery - 1) {
        std::snprintf(line, sizeof line,
                      "{\"type\":\"outcome\",\"id\":\"od-%lld\",\"ts\":%lld,\"user\":\"user%d\","
                      "\"team\":\"team%d\",\"org\":\"org\",\"project\":\"team%d-p%d\","
                      "\"source\":\"claude_code\",\"session\":\"user%d-s%lld\","
                      "\"kind\":\"edit_accepted\",\"value\":1}\n",
                      (long long)n, (long long)ts, u, t, t, p, u, slot);
        body += line;
        continue;
      }
      double m = uni(rng);
      int model = 0;
      while (model < 3 && (m -= kShares[model]) >= 0) ++model;
      int64_t in = 200 + int64_t(uni(rng) * 6000), out = 50 + int64_t(uni(rng) * 2500);
      int64_t cread = int64_t(uni(rng) * 90000);
      int64_t cwrite = uni(rng) < 0.2 ? int64_t(uni(rng) * 20000) : 0;
      int64_t total = in + out + cread + cwrite;
      exp.user_tokens[size_t(u)] += total, exp.team_tokens[size_t(t)] += total;
      exp.tokens += total;
      int len = std::snprintf(
          line, sizeof line,
          "{\"id\":\"od-%lld\",\"ts\":%lld,\"user\":\"user%d\",\"team\":\"team%d\","
          "\"org\":\"org\",\"project\":\"team%d-p%d\",\"source\":\"claude_code\","
          "\"session\":\"user%d-s%lld\",\"model\":\"%s\",\"input_tokens\":%lld,"
          "\"output_tokens\":%lld,\"cache_read_tokens\":%lld,\"cache_write_tokens\":%lld}",
          (long long)n, (long long)ts, u, t, t, p, u, slot, kModels[model], (long long)in,
          (long long)out, (long long)cread, (long long)cwrite);
      body.append(line, size_t(len - 1));
      if (n % kPromptEvery == 0) body += ",\"prompt\":{\"text\":\"" + LoadgenPrompt(n) + "\"}";
      body += "}\n";
    }
  }
};

std::string Config() {
  return R"(
[governance]
[[governance.budget]]
id = "org-day"
scope = "org"
subject = "*"
limit_tokens = 100000000000000
period = "day"
enforce = "soft"
[[governance.budget]]
id = "team-day"
scope = "team"
subject = "*"
limit_tokens = 100000000000000
period = "day"
enforce = "soft"
)";
}

struct Client {
  std::unique_ptr<http::Client> c;
  Client(const std::string& url, const std::string& key) {
    auto created = http::Client::Create(url);
    if (created.ok()) c = std::move(*created), c->set_bearer(key);
  }
  // The body of a 200 answer to GET `target`, or "".
  std::string Get(const std::string& target) {
    if (!c) return "";
    auto r = c->Send("GET", target);
    return r.ok() && r->status == 200 ? r->body : "";
  }
};

// Tokens by id on a board: (id, total_tokens) of its entries, in order.
std::vector<std::pair<std::string, int64_t>> BoardEntries(const std::string& json) {
  std::vector<std::pair<std::string, int64_t>> out;
  simdjson::dom::parser p;
  simdjson::dom::element doc;
  if (p.parse(json).get(doc)) return out;
  simdjson::dom::array entries;
  if (doc["entries"].get(entries)) return out;
  for (simdjson::dom::element e : entries) {
    std::string_view id;
    int64_t tokens = 0;
    if (e["id"].get(id) || e["total_tokens"].get(tokens)) continue;
    out.emplace_back(std::string(id), tokens);
  }
  return out;
}

// The "used" of budget `policy` in an allowance answer, or -1.
int64_t BudgetUsed(const std::string& json, std::string_view policy) {
  simdjson::dom::parser p;
  simdjson::dom::element doc;
  if (p.parse(json).get(doc)) return -1;
  simdjson::dom::array budgets;
  if (doc["budgets"].get(budgets)) return -1;
  for (simdjson::dom::element b : budgets) {
    std::string_view id;
    int64_t used = 0;
    if (!b["policy"].get(id) && id == policy && !b["used"].get(used)) return used;
  }
  return -1;
}

size_t CountFlags(const std::string& json) {
  simdjson::dom::parser p;
  simdjson::dom::element doc;
  simdjson::dom::array flags;
  if (p.parse(json).get(doc) || doc["flags"].get(flags)) return 0;
  return flags.size();
}

}  // namespace

int OrgDay(const OrgDayOptions& o) {
  std::filesystem::create_directories(o.dir);
  for (const char* f : {"/orgday.db", "/orgday.db-wal", "/orgday.db-shm", "/orgday.db.checkpoint"})
    std::filesystem::remove(o.dir + f);
  Activity activity(o.users, kTopUserShare);
  int teams = std::max(1, o.users / 94);
  TimeMs run_start = SystemClock::Get().NowMs();
  Day day{o, activity, teams, run_start - kDayMs};

  app::Config cfg;
  cfg.db_path = o.dir + "/orgday.db";
  cfg.listen = "127.0.0.1:0";
  cfg.detection_interval_s = 30;
  cfg.io_priority = o.io_priority;
  cfg.toml = std::make_shared<toml::table>(toml::parse(Config()));
  auto opened = app::App::Open(cfg, SystemClock::Get());
  if (!opened.ok()) return std::cerr << opened.status().ToString() << "\n", 1;
  std::unique_ptr<app::App> app = std::move(*opened);
  auto ingest_key = app::CreateApiKey(app->store(), "ingest", "org-day", "", 0);
  auto viewer_key = app::CreateApiKey(app->store(), "viewer", "org-day", "", 0);
  if (!ingest_key.ok() || !viewer_key.ok()) return std::cerr << "keys\n", 1;
  if (Status st = app->Start(); !st.ok()) return std::cerr << st.ToString() << "\n", 1;
  std::string url = "http://127.0.0.1:" + std::to_string(app->port());

  int64_t batches = (o.events + int64_t(o.batch) - 1) / int64_t(o.batch);
  std::atomic<int64_t> next{0}, accepted{0}, failed{0};
  Expected expected(o.users, teams);
  std::mutex expected_mu;
  std::atomic<bool> posting{true};
  std::vector<double> board_ms;
  std::thread reader([&] {  // a dashboard reading the day's board every 20 ms
    Client c(url, *viewer_key);
    while (posting) {
      auto s = SteadyClock::now();
      if (c.Get("/v1/leaderboard?entity=user&window=24h&metric=tokens&limit=100").empty()) break;
      board_ms.push_back(Since(s) * 1000);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  bool reader_rt = o.realtime_reader && MakeRealtime(reader).ok();
  auto t0 = SteadyClock::now();
  std::vector<std::thread> clients;
  for (int i = 0; i < o.clients; ++i) {
    clients.emplace_back([&] {
      Client c(url, *ingest_key);
      Expected mine(o.users, teams);
      std::string body;
      for (int64_t b; (b = next++) < batches;) {
        day.Batch(b, body, mine);
        auto r = c.c->Send("POST", "/v1/events", body, {{"Content-Type", "application/x-ndjson"}});
        if (!r.ok() || r->status != 200) {
          failed++;
          continue;
        }
        size_t p = r->body.find("\"accepted\":");
        if (p != std::string::npos) accepted += std::stoll(r->body.substr(p + 11));
      }
      std::lock_guard lock(expected_mu);
      expected.Merge(mine);
    });
  }
  for (auto& t : clients) t.join();
  double ingest_s = Since(t0);
  posting = false;
  reader.join();
  long rss_ingest = PeakRssMb();

  // Checks, over HTTP, as a viewer would see them.
  Client viewer(url, *viewer_key);
  std::vector<int> order(size_t(o.users));
  for (int i = 0; i < o.users; ++i) order[size_t(i)] = i;
  std::partial_sort(order.begin(), order.begin() + std::min(10, o.users), order.end(),
                    [&](int a, int b) {
                      return expected.user_tokens[size_t(a)] > expected.user_tokens[size_t(b)];
                    });
  auto wait_board = SteadyClock::now();
  bool org_ok = false, top_ok = false;
  int64_t board_org_tokens = -1;
  while (Since(wait_board) < 60 && !(org_ok && top_ok)) {
    auto org = BoardEntries(viewer.Get("/v1/leaderboard?entity=org&window=all&limit=5"));
    board_org_tokens = org.size() == 1 ? org[0].second : -1;
    org_ok = board_org_tokens == expected.tokens;
    auto top = BoardEntries(viewer.Get("/v1/leaderboard?entity=user&window=all&limit=10"));
    top_ok = top.size() == size_t(std::min(10, o.users));
    for (size_t i = 0; top_ok && i < top.size(); ++i)
      top_ok = top[i].first == "user" + std::to_string(order[i]) &&
               top[i].second == expected.user_tokens[size_t(order[i])];
    if (!(org_ok && top_ok)) std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  double board_settle_s = Since(wait_board);
  bool same_day = FloorDiv(run_start, kDayMs) == FloorDiv(SystemClock::Get().NowMs(), kDayMs);
  int top_team = day.TeamOf(order[0]);
  std::string allowance = viewer.Get("/v1/allowance?org=org&team=team" + std::to_string(top_team));
  int64_t org_used = BudgetUsed(allowance, "org-day"),
          team_used = BudgetUsed(allowance, "team-day");
  bool budgets_ok = !same_day || (org_used == expected.tokens &&
                                  team_used == expected.team_tokens[size_t(top_team)]);
  std::string flags_json = viewer.Get("/v1/flags?window=1d");
  bool flags_ok = flags_json.find("\"flags\"") != std::string::npos;
  app->Stop();

  std::sort(board_ms.begin(), board_ms.end());
  auto pct = [&](double q) {
    return board_ms.empty() ? 0.0 : board_ms[size_t(double(board_ms.size() - 1) * q)];
  };
  int64_t distinct = std::count_if(expected.user_tokens.begin(), expected.user_tokens.end(),
                                   [](int64_t t) { return t > 0; });
  bool ok = accepted == o.events && failed == 0 && org_ok && top_ok && budgets_ok && flags_ok;
  std::printf(
      "{\"bench\":\"org_day\",\"events\":%lld,\"accepted\":%lld,\"failed_requests\":%lld,"
      "\"users\":%lld,\"tokens\":%lld,\"top_user_tokens\":%lld,\"batch\":%zu,\"clients\":%d,"
      "\"wall_s\":%.1f,\"events_per_s\":%.0f,\"peak_rss_mb\":%ld,\"board_reads\":%zu,"
      "\"board_reader\":\"%s\",\"board_p50_ms\":%.3f,\"board_p99_ms\":%.3f,\"board_max_ms\":%.3f,"
      "\"board_org_tokens\":%lld,\"board_ok\":%s,\"board_top10_ok\":%s,\"board_settle_s\":%.1f,"
      "\"budget_org_used\":%lld,\"budget_team_used\":%lld,\"budget_team_expected\":%lld,"
      "\"budgets_checked\":%s,\"budgets_ok\":%s,\"flags\":%zu,\"flags_ok\":%s,\"ok\":%s,"
      "\"load_average_1m\":%.2f}\n",
      (long long)o.events, (long long)accepted.load(), (long long)failed.load(),
      (long long)distinct, (long long)expected.tokens,
      (long long)expected.user_tokens[size_t(order[0])], o.batch, o.clients, ingest_s,
      double(accepted) / ingest_s, std::max(rss_ingest, PeakRssMb()), board_ms.size(),
      reader_rt ? "realtime" : "normal", pct(0.5), pct(0.99),
      board_ms.empty() ? 0.0 : board_ms.back(), (long long)board_org_tokens,
      org_ok ? "true" : "false", top_ok ? "true" : "false", board_settle_s, (long long)org_used,
      (long long)team_used, (long long)expected.team_tokens[size_t(top_team)],
      same_day ? "true" : "false", budgets_ok ? "true" : "false", CountFlags(flags_json),
      flags_ok ? "true" : "false", ok ? "true" : "false", LoadAverage1m());
  return ok ? 0 : 1;
}

}  // namespace burnrate::bench
