// Contract tests for ingest/ndjson_parser.h: every validation rule of
// docs/event-format.md names its line and field, and good lines around a
// bad one are kept.
#include "ingest/ndjson_parser.h"

#include <gtest/gtest.h>

#include "common/time_util.h"

namespace burnrate::ingest {
namespace {

const TimeMs kNow = *ParseRfc3339("2026-03-21T14:00:00Z");

ParsedBatch Parse(std::string_view body, Limits limits = {}, PromptFeatureFn fn = nullptr) {
  NdjsonParser p(limits, std::move(fn));
  return p.Parse(body, kNow);
}

// Parses one line that must be rejected; returns the reject.
Reject Bad(const std::string& line, Limits limits = {}) {
  ParsedBatch b = Parse(line, limits);
  EXPECT_TRUE(b.events.empty()) << line;
  EXPECT_EQ(b.rejects.size(), 1u) << line;
  return b.rejects.empty() ? Reject{} : b.rejects[0];
}

TEST(NdjsonParser, FullUsageEvent) {
  ParsedBatch b = Parse(
      R"({"id":"e1","ts":"2026-03-21T13:00:00.250Z","user":"alice","team":"platform","org":"acme",)"
      R"("project":"burnrate","source":"claude_code","session":"s1","client":"laptop","model":"claude-sonnet-4-5",)"
      R"("input_tokens":10,"output_tokens":20,"cache_read_tokens":30,"cache_write_tokens":40,)"
      R"("cache_write_1h_tokens":15,"cost_usd":0.0123,"unknown_field":{"nested":[1,2]}})");
  ASSERT_TRUE(b.rejects.empty()) << b.rejects[0].error;
  ASSERT_EQ(b.events.size(), 1u);
  const model::Event& e = b.events[0];
  EXPECT_EQ(e.type, model::EventType::kUsage);
  EXPECT_EQ(e.id, "e1");
  EXPECT_EQ(e.ts, *ParseRfc3339("2026-03-21T13:00:00.250Z"));
  EXPECT_EQ(e.received, kNow);
  EXPECT_EQ(e.user, "alice");
  EXPECT_EQ(e.team, "platform");
  EXPECT_EQ(e.org, "acme");
  EXPECT_EQ(e.project, "burnrate");
  EXPECT_EQ(e.source, "claude_code");
  EXPECT_EQ(e.session, "s1");
  EXPECT_EQ(e.client, "laptop");
  EXPECT_EQ(e.model, "claude-sonnet-4-5");
  EXPECT_EQ(e.tokens.input, 10);
  EXPECT_EQ(e.tokens.output, 20);
  EXPECT_EQ(e.tokens.cache_read, 30);
  EXPECT_EQ(e.tokens.cache_write, 40);
  EXPECT_EQ(e.tokens.cache_write_1h, 15);
  EXPECT_EQ(e.cost_nanos, 12'300'000);
  EXPECT_FALSE(e.prompt.present);
  EXPECT_EQ(b.lines, std::vector<int64_t>{1});
}

TEST(NdjsonParser, DefaultsAndTimestampForms) {
  ParsedBatch b = Parse(
      "{\"id\":\"a\",\"user\":\"u\",\"model\":\"m\"}\n"
      "{\"id\":\"b\",\"user\":\"u\",\"model\":\"m\",\"ts\":" + std::to_string(kNow - 5000) + "}\n"
      "{\"id\":\"c\",\"user\":\"u\",\"model\":\"m\",\"ts\":\"2026-03-21T15:00:00+02:00\",\"input_tokens\":7.0}\n");
  ASSERT_TRUE(b.rejects.empty()) << b.rejects[0].error;
  ASSERT_EQ(b.events.size(), 3u);
  EXPECT_EQ(b.events[0].ts, kNow);  // missing ts: now
  EXPECT_EQ(b.events[0].tokens.Total(), 0);  // missing tokens: 0
  EXPECT_EQ(b.events[0].cost_nanos, -1);     // missing cost: computed later
  EXPECT_EQ(b.events[1].ts, kNow - 5000);
  EXPECT_EQ(b.events[2].ts, kNow - kHourMs);
  EXPECT_EQ(b.events[2].tokens.input, 7);  // an integral float is an integer
}

TEST(NdjsonParser, BadLinesAreRejectedGoodOnesKept) {
  ParsedBatch b = Parse(
      "{\"id\":\"1\",\"user\":\"u\",\"model\":\"m\"}\n"
      "{\"id\":\"2\",\"user\":\"u\",\"model\":\"m\",\"input_tokens\":-5}\n"
      "\n"
      "   \t\n"
      "not json at all\n"
      "{\"id\":\"3\",\"user\":\"u\",\"model\":\"m\"}\r\n"
      "{\"id\":\"4\",\"user\":\"u\"}");  // no trailing newline
  ASSERT_EQ(b.events.size(), 2u);
  EXPECT_EQ(b.events[0].id, "1");
  EXPECT_EQ(b.events[1].id, "3");
  EXPECT_EQ(b.lines, (std::vector<int64_t>{1, 6}));
  ASSERT_EQ(b.rejects.size(), 3u);
  EXPECT_EQ(b.rejects[0].line, 2);
  EXPECT_EQ(b.rejects[0].field, "input_tokens");
  EXPECT_NE(b.rejects[0].error.find("negative"), std::string::npos);
  EXPECT_EQ(b.rejects[1].line, 5);  // blank lines count as lines
  EXPECT_NE(b.rejects[1].error.find("JSON"), std::string::npos);
  EXPECT_EQ(b.rejects[2].line, 7);
  EXPECT_EQ(b.rejects[2].field, "model");
}

TEST(NdjsonParser, TokenRules) {
  const std::string head = R"({"id":"x","user":"u","model":"m","output_tokens":)";
  EXPECT_EQ(Bad(head + "-1}").field, "output_tokens");
  Reject frac = Bad(head + "1.5}");
  EXPECT_EQ(frac.field, "output_tokens");
  EXPECT_NE(frac.error.find("integer"), std::string::npos);
  EXPECT_EQ(Bad(head + "\"12\"}").field, "output_tokens");
  EXPECT_EQ(Bad(head + "true}").field, "output_tokens");
  EXPECT_EQ(Bad(head + "null}").field, "output_tokens");
  Reject huge = Bad(head + "50000001}");
  EXPECT_NE(huge.error.find("ceiling"), std::string::npos);
  EXPECT_EQ(Bad(head + "18446744073709551615}").field, "output_tokens");
  EXPECT_EQ(Bad(head + "1e300}").field, "output_tokens");
  EXPECT_EQ(Bad(head + "-0.5}").field, "output_tokens");
  // At the ceiling is fine; the ceiling is configurable.
  EXPECT_EQ(Parse(head + "50000000}").events.size(), 1u);
  Limits low;
  low.max_tokens = 10;
  EXPECT_EQ(Bad(head + "11}", low).field, "output_tokens");
  for (const char* f : {"input_tokens", "cache_read_tokens", "cache_write_tokens", "cache_write_1h_tokens"}) {
    EXPECT_EQ(Bad(std::string(R"({"id":"x","user":"u","model":"m",")") + f + "\":-1}").field, f);
  }
  EXPECT_EQ(Bad(R"({"id":"x","user":"u","model":"m","cache_write_tokens":5,"cache_write_1h_tokens":6})").field,
            "cache_write_1h_tokens");
}

TEST(NdjsonParser, TimestampRules) {
  const std::string head = R"({"id":"x","user":"u","model":"m","ts":)";
  Reject future = Bad(head + "\"2026-03-21T15:00:01Z\"}");
  EXPECT_EQ(future.field, "ts");
  EXPECT_NE(future.error.find("future"), std::string::npos);
  EXPECT_EQ(Parse(head + "\"2026-03-21T15:00:00Z\"}").events.size(), 1u);  // exactly max_future
  Reject old = Bad(head + "\"2025-12-01T00:00:00Z\"}");
  EXPECT_EQ(old.field, "ts");
  EXPECT_NE(old.error.find("retention"), std::string::npos);
  EXPECT_EQ(Bad(head + "\"yesterday\"}").field, "ts");
  EXPECT_EQ(Bad(head + "\"2026-03-21\"}").field, "ts");
  EXPECT_EQ(Bad(head + "1.7e12}").field, "ts");
  EXPECT_EQ(Bad(head + "true}").field, "ts");
  EXPECT_EQ(Bad(head + "-1}").field, "ts");  // 1969 is past retention
  Limits strict;
  strict.max_future_ms = 0;
  strict.retention_ms = kDayMs;
  EXPECT_EQ(Bad(head + std::to_string(kNow + 1) + "}", strict).field, "ts");
  EXPECT_EQ(Bad(head + std::to_string(kNow - kDayMs - 1) + "}", strict).field, "ts");
}

TEST(NdjsonParser, RequiredFieldsAndStrings) {
  EXPECT_EQ(Bad(R"({"user":"u","model":"m"})").field, "id");
  EXPECT_EQ(Bad(R"({"id":"","user":"u","model":"m"})").field, "id");
  EXPECT_EQ(Bad(R"({"id":"x","model":"m"})").field, "user");
  EXPECT_EQ(Bad(R"({"id":"x","user":"u"})").field, "model");
  EXPECT_EQ(Bad(R"({"id":"x","user":"u","model":""})").field, "model");
  EXPECT_EQ(Bad(R"({"id":7,"user":"u","model":"m"})").field, "id");
  EXPECT_EQ(Bad(R"({"id":"x","user":["u"],"model":"m"})").field, "user");
  for (const char* f : {"team", "org", "project", "source", "session", "client"}) {
    EXPECT_EQ(Bad(std::string(R"({"id":"x","user":"u","model":"m",")") + f + "\":1}").field, f);
  }
  std::string longest(256, 'a');
  EXPECT_EQ(Parse(R"({"id":")" + longest + R"(","user":"u","model":"m"})").events.size(), 1u);
  Reject too_long = Bad(R"({"id":"x","user":")" + longest + R"(b","model":"m"})");
  EXPECT_EQ(too_long.field, "user");
  EXPECT_NE(too_long.error.find("256"), std::string::npos);
  EXPECT_EQ(Bad("[1,2,3]").error, "line must be a JSON object");
  EXPECT_EQ(Bad("\"just a string\"").field, "");
  EXPECT_EQ(Bad(R"({"id":"x","user":"u","model":"m")").field, "");  // truncated
  EXPECT_EQ(Bad(R"({"id":"x","user":"u","model":"m","type":"weird"})").field, "type");
}

TEST(NdjsonParser, InvalidUtf8IsRejected) {
  Reject r = Bad("{\"id\":\"x\",\"user\":\"caf\xc3\",\"model\":\"m\"}");
  EXPECT_FALSE(r.error.empty());
  Bad("{\"id\":\"x\",\"user\":\"\xed\xa0\x80\",\"model\":\"m\"}");  // a surrogate
  Bad("{\"id\":\"x\",\"user\":\"u\",\"model\":\"m\",\"extra\":\"\xff\"}");  // even in unknown fields
  // Valid multi-byte text is fine, and escaped unicode too.
  ParsedBatch ok = Parse("{\"id\":\"x\",\"user\":\"j\xc3\xbcrgen \xf0\x9f\x94\xa5\",\"model\":\"m\",\"team\":\"\\u00e9\"}");
  ASSERT_EQ(ok.events.size(), 1u);
  EXPECT_EQ(ok.events[0].user, "j\xc3\xbcrgen \xf0\x9f\x94\xa5");
  EXPECT_EQ(ok.events[0].team, "\xc3\xa9");
}

TEST(NdjsonParser, CostUsd) {
  const std::string head = R"({"id":"x","user":"u","model":"m","cost_usd":)";
  EXPECT_EQ(Parse(head + "0}").events[0].cost_nanos, 0);
  EXPECT_EQ(Parse(head + "2}").events[0].cost_nanos, 2'000'000'000);
  EXPECT_EQ(Parse(head + "0.000000001}").events[0].cost_nanos, 1);
  EXPECT_EQ(Parse(head + "10000}").events[0].cost_nanos, 10'000'000'000'000);
  EXPECT_EQ(Bad(head + "-0.01}").field, "cost_usd");
  EXPECT_EQ(Bad(head + "10000.5}").field, "cost_usd");
  EXPECT_EQ(Bad(head + "\"1.00\"}").field, "cost_usd");
}

TEST(NdjsonParser, OutcomeEvents) {
  ParsedBatch b = Parse(R"({"type":"outcome","id":"o1","user":"u","kind":"pull_request","value":2})");
  ASSERT_EQ(b.events.size(), 1u) << b.rejects[0].error;
  EXPECT_EQ(b.events[0].type, model::EventType::kOutcome);
  EXPECT_EQ(b.events[0].outcome_kind, "pull_request");
  EXPECT_DOUBLE_EQ(b.events[0].outcome_value, 2);
  EXPECT_TRUE(b.events[0].model.empty());  // no model needed
  EXPECT_EQ(Parse(R"({"type":"outcome","id":"o","user":"u","kind":"deploy_to_prod"})").events.size(), 1u);
  EXPECT_EQ(Bad(R"({"type":"outcome","id":"o","user":"u","value":1})").field, "kind");
  EXPECT_EQ(Bad(R"({"type":"outcome","id":"o","user":"u","kind":"Two Words"})").field, "kind");
  EXPECT_EQ(Bad(R"({"type":"outcome","id":"o","user":"u","kind":""})").field, "kind");
  EXPECT_EQ(Bad(R"({"type":"outcome","id":"o","user":"u","kind":"commit","value":"3"})").field, "value");
  EXPECT_EQ(Bad(R"({"type":"outcome","id":"o","user":"u","kind":"commit","value":1e10})").field, "value");
  EXPECT_EQ(Bad(R"({"type":"outcome","user":"u","kind":"commit"})").field, "id");
}

TEST(NdjsonParser, PromptTextBecomesFeaturesAndIsNotKept) {
  std::string seen;
  PromptFeatureFn fn = [&](std::string_view text) {
    seen = std::string(text);
    model::PromptFeatures f;
    f.length = uint32_t(text.size());
    f.simhash = 0xabc;
    return f;
  };
  ParsedBatch b = Parse(R"({"id":"x","user":"u","model":"m","prompt":{"text":"fix the flaky test"}})", {}, fn);
  ASSERT_EQ(b.events.size(), 1u);
  EXPECT_EQ(seen, "fix the flaky test");
  EXPECT_TRUE(b.events[0].prompt.present);
  EXPECT_EQ(b.events[0].prompt.length, 18u);
  EXPECT_EQ(b.events[0].prompt.simhash, 0xabcu);
  // Without a feature function the length is still kept.
  EXPECT_EQ(Parse(R"({"id":"x","user":"u","model":"m","prompt":{"text":"abc"}})").events[0].prompt.length, 3u);
  // Precomputed features.
  ParsedBatch pre = Parse(
      R"({"id":"x","user":"u","model":"m","prompt":{"length":900,"compress_ratio":0.25,"simhash":"ffffffffffffffff","exact_hash":"1a"}})");
  ASSERT_EQ(pre.events.size(), 1u) << pre.rejects[0].error;
  EXPECT_EQ(pre.events[0].prompt.length, 900u);
  EXPECT_FLOAT_EQ(pre.events[0].prompt.compress_ratio, 0.25f);
  EXPECT_EQ(pre.events[0].prompt.simhash, 0xffffffffffffffffULL);
  EXPECT_EQ(pre.events[0].prompt.exact_hash, 0x1aULL);
  EXPECT_EQ(Bad(R"({"id":"x","user":"u","model":"m","prompt":"text"})").field, "prompt");
  EXPECT_EQ(Bad(R"({"id":"x","user":"u","model":"m","prompt":{"text":5}})").field, "prompt.text");
  EXPECT_EQ(Bad(R"({"id":"x","user":"u","model":"m","prompt":{"length":-1}})").field, "prompt.length");
  EXPECT_EQ(Bad(R"({"id":"x","user":"u","model":"m","prompt":{"compress_ratio":11}})").field, "prompt.compress_ratio");
  EXPECT_EQ(Bad(R"({"id":"x","user":"u","model":"m","prompt":{"simhash":"xyz"}})").field, "prompt.simhash");
  EXPECT_EQ(Bad(R"({"id":"x","user":"u","model":"m","prompt":{"exact_hash":"11111111111111111"}})").field,
            "prompt.exact_hash");
  Limits small;
  small.max_prompt = 4;
  EXPECT_EQ(Bad(R"({"id":"x","user":"u","model":"m","prompt":{"text":"12345"}})", small).field, "prompt.text");
}

TEST(NdjsonParser, LineLengthLimit) {
  Limits l;
  l.max_line = 64;
  std::string line = R"({"id":"x","user":"u","model":"m","pad":")" + std::string(40, 'p') + "\"}";
  ASSERT_GT(line.size(), 64u);
  Reject r = Bad(line, l);
  EXPECT_NE(r.error.find("longer"), std::string::npos);
}

TEST(NdjsonParser, ParserIsReusableAcrossBodies) {
  NdjsonParser p({}, nullptr);
  for (int i = 0; i < 100; ++i) {
    std::string body;
    for (int j = 0; j < 10; ++j) {
      body += R"({"id":")" + std::to_string(i * 10 + j) + R"(","user":"u","model":"m","input_tokens":)" +
              std::to_string(j) + "}\n";
    }
    ParsedBatch b = p.Parse(body, kNow);
    ASSERT_EQ(b.events.size(), 10u);
    EXPECT_EQ(b.events[9].tokens.input, 9);
  }
  EXPECT_TRUE(p.Parse("", kNow).events.empty());
}

}  // namespace
}  // namespace burnrate::ingest
