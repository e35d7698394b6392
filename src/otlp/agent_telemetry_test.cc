// Codex CLI logs and GenAI spans (GitHub Copilot CLI) through the Receiver,
// on bodies the real clients sent (tests/data/agents/codex-0.171.0-otlp,
// tests/data/otlp/copilot-cli-1.0.102) and on hand-made edge cases.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "model/request_key.h"
#include "otlp/otlp.h"
#include "otlp/otlp_json.h"

namespace burnrate::otlp {
namespace {

std::string Data(const std::string& rel) {
  const char* src = std::getenv("BURNRATE_SOURCE_DIR");
  std::ifstream f(std::string(src ? src : ".") + "/tests/data/" + rel);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string Attr(const std::string& k, const std::string& v) {
  return R"({"key":")" + k + R"(","value":{"stringValue":")" + v + R"("}})";
}

std::string CodexLog(const std::string& attrs) {
  return R"({"resourceLogs":[{"resource":{"attributes":[)" + Attr("service.name", "codex_exec") +
         R"(]},"scopeLogs":[{"logRecords":[{"timeUnixNano":"0","observedTimeUnixNano":"1796411000000000000","eventName":"event otel/src/events/session_telemetry.rs:1187","attributes":[)" +
         attrs + "]}]}]}]}";
}

std::string Completed(const std::string& extra) {
  return Attr("event.name", "codex.sse_event") + "," + Attr("event.kind", "response.completed") +
         "," + Attr("conversation.id", "thread-1") + "," + Attr("model", "gpt-5.5") + "," +
         Attr("input_token_count", "1000") + "," + Attr("cached_token_count", "200") + "," +
         Attr("output_token_count", "50") + "," + Attr("reasoning_token_count", "10") + extra;
}

TEST(OtlpCodex, RealExportBecomesOneEventPerResponseWithTheReadersIds) {
  Receiver rx;
  std::vector<model::Event> events;
  int64_t records = 0, ignored = 0;
  for (int i = 1; i <= 3; ++i) {
    auto c = rx.Logs(Data("agents/codex-0.171.0-otlp/otlp/logs-" + std::to_string(i) + ".json"));
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    EXPECT_EQ(c->rejected_total, 0);
    records += c->points, ignored += c->ignored;
    for (auto& e : c->events)
      if (e.model != "(prompt)") events.push_back(e);
  }
  EXPECT_GT(records, 20);  // startup, prompts, SSE events, api_request: acknowledged
  ASSERT_EQ(events.size(), 2u);
  // What the stub answered (the fixture's README): input includes cached.
  struct Want {
    int64_t input, cached, output, reasoning;
  } want[] = {{1333, 299, 67, 14}, {1370, 310, 70, 15}};
  for (size_t i = 0; i < 2; ++i) {
    const model::Event& e = events[i];
    EXPECT_EQ(e.user, "alice@example.com");
    EXPECT_EQ(e.source, "codex");
    EXPECT_EQ(e.model, "gpt-5.5");
    EXPECT_EQ(e.requests, 1);
    EXPECT_EQ(e.tokens.input, want[i].input - want[i].cached);
    EXPECT_EQ(e.tokens.cache_read, want[i].cached);
    EXPECT_EQ(e.tokens.output, want[i].output);
    EXPECT_FALSE(e.session.empty());
    EXPECT_EQ(e.id, model::CodexEventId(model::CodexRequestKey(
                        e.session,
                        {want[i].input, want[i].cached, 0, want[i].output, want[i].reasoning})));
  }
}

TEST(OtlpCodex, OnlyTheCompletedResponseWithCountsCounts) {
  Receiver rx;
  // Codex sends response.completed twice: once as a plain SSE event.
  std::string bare = Attr("event.name", "codex.sse_event") + "," +
                     Attr("event.kind", "response.completed") + "," +
                     Attr("user.email", "a@example.com");
  std::string api = Attr("event.name", "codex.api_request") + "," + Attr("user.email", "a@x.com");
  for (const std::string& attrs : {bare, api}) {
    auto c = rx.Logs(CodexLog(attrs));
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->events.size(), 0u);
    EXPECT_EQ(c->ignored, 1);
  }
}

TEST(OtlpCodex, AccountIdIsTheUserAndARetryKeepsTheId) {
  Receiver rx;
  std::string body = CodexLog(Completed("," + Attr("user.account_id", "acct-7")));
  auto a = rx.Logs(body);
  auto b = rx.Logs(body);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->events.size(), 1u);
  EXPECT_EQ(a->events[0].user, "acct-7");
  EXPECT_EQ(a->events[0].session, "thread-1");
  EXPECT_EQ(a->events[0].ts, TimeMs(1'796'411'000'000));  // observedTimeUnixNano
  EXPECT_EQ(a->events[0].tokens.input, 800);
  EXPECT_EQ(a->events[0].id, b->events[0].id);
  EXPECT_EQ(a->events[0].id,
            model::CodexEventId(model::CodexRequestKey("thread-1", {1000, 200, 0, 50, 10})));
}

TEST(OtlpCodex, NoUserOrABadCountIsRejectedNamingTheField) {
  Receiver rx;
  auto c = rx.Logs(CodexLog(Completed("")));
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->rejected.size(), 1u);
  EXPECT_EQ(c->rejected[0].field, "user.email");
  EXPECT_NE(c->rejected[0].error.find("OTEL_RESOURCE_ATTRIBUTES"), std::string::npos);
  std::string bad =
      Attr("user.email", "a@example.com") + "," + Attr("event.name", "codex.sse_event") + "," +
      Attr("event.kind", "response.completed") + "," + Attr("input_token_count", "12x");
  c = rx.Logs(CodexLog(bad));
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->rejected.size(), 1u);
  EXPECT_EQ(c->rejected[0].field, "input_token_count");
  EXPECT_EQ(c->events.size(), 0u);
}

TEST(OtlpSpans, RealCopilotSpansCountTheChatSpanOnly) {
  Receiver rx;
  std::vector<model::Event> events;
  for (int i = 1; i <= 2; ++i) {
    auto c = rx.Traces(Data("otlp/copilot-cli-1.0.102/traces-" + std::to_string(i) + ".json"));
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    EXPECT_EQ(c->rejected_total, 0);
    EXPECT_EQ(c->points, 2);
    EXPECT_EQ(c->ignored, 1);  // invoke_agent repeats the chat span's usage
    for (auto& e : c->events) events.push_back(e);
  }
  ASSERT_EQ(events.size(), 2u);
  struct Want {
    int64_t input, cached, output;
  } want[] = {{1407, 321, 73}, {1444, 332, 76}};
  for (size_t i = 0; i < 2; ++i) {
    const model::Event& e = events[i];
    EXPECT_EQ(e.user, "bob@example.com");
    EXPECT_EQ(e.source, "copilot");
    EXPECT_EQ(e.model, "gpt-5.5");
    EXPECT_EQ(e.requests, 1);
    EXPECT_EQ(e.tokens.input, want[i].input - want[i].cached);
    EXPECT_EQ(e.tokens.cache_read, want[i].cached);
    EXPECT_EQ(e.tokens.output, want[i].output);
    EXPECT_EQ(e.id.rfind("otlp-span:", 0), 0u);
    EXPECT_FALSE(e.session.empty());  // gen_ai.conversation.id
  }
  EXPECT_NE(events[0].id, events[1].id);
  // A retried export gives the same ids.
  auto again = rx.Traces(Data("otlp/copilot-cli-1.0.102/traces-1.json"));
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->events.size(), 1u);
  EXPECT_EQ(again->events[0].id, events[0].id);
}

TEST(OtlpSpans, CopilotTokenMetricsAreNotCountedBesideTheSpans) {
  Receiver rx;
  auto c = rx.Metrics(Data("otlp/copilot-cli-1.0.102/metrics-1.json"));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->events.size(), 0u);
  EXPECT_GT(c->ignored, 0);
  EXPECT_EQ(c->ignored, c->points);
}

std::string Spans(const std::string& span) {
  return R"({"resourceSpans":[{"resource":{"attributes":[)" + Attr("user.email", "c@example.com") +
         R"(]},"scopeSpans":[{"spans":[)" + span + "]}]}]}";
}

TEST(OtlpSpans, BadSpansAreRejectedAloneAndBadStructureRefusesTheBody) {
  Receiver rx;
  std::string good =
      R"({"name":"chat m","traceId":"t1","spanId":"s1","endTimeUnixNano":"1796411000000000000","attributes":[)" +
      Attr("gen_ai.operation.name", "chat") + "," + Attr("gen_ai.usage.input_tokens", "10") + "]}";
  std::string bad_count =
      R"({"name":"chat m","traceId":"t1","spanId":"s2","endTimeUnixNano":"1796411000000000000","attributes":[)" +
      Attr("gen_ai.operation.name", "chat") + "," + Attr("gen_ai.usage.input_tokens", "-3") + "]}";
  std::string no_time = R"({"name":"chat m","traceId":"t1","spanId":"s3","attributes":[)" +
                        Attr("gen_ai.operation.name", "chat") + "," +
                        Attr("gen_ai.usage.output_tokens", "4") + "]}";
  std::string bad_time =
      R"({"name":"chat m","traceId":"t1","spanId":"s4","endTimeUnixNano":"soon","attributes":[)" +
      Attr("gen_ai.operation.name", "chat") + "," + Attr("gen_ai.usage.output_tokens", "4") + "]}";
  auto c = rx.Traces(Spans(good + "," + bad_count + "," + no_time + "," + bad_time));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->events.size(), 1u);
  EXPECT_EQ(c->events[0].id, "otlp-span:t1:s1");
  EXPECT_EQ(c->events[0].model, "unknown");
  EXPECT_EQ(c->rejected_total, 3);
  std::map<std::string, int> fields;
  for (const auto& r : c->rejected) fields[r.field]++;
  EXPECT_EQ(fields["gen_ai.usage.input_tokens"], 1);
  EXPECT_EQ(fields["endTimeUnixNano"], 1);
  EXPECT_EQ(fields["resourceSpans[0].scopeSpans[0].spans[3].endTimeUnixNano"], 1);

  auto refused = rx.Traces(R"({"resourceSpans":[{"scopeSpans":[{"spans":{}}]}]})");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("resourceSpans[0].scopeSpans[0].spans"),
            std::string::npos);
}

}  // namespace
}  // namespace burnrate::otlp
