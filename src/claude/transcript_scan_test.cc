// Fixture tests for the transcript rules: de-duplication, sidechain replays,
// missing ids, truncated and malformed lines, 5m/1h cache writes, discovery.
#include "claude/transcript_scan.h"

#include <gtest/gtest.h>

#include "claude/claude_fixture_test.h"
#include "claude/deduplicator.h"
#include "claude/transcript_parser.h"

namespace burnrate::claude {
namespace {

using testing::Line;
using testing::LineSpec;
using testing::TempDir;

ScanResult Scan(const TempDir& d, ScanOptions o = {}) {
  auto files = FindTranscripts({d.path()});
  EXPECT_TRUE(files.ok()) << files.status().ToString();
  auto r = ScanTranscripts(*files, o);
  EXPECT_TRUE(r.ok());
  return std::move(r).value();
}

model::TokenCounts Sum(const ScanResult& r) {
  model::TokenCounts t;
  for (const auto& e : r.entries) t += e.tokens;
  return t;
}

TEST(TranscriptScan, DuplicateContentBlocksCountOnce) {
  TempDir d;
  LineSpec a{.in = 10, .out = 20, .cw = 30, .cr = 40};
  LineSpec b{.msg = "msg_2", .req = "req_2", .in = 1, .out = 2, .cw = 3, .cr = 4};
  d.Write("proj", "s1.jsonl",
          Line(a) + "\n" + Line(a) + "\n" + testing::UserLine("hi") + "\n" + Line(a) + "\n" +
              Line(b) + "\n");
  // The same response copied into a second file counts once too.
  d.Write("proj", "s2.jsonl", Line(b) + "\n");
  ScanResult r = Scan(d);
  ASSERT_EQ(r.entries.size(), 2u);
  EXPECT_EQ(r.stats.usage_lines, 5u);
  EXPECT_EQ(r.stats.duplicates, 3u);
  model::TokenCounts t = Sum(r);
  EXPECT_EQ(t.input, 11);
  EXPECT_EQ(t.output, 22);
  EXPECT_EQ(t.cache_write, 33);
  EXPECT_EQ(t.cache_read, 44);
  EXPECT_TRUE(r.skipped.empty());
}

TEST(TranscriptScan, SidechainReplayUnderOtherRequestIdIsTheSameResponse) {
  TempDir d;
  LineSpec main{.msg = "m1", .req = "r1", .in = 100};
  LineSpec replay{.msg = "m1", .req = "r2", .in = 100, .sidechain = true};
  // Same message id under two request ids, neither sidechain: two responses.
  LineSpec x1{.msg = "m2", .req = "r3", .in = 7};
  LineSpec x2{.msg = "m2", .req = "r4", .in = 7};
  d.Write("p", "a.jsonl", Line(main) + "\n" + Line(x1) + "\n" + Line(x2) + "\n");
  d.Write("p", "agent-1.jsonl", Line(replay) + "\n");
  ScanResult r = Scan(d);
  EXPECT_EQ(r.entries.size(), 3u);
  EXPECT_EQ(r.stats.sidechain_replays, 1u);
  EXPECT_EQ(Sum(r).input, 114);
}

TEST(TranscriptScan, LinesMissingEitherIdAreAllCounted) {
  TempDir d;
  LineSpec no_req{.req = "", .in = 5};
  LineSpec no_msg{.msg = "", .in = 3};
  d.Write("p", "a.jsonl", Line(no_req) + "\n" + Line(no_req) + "\n" + Line(no_msg) + "\n");
  ScanResult r = Scan(d);
  EXPECT_EQ(r.entries.size(), 3u);
  EXPECT_EQ(r.stats.missing_ids, 3u);
  EXPECT_EQ(Sum(r).input, 13);
  // Identical lines still get distinct stable keys (line number is part of it).
  EXPECT_NE(r.entries[0].key_hi, r.entries[1].key_hi);
}

TEST(TranscriptScan, TruncatedLastLineIsSkippedAndReported) {
  TempDir d;
  LineSpec a{.in = 1};
  LineSpec b{.msg = "m2", .req = "r2", .in = 2};
  std::string full = Line(b);
  std::string path = d.Write("p", "a.jsonl", Line(a) + "\n" + full.substr(0, full.size() / 2));
  ScanResult r = Scan(d);
  ASSERT_EQ(r.entries.size(), 1u);
  ASSERT_EQ(r.skipped.size(), 1u);
  EXPECT_EQ(r.files[r.skipped[0].file].path, path);
  EXPECT_EQ(r.skipped[0].line, 2u);
}

TEST(TranscriptScan, MalformedMiddleLineNeverLosesTheOthers) {
  TempDir d;
  LineSpec a{.in = 1}, c{.msg = "m3", .req = "r3", .in = 4};
  std::string bad = Line(LineSpec{.msg = "m2", .req = "r2"});
  bad[bad.size() / 3] = '}';
  d.Write("p", "a.jsonl",
          Line(a) + "\n" + bad + "\n" + "not json but has \"usage\"\n" + Line(c) + "\n");
  ScanResult r = Scan(d);
  EXPECT_EQ(r.entries.size(), 2u);
  EXPECT_EQ(Sum(r).input, 5);
  ASSERT_EQ(r.skipped.size(), 2u);
  EXPECT_EQ(r.skipped[0].line, 2u);
  EXPECT_EQ(r.skipped[1].line, 3u);
  EXPECT_EQ(r.entries[1].line, 4u);
}

TEST(TranscriptScan, UsageLinesFailingCcusageSchemaAreSkipped) {
  TempDir d;
  LineSpec offset_ts{.ts = "2026-03-21T14:03:04+00:00"};
  LineSpec ok{.msg = "m2", .req = "r2", .ts = "2026-03-21T14:03:04Z", .in = 9};
  std::string str_tokens = Line(LineSpec{.msg = "m3", .req = "r3"});
  str_tokens.replace(str_tokens.find("\"input_tokens\":1"), 16, "\"input_tokens\":\"1\"");
  std::string bad_version = Line(LineSpec{.msg = "m4", .req = "r4"});
  bad_version.replace(bad_version.find("2.1.81"), 6, "beta");
  std::string bad_text = Line(LineSpec{.msg = "m5", .req = "r5"});
  bad_text.replace(bad_text.find("\"text\":\"hello\""), 14, "\"text\":12");
  d.Write("p", "a.jsonl",
          Line(offset_ts) + "\n" + Line(ok) + "\n" + str_tokens + "\n" + bad_version + "\n" +
              bad_text + "\n");
  ScanResult r = Scan(d);
  ASSERT_EQ(r.entries.size(), 1u);
  EXPECT_EQ(r.entries[0].tokens.input, 9);
  EXPECT_EQ(r.skipped.size(), 4u);
}

TEST(TranscriptScan, ReadsFiveMinuteAndOneHourCacheWrites) {
  TempDir d;
  LineSpec a{.cw = 1000, .cw5m = 600, .cw1h = 400};
  d.Write("p", "a.jsonl", Line(a) + "\n");
  ScanResult r = Scan(d);
  ASSERT_EQ(r.entries.size(), 1u);
  EXPECT_EQ(r.entries[0].tokens.cache_write, 1000);
  EXPECT_EQ(r.entries[0].tokens.cache_write_1h, 400);
}

TEST(TranscriptScan, ProjectFilterAndProjectNames) {
  TempDir d;
  d.Write("-home-dev-app", "a.jsonl", Line(LineSpec{.in = 1}) + "\n");
  d.Write("-home-dev-lib", "b.jsonl", Line(LineSpec{.msg = "m2", .in = 2}) + "\n");
  ScanResult all = Scan(d);
  EXPECT_EQ(all.entries.size(), 2u);
  ScanResult one = Scan(d, ScanOptions{.project = "-home-dev-lib"});
  ASSERT_EQ(one.entries.size(), 1u);
  EXPECT_EQ(one.strings[one.entries[0].project], "-home-dev-lib");
}

TEST(TranscriptScan, ManyFilesOnTwoThreadsGiveTheSameResult) {
  TempDir d;
  for (int f = 0; f < 40; ++f) {
    std::string content;
    for (int i = 0; i < 50; ++i) {
      LineSpec s{.msg = "m" + std::to_string(i % 30),
                 .req = "r" + std::to_string(i % 30),
                 .in = f * 1000 + i};
      content += Line(s) + "\n";
    }
    d.Write("p" + std::to_string(f % 3), "f" + std::to_string(f) + ".jsonl", content);
  }
  ScanResult one = Scan(d, ScanOptions{.threads = 1});
  ScanResult two = Scan(d, ScanOptions{.threads = 2});
  EXPECT_EQ(one.entries.size(), 30u);
  EXPECT_EQ(Sum(one).input, Sum(two).input);
  EXPECT_EQ(one.entries.size(), two.entries.size());
}

TEST(TranscriptScan, ConfigDirDiscovery) {
  TempDir a, b;
  a.Write("p", "x.jsonl", Line(LineSpec{}) + "\n");
  b.Write("q", "y.jsonl", Line(LineSpec{.msg = "m9"}) + "\n");
  std::string list = a.path() + ", " + b.path() + ",/nonexistent";
  auto roots = DefaultClaudeRoots([&](const char* k) -> const char* {
    return std::string(k) == "CLAUDE_CONFIG_DIR" ? list.c_str() : nullptr;
  });
  ASSERT_TRUE(roots.ok());
  EXPECT_EQ(roots->size(), 2u);
  auto files = FindTranscripts(*roots);
  ASSERT_TRUE(files.ok());
  EXPECT_EQ(files->size(), 2u);
  std::string home = a.path();
  auto defaults = DefaultClaudeRoots([&](const char* k) -> const char* {
    return std::string(k) == "HOME" ? home.c_str() : nullptr;
  });
  EXPECT_FALSE(defaults.ok());  // no ~/.claude/projects below a.path()
  auto none = DefaultClaudeRoots([](const char* k) -> const char* {
    return std::string(k) == "CLAUDE_CONFIG_DIR" ? "/nonexistent" : nullptr;
  });
  EXPECT_FALSE(none.ok());
}

TEST(TranscriptParser, TimestampParsing) {
  TimeMs t;
  ASSERT_TRUE(ParseTranscriptTimestamp("2026-03-21T14:03:04.577Z", &t));
  EXPECT_EQ(t, 1774101784577);
  ASSERT_TRUE(ParseTranscriptTimestamp("1970-01-01T00:00:01Z", &t));
  EXPECT_EQ(t, 1000);
  EXPECT_FALSE(ParseTranscriptTimestamp("2026-03-21T14:03:04.57Z", &t));
  EXPECT_FALSE(ParseTranscriptTimestamp("2026-13-21T14:03:04Z", &t));
  // JavaScript Date semantics, as ccusage: Feb 31 rolls over, 24:00 is midnight.
  ASSERT_TRUE(ParseTranscriptTimestamp("2026-02-31T00:00:00Z", &t));
  TimeMs mar3;
  ASSERT_TRUE(ParseTranscriptTimestamp("2026-03-03T00:00:00Z", &mar3));
  EXPECT_EQ(t, mar3);
  ASSERT_TRUE(ParseTranscriptTimestamp("2026-03-02T24:00:00Z", &t));
  EXPECT_EQ(t, mar3);
  EXPECT_FALSE(ParseTranscriptTimestamp("2026-03-02T24:30:00Z", &t));
}

TEST(TranscriptParser, LongLinesAcrossChunkBoundaries) {
  TempDir d;
  std::string content;
  for (int i = 0; i < 6; ++i) {
    LineSpec s{.msg = "m" + std::to_string(i), .in = i + 1, .text = std::string(3 << 20, 'x')};
    content += Line(s) + "\n";
  }
  d.Write("p", "big.jsonl", content);
  ScanResult r = Scan(d);
  EXPECT_EQ(r.entries.size(), 6u);
  EXPECT_EQ(Sum(r).input, 21);
  EXPECT_EQ(r.entries[5].line, 6u);
}

TEST(TranscriptParser, MappedWindowsAndLinesLongerThanAWindow) {
  TempDir d;
  std::string small;
  for (int i = 0; i < 40000; ++i) {
    LineSpec s{.msg = "m" + std::to_string(i), .in = 1, .text = std::string(i % 900, 'y')};
    small += Line(s) + "\n";
  }
  d.Write("p", "many.jsonl", small + "{\"truncated\": \"usage");  // > 16 MiB: several windows
  d.Write("p", "huge.jsonl",
          Line(LineSpec{.msg = "h1", .in = 7, .text = std::string(20 << 20, 'z')}) + "\n" +
              Line(LineSpec{.msg = "h2", .in = 8}) + "\n");
  ScanResult r = Scan(d);
  EXPECT_EQ(r.entries.size(), 40002u);
  EXPECT_EQ(Sum(r).input, 40000 + 15);
  ASSERT_EQ(r.skipped.size(), 1u);
  EXPECT_EQ(r.skipped[0].line, 40001u);
  uint32_t max_line = 0;
  for (const auto& e : r.entries) max_line = std::max(max_line, e.line);
  EXPECT_EQ(max_line, 40000u);
}

}  // namespace
}  // namespace burnrate::claude

namespace burnrate::claude {
namespace {

TEST(Deduplicator, ManyKeysAndFlagsSurviveGrowth) {
  Deduplicator d;
  for (uint64_t i = 1; i <= 200000; ++i) {
    UsageEntry e;
    e.has_ids = true;
    e.key_hi = i * 0x100000001B3ULL;
    e.msg_hash = i * 7919;
    e.sidechain = i % 3 == 0;
    ASSERT_EQ(d.Offer(e), Deduplicator::Verdict::kNew) << i;
  }
  for (uint64_t i = 1; i <= 200000; i += 997) {
    UsageEntry dup;
    dup.has_ids = true;
    dup.key_hi = i * 0x100000001B3ULL;
    dup.msg_hash = i * 7919;
    EXPECT_EQ(d.Offer(dup), Deduplicator::Verdict::kDuplicate);
    UsageEntry other_req = dup;
    other_req.key_hi ^= 0xABCDEF;  // same message, another request
    EXPECT_EQ(d.Offer(other_req),
              i % 3 == 0 ? Deduplicator::Verdict::kSidechainReplay : Deduplicator::Verdict::kNew)
        << i;
  }
}

}  // namespace
}  // namespace burnrate::claude
