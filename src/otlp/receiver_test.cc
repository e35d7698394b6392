#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "otlp/otlp.h"
#include "otlp/otlp_json.h"

namespace burnrate::otlp {
namespace {

const char* kRes = R"({"attributes":[{"key":"service.name","value":{"stringValue":"claude-code"}},
  {"key":"team.id","value":{"stringValue":"platform"}}]})";

std::string Attr(const std::string& k, const std::string& v) {
  return R"({"key":")" + k + R"(","value":{"stringValue":")" + v + R"("}})";
}

std::string Point(const std::string& attrs, const std::string& value, uint64_t start, uint64_t t) {
  return R"({"attributes":[)" + attrs + R"(],"startTimeUnixNano":")" + std::to_string(start) +
         R"(","timeUnixNano":")" + std::to_string(t) + R"(",)" + value + "}";
}

std::string Sum(const std::string& name, int temporality, const std::string& points) {
  return R"({"resourceMetrics":[{"resource":)" + std::string(kRes) +
         R"(,"scopeMetrics":[{"scope":{"name":"com.anthropic.claude_code"},"metrics":[{"name":")" +
         name + R"(","sum":{"aggregationTemporality":)" + std::to_string(temporality) +
         R"(,"isMonotonic":true,"dataPoints":[)" + points + "]}}]}]}]}";
}

std::string Who(const std::string& session = "s1") {
  return Attr("user.email", "ana@example.com") + "," + Attr("session.id", session) + "," +
         Attr("organization.id", "acme");
}

constexpr uint64_t kT0 = 1'780'000'000'000'000'000ULL;  // ns
constexpr uint64_t kSec = 1'000'000'000ULL;

TEST(OtlpJson, ParsesIntsAsStringsAndNumbersAndNamesBadPaths) {
  auto r = ParseMetricsJson(Sum("x", 1,
                                Point(Attr("a", "b"), R"("asInt":"42")", 1, 2) + "," +
                                    Point("", R"("asInt":7)", 1, 3) + "," +
                                    Point("", R"("asDouble":0.5)", 1, 4)));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 1u);
  const auto& m = (*r)[0].metrics[0];
  EXPECT_EQ(m.temporality, Temporality::kDelta);
  ASSERT_EQ(m.points.size(), 3u);
  EXPECT_EQ(m.points[0].as_int, 42);
  EXPECT_EQ(m.points[1].as_int, 7);
  EXPECT_FALSE(m.points[2].is_int);
  EXPECT_EQ(*FindAttr((*r)[0].resource, "team.id"), "platform");

  auto bad = ParseMetricsJson(Sum("x", 1, Point("", R"("asInt":"4x2")", 1, 2)));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find(
                "resourceMetrics[0].scopeMetrics[0].metrics[0].sum.dataPoints[0].asInt"),
            std::string::npos)
      << bad.status().message();
  EXPECT_FALSE(ParseMetricsJson("{not json").ok());
  EXPECT_FALSE(ParseMetricsJson(R"({"resourceMetrics":{}})").ok());
  EXPECT_TRUE(ParseMetricsJson("{}").ok());
  auto named =
      ParseMetricsJson(R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"x","sum":{
      "aggregationTemporality":"AGGREGATION_TEMPORALITY_CUMULATIVE","dataPoints":[]}}]}]}]})");
  ASSERT_TRUE(named.ok());
  EXPECT_EQ((*named)[0].metrics[0].temporality, Temporality::kCumulative);
}

TEST(OtlpReceiver, DeltaTokenUsageBecomesUsageEventsWithStableIds) {
  Receiver rx;
  std::string body = Sum(
      "claude_code.token.usage", 1,
      Point(Who() + "," + Attr("type", "input") + "," + Attr("model", "claude-sonnet-4-5"),
            R"("asInt":"1200")", kT0, kT0 + 60 * kSec) +
          "," +
          Point(Who() + "," + Attr("type", "cacheRead") + "," + Attr("model", "claude-sonnet-4-5"),
                R"("asDouble":300)", kT0, kT0 + 60 * kSec));
  auto c = rx.Metrics(body);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->events.size(), 2u);
  const auto& e = c->events[0];
  EXPECT_EQ(e.user, "ana@example.com");
  EXPECT_EQ(e.team, "platform");
  EXPECT_EQ(e.org, "acme");
  EXPECT_EQ(e.session, "s1");
  EXPECT_EQ(e.model, "claude-sonnet-4-5");
  EXPECT_EQ(e.tokens.input, 1200);
  EXPECT_EQ(e.requests, 0);
  EXPECT_EQ(e.cost_nanos, 0);
  EXPECT_EQ(e.source, "otlp");
  EXPECT_EQ(c->events[1].tokens.cache_read, 300);
  // A retry of the same body yields the same ids (the ingest layer drops them).
  auto again = rx.Metrics(body);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->events[0].id, e.id);
  EXPECT_NE(c->events[0].id, c->events[1].id);
}

TEST(OtlpReceiver, CumulativeBecomesDeltasAndDetectsResets) {
  Receiver rx;
  auto send = [&](int64_t v, uint64_t start, uint64_t t) {
    auto c = rx.Metrics(Sum("claude_code.token.usage", 2,
                            Point(Who() + "," + Attr("type", "output") + "," + Attr("model", "m"),
                                  R"("asInt":")" + std::to_string(v) + "\"", start, t)));
    EXPECT_TRUE(c.ok());
    return c->events.empty() ? int64_t(0) : c->events[0].tokens.output;
  };
  EXPECT_EQ(send(100, kT0, kT0 + 10 * kSec), 100);
  EXPECT_EQ(send(250, kT0, kT0 + 20 * kSec), 150);
  EXPECT_EQ(send(250, kT0, kT0 + 20 * kSec), 0);              // retry: nothing new
  EXPECT_EQ(send(250, kT0, kT0 + 30 * kSec), 0);              // no increase
  EXPECT_EQ(send(40, kT0, kT0 + 40 * kSec), 40);              // value dropped: reset
  EXPECT_EQ(send(90, kT0 + 50 * kSec, kT0 + 60 * kSec), 90);  // new start time: reset
  EXPECT_EQ(send(100, kT0 + 50 * kSec, kT0 + 70 * kSec), 10);
  EXPECT_EQ(rx.stats().resets, 2);
}

TEST(OtlpReceiver, RollbackLetsARetryCountAgainWithTheSameId) {
  Receiver rx;
  auto body = [&](int64_t v, uint64_t t) {
    return Sum("claude_code.cost.usage", 2,
               Point(Who() + "," + Attr("model", "m"), R"("asDouble":)" + std::to_string(v) + ".25",
                     kT0, t));
  };
  auto first = rx.Metrics(body(1, kT0 + kSec));
  ASSERT_EQ(first->events.size(), 1u);
  EXPECT_EQ(first->events[0].cost_nanos, 1'250'000'000);
  auto second = rx.Metrics(body(3, kT0 + 2 * kSec));
  ASSERT_EQ(second->events.size(), 1u);
  EXPECT_EQ(second->events[0].cost_nanos, 2'000'000'000);
  rx.Rollback(*second);  // the commit failed
  auto retry = rx.Metrics(body(3, kT0 + 2 * kSec));
  ASSERT_EQ(retry->events.size(), 1u);
  EXPECT_EQ(retry->events[0].id, second->events[0].id);
  EXPECT_EQ(retry->events[0].cost_nanos, 2'000'000'000);
}

TEST(OtlpReceiver, OutcomesFromClaudeCodeMetrics) {
  Receiver rx;
  std::string pts = Point(Who() + "," + Attr("type", "added"), R"("asInt":"120")", kT0, kT0 + kSec);
  auto lines = rx.Metrics(Sum("claude_code.lines_of_code.count", 1, pts));
  ASSERT_EQ(lines->events.size(), 1u);
  EXPECT_EQ(lines->events[0].type, model::EventType::kOutcome);
  EXPECT_EQ(lines->events[0].outcome_kind, "lines_added");
  EXPECT_EQ(lines->events[0].outcome_value, 120);
  auto pr = rx.Metrics(
      Sum("claude_code.pull_request.count", 1, Point(Who(), R"("asInt":1)", kT0, kT0 + kSec)));
  EXPECT_EQ(pr->events[0].outcome_kind, "pull_request");
  auto commit =
      rx.Metrics(Sum("claude_code.commit.count", 1, Point(Who(), R"("asInt":2)", kT0, kT0 + kSec)));
  EXPECT_EQ(commit->events[0].outcome_kind, "commit");
  auto dec =
      rx.Metrics(Sum("claude_code.code_edit_tool.decision", 1,
                     Point(Who() + "," + Attr("decision", "reject") + "," + Attr("tool", "Edit"),
                           R"("asInt":1)", kT0, kT0 + kSec)));
  EXPECT_EQ(dec->events[0].outcome_kind, "edit_rejected");
  auto active = rx.Metrics(
      Sum("claude_code.active_time.total", 1, Point(Who(), R"("asDouble":12.5)", kT0, kT0 + kSec)));
  EXPECT_TRUE(active->events.empty());
  EXPECT_EQ(active->ignored, 1);
}

TEST(OtlpReceiver, PointWithoutUserIsRejectedNamingTheAttribute) {
  Receiver rx;
  auto c = rx.Metrics(Sum("claude_code.commit.count", 1,
                          Point(Attr("session.id", "s"), R"("asInt":1)", kT0, kT0 + kSec) + "," +
                              Point(Who(), R"("asInt":1)", kT0, kT0 + kSec)));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->events.size(), 1u);  // the good point is kept
  ASSERT_EQ(c->rejected.size(), 1u);
  EXPECT_EQ(c->rejected[0].field, "user.email");
}

std::string Logs(const std::string& records) {
  return R"({"resourceLogs":[{"resource":)" + std::string(kRes) +
         R"(,"scopeLogs":[{"scope":{"name":"com.anthropic.claude_code.events"},"logRecords":[)" +
         records + "]}]}]}";
}

std::string ApiRequest(const std::string& session, const std::string& rid, int in, int out,
                       const char* cost) {
  return R"({"timeUnixNano":")" + std::to_string(kT0 + 5 * kSec) +
         R"(","body":{"stringValue":"claude_code.api_request"},
    "attributes":[)" +
         Who(session) + "," + Attr("event.name", "api_request") + "," +
         Attr("model", "claude-opus-4-1") + "," + Attr("request_id", rid) + "," +
         Attr("input_tokens", std::to_string(in)) + "," +
         Attr("output_tokens", std::to_string(out)) +
         R"(,{"key":"cost_usd","value":{"doubleValue":)" + cost +
         R"(}}, {"key":"cache_read_tokens","value":{"intValue":"7"}}]})";
}

TEST(OtlpReceiver, ApiRequestLogsAreUsageKeyedByRequestId) {
  Receiver rx;
  auto c = rx.Logs(Logs(ApiRequest("s9", "req_1", 100, 20, "0.0125") + "," +
                        ApiRequest("s9", "req_2", 5, 1, "0.001")));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->events.size(), 2u);
  const auto& e = c->events[0];
  EXPECT_EQ(e.id, "otlp-req:req_1");
  EXPECT_EQ(e.tokens.input, 100);
  EXPECT_EQ(e.tokens.output, 20);
  EXPECT_EQ(e.tokens.cache_read, 7);
  EXPECT_EQ(e.cost_nanos, 12'500'000);
  EXPECT_EQ(e.requests, 1);
  EXPECT_EQ(e.model, "claude-opus-4-1");
  EXPECT_EQ(e.ts, TimeMs((kT0 + 5 * kSec) / 1'000'000));
}

TEST(OtlpReceiver, NoDoubleCountWhenLogsComeFirst) {
  Receiver rx;
  ASSERT_TRUE(rx.Logs(Logs(ApiRequest("s1", "r1", 100, 20, "0.01"))).ok());
  auto m = rx.Metrics(Sum(
      "claude_code.token.usage", 1,
      Point(Who("s1") + "," + Attr("type", "input") + "," + Attr("model", "claude-opus-4-1"),
            R"("asInt":100)", kT0, kT0 + 60 * kSec) +
          "," +
          Point(Who("s2") + "," + Attr("type", "input") + "," + Attr("model", "claude-opus-4-1"),
                R"("asInt":50)", kT0, kT0 + 60 * kSec)));
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->events.size(), 1u);  // s1's point is the same usage as its api_request
  EXPECT_EQ(m->events[0].session, "s2");
  EXPECT_EQ(m->deferred_to_logs, 1);
  auto cost = rx.Metrics(
      Sum("claude_code.cost.usage", 1,
          Point(Who("s1") + "," + Attr("model", "m"), R"("asDouble":0.01)", kT0, kT0 + 60 * kSec)));
  EXPECT_TRUE(cost->events.empty());
}

TEST(OtlpReceiver, NoDoubleCountWhenMetricsComeFirst) {
  Receiver rx;
  auto m = rx.Metrics(
      Sum("claude_code.token.usage", 1,
          Point(Who("s1") + "," + Attr("type", "input") + "," + Attr("model", "claude-opus-4-1"),
                R"("asInt":100)", kT0, kT0 + 60 * kSec)));
  ASSERT_EQ(m->events.size(), 1u);
  auto l = rx.Logs(Logs(ApiRequest("s1", "r1", 100, 20, "0.01")));
  ASSERT_EQ(l->events.size(), 1u);
  EXPECT_EQ(l->events[0].tokens.Total(), 0);  // the metrics own this session's tokens
  EXPECT_EQ(l->events[0].cost_nanos, 0);
  EXPECT_EQ(l->events[0].requests, 1);  // but the request still counts
}

TEST(OtlpReceiver, UserPromptCarriesLengthOnly) {
  Receiver rx;
  auto c = rx.Logs(
      Logs(R"({"timeUnixNano":")" + std::to_string(kT0) +
           R"(","body":{"stringValue":"claude_code.user_prompt"},
      "attributes":[)" +
           Who() + "," + Attr("prompt_length", "321") + "]}," +
           R"({"timeUnixNano":"1","body":{"stringValue":"something.else"},"attributes":[]})"));
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->events.size(), 1u);
  EXPECT_TRUE(c->events[0].prompt.present);
  EXPECT_EQ(c->events[0].prompt.length, 321u);
  EXPECT_EQ(c->events[0].tokens.Total(), 0);
  EXPECT_EQ(c->ignored, 1);
}

// With OTEL_LOG_USER_PROMPTS=1 the record carries the text: it becomes
// features (the function the app passes, detect::ComputePromptFeatures);
// Claude Code's "<REDACTED>" placeholder is not a prompt and gives length only.
TEST(OtlpReceiver, UserPromptTextBecomesFeaturesUnlessRedacted) {
  ReceiverOptions o;
  std::vector<std::string> seen;
  o.prompt_features = [&](std::string_view text) {
    seen.emplace_back(text);
    model::PromptFeatures f;
    f.length = uint32_t(text.size()), f.simhash = 0xabc, f.exact_hash = 0xdef, f.compress_ratio = 0.5f;
    return f;
  };
  Receiver rx(o);
  auto prompt = [](const std::string& text, const std::string& seq) {
    return R"({"timeUnixNano":")" + std::to_string(kT0) + R"(","body":{"stringValue":"claude_code.user_prompt"},
      "attributes":[)" + Who() + "," + Attr("prompt_length", std::to_string(text.size())) + "," + Attr("prompt", text) +
           "," + Attr("event.sequence", seq) + "]}";
  };
  auto c = rx.Logs(Logs(prompt("fix the flaky test", "1") + "," + prompt("<REDACTED>", "2")));
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->events.size(), 2u);
  EXPECT_EQ(seen, (std::vector<std::string>{"fix the flaky test"}));
  EXPECT_TRUE(c->events[0].prompt.present);
  EXPECT_EQ(c->events[0].prompt.length, 18u);
  EXPECT_EQ(c->events[0].prompt.simhash, 0xabcu);
  EXPECT_FLOAT_EQ(c->events[0].prompt.compress_ratio, 0.5f);
  EXPECT_TRUE(c->events[1].prompt.present);
  EXPECT_EQ(c->events[1].prompt.length, 10u);  // prompt_length, as sent
  EXPECT_EQ(c->events[1].prompt.simhash, 0u);
  EXPECT_EQ(c->events[1].prompt.exact_hash, 0u);
}

TEST(OtlpReceiver, OutOfRangeValuesAreRejectedNamingTheField) {
  Receiver rx;
  auto l = rx.Logs(Logs(ApiRequest("s1", "r1", 100, 20, "1e300") + "," +
                        ApiRequest("s1", "r2", 100, 20, "0.5")));
  ASSERT_TRUE(l.ok());
  ASSERT_EQ(l->events.size(), 1u);
  EXPECT_EQ(l->events[0].id, "otlp-req:r2");
  ASSERT_EQ(l->rejected.size(), 1u);
  EXPECT_EQ(l->rejected[0].field, "cost_usd");
  auto m = rx.Metrics(Sum(
      "claude_code.cost.usage", 1,
      Point(Who("s9") + "," + Attr("model", "m"), R"("asInt":"9000000000000")", kT0, kT0 + kSec)));
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->events.empty());
  EXPECT_EQ(m->rejected.size(), 1u);
}

TEST(OtlpReceiver, StateSurvivesARestartThroughTheStore) {
  std::string db = ::testing::TempDir() + "otlp_state_" + std::to_string(::getpid()) + ".db";
  std::remove(db.c_str());
  TimeMs now = TimeMs(kT0 / 1'000'000);
  auto body = [&](int64_t v, uint64_t t) {
    return Sum("claude_code.token.usage", 2,
               Point(Who() + "," + Attr("type", "input") + "," + Attr("model", "m"),
                     R"("asInt":")" + std::to_string(v) + "\"", kT0, t));
  };
  {
    Receiver a;
    ASSERT_TRUE(a.AttachStore(db, now).ok());
    auto c = a.Metrics(body(100, kT0 + kSec));
    ASSERT_EQ(c->events.size(), 1u);
    ASSERT_TRUE(a.Persist(*c, now).ok());
    auto l = a.Logs(Logs(ApiRequest("logs-first", "r1", 1, 1, "0.1")));
    ASSERT_TRUE(a.Persist(*l, now).ok());
    // Converted but never committed: not persisted.
    (void)a.Metrics(body(180, kT0 + 2 * kSec));
  }
  Receiver b;  // a restarted server
  ASSERT_TRUE(b.AttachStore(db, now).ok());
  auto c = b.Metrics(body(250, kT0 + 3 * kSec));
  ASSERT_EQ(c->events.size(), 1u);
  EXPECT_EQ(c->events[0].tokens.input, 150);  // not the whole running total again
  auto m = b.Metrics(
      Sum("claude_code.token.usage", 1,
          Point(Who("logs-first") + "," + Attr("type", "input") + "," + Attr("model", "m"),
                R"("asInt":1)", kT0, kT0 + kSec)));
  EXPECT_TRUE(m->events.empty());  // the session still belongs to its api_request records
  for (const char* ext : {"", "-wal", "-shm"}) std::remove((db + ext).c_str());
}

TEST(OtlpContentType, JsonOnly) {
  EXPECT_TRUE(CheckContentType("application/json").ok());
  EXPECT_TRUE(CheckContentType("application/json; charset=utf-8").ok());
  auto pb = CheckContentType("application/x-protobuf");
  EXPECT_EQ(pb.code(), Status::Code::kUnsupported);
  EXPECT_NE(pb.message().find("http/json"), std::string::npos);
  EXPECT_FALSE(CheckContentType("text/plain").ok());
}

}  // namespace
}  // namespace burnrate::otlp
