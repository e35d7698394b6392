// Agent and import tests against an in-memory sink that behaves like the
// server's idempotent ingest: stable ids, follow mode with appended and
// half-written lines, restart from the checkpoint, retries, replaced files.
#include "claude/claude_agent.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "claude/claude_fixture_test.h"
#include "claude/report.h"
#include "claude/usage_event.h"

namespace burnrate::claude {
namespace {

using testing::Line;
using testing::LineSpec;
using testing::TempDir;

// The event id is "cc-%016llx%016llx" of the entry's key, the format the
// store already holds; it is written by hand now, so every digit is checked.
TEST(UsageEventIdTest, SixteenLowerCaseHexDigitsPerHalf) {
  for (auto [hi, lo] : std::vector<std::pair<uint64_t, uint64_t>>{
           {0, 0}, {1, 0xf}, {0x0123456789abcdefULL, 0xfedcba9876543210ULL}, {~0ULL, ~0ULL}}) {
    UsageEntry e;
    e.key_hi = hi, e.key_lo = lo;
    char want[40];
    std::snprintf(want, sizeof want, "cc-%016llx%016llx", static_cast<unsigned long long>(hi),
                  static_cast<unsigned long long>(lo));
    EXPECT_EQ(UsageEventId(e), want);
  }
  EXPECT_EQ(UsageEventIdForIds("msg_1", "req_1").size(), 35u);
  EXPECT_EQ(UsageEventIdForIds("msg_1", "req_1"), UsageEventIdForIds("msg_1", "req_1"));
  EXPECT_NE(UsageEventIdForIds("msg_1", "req_1"), UsageEventIdForIds("msg_1", "req_2"));
}

// Keeps events by id like the server: a known id is a duplicate.
class FakeSink : public EventSink {
 public:
  Result<SinkAck> Post(const std::string& ndjson) override {
    ++posts;
    if (fail_next > 0) {
      --fail_next;
      return Status::IOError("connection refused");
    }
    SinkAck ack;
    simdjson::dom::parser p;
    size_t start = 0;
    while (start < ndjson.size()) {
      size_t nl = ndjson.find('\n', start);
      std::string line = ndjson.substr(start, nl - start);
      start = nl + 1;
      simdjson::dom::element e = p.parse(line);
      std::string id{std::string_view(e["id"])};
      if (!events.emplace(id, line).second) {
        ++ack.duplicates;
        continue;
      }
      ++ack.accepted;
      ++stored;
      input += int64_t(e["input_tokens"]);
      output += int64_t(e["output_tokens"]);
      cache_read += int64_t(e["cache_read_tokens"]);
      cache_write += int64_t(e["cache_write_tokens"]);
    }
    sent += ack.accepted + ack.duplicates;
    return ack;
  }
  std::map<std::string, std::string> events;
  int64_t input = 0, output = 0, cache_read = 0, cache_write = 0, sent = 0;
  int posts = 0, fail_next = 0;
  std::atomic<int> stored{0};  // for tests that watch from another thread
};

int64_t ReportInput(const TempDir& d) {
  auto files = FindTranscripts({d.path()});
  auto scan = ScanTranscripts(*files, {});
  return BuildReport(*scan, model::PriceTable::Builtin(), ReportSpec{}).totals.tokens.input;
}

std::string Lines(int from, int to, const std::string& prefix = "m") {
  std::string s;
  for (int i = from; i < to; ++i) {
    LineSpec l{.msg = prefix + std::to_string(i), .req = "r" + std::to_string(i), .in = i + 1};
    s += Line(l) + "\n" + Line(l) + "\n";  // two content blocks each
  }
  return s;
}

AgentOptions Opts(const TempDir& d, std::string checkpoint = "") {
  AgentOptions o;
  o.roots = {d.path()};
  o.user = "dev@example.com";
  o.checkpoint_path = std::move(checkpoint);
  o.batch_events = 3;
  o.retry_delay_ms = 1;
  return o;
}

TEST(UsageEvent, FieldsAndStableId) {
  TempDir d;
  d.Write("-home-dev-app", "s.jsonl",
          Line(LineSpec{.in = 5, .out = 6, .cw = 7, .cr = 8, .cw5m = 3, .cw1h = 4, .cost = 0.25}) +
              "\n");
  auto scan = ScanTranscripts(FindTranscripts({d.path()}).value(), {});
  ASSERT_EQ(scan->entries.size(), 1u);
  std::string line;
  AppendUsageEvent(scan->entries[0], scan->strings, "dev@example.com", &line);
  EXPECT_EQ(line,
            "{\"id\":\"" + UsageEventId(scan->entries[0]) +
                "\",\"ts\":\"2026-03-21T14:03:04.577Z\",\"user\":\"dev@example.com\","
                "\"project\":\"-home-dev-app\",\"source\":\"claude_code\",\"session\":\"sess-1\","
                "\"model\":\"claude-sonnet-4-5-20250929\",\"input_tokens\":5,\"output_tokens\":6,"
                "\"cache_read_tokens\":8,\"cache_write_tokens\":7,\"cache_write_1h_tokens\":4,"
                "\"cost_usd\":0.25}\n");
  std::string id = UsageEventId(scan->entries[0]);
  EXPECT_EQ(id.size(), 35u);
  EXPECT_EQ(id.substr(0, 3), "cc-");
  // The same response in another directory (another machine) has the same id.
  TempDir other;
  other.Write("-home-dev-app", "s.jsonl", Line(LineSpec{.in = 5}) + "\n");
  auto scan2 = ScanTranscripts(FindTranscripts({other.path()}).value(), {});
  EXPECT_EQ(UsageEventId(scan2->entries[0]), id);
}

TEST(ClaudeAgent, ImportShipsReportTotalsAndReimportChangesNothing) {
  TempDir d;
  d.Write("p", "a.jsonl", Lines(0, 10));
  d.Write("q", "b.jsonl", Lines(5, 12) + Line(LineSpec{.req = "", .in = 100}) + "\n");
  FakeSink sink;
  ClaudeAgent first(Opts(d), &sink);
  ASSERT_TRUE(first.Init().ok());
  EXPECT_EQ(sink.events.size(), 13u);
  EXPECT_EQ(sink.input, ReportInput(d));
  EXPECT_EQ(first.stats().accepted, 13u);
  ClaudeAgent again(Opts(d), &sink);
  ASSERT_TRUE(again.Init().ok());
  EXPECT_EQ(again.stats().accepted, 0u);
  EXPECT_EQ(again.stats().duplicates, 13u);
  EXPECT_EQ(sink.input, ReportInput(d));
}

TEST(ClaudeAgent, FollowsAppendedLinesAndWaitsForHalfWrittenOnes) {
  TempDir d;
  d.Write("p", "a.jsonl", Lines(0, 3));
  FakeSink sink;
  ClaudeAgent agent(Opts(d), &sink);
  ASSERT_TRUE(agent.Init().ok());
  EXPECT_EQ(sink.events.size(), 3u);
  std::string next = Line(LineSpec{.msg = "m3", .req = "r3", .in = 4});
  d.Append("p", "a.jsonl", Lines(3, 3) + next.substr(0, 50));
  ASSERT_TRUE(agent.Poll().ok());
  EXPECT_EQ(sink.events.size(), 3u);  // the half line waits
  d.Append("p", "a.jsonl", next.substr(50) + "\n" + Lines(4, 6));
  d.Write("p", "new.jsonl", Lines(6, 7));
  ASSERT_TRUE(agent.Poll().ok());
  EXPECT_EQ(sink.events.size(), 7u);
  EXPECT_EQ(sink.input, ReportInput(d));
  EXPECT_EQ(sink.sent, 7);  // nothing sent twice
}

TEST(ClaudeAgent, RestartsFromCheckpointWithoutResending) {
  TempDir d;
  std::string cp = d.path() + "/agent.checkpoint";
  d.Write("p", "a.jsonl", Lines(0, 4));
  FakeSink sink;
  {
    ClaudeAgent agent(Opts(d, cp), &sink);
    ASSERT_TRUE(agent.Init().ok());
    d.Append("p", "a.jsonl", Lines(4, 6));
    ASSERT_TRUE(agent.Poll().ok());
  }
  EXPECT_EQ(sink.sent, 6);
  d.Append("p", "a.jsonl", Lines(6, 9) + Lines(2, 3));  // new lines and a late duplicate
  ClaudeAgent restarted(Opts(d, cp), &sink);
  ASSERT_TRUE(restarted.Init().ok());
  EXPECT_EQ(sink.sent, 9);  // only the three new responses were sent
  EXPECT_EQ(sink.input, ReportInput(d));
  Checkpoint loaded(cp);
  ASSERT_TRUE(loaded.Load().ok());
  EXPECT_EQ(loaded.files().begin()->second.next_line, 21u);
}

TEST(ClaudeAgent, RetriesAndRebuildsAfterAFailedPass) {
  TempDir d;
  d.Write("p", "a.jsonl", Lines(0, 2));
  FakeSink sink;
  AgentOptions o = Opts(d);
  o.max_retries = 1;
  ClaudeAgent agent(o, &sink);
  sink.fail_next = 1;  // one failure: retried within the pass
  ASSERT_TRUE(agent.Init().ok());
  EXPECT_EQ(sink.events.size(), 2u);
  d.Append("p", "a.jsonl", Lines(2, 4));
  sink.fail_next = 5;  // more failures than retries: the pass fails
  EXPECT_FALSE(agent.Poll().ok());
  sink.fail_next = 0;
  ASSERT_TRUE(agent.Poll().ok());  // rebuilds and ships what the failed pass held
  EXPECT_EQ(sink.events.size(), 4u);
  EXPECT_EQ(sink.input, ReportInput(d));
}

TEST(ClaudeAgent, ReplacedFileIsReadAgainAndDuplicatesDropByID) {
  TempDir d;
  std::string path = d.Write("p", "a.jsonl", Lines(0, 3));
  FakeSink sink;
  ClaudeAgent agent(Opts(d), &sink);
  ASSERT_TRUE(agent.Init().ok());
  std::filesystem::remove(path);
  d.Write("p", "a.jsonl", Lines(0, 5));  // new inode, old content plus more
  ASSERT_TRUE(agent.Poll().ok());
  EXPECT_EQ(sink.events.size(), 5u);
  EXPECT_EQ(sink.input, ReportInput(d));
}

TEST(ClaudeAgent, AttachesPromptFeaturesNeverText) {
  TempDir d;
  std::string prompt = "please fix the flaky parser test in src/parser";
  std::string tool_result =
      "{\"type\":\"user\",\"message\":{\"role\":\"user\",\"content\":[{\"tool_use_id\":\"t\","
      "\"type\":\"tool_result\",\"content\":\"secret "
      "output\"}]},\"timestamp\":\"2026-03-21T14:00:01Z\"}";
  std::string meta =
      "{\"type\":\"user\",\"isMeta\":true,\"message\":{\"role\":\"user\",\"content\":\"caveat\"}}";
  LineSpec a{.msg = "m1", .req = "r1"}, b{.msg = "m2", .req = "r2"};
  d.Write("p", "a.jsonl",
          testing::UserLine(prompt) + "\n" + Line(a) + "\n" + Line(a) + "\n" + tool_result + "\n" +
              meta + "\n" + Line(b) + "\n" + testing::UserLine("second prompt") + "\n");
  FakeSink sink;
  ClaudeAgent agent(Opts(d), &sink);
  ASSERT_TRUE(agent.Init().ok());
  ASSERT_EQ(sink.events.size(), 2u);
  int with_prompt = 0;
  for (const auto& [id, line] : sink.events) {
    EXPECT_EQ(line.find("flaky"), std::string::npos);  // never the text
    EXPECT_EQ(line.find("secret"), std::string::npos);
    if (line.find("\"prompt\":{\"length\":" + std::to_string(prompt.size()) + ",") !=
        std::string::npos)
      ++with_prompt;
  }
  EXPECT_EQ(with_prompt, 1);  // m1 answers the prompt; m2 follows a tool result
  // The pending second prompt goes with the next response, in a later poll.
  d.Append("p", "a.jsonl", Line(LineSpec{.msg = "m3", .req = "r3"}) + "\n");
  ASSERT_TRUE(agent.Poll().ok());
  ASSERT_EQ(sink.events.size(), 3u);
  int n = 0;
  for (const auto& [id, line] : sink.events)
    n += line.find("\"prompt\":{\"length\":13,") != std::string::npos;
  EXPECT_EQ(n, 1);
}

TEST(ClaudeAgent, LoopWakesOnFileChangesNotOnlyOnThePollTimer) {
  TempDir d;
  d.Write("p", "a.jsonl", Lines(0, 1));
  FakeSink sink;
  ClaudeAgent agent(Opts(d), &sink);
  ASSERT_TRUE(agent.Init().ok());
  std::atomic<bool> stop{false};
  std::thread loop([&] { EXPECT_TRUE(RunAgentLoop(&agent, stop, 60000).ok()); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto t0 = std::chrono::steady_clock::now();
  d.Append("p", "a.jsonl", Lines(1, 2));
  // The poll interval is a minute; inotify must wake the loop long before.
  for (int i = 0; i < 200 && sink.stored.load() < 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  auto waited = std::chrono::steady_clock::now() - t0;
  stop = true;
  loop.join();
  EXPECT_EQ(sink.events.size(), 2u);
  EXPECT_LT(waited, std::chrono::seconds(2));
}

TEST(Checkpoint, RoundTripAndCorruption) {
  TempDir d;
  Checkpoint c(d.path() + "/cp");
  ASSERT_TRUE(c.Load().ok());  // missing = empty
  c.files()["/x/y z.jsonl"] = FilePosition{42, 1000, 17};
  ASSERT_TRUE(c.Save().ok());
  Checkpoint r(d.path() + "/cp");
  ASSERT_TRUE(r.Load().ok());
  EXPECT_EQ(r.files().at("/x/y z.jsonl").offset, 1000u);
  EXPECT_EQ(r.files().at("/x/y z.jsonl").next_line, 17u);
  std::ofstream(d.path() + "/bad") << "burnrate-claude-checkpoint 1\nnot numbers\n";
  Checkpoint bad(d.path() + "/bad");
  Status s = bad.Load();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find(":2:"), std::string::npos);
}

TEST(EventSink, ParsesServerAnswer) {
  auto a = ParseIngestAnswer(
      R"({"accepted":3,"duplicates":1,"rejected":[{"line":2,"error":"bad ts","field":"ts"}]})");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->accepted, 3);
  EXPECT_EQ(a->duplicates, 1);
  EXPECT_EQ(a->rejected, 1);
  EXPECT_EQ(a->first_error, "bad ts");
  EXPECT_FALSE(ParseIngestAnswer("<html>").ok());
}

}  // namespace
}  // namespace burnrate::claude
