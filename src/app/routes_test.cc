// The HTTP API (docs/http-api.md) end to end in process: a real App on a
// real SQLite file, spoken to over real loopback HTTP.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "app/app.h"
#include "app/app_impl.h"
#include "common/time_util.h"
#include "detect/detect.h"
#include "http/client.h"
#include "ingest/ingest.h"
#include "model/identity.h"
#include "store/store.h"

namespace burnrate::app {
namespace {

namespace fs = std::filesystem;

std::string Gzip(std::string_view in) {
  z_stream zs{};
  deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, uLong(in.size())) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = uInt(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = uInt(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::string Zstd(std::string_view in) {
  std::string out(ZSTD_compressBound(in.size()), '\0');
  out.resize(ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 3));
  return out;
}

class RoutesTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(testing::TempDir()) /
           ("routes_test_" + std::to_string(getpid()) + "_" +
            testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    Config cfg;
    cfg.db_path = (dir_ / "burnrate.db").string();
    cfg.listen = "127.0.0.1:0";
    cfg.board_refresh_ms = 0;
    Tune(cfg);
    auto app = App::Open(cfg, SystemClock::Get());
    ASSERT_TRUE(app.ok()) << app.status().ToString();
    app_ = std::move(*app);
    for (const char* role : {"admin", "viewer", "ingest"}) {
      keys_[role] = *CreateApiKey(app_->store(), role, "test", "", SystemClock::Get().NowMs());
    }
    keys_["self"] =
        *CreateApiKey(app_->store(), "self", "test", "alice", SystemClock::Get().NowMs());
    ASSERT_TRUE(app_->Start().ok());
    ASSERT_GT(app_->port(), 0);
  }
  virtual void Tune(Config&) {}
  void TearDown() override {
    app_->Stop();
    app_.reset();
    fs::remove_all(dir_);
  }

  http::ClientResponse Send(const std::string& role, const std::string& method,
                            const std::string& target, const std::string& body = "",
                            std::vector<std::pair<std::string, std::string>> headers = {}) {
    auto c = http::Client::Create("http://127.0.0.1:" + std::to_string(app_->port()));
    EXPECT_TRUE(c.ok());
    if (!role.empty()) (*c)->set_bearer(keys_.count(role) ? keys_[role] : role);
    auto r = (*c)->Send(method, target, body, headers);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    // Acknowledged events reach the engine just after the answer.
    if (method == "POST" && target == "/v1/events") app_->ingestor().WaitApplied();
    return r.ok() ? *r : http::ClientResponse{};
  }

  static std::string Ev(const std::string& id, const std::string& user, int64_t input,
                        const std::string& extra = "") {
    return R"({"id":")" + id + R"(","user":")" + user +
           R"(","model":"claude-sonnet-4-5","input_tokens":)" + std::to_string(input) +
           R"(,"output_tokens":10)" + extra + "}\n";
  }

  fs::path dir_;
  std::unique_ptr<App> app_;
  std::map<std::string, std::string> keys_;
};

TEST_F(RoutesTest, HealthNeedsNoKeyEverythingElseDoes) {
  EXPECT_EQ(Send("", "GET", "/healthz").status, 200);
  auto ready = Send("", "GET", "/readyz");
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(ready.body, "{\"status\":\"ready\"}");
  for (const char* path :
       {"/metrics", "/v1/leaderboard", "/v1/users/alice/usage", "/v1/keys", "/v1/overview"}) {
    auto r = Send("", "GET", path);
    EXPECT_EQ(r.status, 401) << path;
    EXPECT_NE(r.body.find("\"error\""), std::string::npos);
  }
  EXPECT_EQ(Send("br_not_a_key", "GET", "/v1/leaderboard").status, 401);
  EXPECT_EQ(Send("", "POST", "/v1/events", Ev("a", "u", 1)).status, 401);
}

TEST_F(RoutesTest, RolesAreEnforced) {
  EXPECT_EQ(Send("viewer", "POST", "/v1/events", Ev("a", "u", 1)).status, 403);
  EXPECT_EQ(Send("self", "POST", "/v1/events", Ev("a", "u", 1)).status, 403);
  EXPECT_EQ(Send("ingest", "GET", "/v1/leaderboard").status, 403);
  EXPECT_EQ(Send("ingest", "GET", "/metrics").status, 403);
  EXPECT_EQ(Send("viewer", "GET", "/metrics").status, 200);
  EXPECT_EQ(Send("viewer", "POST", "/v1/keys", "role=viewer").status, 403);
  EXPECT_EQ(Send("viewer", "GET", "/v1/keys").status, 403);
  EXPECT_EQ(Send("admin", "POST", "/v1/events", Ev("a", "u", 1)).status, 200);
  auto who = Send("self", "GET", "/v1/whoami");
  EXPECT_EQ(who.body, R"({"role":"self","principal":"alice"})");
}

TEST_F(RoutesTest, IngestAnswersPerLine) {
  std::string body = Ev("e1", "alice", 100) + Ev("e2", "bob", 200) +
                     R"({"id":"e3","user":"carol","model":"m","input_tokens":-5})"
                     "\n" +
                     "{broken\n" + Ev("e1", "alice", 100);
  auto r = Send("ingest", "POST", "/v1/events", body, {{"Content-Type", "application/x-ndjson"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body.rfind(R"({"accepted":2,"duplicates":1,"rejected":[)", 0), 0u) << r.body;
  EXPECT_NE(
      r.body.find(
          R"({"line":3,"error":"input_tokens must not be negative","field":"input_tokens","kind":"out_of_range"})"),
      std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find(R"({"line":4,"error":"line is not valid JSON)"), std::string::npos)
      << r.body;
  EXPECT_NE(
      r.body.find(R"("rejected_total":2,"rejected_by_error":{"invalid_json":1,"out_of_range":1}})"),
      std::string::npos)
      << r.body;
  auto again = Send("ingest", "POST", "/v1/events", Ev("e2", "bob", 200));
  EXPECT_EQ(
      again.body,
      R"({"accepted":0,"duplicates":1,"rejected":[],"rejected_total":0,"rejected_by_error":{}})");
  EXPECT_EQ(*app_->store().CountEvents(), 2);
}

TEST_F(RoutesTest, CompressedBodies) {
  auto g = Send("ingest", "POST", "/v1/events", Gzip(Ev("g1", "alice", 1) + Ev("g2", "alice", 1)),
                {{"Content-Encoding", "gzip"}});
  EXPECT_EQ(
      g.body,
      R"({"accepted":2,"duplicates":0,"rejected":[],"rejected_total":0,"rejected_by_error":{}})");
  auto z = Send("ingest", "POST", "/v1/events", Zstd(Ev("z1", "alice", 1)),
                {{"Content-Encoding", "zstd"}});
  EXPECT_EQ(
      z.body,
      R"({"accepted":1,"duplicates":0,"rejected":[],"rejected_total":0,"rejected_by_error":{}})");
  auto bad = Send("ingest", "POST", "/v1/events", "not gzip", {{"Content-Encoding", "gzip"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find(R"("field":"Content-Encoding")"), std::string::npos);
  auto br = Send("ingest", "POST", "/v1/events", "x", {{"Content-Encoding", "br"}});
  EXPECT_EQ(br.status, 415);
  EXPECT_NE(br.body.find(R"("field":"Content-Encoding")"), std::string::npos) << br.body;
  // Content-Encoding is case-insensitive.
  auto upper = Send("ingest", "POST", "/v1/events", Gzip(Ev("u1", "alice", 1)),
                    {{"Content-Encoding", "GZIP"}});
  EXPECT_EQ(upper.status, 200) << upper.body;
  EXPECT_EQ(Send("ingest", "POST", "/v1/events", Zstd(Ev("u2", "alice", 1)),
                 {{"Content-Encoding", "Zstd"}})
                .status,
            200);
  // What a body unpacks to is capped (server.max_decompressed_bytes, 64 MiB): 413 naming the limit.
  auto bomb = Send("ingest", "POST", "/v1/events", Zstd(std::string(65 << 20, '\n')),
                   {{"Content-Encoding", "zstd"}});
  EXPECT_EQ(bomb.status, 413);
  EXPECT_NE(bomb.body.find("exceeds the limit of 67108864 bytes (server.max_decompressed_bytes)"),
            std::string::npos)
      << bomb.body;
}

TEST_F(RoutesTest, IngestAnswerListsTheFirstHundredRejectsAndCountsAll) {
  std::string body;
  for (int i = 0; i < 5000; ++i) body += "x\n" + Ev("many" + std::to_string(i), "alice", 1);
  auto r = Send("ingest", "POST", "/v1/events", body);
  ASSERT_EQ(r.status, 200);
  EXPECT_LT(r.body.size(), 20'000u);
  EXPECT_EQ(r.body.rfind(R"({"accepted":5000,"duplicates":0,"rejected":[{"line":1,)", 0), 0u)
      << r.body.substr(0, 200);
  EXPECT_NE(r.body.find(R"({"line":199,"error")"), std::string::npos);  // the 100th
  EXPECT_EQ(r.body.find(R"({"line":201,"error")"), std::string::npos);  // the 101st is counted only
  EXPECT_NE(r.body.find(R"("rejected_total":5000,"rejected_by_error":{"invalid_json":5000}})"),
            std::string::npos);
}

TEST_F(RoutesTest, LeaderboardShapeAndErrors) {
  app_->identity().Upsert({"alice", "platform", "acme"});
  Send("ingest", "POST", "/v1/events",
       Ev("1", "alice", 1000) + Ev("2", "bob", 5000) + Ev("3", "alice", 1000));
  auto r = Send("viewer", "GET", "/v1/leaderboard?entity=user&window=24h&metric=tokens&limit=10");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(R"("entity":"user","window":"24h","metric":"tokens")"), std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find(R"("total_entries":2)"), std::string::npos) << r.body;
  EXPECT_NE(
      r.body.find(
          R"({"rank":1,"prev_rank":null,"id":"bob","team":"unassigned","org":"default","input_tokens":5000,"output_tokens":10,)"),
      std::string::npos)
      << r.body;
  EXPECT_NE(
      r.body.find(
          R"({"rank":2,"prev_rank":null,"id":"alice","team":"platform","org":"acme","input_tokens":2000,"output_tokens":20,"cache_read_tokens":0,"cache_write_tokens":0,"total_tokens":2020,"cost_usd":0.0063,"requests":2,)"),
      std::string::npos)
      << r.body;
  auto teams = Send("self", "GET", "/v1/leaderboard?entity=team&window=all&metric=cost");
  EXPECT_EQ(teams.status, 200);
  EXPECT_NE(teams.body.find(R"("id":"unassigned")"), std::string::npos);
  auto paged = Send("viewer", "GET", "/v1/leaderboard?window=7d&limit=1&offset=1");
  EXPECT_NE(paged.body.find(R"("rank":2)"), std::string::npos);
  EXPECT_EQ(paged.body.find(R"("rank":1)"), std::string::npos);

  struct Bad {
    const char* query;
    const char* field;
  };
  for (Bad b : {Bad{"entity=galaxy", "entity"}, Bad{"window=fortnight", "window"},
                Bad{"metric=vibes", "metric"}, Bad{"limit=0", "limit"}, Bad{"limit=abc", "limit"},
                Bad{"limit=10001", "limit"}, Bad{"offset=-1", "offset"}}) {
    auto e = Send("viewer", "GET", std::string("/v1/leaderboard?") + b.query);
    EXPECT_EQ(e.status, 400) << b.query;
    EXPECT_NE(e.body.find(std::string(R"("field":")") + b.field + "\""), std::string::npos)
        << b.query << " " << e.body;
  }
}

TEST_F(RoutesTest, UsageSeries) {
  TimeMs now = SystemClock::Get().NowMs();
  TimeMs hour = now / kHourMs * kHourMs;
  std::string at = R"(,"ts":)" + std::to_string(hour - 2 * kHourMs + 60000);
  Send("ingest", "POST", "/v1/events",
       Ev("1", "alice", 100, at) + Ev("2", "alice", 200) + Ev("3", "bob", 1));
  auto r = Send("viewer", "GET", "/v1/users/alice/usage?granularity=hour");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(
      r.body.find(R"("user":"alice","team":"unassigned","org":"default","granularity":"hour")"),
      std::string::npos)
      << r.body;
  EXPECT_NE(
      r.body.find(R"({"t":")" + FormatRfc3339(hour - 2 * kHourMs) + R"(","input_tokens":100,)"),
      std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find(R"("totals":{"input_tokens":300,)"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"("by_model":[{"model":"claude-sonnet-4-5","input_tokens":300)"),
            std::string::npos)
      << r.body;
  auto day = Send("viewer", "GET",
                  "/v1/users/alice/usage?granularity=day&from=" + FormatRfc3339(now - kDayMs) +
                      "&to=" + std::to_string(now + kHourMs));
  EXPECT_EQ(day.status, 200);
  EXPECT_NE(day.body.find(R"("totals":{"input_tokens":300,)"), std::string::npos) << day.body;
  // A window with nothing in it has empty totals.
  auto empty = Send("viewer", "GET", "/v1/users/alice/usage?from=0&to=1000");
  EXPECT_NE(empty.body.find(R"("series":[])"), std::string::npos) << empty.body;
  // A self key sees only its own user.
  EXPECT_EQ(Send("self", "GET", "/v1/users/alice/usage").status, 200);
  EXPECT_EQ(Send("self", "GET", "/v1/users/bob/usage").status, 403);
  EXPECT_EQ(Send("viewer", "GET", "/v1/users/nobody/usage").status, 404);
  auto bad = Send("viewer", "GET", "/v1/users/alice/usage?granularity=minute");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find(R"("field":"granularity")"), std::string::npos);
  EXPECT_NE(
      Send("viewer", "GET", "/v1/users/alice/usage?from=yesterday").body.find(R"("field":"from")"),
      std::string::npos);
}

TEST_F(RoutesTest, MetricsArePrometheusTextWithBoundedLabels) {
  Send("ingest", "POST", "/v1/events",
       Ev("1", "secret-user-name", 100) + Ev("1", "secret-user-name", 100) + "x\n");
  auto m = Send("viewer", "GET", "/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_EQ(m.content_type.rfind("text/plain", 0), 0u);
  EXPECT_NE(m.body.find("\nburnrate_events_accepted_total 1\n"), std::string::npos) << m.body;
  EXPECT_NE(m.body.find("\nburnrate_events_duplicate_total 1\n"), std::string::npos);
  EXPECT_NE(m.body.find("\nburnrate_events_rejected_total 1\n"), std::string::npos);
  EXPECT_NE(m.body.find("burnrate_entities{kind=\"user\"} 1"), std::string::npos);
  EXPECT_EQ(m.body.find("secret-user-name"), std::string::npos);  // no per-user labels
}

TEST_F(RoutesTest, MetricsEscapeLabelValues) {
  // Model names come from clients; a quote or newline must not forge series.
  std::string evil =
      R"({"id":"m1","user":"u","model":"x\"} 1\nburnrate_forged 99\n#","input_tokens":5})"
      "\n";
  ASSERT_NE(Send("ingest", "POST", "/v1/events", evil).body.find(R"("accepted":1)"),
            std::string::npos);
  auto m = Send("viewer", "GET", "/metrics");
  EXPECT_EQ(m.body.find("\nburnrate_forged"), std::string::npos) << m.body;
  EXPECT_NE(m.body.find(R"(burnrate_tokens_24h{model="x\"} 1\nburnrate_forged 99\n#"} 5)"),
            std::string::npos)
      << m.body;
}

TEST_F(RoutesTest, KeysOverTheApi) {
  auto created = Send("admin", "POST", "/v1/keys", "role=viewer&label=dash");
  ASSERT_EQ(created.status, 201) << created.body;
  std::string key = created.body.substr(created.body.find("br_"), 43);
  EXPECT_EQ(Send(key, "GET", "/metrics").status, 200);
  auto list = Send("admin", "GET", "/v1/keys");
  EXPECT_NE(list.body.find(R"("label":"dash")"), std::string::npos);
  EXPECT_EQ(list.body.find("br_"), std::string::npos);  // secrets are never listed
  size_t label = list.body.find(R"("label":"dash")");
  std::string id = list.body.substr(list.body.rfind("\"id\":\"", label) + 6, 14);  // k_ + 12 hex
  ASSERT_EQ(id.rfind("k_", 0), 0u) << list.body;
  EXPECT_EQ(Send("admin", "DELETE", "/v1/keys/" + id).status, 200);
  EXPECT_EQ(Send(key, "GET", "/metrics").status, 401);  // revoked at once, cache or not
  EXPECT_EQ(Send("admin", "DELETE", "/v1/keys/k_nope").status, 404);
  auto bad = Send("admin", "POST", "/v1/keys", "role=root");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find(R"("field":"role")"), std::string::npos);
  EXPECT_EQ(Send("admin", "POST", "/v1/keys", "role=self").status, 400);  // self needs a user
}

TEST_F(RoutesTest, IdentityOverTheApi) {
  auto up = Send("admin", "POST", "/v1/identity", "user,team,org\nalice,platform,acme\n",
                 {{"Content-Type", "text/csv"}});
  EXPECT_EQ(up.status, 200) << up.body;
  EXPECT_EQ(up.body, R"({"users":1})");
  EXPECT_EQ(Send("viewer", "POST", "/v1/identity", "[]").status, 403);
  auto bad = Send("admin", "POST", "/v1/identity", "[{\"user\":\"x\"}]");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find(R"("field":"body")"), std::string::npos);
  auto ing = Send("ingest", "POST", "/v1/events", Ev("1", "alice", 10));
  EXPECT_EQ(
      ing.body,
      R"({"accepted":1,"duplicates":0,"rejected":[],"rejected_total":0,"rejected_by_error":{}})");
  auto r = Send("viewer", "GET", "/v1/leaderboard?entity=org");
  EXPECT_NE(r.body.find(R"("id":"acme")"), std::string::npos) << r.body;
  EXPECT_NE(Send("viewer", "GET", "/v1/identity")
                .body.find(R"({"user":"alice","team":"platform","org":"acme"})"),
            std::string::npos);
}

TEST_F(RoutesTest, OverviewAndUnknownEndpoints) {
  Send("ingest", "POST", "/v1/events", Ev("1", "alice", 10));
  auto o = Send("viewer", "GET", "/v1/overview?days=3");
  ASSERT_EQ(o.status, 200);
  EXPECT_NE(o.body.find(R"("users":1)"), std::string::npos) << o.body;
  EXPECT_EQ(Send("viewer", "GET", "/v1/overview?days=0").status, 400);
  EXPECT_EQ(Send("viewer", "GET", "/v1/nothing").status, 404);
  EXPECT_EQ(Send("admin", "PUT", "/v1/events").status, 405);
}

TEST_F(RoutesTest, OverviewCountsWasteOfFlagsThatCount) {
  Send("ingest", "POST", "/v1/events", Ev("1", "alice", 10));
  TimeMs now = SystemClock::Get().NowMs();
  detect::DetectionEngine& d = app_->detection();
  auto flag = [&](const std::string& user, int64_t day, int64_t wasted, bool high) {
    detect::Flag f;
    f.id = detect::FlagId(user, day);
    f.user = user;
    f.day = day;
    f.date = FormatRfc3339(now - (d.DayOf(now) - day) * kDayMs).substr(0, 10);
    f.score = high ? 95 : 70;
    f.flagged = true;
    f.high_confidence = high;
    f.wasted_tokens = wasted;
    EXPECT_TRUE(d.flags().Put(f).ok());
    return f;
  };
  int64_t today = d.DayOf(now);
  flag("farmer", today, 1000, true);
  flag("farmer2", today, 500, false);  // flagged but not high confidence: not waste until confirmed
  flag("farmer", today - 1, 300, true);
  auto o = Send("viewer", "GET", "/v1/overview?days=3");
  ASSERT_EQ(o.status, 200);
  EXPECT_NE(o.body.find(R"("active_users":1,"wasted_tokens":1000})"), std::string::npos) << o.body;
  EXPECT_NE(o.body.find(R"("wasted_tokens":1300})"), std::string::npos) << o.body;  // totals
  ASSERT_TRUE(
      d.Review(detect::FlagId("farmer2", today), detect::ReviewState::kConfirmed, "looked", "admin")
          .ok());
  o = Send("viewer", "GET", "/v1/overview?days=3");
  EXPECT_NE(o.body.find(R"("active_users":1,"wasted_tokens":1500})"), std::string::npos) << o.body;
}

TEST_F(RoutesTest, DataSurvivesRestart) {
  Send("ingest", "POST", "/v1/events", Ev("1", "alice", 10) + Ev("2", "alice", 20));
  app_->Stop();
  Config cfg = app_->config();
  app_.reset();
  auto app = App::Open(cfg, SystemClock::Get());
  ASSERT_TRUE(app.ok());
  app_ = std::move(*app);
  ASSERT_TRUE(app_->Start().ok());
  auto again = Send("ingest", "POST", "/v1/events", Ev("2", "alice", 20) + Ev("3", "alice", 30));
  EXPECT_EQ(
      again.body,
      R"({"accepted":1,"duplicates":1,"rejected":[],"rejected_total":0,"rejected_by_error":{}})");
  auto r = Send("viewer", "GET", "/v1/users/alice/usage");
  EXPECT_NE(r.body.find(R"("totals":{"input_tokens":60,)"), std::string::npos) << r.body;
}

TEST_F(RoutesTest, LeaderboardStreamPushesChanges) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(app_->port());
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  // EventSource cannot send headers: the key may come in the query.
  std::string req = "GET /v1/stream/leaderboard?window=24h&key=" + keys_["viewer"] +
                    " HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(write(fd, req.data(), req.size()), ssize_t(req.size()));
  std::string got;
  auto read_until = [&](const std::string& needle) {
    char buf[4096];
    while (got.find(needle) == std::string::npos) {
      ssize_t n = read(fd, buf, sizeof buf);
      if (n <= 0) return false;
      got.append(buf, size_t(n));
    }
    return true;
  };
  ASSERT_TRUE(read_until("\n\n")) << got;
  EXPECT_NE(got.find("text/event-stream"), std::string::npos) << got;
  ASSERT_TRUE(read_until("event: leaderboard\ndata: {")) << got;
  // New usage is pushed without asking (the ticker runs every 100 ms).
  Send("ingest", "POST", "/v1/events", Ev("s1", "streamer", 42));
  EXPECT_TRUE(read_until("\"id\":\"streamer\"")) << got;
  close(fd);
}

// A revoked key's live stream is closed by the server within about a
// second, wherever the revocation was made (here: another connection to the
// database, as `burnrate keys revoke --db` from another process).
TEST_F(RoutesTest, RevokedKeyEndsItsStream) {
  std::string key =
      *CreateApiKey(app_->store(), "viewer", "doomed", "", SystemClock::Get().NowMs());
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(app_->port());
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string req =
      "GET /v1/stream/leaderboard?window=24h HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key +
      "\r\n\r\n";
  ASSERT_EQ(write(fd, req.data(), req.size()), ssize_t(req.size()));
  char buf[4096];
  ASSERT_GT(read(fd, buf, sizeof buf), 0);
  auto other = store::OpenSqliteStore((dir_ / "burnrate.db").string());
  ASSERT_TRUE(other.ok());
  std::string id;
  auto listed = (*other)->ListKeys();
  ASSERT_TRUE(listed.ok());
  for (const auto& k : *listed)
    if (k.label == "doomed") id = k.id;
  auto revoked_at = std::chrono::steady_clock::now();
  ASSERT_TRUE((*other)->RevokeKey(id).ok());
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) {
  }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - revoked_at).count();
  EXPECT_EQ(n, 0) << "the stream should end with a close, not a timeout";
  EXPECT_LT(s, 2.0);
  close(fd);
  EXPECT_EQ(Send(key, "GET", "/v1/leaderboard").status, 401);
}

// Honest pricing (docs/pricing.md): a model missing from the price table is
// priced from its family and marked; one of no family is counted, not
// hidden; both show in /metrics and GET /v1/prices.
TEST_F(RoutesTest, EstimatedAndUnpricedUsageIsMarkedAndListed) {
  auto ev = [](const std::string& id, const std::string& user, const std::string& model,
               int64_t out) {
    return R"({"id":")" + id + R"(","user":")" + user + R"(","model":")" + model +
           R"(","output_tokens":)" + std::to_string(out) + "}\n";
  };
  Send("ingest", "POST", "/v1/events",
       ev("p1", "opus-user", "claude-opus-5-5", 1'000'000) +
           ev("p2", "odd-user", "totally-unknown-model", 5000) +
           ev("p3", "plain-user", "claude-opus-4-8", 1000));
  auto board = Send("viewer", "GET", "/v1/leaderboard?entity=user&window=24h&metric=cost");
  ASSERT_EQ(board.status, 200);
  // claude-opus-5-5 at claude-opus-4-8's $25 per million output.
  EXPECT_NE(
      board.body.find(
          R"("id":"opus-user","team":"unassigned","org":"default","input_tokens":0,"output_tokens":1000000,"cache_read_tokens":0,"cache_write_tokens":0,"total_tokens":1000000,"cost_usd":25.00,)"),
      std::string::npos)
      << board.body;
  auto field_after = [&](const std::string& id, const std::string& key) {
    size_t at = board.body.find("\"id\":\"" + id + "\"");
    size_t k = board.body.find("\"" + key + "\":", at);
    return board.body.substr(k + key.size() + 3, 4);
  };
  EXPECT_EQ(field_after("opus-user", "cost_estimated"), "true");
  EXPECT_EQ(field_after("opus-user", "cost_unpriced"), "fals");
  EXPECT_EQ(field_after("odd-user", "cost_unpriced"), "true");
  EXPECT_EQ(field_after("plain-user", "cost_estimated"), "fals");

  auto m = Send("viewer", "GET", "/metrics");
  EXPECT_NE(m.body.find("\nburnrate_unpriced_tokens_total{model=\"claude-opus-5-5\"} 1000000\n"),
            std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find("\nburnrate_unpriced_tokens_total{model=\"totally-unknown-model\"} 5000\n"),
            std::string::npos);
  EXPECT_NE(
      m.body.find("\nburnrate_estimated_cost_usd_total{model=\"claude-opus-5-5\"} 25.000000000\n"),
      std::string::npos);
  EXPECT_EQ(m.body.find("burnrate_unpriced_tokens_total{model=\"claude-opus-4-8\"}"),
            std::string::npos);

  EXPECT_EQ(Send("ingest", "GET", "/v1/prices").status, 403);
  auto p = Send("viewer", "GET", "/v1/prices");
  ASSERT_EQ(p.status, 200);
  EXPECT_NE(p.body.find(R"({"source":"built-in","file":null,"tested":"2026-12-04","count":)"),
            std::string::npos)
      << p.body.substr(0, 300);
  EXPECT_NE(
      p.body.find(
          R"({"model":"claude-opus-5-5","tokens":1000000,"estimated_tokens":1000000,"estimated_cost_usd":25.00,"unpriced_tokens":0,"pricing":"estimated","family":"claude-opus","priced_as":"claude-opus-4-8","input_usd_per_mtok":5,"output_usd_per_mtok":25,)"),
      std::string::npos)
      << p.body.substr(0, 1500);
  EXPECT_NE(
      p.body.find(
          R"({"model":"totally-unknown-model","tokens":5000,"estimated_tokens":0,"estimated_cost_usd":0.00,"unpriced_tokens":5000,"pricing":"unpriced","family":"","priced_as":null})"),
      std::string::npos)
      << p.body.substr(0, 1500);
  EXPECT_NE(p.body.find(R"({"model":"gemini-2.5-pro",)"), std::string::npos);  // the table itself

  // Without a price file there is nothing to reload: a clear 400.
  EXPECT_EQ(Send("viewer", "POST", "/v1/prices/reload").status, 403);
  auto r = Send("admin", "POST", "/v1/prices/reload");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find(R"("field":"file")"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("--prices"), std::string::npos) << r.body;
}

TEST(UnpricedMetrics, ModelLabelsAreCappedWithTheRestAsOther) {
  std::vector<engine::UnpricedModel> seen;
  for (int i = 0; i < 150; ++i) seen.push_back({"m" + std::to_string(i), 10, 1'000'000'000, 1});
  std::string out;
  AppendUnpricedMetrics(seen, out);
  size_t labels = 0;
  for (size_t at = 0; (at = out.find("\nburnrate_unpriced_tokens_total{", at)) != std::string::npos;
       ++at)
    ++labels;
  EXPECT_EQ(labels, kMaxModelLabels + 1);
  EXPECT_NE(out.find("burnrate_unpriced_tokens_total{model=\"m99\"} 11\n"), std::string::npos);
  EXPECT_EQ(out.find("{model=\"m100\"}"), std::string::npos);
  EXPECT_NE(out.find("burnrate_unpriced_tokens_total{model=\"other\"} 550\n"), std::string::npos)
      << out;
  EXPECT_NE(out.find("burnrate_estimated_cost_usd_total{model=\"other\"} 50.000000000\n"),
            std::string::npos);
}

// A running server reloads its price file: new events are priced with the
// new table; a bad file keeps the old one and says what is wrong.
class PriceReloadTest : public RoutesTest {
 protected:
  void Tune(Config& c) override {
    prices_ = (dir_ / "prices.json").string();
    Write(
        R"({"claude-opus-5-5": {"input_cost_per_token": 1e-05, "output_cost_per_token": 5e-05}})");
    c.prices_file = prices_;
  }
  void Write(const std::string& text) {
    std::ofstream f(prices_, std::ios::trunc);
    f << text;
  }
  std::string prices_;
};

TEST_F(PriceReloadTest, ReloadChangesPricesOfNewEventsOnly) {
  auto ev = [](const std::string& id, const std::string& user) {
    return R"({"id":")" + id + R"(","user":")" + user +
           R"(","model":"claude-opus-5-5","output_tokens":1000000})"
           "\n";
  };
  Send("ingest", "POST", "/v1/events", ev("r1", "before"));
  Write(R"({"claude-opus-5-5": {"cost": {"input": 10, "output": 80}}})");  // models.dev format
  auto ok = Send("admin", "POST", "/v1/prices/reload");
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_NE(ok.body.find(R"("reloaded":true)"), std::string::npos);
  EXPECT_NE(ok.body.find(R"("generation":3)"), std::string::npos) << ok.body;
  Send("ingest", "POST", "/v1/events", ev("r2", "after"));
  Write(R"({"claude-opus-5-5": {"cost": )");
  auto bad = Send("admin", "POST", "/v1/prices/reload");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find(prices_), std::string::npos) << bad.body;
  EXPECT_NE(bad.body.find("not valid JSON"), std::string::npos) << bad.body;
  Send("ingest", "POST", "/v1/events", ev("r3", "after-bad"));
  auto board = Send("viewer", "GET", "/v1/leaderboard?entity=user&window=24h&metric=cost");
  EXPECT_NE(
      board.body.find(
          R"("id":"before","team":"unassigned","org":"default","input_tokens":0,"output_tokens":1000000,"cache_read_tokens":0,"cache_write_tokens":0,"total_tokens":1000000,"cost_usd":50.00,)"),
      std::string::npos)
      << board.body;
  EXPECT_NE(
      board.body.find(
          R"("id":"after","team":"unassigned","org":"default","input_tokens":0,"output_tokens":1000000,"cache_read_tokens":0,"cache_write_tokens":0,"total_tokens":1000000,"cost_usd":80.00,)"),
      std::string::npos)
      << board.body;
  EXPECT_NE(
      board.body.find(
          R"("id":"after-bad","team":"unassigned","org":"default","input_tokens":0,"output_tokens":1000000,"cache_read_tokens":0,"cache_write_tokens":0,"total_tokens":1000000,"cost_usd":80.00,)"),
      std::string::npos)
      << board.body;
  auto p = Send("viewer", "GET", "/v1/prices");
  EXPECT_NE(p.body.find(R"("reloads":1,"last_reload_error":")"), std::string::npos)
      << p.body.substr(0, 400);
  // Priced exactly by the file: not in the unpriced list.
  EXPECT_NE(p.body.find(R"("unpriced":[])"), std::string::npos) << p.body.substr(0, 400);
}

class PseudonymousTest : public RoutesTest {
  void Tune(Config& c) override { c.pseudonymous = true; }
};

TEST_F(PseudonymousTest, BoardsShowStableAliases) {
  Send("ingest", "POST", "/v1/events", Ev("1", "alice.smith", 10) + Ev("2", "bob.jones", 20));
  auto r = Send("viewer", "GET", "/v1/leaderboard?window=24h");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body.find("alice.smith"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("bob.jones"), std::string::npos) << r.body;
  auto again = Send("viewer", "GET", "/v1/leaderboard?window=24h");
  auto id = [](const std::string& body) {
    size_t p = body.find("\"id\":\"") + 6;
    return body.substr(p, body.find('"', p) - p);
  };
  EXPECT_EQ(id(r.body), id(again.body));  // stable
  // Search matches aliases, never the ids behind them.
  auto by_id = Send("viewer", "GET", "/v1/leaderboard?window=24h&q=alice");
  EXPECT_NE(by_id.body.find("\"total_entries\":0"), std::string::npos) << by_id.body;
  std::string alias = id(r.body);
  auto by_alias =
      Send("viewer", "GET", "/v1/leaderboard?window=24h&q=" + alias.substr(alias.rfind('-') + 1));
  EXPECT_NE(by_alias.body.find("\"total_entries\":1"), std::string::npos) << by_alias.body;
  EXPECT_NE(by_alias.body.find(alias), std::string::npos) << by_alias.body;
  // Teams are not people: their names stay.
  EXPECT_NE(Send("viewer", "GET", "/v1/leaderboard?entity=team&window=24h").body.find("unassigned"),
            std::string::npos);
}

}  // namespace
}  // namespace burnrate::app
