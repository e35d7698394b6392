#include "govern/policy.h"

#include <gtest/gtest.h>
#include <toml++/toml.h>

#include "govern/test_util.h"

namespace burnrate::govern {
namespace {

TEST(Policy, ParseDuration) {
  EXPECT_EQ(ParseDuration("250ms").value(), 250);
  EXPECT_EQ(ParseDuration("30s").value(), 30000);
  EXPECT_EQ(ParseDuration("5m").value(), 5 * kMinuteMs);
  EXPECT_EQ(ParseDuration("24h").value(), kDayMs);
  EXPECT_EQ(ParseDuration("7d").value(), 7 * kDayMs);
  EXPECT_FALSE(ParseDuration("").ok());
  EXPECT_FALSE(ParseDuration("5").ok());
  EXPECT_FALSE(ParseDuration("m").ok());
  EXPECT_FALSE(ParseDuration("5y").ok());
  EXPECT_FALSE(ParseDuration("99999999999999999999d").ok());
}

TEST(Policy, ModelPrefixMatch) {
  Policy p;
  p.model = "claude-opus*";
  EXPECT_TRUE(p.MatchesModel("claude-opus-4-1"));
  EXPECT_FALSE(p.MatchesModel("claude-sonnet-4-5"));
  p.model = "gpt-5";
  EXPECT_TRUE(p.MatchesModel("gpt-5"));
  EXPECT_FALSE(p.MatchesModel("gpt-5-mini"));
  p.model = "";
  EXPECT_TRUE(p.MatchesModel("anything"));
}

TEST(Policy, TomlBudgetAndErrorsNameFieldAndLine) {
  toml::table t = toml::parse(R"(
[[governance.budget]]
id = "team-usd"
scope = "team"
subject = "payments"
limit_usd = 250.5
period = "rolling"
window = "7d"
enforce = "soft"
alert_at = [80, 100]
)");
  auto p = PolicyFromToml(*t["governance"]["budget"][0].as_table(), PolicyKind::kBudget, "b[0]");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->unit, Unit::kNanoUsd);
  EXPECT_EQ(p->limit, 250500000000);
  EXPECT_EQ(p->window_ms, 7 * kDayMs);
  EXPECT_EQ(p->enforce, Enforcement::kSoft);
  EXPECT_EQ(p->alert_pct, (std::vector<int>{80, 100}));

  toml::table bad = toml::parse(
      "[governance]\n\n[[governance.budget]]\nid = \"x\"\nscope = \"galaxy\"\nlimit_tokens = 5\n");
  FakeClock clock;
  AuditLog audit(nullptr, clock);
  Governor g(clock, audit, nullptr);
  Status s = g.Configure(bad);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("governance.budget[0] (line 3)"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("scope"), std::string::npos) << s.message();

  toml::table nolimit = toml::parse("[[governance.budget]]\nid = \"x\"\n");
  s = g.Configure(nolimit);
  EXPECT_NE(s.message().find("limit"), std::string::npos) << s.message();
  toml::table dup = toml::parse(
      "[[governance.budget]]\nid = \"x\"\nlimit_tokens = 1\n[[governance.budget]]\nid = "
      "\"x\"\nlimit_tokens = 2\n");
  s = g.Configure(dup);
  EXPECT_NE(s.message().find("duplicate"), std::string::npos) << s.message();
  toml::table tz = toml::parse("[governance]\ntime_zone = \"Mars/Olympus\"\n");
  s = g.Configure(tz);
  EXPECT_NE(s.message().find("governance.time_zone"), std::string::npos) << s.message();
}

TEST(Policy, JsonRoundTrip) {
  auto p = PolicyFromJson(
      R"({"id":"k-rate","kind":"rate_limit","scope":"key","subject":"*","requests_per_min":60,"max_concurrent":4})");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->kind, PolicyKind::kRateLimit);
  EXPECT_EQ(p->scope, ScopeKind::kKey);
  auto again = PolicyFromJson(p->ToJson());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->requests_per_min, 60);
  EXPECT_EQ(again->max_concurrent, 4);

  auto b = PolicyFromJson(R"({"id":"b","limit_usd":12.25,"period":"rolling","window":"1h"})");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  auto b2 = PolicyFromJson(b->ToJson());
  ASSERT_TRUE(b2.ok()) << b2.status().ToString() << " " << b->ToJson();
  EXPECT_EQ(b2->limit, 12250000000);
  EXPECT_EQ(b2->window_ms, kHourMs);
}

TEST(Policy, JsonErrorsNameTheField) {
  struct Case {
    const char* body;
    const char* field;
  } cases[] = {
      {"[1]", "body"},
      {R"({"id":"a b","limit_tokens":1})", "id"},
      {R"({"id":"a","limit_tokens":"many"})", "limit_tokens"},
      {R"({"id":"a","limit_tokens":0})", "limit"},
      {R"({"id":"a","kind":"quota"})", "kind"},
      {R"({"id":"a","scope":"planet","limit_tokens":1})", "scope"},
      {R"({"id":"a","period":"fortnight","limit_tokens":1})", "period"},
      {R"({"id":"a","period":"rolling","limit_tokens":1})", "window"},
      {R"({"id":"a","limit_tokens":1,"alert_at":[50,"x"]})", "alert_at"},
      {R"({"id":"a","kind":"rate_limit"})", "requests_per_min"},
  };
  for (const auto& c : cases) {
    auto p = PolicyFromJson(c.body);
    EXPECT_FALSE(p.ok()) << c.body;
    EXPECT_EQ(p.status().field(), c.field) << c.body << " -> " << p.status().message();
  }
}

}  // namespace
}  // namespace burnrate::govern
