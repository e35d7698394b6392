// Webhook delivery against a real HTTP receiver on 127.0.0.1 (plain POSIX
// sockets), through the production transport (http::Client).
#include "govern/alerter.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "govern/test_util.h"
#include "http/http.h"
#include "store/sqlite/sqlite_stores.h"

namespace burnrate::govern {
namespace {

using testing::At;
using testing::Fixture;

// Accepts connections, reads one request each, answers with the next status
// from `statuses` (then 200), and records request bodies.
class Receiver {
 public:
  explicit Receiver(std::vector<int> statuses = {}) : statuses_(std::move(statuses)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(listen(fd_, 16), 0);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { Loop(); });
  }
  ~Receiver() {
    stop_ = true;
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
  std::vector<std::string> bodies() {
    std::lock_guard<std::mutex> l(mu_);
    return bodies_;
  }
  int requests() {
    std::lock_guard<std::mutex> l(mu_);
    return requests_;
  }

 private:
  void Loop() {
    while (!stop_) {
      int c = accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string req;
      char buf[4096];
      size_t need = std::string::npos;
      while (true) {
        ssize_t n = read(c, buf, sizeof buf);
        if (n <= 0) break;
        req.append(buf, static_cast<size_t>(n));
        size_t h = req.find("\r\n\r\n");
        if (h != std::string::npos && need == std::string::npos) {
          size_t cl = req.find("Content-Length: ");
          if (cl == std::string::npos) cl = req.find("content-length: ");
          need = h + 4 + (cl == std::string::npos ? 0 : std::stoul(req.substr(cl + 16)));
        }
        if (need != std::string::npos && req.size() >= need) break;
      }
      int status = 200;
      {
        std::lock_guard<std::mutex> l(mu_);
        if (requests_ < static_cast<int>(statuses_.size())) status = statuses_[requests_];
        ++requests_;
        size_t h = req.find("\r\n\r\n");
        if (status == 200 && h != std::string::npos) bodies_.push_back(req.substr(h + 4));
      }
      std::string resp = "HTTP/1.1 " + std::to_string(status) +
                         " X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      (void)!write(c, resp.data(), resp.size());
      close(c);
    }
  }

  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::vector<int> statuses_;
  std::mutex mu_;
  std::vector<std::string> bodies_;
  int requests_ = 0;
  std::thread thread_;
};

TEST(Alerter, SlackAndJsonBodies) {
  Alert a{"threshold",
          "p1",
          "team:core",
          80,
          At("2026-03-10T12:00:00Z"),
          "team core reached 80% \"quoted\""};
  EXPECT_EQ(Alerter::SlackBody(a), R"({"text":"team core reached 80% \"quoted\""})");
  std::string j = Alerter::JsonBody(a);
  EXPECT_NE(j.find(R"("kind":"threshold")"), std::string::npos);
  EXPECT_NE(j.find(R"("pct":80)"), std::string::npos);
  EXPECT_NE(j.find(R"("ts":"2026-03-10T12:00:00.000Z")"), std::string::npos);
}

TEST(Alerter, RetriesWithBackoffAfterFailures) {
  Receiver rx({500, 503});
  auto transport = NewHttpClientTransport();
  WebhookTransport& t = *transport;
  FakeClock clock(At("2026-03-10T12:00:00Z"));
  Alerter al(t, clock, {.max_attempts = 5, .base_backoff_ms = 10, .max_backoff_ms = 100});
  al.SetWebhooks({{rx.url(), true, {}}});
  al.Enqueue({"flag", "", "user:m", 0, 0, "flagged"});
  ASSERT_TRUE(al.WaitIdle(5000));
  EXPECT_EQ(rx.requests(), 3);
  ASSERT_EQ(rx.bodies().size(), 1u);
  EXPECT_EQ(rx.bodies()[0], R"({"text":"flagged"})");
  auto log = al.Deliveries();
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->size(), 1u);  // one delivery, three attempts
  const DeliveryRecord& d = (*log)[0];
  EXPECT_EQ(d.attempts, 3);
  EXPECT_EQ(d.status, 200);
  EXPECT_EQ(d.state, "delivered");
  EXPECT_EQ(d.last_error, "");
  EXPECT_EQ(d.kind, "flag");
  EXPECT_EQ(d.url, rx.url());
}

TEST(Alerter, GivesUpAfterMaxAttempts) {
  auto transport = NewHttpClientTransport();
  WebhookTransport& t = *transport;
  FakeClock clock(0);
  Alerter al(t, clock, {.max_attempts = 3, .base_backoff_ms = 5, .max_backoff_ms = 20});
  al.SetWebhooks({{"http://127.0.0.1:1/hook", false, {}}});  // nothing listens on port 1
  al.Enqueue({"deny", "p", "user:a", 100, 0, "denying"});
  ASSERT_TRUE(al.WaitIdle(5000));
  auto log = al.Deliveries();
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->size(), 1u);
  EXPECT_EQ((*log)[0].attempts, 3);
  EXPECT_EQ((*log)[0].state, "failed");
  EXPECT_EQ((*log)[0].status, 0);
  EXPECT_FALSE((*log)[0].last_error.empty());
}

TEST(Alerter, EventFilter) {
  Receiver rx;
  auto transport = NewHttpClientTransport();
  WebhookTransport& t = *transport;
  FakeClock clock(0);
  Alerter al(t, clock, {.max_attempts = 1});
  al.SetWebhooks({{rx.url(), false, {"flag"}}});
  al.Enqueue({"threshold", "p", "team:a", 50, 0, "half"});
  al.Enqueue({"flag", "", "user:a", 0, 0, "flag"});
  ASSERT_TRUE(al.WaitIdle(5000));
  ASSERT_EQ(rx.bodies().size(), 1u);
  EXPECT_NE(rx.bodies()[0].find(R"("kind":"flag")"), std::string::npos);
}

// Thresholds fire once per period, through the governor.
TEST(GovernorAlerts, EachThresholdOncePerPeriodAndFirstDeny) {
  Receiver rx;
  auto transport = NewHttpClientTransport();
  WebhookTransport& t = *transport;
  FakeClock clock0(0);
  Alerter al(t, clock0, {.max_attempts = 2, .base_backoff_ms = 10});
  Fixture f(R"(
[[governance.budget]]
id = "team-cap"
scope = "team"
limit_tokens = 1000
alert_at = [50, 80, 100]
[[governance.webhook]]
url = "http://127.0.0.1:1/unused"
)",
            At("2026-03-10T12:00:00Z"), &al);
  al.SetWebhooks({{rx.url(), false, {}}});  // the config's URL is replaced by the receiver
  EXPECT_TRUE(f.Use("a", 400, "core"));     // 40%
  EXPECT_TRUE(f.Use("a", 200, "core"));     // 60%: 50 fires
  EXPECT_TRUE(f.Use("a", 100, "core"));     // 70%
  model::Event e;
  e.user = "b", e.team = "core", e.tokens.input = 300, e.cost_nanos = 0;
  f.gov.OnUsage(e);                     // 100%: 80 and 100 fire
  EXPECT_FALSE(f.Use("a", 1, "core"));  // first deny fires
  EXPECT_FALSE(f.Use("a", 1, "core"));  // second deny: no new alert
  ASSERT_TRUE(al.WaitIdle(5000));
  auto bodies = rx.bodies();
  int thresholds = 0, denies = 0;
  for (const auto& b : bodies) {
    thresholds += b.find(R"("kind":"threshold")") != std::string::npos;
    denies += b.find(R"("kind":"deny")") != std::string::npos;
  }
  EXPECT_EQ(thresholds, 3);
  EXPECT_EQ(denies, 1);
  // A new month re-arms the thresholds.
  f.clock.Set(At("2026-04-02T00:00:00Z"));
  EXPECT_TRUE(f.Use("a", 600, "core"));
  ASSERT_TRUE(al.WaitIdle(5000));
  EXPECT_EQ(rx.bodies().size(), bodies.size() + 1);
  // Another team of the same "*" policy alerts and denies on its own.
  EXPECT_TRUE(f.Use("z", 1000, "web"));  // 50, 80, 100
  EXPECT_FALSE(f.Use("z", 1, "web"));    // deny for team:web
  ASSERT_TRUE(al.WaitIdle(5000));
  auto all = rx.bodies();
  ASSERT_EQ(all.size(), bodies.size() + 5);
  EXPECT_NE(all.back().find(R"("kind":"deny")"), std::string::npos) << all.back();
  EXPECT_NE(all.back().find(R"("subject":"team:web")"), std::string::npos) << all.back();
}

// A temporary database file, removed at the end.
struct TempDb {
  TempDb() {
    char tmpl[] = "/tmp/burnrate-govdb-XXXXXX";
    int fd = mkstemp(tmpl);
    close(fd);
    path = tmpl;
  }
  ~TempDb() {
    for (const char* suffix : {"", "-wal", "-shm"}) unlink((path + suffix).c_str());
  }
  std::unique_ptr<store::SqliteGovernStore> Open() {
    auto db = store::SqliteGovernStore::Open(path);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    return db.ok() ? std::move(*db) : nullptr;
  }
  std::string path;
};

template <typename F>
bool Eventually(F done, int timeout_ms = 5000) {
  for (int i = 0; i < timeout_ms / 10; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

// The delivery log lives in govern_deliveries: it survives a restart, and a
// delivery still pending when the process stopped is resumed by the next.
TEST(Alerter, DeliveryLogSurvivesRestartAndPendingDeliveriesResume) {
  TempDb file;
  Receiver rx({500});  // the first attempt fails, later ones succeed
  auto transport = NewHttpClientTransport();
  FakeClock clock(At("2026-03-10T12:00:00Z"));
  {
    auto db = file.Open();
    Alerter al(*transport, clock,
               {.max_attempts = 5, .base_backoff_ms = 600000});  // retry after 10 min
    ASSERT_TRUE(al.AttachDb(db.get()).ok());
    al.SetWebhooks({{rx.url(), false, {}}});
    al.Enqueue({"threshold", "team-cap", "team:core", 80, 0, "core at 80%"});
    ASSERT_TRUE(Eventually([&] {
      auto log = al.Deliveries();
      return log.ok() && log->size() == 1 && (*log)[0].attempts == 1;
    }));
    auto log = al.Deliveries();
    EXPECT_EQ((*log)[0].state, "pending");
    EXPECT_EQ((*log)[0].status, 500);
    EXPECT_EQ((*log)[0].last_error, "HTTP 500");
  }  // stopped with the retry still due
  clock.Advance(kMinuteMs);
  auto db = file.Open();
  Alerter al(*transport, clock, {.max_attempts = 5, .base_backoff_ms = 10});
  ASSERT_TRUE(al.AttachDb(db.get()).ok());  // no webhooks configured yet: the row knows its target
  ASSERT_TRUE(al.WaitIdle(5000));
  auto log = al.Deliveries();
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->size(), 1u);
  const DeliveryRecord& d = (*log)[0];
  EXPECT_EQ(d.state, "delivered");
  EXPECT_EQ(d.attempts, 2);
  EXPECT_EQ(d.status, 200);
  EXPECT_EQ(d.created, At("2026-03-10T12:00:00Z"));
  EXPECT_EQ(d.updated, At("2026-03-10T12:01:00Z"));
  ASSERT_EQ(rx.bodies().size(), 1u);
  EXPECT_NE(rx.bodies()[0].find(R"("pct":80)"), std::string::npos) << rx.bodies()[0];
}

constexpr const char* kCapConfig = R"(
[[governance.budget]]
id = "team-cap"
scope = "team"
limit_tokens = 1000
alert_at = [50, 80, 100]
)";

int CountPct(const std::vector<std::string>& bodies, int pct) {
  int n = 0;
  for (const auto& b : bodies)
    n += b.find("\"pct\":" + std::to_string(pct) + ",") != std::string::npos;
  return n;
}

// The delivery log keeps finished deliveries for kDeliveryLogDays; pending
// ones stay whatever their age.
TEST(Alerter, FinishedDeliveriesArePrunedPendingOnesKept) {
  TempDb tmp;
  auto db = tmp.Open();
  ASSERT_TRUE(db);
  auto add = [&](const char* state, TimeMs updated) {
    DeliveryRecord d;
    d.kind = "budget", d.url = "http://127.0.0.1:9/hook", d.state = state,
    d.created = d.updated = updated;
    EXPECT_TRUE(db->InsertDelivery(d).ok());
    return d.id;
  };
  add("delivered", 1000);
  add("failed", 1000);
  int64_t old_pending = add("pending", 1000);
  int64_t recent = add("delivered", 5000);
  ASSERT_TRUE(db->PruneDeliveries(2000).ok());
  auto rows = db->QueryDeliveries({.limit = 100});
  ASSERT_TRUE(rows.ok());
  std::vector<int64_t> ids;
  for (const auto& r : *rows) ids.push_back(r.id);
  EXPECT_EQ(ids, (std::vector<int64_t>{recent, old_pending}));  // newest first
}

// The Alerter prunes its own log when it attaches to the db: a delivery
// finished 91 days ago goes, one finished 89 days ago stays.
TEST(Alerter, PrunesItsLogOnAttach) {
  TempDb tmp;
  auto db = tmp.Open();
  ASSERT_TRUE(db);
  const TimeMs now = At("2026-06-10T12:00:00Z");
  for (int days : {91, 89}) {
    DeliveryRecord d;
    d.kind = "budget", d.url = "http://127.0.0.1:9/hook", d.state = "delivered";
    d.created = d.updated = now - days * kDayMs;
    ASSERT_TRUE(db->InsertDelivery(d).ok());
  }
  auto transport = NewHttpClientTransport();
  FakeClock clock(now);
  Alerter al(*transport, clock);
  ASSERT_TRUE(al.AttachDb(db.get()).ok());
  auto rows = db->QueryDeliveries({.limit = 100});
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].updated, now - 89 * kDayMs);
}

// "Each threshold once per period" holds across a restart: usage replayed
// by recovery crosses 50% again, and it must not alert again.
TEST(GovernorAlerts, ThresholdFiredBeforeRestartDoesNotFireAgain) {
  TempDb file;
  Receiver rx;
  auto transport = NewHttpClientTransport();
  model::Event e;
  e.id = "ev1", e.user = "a", e.team = "core", e.tokens.input = 600, e.cost_nanos = 0;
  {
    auto db = file.Open();
    Alerter al(*transport, SystemClock::Get(), {.max_attempts = 2, .base_backoff_ms = 10});
    ASSERT_TRUE(al.AttachDb(db.get()).ok());
    Fixture f(kCapConfig, At("2026-03-10T12:00:00Z"), &al);
    ASSERT_TRUE(f.gov.AttachDb(db.get(), db.get()).ok());
    al.SetWebhooks({{rx.url(), false, {}}});
    f.gov.OnUsage(e);  // 60%: 50 fires
    ASSERT_TRUE(al.WaitIdle(5000));
  }
  ASSERT_EQ(CountPct(rx.bodies(), 50), 1);
  // Restart: fresh counters, the same database; recovery replays the event.
  auto db = file.Open();
  Alerter al(*transport, SystemClock::Get(), {.max_attempts = 2, .base_backoff_ms = 10});
  ASSERT_TRUE(al.AttachDb(db.get()).ok());
  Fixture f(kCapConfig, At("2026-03-10T13:00:00Z"), &al);
  ASSERT_TRUE(f.gov.AttachDb(db.get(), db.get()).ok());
  al.SetWebhooks({{rx.url(), false, {}}});
  f.gov.OnUsage(e);                      // 60% again: 50 is not raised twice
  EXPECT_TRUE(f.Use("a", 250, "core"));  // 85%: 80 fires
  ASSERT_TRUE(al.WaitIdle(5000));
  EXPECT_EQ(CountPct(rx.bodies(), 50), 1);
  EXPECT_EQ(CountPct(rx.bodies(), 80), 1);
  // Next month the thresholds are armed again, restart or not.
  f.clock.Set(At("2026-04-01T00:30:00Z"));
  f.gov.OnUsage(e);
  ASSERT_TRUE(al.WaitIdle(5000));
  EXPECT_EQ(CountPct(rx.bodies(), 50), 2);
  // Both runs' deliveries are in the log.
  auto log = al.Deliveries({.state = "delivered"});
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(log->size(), 3u);
}

// GET /v1/alerts/deliveries with filters, through the real Router.
TEST(GovernorAlerts, DeliveriesRouteFilters) {
  TempDb file;
  Receiver rx;
  auto transport = NewHttpClientTransport();
  auto db = file.Open();
  Alerter al(*transport, SystemClock::Get(), {.max_attempts = 1});
  ASSERT_TRUE(al.AttachDb(db.get()).ok());
  Fixture f(kCapConfig, At("2026-03-10T12:00:00Z"), &al);
  al.SetWebhooks({{rx.url(), true, {}}, {"http://127.0.0.1:1/down", false, {"flag"}}});
  al.Enqueue({"threshold", "team-cap", "team:core", 50, 0, "half"});
  al.Enqueue({"flag", "", "user:m", 0, 0, "flagged"});
  ASSERT_TRUE(al.WaitIdle(5000));
  http::Router router;
  f.gov.RegisterRoutes(router);
  router.SetAuthenticator([](std::string_view key) -> Result<std::pair<http::Role, std::string>> {
    if (key == "adm") return std::pair{http::Role::kAdmin, std::string("root")};
    return std::pair{http::Role::kViewer, std::string("v")};
  });
  auto call = [&](const std::string& query, const std::string& key = "adm") {
    http::Request req;
    req.method = "GET", req.path = "/v1/alerts/deliveries", req.query = http::ParseQuery(query);
    req.headers["authorization"] = "Bearer " + key;
    http::Response out;
    router.Dispatch(req, [&](http::Response r) { out = std::move(r); });
    return out;
  };
  EXPECT_EQ(call("", "view").status, 403);
  auto all = call("");
  ASSERT_EQ(all.status, 200);
  EXPECT_EQ(std::count(all.body.begin(), all.body.end(), '{'), 4) << all.body;  // 3 deliveries
  auto failed = call("state=failed");
  EXPECT_NE(failed.body.find(R"("url":"http://127.0.0.1:1/down")"), std::string::npos)
      << failed.body;
  EXPECT_NE(failed.body.find(R"("attempts":1)"), std::string::npos) << failed.body;
  EXPECT_EQ(failed.body.find(R"("state":"delivered")"), std::string::npos) << failed.body;
  auto core = call("subject=team:core");
  EXPECT_NE(core.body.find(R"("format":"slack")"), std::string::npos) << core.body;
  EXPECT_EQ(core.body.find("user:m"), std::string::npos) << core.body;
  auto one = call("limit=1");
  EXPECT_EQ(std::count(one.body.begin(), one.body.end(), '{'), 2) << one.body;
  auto bad = call("state=lost");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find(R"("field":"state")"), std::string::npos) << bad.body;
}

// Two nodes on one policy store: a policy one makes, changes or deletes
// reaches the other at its next Refresh (App calls it every second).
TEST(GovernorPolicies, RefreshAppliesAnotherNodesPolicyVersions) {
  TempDb file;
  auto db = file.Open();
  Fixture a(kCapConfig, At("2026-03-10T12:00:00Z"));
  Fixture b(kCapConfig, At("2026-03-10T12:00:00Z"));
  ASSERT_TRUE(a.gov.AttachDb(db.get(), db.get()).ok());
  ASSERT_TRUE(b.gov.AttachDb(db.get(), db.get()).ok());
  Policy p;
  p.id = "alice-day", p.scope = ScopeKind::kUser, p.subject = "alice", p.limit = 10;
  p.period = PeriodKind::kDay;
  ASSERT_TRUE(a.gov.policies().Upsert(p, "root", false).ok());
  EXPECT_EQ(b.gov.policies().Get("alice-day").status().code(), Status::Code::kNotFound);
  EXPECT_TRUE(*b.gov.policies().Refresh());
  ASSERT_TRUE(b.gov.policies().Get("alice-day").ok());
  EXPECT_EQ(b.gov.policies().Get("alice-day")->limit, 10);
  EXPECT_FALSE(*b.gov.policies().Refresh());  // nothing new
  EXPECT_FALSE(*a.gov.policies().Refresh());  // its own version
  p.limit = 20;
  ASSERT_TRUE(b.gov.policies().Upsert(p, "root", true).ok());  // b carries the version on
  EXPECT_TRUE(*a.gov.policies().Refresh());
  EXPECT_EQ(a.gov.policies().Get("alice-day")->limit, 20);
  EXPECT_EQ(a.gov.policies().Get("alice-day")->version, 2);
  ASSERT_TRUE(a.gov.policies().Delete("alice-day", "root").ok());
  EXPECT_TRUE(*b.gov.policies().Refresh());
  EXPECT_EQ(b.gov.policies().Get("alice-day").status().code(), Status::Code::kNotFound);
}

}  // namespace
}  // namespace burnrate::govern
