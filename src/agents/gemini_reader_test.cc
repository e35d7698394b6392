// Gemini CLI fixtures (tests/data/agents/gemini-traps, hand-written for
// each trap; gemini-cli-0.61.0, written by the real Gemini CLI 0.61.0
// against tests/e2e/stub/upstream.py) with exact token totals.
#include "agents/gemini_reader.h"

#include <gtest/gtest.h>

#include "agents/reader_test_util.h"

namespace burnrate::agents {
namespace {

using testing::Fixture;
using testing::Sum;

claude::ScanResult ScanRoot(const std::string& root) {
  auto files = FindGeminiFiles({root});
  EXPECT_TRUE(files.ok()) << files.status().ToString();
  auto r = ScanGemini(*files, {});
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return std::move(r).value();
}

TEST(GeminiReader, TrapsCountEachMessageOnce) {
  claude::ScanResult r = ScanRoot(Fixture("gemini-traps"));
  EXPECT_EQ(r.files.size(), 4u);
  model::TokenCounts t = Sum(r);
  // m1 (re-appended twice) 1000 in incl. 300 cached, 5 tool, 50 + 20
  // thoughts out; m2 (rewound) 2000/1500/100; m3 (from a $set) 500/0/10;
  // sub-agent m4 100/0/5+1; m5 in both the legacy .json and its .jsonl
  // copy 400/100/40+4.
  EXPECT_EQ(t.input, (1000 - 300 + 5) + (2000 - 1500) + 500 + 100 + (400 - 100));
  EXPECT_EQ(t.cache_read, 300 + 1500 + 100);
  EXPECT_EQ(t.output, (50 + 20) + 100 + 10 + (5 + 1) + (40 + 4));
  EXPECT_EQ(r.entries.size(), 5u);
  EXPECT_EQ(r.stats.duplicates, 2u);  // m1's third record, m5's copy
  EXPECT_EQ(r.skipped.size(), 2u);    // a negative count, a truncated line
}

TEST(GeminiReader, ProjectsAndSessions) {
  claude::ScanResult r = ScanRoot(Fixture("gemini-traps"));
  int sub = 0;
  for (const auto& e : r.entries) {
    std::string project = r.strings[e.project];
    EXPECT_TRUE(project == "3f1a" || project == "77c0") << project;
    if (r.strings[e.session] == "sub-0001") {
      ++sub;
      EXPECT_EQ(r.strings[e.model], "gemini-2.5-flash");
    }
  }
  EXPECT_EQ(sub, 1);
}

TEST(GeminiReader, RealGeminiCli061MatchesTheStubsStreamedUsage) {
  claude::ScanResult r = ScanRoot(Fixture("gemini-cli-0.61.0"));
  // The two streamed answers: 1296 (288 cached) in, 64 + 13 thoughts out;
  // 1518 (354), 82 + 19.
  model::TokenCounts t = Sum(r);
  EXPECT_EQ(t.input, 1296 - 288 + 1518 - 354);
  EXPECT_EQ(t.cache_read, 288 + 354);
  EXPECT_EQ(t.output, 64 + 13 + 82 + 19);
  ASSERT_EQ(r.entries.size(), 2u);
  EXPECT_EQ(r.strings[r.entries[0].model], "gemini-3.1-pro-preview");
  EXPECT_TRUE(r.skipped.empty());
}

}  // namespace
}  // namespace burnrate::agents
