#include <gtest/gtest.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "otlp/otlp.h"
#include "otlp/otlp_json.h"
#include "store/sqlite/sqlite_stores.h"

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

  // A malformed value marks its point (the receiver rejects it alone).
  auto bad = ParseMetricsJson(
      Sum("x", 1, Point("", R"("asInt":"4x2")", 1, 2) + "," + Point("", R"("asInt":"5")", 1, 2)));
  ASSERT_TRUE(bad.ok()) << bad.status().ToString();
  const auto& pts = (*bad)[0].metrics[0].points;
  ASSERT_EQ(pts.size(), 2u);
  EXPECT_EQ(pts[0].error.rfind(
                "resourceMetrics[0].scopeMetrics[0].metrics[0].sum.dataPoints[0].asInt must be an "
                "int64",
                0),
            0u)
      << pts[0].error;
  EXPECT_NE(pts[0].error.find(R"(got "4x2")"), std::string::npos) << pts[0].error;
  EXPECT_TRUE(pts[1].error.empty());
  EXPECT_EQ(pts[1].as_int, 5);
  EXPECT_FALSE(ParseMetricsJson("{not json").ok());
  EXPECT_FALSE(ParseMetricsJson(R"({"resourceMetrics":{}})").ok());
  EXPECT_TRUE(ParseMetricsJson("{}").ok());
  auto named =
      ParseMetricsJson(R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"x","sum":{
      "aggregationTemporality":"AGGREGATION_TEMPORALITY_CUMULATIVE","dataPoints":[]}}]}]}]})");
  ASSERT_TRUE(named.ok());
  EXPECT_EQ((*named)[0].metrics[0].temporality, Temporality::kCumulative);
}

std::string IntAttr(const std::string& k, const std::string& json_value) {
  return R"({"key":")" + k + R"(","value":{"intValue":)" + json_value + "}}";
}

TEST(OtlpJson, MalformedAttributeValuesMarkTheirPointOrResource) {
  struct Case {
    const char* value;
    const char* why;
  } cases[] = {{R"("12x")", R"(must be an int64 (as a number or a decimal string), got "12x")"},
               {"1.5", "must be an int64 (as a number or a decimal string), got 1.5"},
               {R"("99999999999999999999")", "is out of int64 range"},
               {"9223372036854775808", "is out of int64 range"},
               {"true", "must be an int64"}};
  for (const Case& c : cases) {
    auto r = ParseMetricsJson(
        Sum("x", 1, Point(Attr("a", "b") + "," + IntAttr("n", c.value), R"("asInt":1)", 1, 2)));
    ASSERT_TRUE(r.ok()) << c.value << ": " << r.status().ToString();
    const NumberPoint& p = (*r)[0].metrics[0].points[0];
    EXPECT_NE(p.error.find("dataPoints[0].attributes[1].value (n) intValue " + std::string(c.why)),
              std::string::npos)
        << c.value << ": " << p.error;
    EXPECT_EQ(FindAttr(p.attrs, "n"), nullptr);  // never kept as 0
    EXPECT_EQ(*FindAttr(p.attrs, "a"), "b");
  }
  auto ok = ParseMetricsJson(Sum("x", 1, Point(IntAttr("n", R"("-12")"), R"("asInt":1)", 1, 2)));
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE((*ok)[0].metrics[0].points[0].error.empty());
  EXPECT_EQ(*FindAttr((*ok)[0].metrics[0].points[0].attrs, "n"), "-12");

  auto logs = ParseLogsJson(
      R"({"resourceLogs":[{"resource":{"attributes":[{"key":"x","value":{"boolValue":"yes"}}]},
      "scopeLogs":[{"logRecords":[{"timeUnixNano":"soon","attributes":[]}]}]}]})");
  ASSERT_TRUE(logs.ok()) << logs.status().ToString();
  EXPECT_NE((*logs)[0].error.find("resourceLogs[0].resource.attributes[0].value (x) boolValue"),
            std::string::npos)
      << (*logs)[0].error;
  EXPECT_NE((*logs)[0].records[0].error.find("logRecords[0].timeUnixNano must be an unsigned"),
            std::string::npos)
      << (*logs)[0].records[0].error;
}

// Keys are unique, the last one wins, and the cost stays linear: before,
// each attribute scanned the ones before it, and 80k attributes took 16 s
// (measured through the server). The bound below is 100 times what the
// linear parser takes here, and still far below the quadratic time.
// One point with n distinct attributes, then k7 again (the last value wins).
std::string ManyAttributesBody(int n) {
  std::string attrs;
  for (int i = 0; i < n; ++i) {
    if (i) attrs += ",";
    attrs += Attr("k" + std::to_string(i), "v" + std::to_string(i));
  }
  attrs += "," + Attr("k7", "last");
  return Sum("x", 1, Point(attrs, R"("asInt":1)", 1, 2));
}

// CPU seconds this thread has used: unlike the wall clock it does not grow
// while the thread waits for a core on a loaded machine.
double ThreadCpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return double(t.tv_sec) + double(t.tv_nsec) / 1e9;
}

// Linear, not quadratic, in the number of attributes: the quadratic scan this
// guards against took 15 s of CPU at 80,000 attributes in a release build; the
// index takes about 0.05 s there and about 2 s under ASan. The limit is on the
// thread's CPU time, which a loaded machine (where a wall-clock limit of 3 s
// failed under ASan) does not inflate.
TEST(OtlpJson, ManyAttributesParseInLinearTime) {
  constexpr int kAttrs = 80'000;
  std::string body = ManyAttributesBody(kAttrs);
  double start = ThreadCpuSeconds();
  auto r = ParseMetricsJson(body);
  double secs = ThreadCpuSeconds() - start;
  ASSERT_TRUE(r.ok());
  const Attrs& a = (*r)[0].metrics[0].points[0].attrs;
  EXPECT_EQ(a.size(), size_t(kAttrs));
  EXPECT_EQ(a[7].first, "k7");
  EXPECT_EQ(a[7].second, "last");
  EXPECT_LT(secs, 6.0) << body.size() << " bytes";
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
// features (the function the app passes, model::ComputePromptFeatures);
// Claude Code's "<REDACTED>" placeholder is not a prompt and gives length only.
TEST(OtlpReceiver, UserPromptTextBecomesFeaturesUnlessRedacted) {
  ReceiverOptions o;
  std::vector<std::string> seen;
  o.prompt_features = [&](std::string_view text) {
    seen.emplace_back(text);
    model::PromptFeatures f;
    f.length = uint32_t(text.size()), f.simhash = 0xabc, f.exact_hash = 0xdef,
    f.compress_ratio = 0.5f;
    return f;
  };
  Receiver rx(o);
  auto prompt = [](const std::string& text, const std::string& seq) {
    return R"({"timeUnixNano":")" + std::to_string(kT0) +
           R"(","body":{"stringValue":"claude_code.user_prompt"},
      "attributes":[)" +
           Who() + "," + Attr("prompt_length", std::to_string(text.size())) + "," +
           Attr("prompt", text) + "," + Attr("event.sequence", seq) + "]}";
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

std::string ApiRequestWith(const std::string& session, const std::string& rid,
                           const std::string& input_attr) {
  return R"({"timeUnixNano":")" + std::to_string(kT0 + 5 * kSec) +
         R"(","body":{"stringValue":"claude_code.api_request"},"attributes":[)" + Who(session) +
         "," + Attr("model", "m") + "," + Attr("request_id", rid) + "," + input_attr + "]}";
}

// The issue's case: an intValue "12x" was kept as 0 tokens and used up its
// request_id, so the corrected retry was dropped as a duplicate.
TEST(OtlpReceiver, BadIntValueRejectsTheRecordAndTheCorrectedRetryCounts) {
  Receiver rx;
  auto bad = rx.Logs(Logs(ApiRequestWith("s1", "r1", IntAttr("input_tokens", R"("12x")")) + "," +
                          ApiRequestWith("s1", "r2", IntAttr("input_tokens", "7"))));
  ASSERT_TRUE(bad.ok()) << bad.status().ToString();
  ASSERT_EQ(bad->events.size(), 1u);  // the good record around it counts
  EXPECT_EQ(bad->events[0].id, "otlp-req:r2");
  ASSERT_EQ(bad->rejected.size(), 1u);
  EXPECT_EQ(bad->rejected_total, 1);
  EXPECT_NE(bad->rejected[0].error.find(R"((input_tokens) intValue must be an int64)"),
            std::string::npos)
      << bad->rejected[0].error;
  EXPECT_NE(bad->rejected[0].field.find("logRecords[0].attributes[5]"), std::string::npos)
      << bad->rejected[0].field;
  auto retry = rx.Logs(Logs(ApiRequestWith("s1", "r1", IntAttr("input_tokens", R"("12")"))));
  ASSERT_TRUE(retry.ok());
  ASSERT_EQ(retry->events.size(), 1u);
  EXPECT_EQ(retry->events[0].id, "otlp-req:r1");
  EXPECT_EQ(retry->events[0].tokens.input, 12);
  EXPECT_TRUE(retry->rejected.empty());

  // A text value that is not a number is not 0 either.
  auto text = rx.Logs(Logs(ApiRequestWith("s1", "r3", Attr("output_tokens", "lots"))));
  ASSERT_EQ(text->rejected.size(), 1u);
  EXPECT_EQ(text->rejected[0].field, "output_tokens");
  EXPECT_TRUE(text->events.empty());
}

// A rejected record decides nothing: the session's usage source is still
// open, so a metric point of the same session counts.
TEST(OtlpReceiver, RejectedRecordDoesNotClaimItsSession) {
  Receiver rx;
  auto l = rx.Logs(Logs(ApiRequestWith("s5", "r1", Attr("input_tokens", "-3"))));
  ASSERT_EQ(l->rejected.size(), 1u);
  EXPECT_NE(
      l->rejected[0].error.find("input_tokens must be a number between 0 and 5e+07, got \"-3\""),
      std::string::npos)
      << l->rejected[0].error;
  auto m = rx.Metrics(Sum("claude_code.token.usage", 1,
                          Point(Who("s5") + "," + Attr("type", "input") + "," + Attr("model", "m"),
                                R"("asInt":10)", kT0, kT0 + kSec)));
  ASSERT_EQ(m->events.size(), 1u);
  EXPECT_EQ(m->deferred_to_logs, 0);
}

TEST(OtlpReceiver, NegativeCountsAreRejectedNotDropped) {
  Receiver rx;
  std::string who = Who() + "," + Attr("type", "output") + "," + Attr("model", "m");
  auto c = rx.Metrics(Sum("claude_code.token.usage", 1,
                          Point(who, R"("asInt":"-700")", kT0, kT0 + kSec) + "," +
                              Point(who, R"("asDouble":-2.5)", kT0, kT0 + 2 * kSec) + "," +
                              Point(who, R"("asInt":"3")", kT0, kT0 + 3 * kSec)));
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->events.size(), 1u);
  EXPECT_EQ(c->unchanged, 0);
  ASSERT_EQ(c->rejected.size(), 2u);
  EXPECT_EQ(c->rejected[0].error, "claude_code.token.usage: value must not be negative, got -700");
  EXPECT_EQ(c->rejected[0].field, "asInt");
  EXPECT_EQ(c->rejected[1].field, "asDouble");
  auto cost = rx.Metrics(
      Sum("claude_code.cost.usage", 1,
          Point(Who() + "," + Attr("model", "m"), R"("asDouble":-0.5)", kT0, kT0 + kSec)));
  EXPECT_EQ(cost->rejected_total, 1);
}

// A cumulative point rejected after its delta was seen (beyond the
// ceiling, or negative) leaves the series as it was: the corrected retry
// counts from the last good point.
TEST(OtlpReceiver, RejectedCumulativePointLeavesTheSeriesUntouched) {
  Receiver rx;
  auto send = [&](const std::string& v, uint64_t t) {
    auto c = rx.Metrics(Sum("claude_code.token.usage", 2,
                            Point(Who() + "," + Attr("type", "input") + "," + Attr("model", "m"),
                                  R"("asInt":")" + v + "\"", kT0, t)));
    EXPECT_TRUE(c.ok());
    return *c;
  };
  EXPECT_EQ(send("100", kT0 + kSec).events.at(0).tokens.input, 100);
  EXPECT_EQ(send("99000000000", kT0 + 2 * kSec).rejected_total, 1);  // beyond the ceiling
  EXPECT_EQ(send("-5", kT0 + 2 * kSec).rejected_total, 1);
  EXPECT_EQ(send("1x", kT0 + 2 * kSec).rejected_total, 1);
  Converted fixed = send("160", kT0 + 2 * kSec);
  ASSERT_EQ(fixed.events.size(), 1u);
  EXPECT_EQ(fixed.events[0].tokens.input, 60);
  EXPECT_EQ(rx.stats().resets, 0);
}

TEST(OtlpReceiver, RejectsAreCountedAllButKeptBounded) {
  Receiver rx;
  std::string pts;
  for (int i = 0; i < 150; ++i) {
    if (i) pts += ",";
    pts += Point(Who(), R"("asInt":"bad")", kT0, kT0 + uint64_t(i + 1) * kSec);
  }
  auto c = rx.Metrics(Sum("claude_code.commit.count", 1, pts));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->rejected_total, 150);
  EXPECT_EQ(c->rejected.size(), Converted::kMaxRejectsKept);
  EXPECT_EQ(c->points, 150);
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
    ASSERT_TRUE(a.AttachStore(store::OpenSqliteOtlpStateStore(db).value(), now).ok());
    auto c = a.Metrics(body(100, kT0 + kSec));
    ASSERT_EQ(c->events.size(), 1u);
    ASSERT_TRUE(a.Persist(*c, now).ok());
    auto l = a.Logs(Logs(ApiRequest("logs-first", "r1", 1, 1, "0.1")));
    ASSERT_TRUE(a.Persist(*l, now).ok());
    // Converted but never committed: not persisted.
    (void)a.Metrics(body(180, kT0 + 2 * kSec));
  }
  Receiver b;  // a restarted server
  ASSERT_TRUE(b.AttachStore(store::OpenSqliteOtlpStateStore(db).value(), now).ok());
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
