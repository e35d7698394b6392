// Contract tests for ingest/ndjson_parser.h: every validation rule of
// docs/event-format.md names its line and field, and good lines around a
// bad one are kept.
#include "ingest/ndjson_parser.h"

#include <gtest/gtest.h>

#include <random>

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
  EXPECT_EQ(b.rejects.details.size(), 1u) << line;
  return b.rejects.details.empty() ? Reject{} : b.rejects.details[0];
}

TEST(NdjsonParser, FullUsageEvent) {
  ParsedBatch b = Parse(
      R"({"id":"e1","ts":"2026-03-21T13:00:00.250Z","user":"alice","team":"platform","org":"acme",)"
      R"("project":"burnrate","source":"claude_code","session":"s1","client":"laptop","model":"claude-sonnet-4-5",)"
      R"("input_tokens":10,"output_tokens":20,"cache_read_tokens":30,"cache_write_tokens":40,)"
      R"("cache_write_1h_tokens":15,"cost_usd":0.0123,"unknown_field":{"nested":[1,2]}})");
  ASSERT_TRUE(b.rejects.details.empty()) << b.rejects.details[0].error;
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
      "{\"id\":\"b\",\"user\":\"u\",\"model\":\"m\",\"ts\":" +
      std::to_string(kNow - 5000) +
      "}\n"
      "{\"id\":\"c\",\"user\":\"u\",\"model\":\"m\",\"ts\":\"2026-03-21T15:00:00+02:00\",\"input_"
      "tokens\":7.0}\n");
  ASSERT_TRUE(b.rejects.details.empty()) << b.rejects.details[0].error;
  ASSERT_EQ(b.events.size(), 3u);
  EXPECT_EQ(b.events[0].ts, kNow);           // missing ts: now
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
  ASSERT_EQ(b.rejects.details.size(), 3u);
  EXPECT_EQ(b.rejects.details[0].line, 2);
  EXPECT_EQ(b.rejects.details[0].field, "input_tokens");
  EXPECT_NE(b.rejects.details[0].error.find("negative"), std::string::npos);
  EXPECT_EQ(b.rejects.details[1].line, 5);  // blank lines count as lines
  EXPECT_NE(b.rejects.details[1].error.find("JSON"), std::string::npos);
  EXPECT_EQ(b.rejects.details[2].line, 7);
  EXPECT_EQ(b.rejects.details[2].field, "model");
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
  for (const char* f :
       {"input_tokens", "cache_read_tokens", "cache_write_tokens", "cache_write_1h_tokens"}) {
    EXPECT_EQ(Bad(std::string(R"({"id":"x","user":"u","model":"m",")") + f + "\":-1}").field, f);
  }
  EXPECT_EQ(
      Bad(R"({"id":"x","user":"u","model":"m","cache_write_tokens":5,"cache_write_1h_tokens":6})")
          .field,
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
  Bad("{\"id\":\"x\",\"user\":\"\xed\xa0\x80\",\"model\":\"m\"}");          // a surrogate
  Bad("{\"id\":\"x\",\"user\":\"u\",\"model\":\"m\",\"extra\":\"\xff\"}");  // even in unknown
                                                                            // fields
  // Valid multi-byte text is fine, and escaped unicode too.
  ParsedBatch ok = Parse(
      "{\"id\":\"x\",\"user\":\"j\xc3\xbcrgen "
      "\xf0\x9f\x94\xa5\",\"model\":\"m\",\"team\":\"\\u00e9\"}");
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
  ParsedBatch b =
      Parse(R"({"type":"outcome","id":"o1","user":"u","kind":"pull_request","value":2})");
  ASSERT_EQ(b.events.size(), 1u) << b.rejects.details[0].error;
  EXPECT_EQ(b.events[0].type, model::EventType::kOutcome);
  EXPECT_EQ(b.events[0].outcome_kind, "pull_request");
  EXPECT_DOUBLE_EQ(b.events[0].outcome_value, 2);
  EXPECT_TRUE(b.events[0].model.empty());  // no model needed
  EXPECT_EQ(
      Parse(R"({"type":"outcome","id":"o","user":"u","kind":"deploy_to_prod"})").events.size(), 1u);
  EXPECT_EQ(Bad(R"({"type":"outcome","id":"o","user":"u","value":1})").field, "kind");
  EXPECT_EQ(Bad(R"({"type":"outcome","id":"o","user":"u","kind":"Two Words"})").field, "kind");
  EXPECT_EQ(Bad(R"({"type":"outcome","id":"o","user":"u","kind":""})").field, "kind");
  EXPECT_EQ(Bad(R"({"type":"outcome","id":"o","user":"u","kind":"commit","value":"3"})").field,
            "value");
  EXPECT_EQ(Bad(R"({"type":"outcome","id":"o","user":"u","kind":"commit","value":1e10})").field,
            "value");
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
  ParsedBatch b =
      Parse(R"({"id":"x","user":"u","model":"m","prompt":{"text":"fix the flaky test"}})", {}, fn);
  ASSERT_EQ(b.events.size(), 1u);
  EXPECT_EQ(seen, "fix the flaky test");
  EXPECT_TRUE(b.events[0].prompt.present);
  EXPECT_EQ(b.events[0].prompt.length, 18u);
  EXPECT_EQ(b.events[0].prompt.simhash, 0xabcu);
  // Without a feature function the length is still kept.
  EXPECT_EQ(
      Parse(R"({"id":"x","user":"u","model":"m","prompt":{"text":"abc"}})").events[0].prompt.length,
      3u);
  // Precomputed features.
  ParsedBatch pre = Parse(
      R"({"id":"x","user":"u","model":"m","prompt":{"length":900,"compress_ratio":0.25,"simhash":"ffffffffffffffff","exact_hash":"1a"}})");
  ASSERT_EQ(pre.events.size(), 1u) << pre.rejects.details[0].error;
  EXPECT_EQ(pre.events[0].prompt.length, 900u);
  EXPECT_FLOAT_EQ(pre.events[0].prompt.compress_ratio, 0.25f);
  EXPECT_EQ(pre.events[0].prompt.simhash, 0xffffffffffffffffULL);
  EXPECT_EQ(pre.events[0].prompt.exact_hash, 0x1aULL);
  EXPECT_EQ(Bad(R"({"id":"x","user":"u","model":"m","prompt":"text"})").field, "prompt");
  EXPECT_EQ(Bad(R"({"id":"x","user":"u","model":"m","prompt":{"text":5}})").field, "prompt.text");
  EXPECT_EQ(Bad(R"({"id":"x","user":"u","model":"m","prompt":{"length":-1}})").field,
            "prompt.length");
  EXPECT_EQ(Bad(R"({"id":"x","user":"u","model":"m","prompt":{"compress_ratio":11}})").field,
            "prompt.compress_ratio");
  EXPECT_EQ(Bad(R"({"id":"x","user":"u","model":"m","prompt":{"simhash":"xyz"}})").field,
            "prompt.simhash");
  EXPECT_EQ(
      Bad(R"({"id":"x","user":"u","model":"m","prompt":{"exact_hash":"11111111111111111"}})").field,
      "prompt.exact_hash");
  Limits small;
  small.max_prompt = 4;
  EXPECT_EQ(Bad(R"({"id":"x","user":"u","model":"m","prompt":{"text":"12345"}})", small).field,
            "prompt.text");
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
      body += R"({"id":")" + std::to_string(i * 10 + j) +
              R"(","user":"u","model":"m","input_tokens":)" + std::to_string(j) + "}\n";
    }
    ParsedBatch b = p.Parse(body, kNow);
    ASSERT_EQ(b.events.size(), 10u);
    EXPECT_EQ(b.events[9].tokens.input, 9);
  }
  EXPECT_TRUE(p.Parse("", kNow).events.empty());
}

TEST(NdjsonParser, RejectsBeyondTheFirstHundredAreCountedNotKept) {
  std::string body;
  for (int i = 0; i < 10'000; ++i) {
    body += "x\n";
    body += R"({"id":"g)" + std::to_string(i) +
            R"(","user":"u","model":"m"})"
            "\n";
    body += R"({"id":"b","user":"u"})"
            "\n";
  }
  ParsedBatch b = Parse(body);
  EXPECT_EQ(b.events.size(), 10'000u);  // every good line around the bad ones
  EXPECT_EQ(b.events.back().id, "g9999");
  ASSERT_EQ(b.rejects.details.size(), 100u);
  EXPECT_EQ(b.rejects.details[0].line, 1);
  EXPECT_EQ(b.rejects.details[0].kind, RejectKind::kInvalidJson);
  EXPECT_EQ(b.rejects.details[1].line, 3);
  EXPECT_EQ(b.rejects.details[1].kind, RejectKind::kMissingField);
  EXPECT_EQ(b.rejects.details[99].line, 150);
  EXPECT_EQ(b.rejects.total, 20'000);
  EXPECT_EQ(b.rejects.by_kind[size_t(RejectKind::kInvalidJson)], 10'000);
  EXPECT_EQ(b.rejects.by_kind[size_t(RejectKind::kMissingField)], 10'000);
  Limits few;
  few.max_reject_details = 3;
  EXPECT_EQ(Parse(body, few).rejects.details.size(), 3u);
}

TEST(NdjsonParser, ABodyOfBadLinesReservesNothingPerLine) {
  // 200k two-byte bad lines once reserved 200k event slots (88 MB).
  std::string body;
  for (int i = 0; i < 200'000; ++i) body += "x\n";
  ParsedBatch b = Parse(body);
  EXPECT_LE(b.events.capacity(), 1u);  // the slot each line is parsed into
  EXPECT_EQ(b.lines.capacity(), 0u);
  EXPECT_EQ(b.rejects.details.size(), 100u);
  EXPECT_EQ(b.rejects.total, 200'000);
}

TEST(NdjsonParser, EveryRejectHasAKindWithAStableName) {
  Limits l;
  l.max_line = 200;
  struct Case {
    std::string line;
    RejectKind kind;
    const char* name;
  };
  const std::string head = R"({"id":"x","user":"u","model":"m",)";
  for (const Case& c : std::vector<Case>{
           {"nope", RejectKind::kInvalidJson, "invalid_json"},
           {"[1]", RejectKind::kNotObject, "not_an_object"},
           {head + R"("pad":")" + std::string(300, 'p') + "\"}", RejectKind::kLineTooLong,
            "line_too_long"},
           {head + R"("id":"y"})", RejectKind::kDuplicateKey, "duplicate_key"},
           {R"({"id":"x","model":"m"})", RejectKind::kMissingField, "missing_field"},
           {head + R"("team":1})", RejectKind::kWrongType, "wrong_type"},
           {head + R"("input_tokens":-1})", RejectKind::kOutOfRange, "out_of_range"},
           {head + R"("type":"other"})", RejectKind::kInvalidValue, "invalid_value"},
       }) {
    Reject r = Bad(c.line, l);
    EXPECT_EQ(r.kind, c.kind) << c.line << ": " << r.error;
    EXPECT_STREQ(RejectKindName(r.kind), c.name);
  }
}

TEST(NdjsonParser, DuplicateKeysRejectTheLineNamingTheField) {
  Reject user = Bad(R"({"id":"x","user":"alice","model":"m","user":"mallory"})");
  EXPECT_EQ(user.field, "user");
  EXPECT_EQ(user.kind, RejectKind::kDuplicateKey);
  EXPECT_NE(user.error.find("duplicate key user"), std::string::npos) << user.error;
  // The same key spelt with an escape is the same key.
  EXPECT_EQ(Bad(R"({"id":"x","user":"u","model":"m","\u0069d":"y"})").field, "id");
  EXPECT_EQ(Bad(R"({"id":"x","user":"u","model":"m","input_tokens":1,"input_tokens":2})").field,
            "input_tokens");
  // Unknown fields are ignored, but not twice.
  EXPECT_EQ(Bad(R"({"id":"x","user":"u","model":"m","extra":1,"extra":2})").field, "extra");
  EXPECT_EQ(Bad(R"({"id":"x","user":"u","model":"m","prompt":{"text":"a","text":"b"}})").field,
            "prompt.text");
  // A long key is quoted short: answers stay small.
  std::string key(10'000, 'k');
  Reject lng = Bad(R"({"id":"x","user":"u","model":"m",")" + key + R"(":1,")" + key + R"(":2})");
  EXPECT_EQ(lng.kind, RejectKind::kDuplicateKey);
  EXPECT_LT(lng.field.size(), 80u);
  EXPECT_LT(lng.error.size(), 200u);
  // Different keys and the same key in different objects are fine.
  EXPECT_EQ(
      Parse(R"({"id":"x","user":"u","model":"m","prompt":{"length":3},"length":4})").events.size(),
      1u);
}

TEST(NdjsonParser, TimestampFarOutOfRangeNamesTheAllowedRange) {
  const std::string head = R"({"id":"x","user":"u","model":"m","ts":)";
  Reject min = Bad(head + "-9223372036854775808}");
  EXPECT_EQ(min.field, "ts");
  EXPECT_EQ(min.kind, RejectKind::kOutOfRange);
  EXPECT_EQ(min.error.find("1535"), std::string::npos) << min.error;
  EXPECT_NE(min.error.find("-9223372036854775808 ms"), std::string::npos) << min.error;
  EXPECT_NE(min.error.find("retention"), std::string::npos) << min.error;
  // The allowed range: 90 days back to 1 hour ahead of kNow.
  EXPECT_NE(min.error.find("allowed: 2025-12-21T14:00:00.000Z"), std::string::npos) << min.error;
  EXPECT_NE(min.error.find("to 2026-03-21T15:00:00.000Z"), std::string::npos) << min.error;
  Reject max = Bad(head + "9223372036854775807}");
  EXPECT_NE(max.error.find("9223372036854775807 ms is too far in the future"), std::string::npos)
      << max.error;
  Reject huge = Bad(head + "18446744073709551615}");
  EXPECT_EQ(huge.field, "ts");
  EXPECT_EQ(huge.kind, RejectKind::kOutOfRange);
  Reject year = Bad(head + "\"0001-01-01T00:00:00Z\"}");
  EXPECT_NE(year.error.find("allowed:"), std::string::npos) << year.error;
}

// Feeding a body in pieces (as a decoder does) gives what parsing it whole
// gives, wherever the pieces break.
TEST(NdjsonParser, FeedingPiecesEqualsParsingWhole) {
  Limits l;
  l.max_line = 100;
  std::string body;
  for (int i = 0; i < 300; ++i) {
    switch (i % 6) {
      case 0:
        body += R"({"id":")" + std::to_string(i) +
                R"(","user":"u","model":"m"})"
                "\n";
        break;
      case 1:
        body += "not json\r\n";
        break;
      case 2:
        body += "\n  \n";
        break;
      case 3:
        body += R"({"id":"long","pad":")" + std::string(150 + i, 'p') + "\"}\n";
        break;  // too long
      case 4:
        body += R"({"id":")" + std::to_string(i) +
                R"(","user":"u","model":"m"})"
                "\r\n";
        break;
      case 5:
        body += R"({"id":"d","id":"e"})"
                "\n";
        break;
    }
  }
  body += R"({"id":"last","user":"u","model":"m"})";  // no newline
  ParsedBatch whole = Parse(body, l);
  ASSERT_EQ(whole.events.size(), 101u);
  std::mt19937 rng(7);
  NdjsonParser p(l, nullptr);
  for (int round = 0; round < 50; ++round) {
    p.Begin(kNow);
    size_t pos = 0;
    while (pos < body.size()) {
      size_t n = std::min<size_t>(body.size() - pos, 1 + rng() % (round < 25 ? 7 : 400));
      p.Feed(std::string_view(body).substr(pos, n));
      pos += n;
    }
    ParsedBatch b = p.Finish();
    ASSERT_EQ(b.events.size(), whole.events.size());
    for (size_t i = 0; i < b.events.size(); ++i) EXPECT_EQ(b.events[i].id, whole.events[i].id);
    EXPECT_EQ(b.lines, whole.lines);
    ASSERT_EQ(b.rejects.total, whole.rejects.total);
    ASSERT_EQ(b.rejects.details.size(), whole.rejects.details.size());
    for (size_t i = 0; i < b.rejects.details.size(); ++i) {
      EXPECT_EQ(b.rejects.details[i].line, whole.rejects.details[i].line);
      EXPECT_EQ(b.rejects.details[i].error, whole.rejects.details[i].error);
    }
  }
}

TEST(NdjsonParser, ALineLongerThanTheLimitIsSkippedAcrossPieces) {
  Limits l;
  l.max_line = 1000;
  NdjsonParser p(l, nullptr);
  p.Begin(kNow);
  std::string junk(4096, 'j');
  for (int i = 0; i < 1000; ++i) p.Feed(junk);  // 4 MB of one line
  p.Feed("\n");
  p.Feed(R"({"id":"a","user":"u","model":"m"})"
         "\n");
  ParsedBatch b = p.Finish();
  ASSERT_EQ(b.rejects.details.size(), 1u);
  EXPECT_EQ(b.rejects.details[0].line, 1);
  EXPECT_EQ(b.rejects.details[0].kind, RejectKind::kLineTooLong);
  ASSERT_EQ(b.events.size(), 1u);
  EXPECT_EQ(b.lines[0], 2);
}

TEST(NdjsonParser, TheDefaultLineLimitIsTwoMebibytes) {
  Limits l;
  EXPECT_EQ(l.max_line, size_t(2) << 20);  // docs/event-format.md, "Limits"
  std::string head = R"({"id":"x","user":"u","model":"m","pad":")";
  std::string fits = head + std::string((2 << 20) - head.size() - 2, 'p') + "\"}";
  ASSERT_EQ(fits.size(), size_t(2) << 20);
  EXPECT_EQ(Parse(fits).events.size(), 1u);
  EXPECT_EQ(Bad(head + std::string((2 << 20) - head.size() - 1, 'p') + "\"}").kind,
            RejectKind::kLineTooLong);
}

}  // namespace
}  // namespace burnrate::ingest
