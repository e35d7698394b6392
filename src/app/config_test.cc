// Contract tests for app/config.h: TOML values, errors with file, line and
// key, and --listen parsing.
#include "app/config.h"

#include <gtest/gtest.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <fstream>

#include "app/app.h"

namespace burnrate::app {
namespace {

std::string Write(const std::string& text) {
  static int n = 0;
  std::string path = testing::TempDir() + "/config_test_" + std::to_string(getpid()) + "_" +
                     std::to_string(++n) + ".toml";
  std::ofstream(path) << text;
  return path;
}

TEST(Config, DefaultsWork) {
  Config c;
  EXPECT_EQ(c.listen, "127.0.0.1:8080");
  EXPECT_EQ(c.timezone, "UTC");
  EXPECT_GE(c.raw_retention_days, 8);
  EXPECT_EQ(c.max_connections, 4096);
  EXPECT_EQ(c.header_timeout_ms, 10'000);
  EXPECT_EQ(c.idle_timeout_ms, 60'000);
  EXPECT_EQ(c.body_timeout_ms, 30'000);
}

TEST(Config, ReadsEverySection) {
  std::string path = Write(R"(
[server]
listen = "0.0.0.0:9000"
threads = 4
web_dir = "/srv/web"
max_connections = 100
header_timeout_ms = 2000
idle_timeout_ms = 5000
body_timeout_ms = 7000
[store]
path = "/var/lib/burnrate.db"
raw_retention_days = 30
checkpoint_path = "/var/lib/burnrate/node1.checkpoint"
[engine]
timezone = "Europe/Berlin"
board_refresh_ms = 500
[prices]
file = "prices.json"
[identity]
file = "people.csv"
[boards]
pseudonymous = true
[ingest]
max_tokens = 1000
max_future_minutes = 5
[detect]
anything = "kept for other layers"
)");
  auto c = LoadConfig(path);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->listen, "0.0.0.0:9000");
  EXPECT_EQ(c->http_threads, 4);
  EXPECT_EQ(c->web_dir, "/srv/web");
  EXPECT_EQ(c->max_connections, 100);
  EXPECT_EQ(c->header_timeout_ms, 2000);
  EXPECT_EQ(c->idle_timeout_ms, 5000);
  EXPECT_EQ(c->body_timeout_ms, 7000);
  EXPECT_EQ(c->db_path, "/var/lib/burnrate.db");
  EXPECT_EQ(c->raw_retention_days, 30);
  EXPECT_EQ(c->checkpoint_path, "/var/lib/burnrate/node1.checkpoint");
  EXPECT_EQ(c->limits.retention_ms, 30 * kDayMs);
  EXPECT_EQ(c->timezone, "Europe/Berlin");
  EXPECT_EQ(c->board_refresh_ms, 500);
  EXPECT_EQ(c->prices_file, "prices.json");
  EXPECT_EQ(c->identity_file, "people.csv");
  EXPECT_TRUE(c->pseudonymous);
  EXPECT_EQ(c->limits.max_tokens, 1000);
  EXPECT_EQ(c->limits.max_future_ms, 5 * kMinuteMs);
  EXPECT_EQ(c->config_path, path);
  ASSERT_NE(c->toml, nullptr);
  EXPECT_EQ(c->toml->at_path("detect.anything").value<std::string>(), "kept for other layers");
}

TEST(Config, SyntaxErrorsNameFileAndLine) {
  std::string path = Write("[server]\nlisten = \"x\"\nthreads = = 3\n");
  auto c = LoadConfig(path);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(c.status().message().find(path + ":3"), std::string::npos) << c.status().message();
}

TEST(Config, WrongTypesAreErrorsNamingTheKey) {
  // A value of the wrong type must not be silently replaced by the default.
  std::string path = Write("[server]\nlisten = \"x:1\"\nthreads = \"four\"\n");
  auto c = LoadConfig(path);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("server.threads"), std::string::npos) << c.status().message();
  EXPECT_NE(c.status().message().find(path + ":3"), std::string::npos) << c.status().message();
  auto d = LoadConfig(Write("[store]\npath = 7\n"));
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("store.path"), std::string::npos);
  EXPECT_FALSE(LoadConfig(Write("[boards]\npseudonymous = \"yes\"\n")).ok());
}

TEST(Config, IoPriorityIsAutoRealtimeOrNormal) {
  EXPECT_EQ(Config().io_priority, IoPriority::kAuto);
  auto c = LoadConfig(Write("[server]\nio_priority = \"normal\"\n"));
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->io_priority, IoPriority::kNormal);
  auto r = LoadConfig(Write("[server]\nio_priority = \"realtime\"\n"));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->io_priority, IoPriority::kRealtime);
  for (const char* bad : {"\"fifo\"", "1", "true"}) {
    std::string path = Write(std::string("[server]\nio_priority = ") + bad + "\n");
    auto b = LoadConfig(path);
    ASSERT_FALSE(b.ok()) << bad;
    EXPECT_NE(b.status().message().find("server.io_priority"), std::string::npos)
        << b.status().message();
    EXPECT_NE(b.status().message().find(path + ":2"), std::string::npos) << b.status().message();
  }
}

TEST(Config, BusyPollIsOffByDefaultAndBounded) {
  EXPECT_EQ(Config().busy_poll_us, 0);
  auto c = LoadConfig(Write("[server]\nbusy_poll_us = 200\n"));
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->busy_poll_us, 200);
  for (const char* bad : {"-1", "100001", "\"fast\""}) {
    auto b = LoadConfig(Write(std::string("[server]\nbusy_poll_us = ") + bad + "\n"));
    ASSERT_FALSE(b.ok()) << bad;
    EXPECT_NE(b.status().message().find("server.busy_poll_us"), std::string::npos)
        << b.status().message();
  }
}

TEST(Config, TrustedSourcesNameSourceClasses) {
  using engine::SourceClass;
  EXPECT_EQ(Config{}.trusted_sources,
            1u << int(SourceClass::kGateway) | 1u << int(SourceClass::kOtlp));
  auto c = LoadConfig(Write("[boards]\ntrusted_sources = \"gateway,logs\"\n"));
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->trusted_sources, 1u << int(SourceClass::kGateway) | 1u << int(SourceClass::kLogs));
  for (const char* bad : {"\"gateway,proxy\"", "\"\"", "3"}) {
    auto d = LoadConfig(Write(std::string("[boards]\ntrusted_sources = ") + bad + "\n"));
    ASSERT_FALSE(d.ok()) << bad;
    EXPECT_NE(d.status().message().find("boards.trusted_sources"), std::string::npos)
        << d.status().message();
  }
}

TEST(Config, RangeChecks) {
  EXPECT_FALSE(LoadConfig(Write("[server]\nthreads = 0\n")).ok());
  auto r = LoadConfig(Write("[store]\nraw_retention_days = 7\n"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("raw_retention_days"), std::string::npos);
  EXPECT_FALSE(LoadConfig("/nonexistent/burnrate.toml").ok());
  for (const char* bad :
       {"max_connections = 0", "max_connections = 1000001", "header_timeout_ms = 0",
        "idle_timeout_ms = -5", "body_timeout_ms = 86400001"}) {
    auto s = LoadConfig(Write(std::string("[server]\n") + bad + "\n"));
    ASSERT_FALSE(s.ok()) << bad;
    std::string key(bad, std::string_view(bad).find(' '));
    EXPECT_NE(s.status().message().find("server." + key), std::string::npos)
        << s.status().message();
  }
  // A number that does not fit the field is an error, not a wrapped value.
  auto wrap = LoadConfig(Write("[server]\nmax_connections = 4294967297\n"));
  ASSERT_FALSE(wrap.ok());
  EXPECT_NE(wrap.status().message().find("server.max_connections"), std::string::npos)
      << wrap.status().message();
}

TEST(SplitHostPort, Forms) {
  std::string host;
  uint16_t port = 0;
  ASSERT_TRUE(SplitHostPort("127.0.0.1:8080", &host, &port).ok());
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 8080);
  ASSERT_TRUE(SplitHostPort(":9090", &host, &port).ok());
  EXPECT_EQ(host, "0.0.0.0");
  EXPECT_EQ(port, 9090);
  ASSERT_TRUE(SplitHostPort("localhost:0", &host, &port).ok());
  EXPECT_EQ(port, 0);
  EXPECT_FALSE(SplitHostPort("8080", &host, &port).ok());
  EXPECT_FALSE(SplitHostPort("h:65536", &host, &port).ok());
  EXPECT_FALSE(SplitHostPort("h:-1", &host, &port).ok());
  EXPECT_FALSE(SplitHostPort("h:abc", &host, &port).ok());
  EXPECT_NE(SplitHostPort("h:abc", &host, &port).message().find("listen"), std::string::npos);
}

}  // namespace
}  // namespace burnrate::app

namespace burnrate::app {
namespace {

TEST(RedactedDb, MasksEveryPasswordOfAUrl) {
  EXPECT_EQ(RedactedDb("burnrate.db"), "burnrate.db");
  EXPECT_EQ(RedactedDb("postgresql://br:s3cret@db:5432/burnrate"),
            "postgresql://br:***@db:5432/burnrate");
  EXPECT_EQ(RedactedDb("postgresql://db/burnrate?user=br&password=s3cret&sslmode=require"),
            "postgresql://db/burnrate?user=br&password=***&sslmode=require");
  EXPECT_EQ(RedactedDb("postgres://br@db/burnrate?password=x"),
            "postgres://br@db/burnrate?password=***");
  EXPECT_EQ(RedactedDb("postgresql://db:5432/burnrate"), "postgresql://db:5432/burnrate");
}

}  // namespace
}  // namespace burnrate::app
