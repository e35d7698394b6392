// Codex rollout fixtures (tests/data/agents/codex-traps, hand-written for
// each trap; codex-0.171.0, written by the real Codex CLI 0.171.0 against
// tests/e2e/stub/upstream.py) with exact token totals.
#include "agents/codex_reader.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "agents/agent_event.h"
#include "agents/reader_test_util.h"
#include "model/request_key.h"

namespace burnrate::agents {
namespace {

using testing::Fixture;
using testing::Sum;

claude::ScanResult ScanRoot(const std::string& root, claude::ScanOptions o = {}) {
  auto files = FindCodexFiles({root});
  EXPECT_TRUE(files.ok()) << files.status().ToString();
  auto r = ScanCodex(*files, o);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return std::move(r).value();
}

TEST(CodexReader, TrapsCountEachTurnOnce) {
  claude::ScanResult r = ScanRoot(Fixture("codex-traps"));
  EXPECT_EQ(r.files.size(), 4u);  // sessions/ and archived_sessions/
  model::TokenCounts t = Sum(r);
  // Parent: 1000/200/50 + 1500/700/70, resumed 800/100/30 + 900/300/40;
  // sub-agent own turn 600/100/30; its fork's own turn 400/100/20;
  // archived session, per-turn usage only: 2 x 300/0/10.
  EXPECT_EQ(t.input, (4200 - 1300) + (600 - 100) + (400 - 100) + 600);
  EXPECT_EQ(t.cache_read, 1300 + 100 + 100);
  EXPECT_EQ(t.output, 190 + 30 + 20 + 20);
  EXPECT_EQ(t.cache_write, 0);
  EXPECT_EQ(r.entries.size(), 8u);
  EXPECT_EQ(r.stats.duplicates, 1u);         // the repeated running total
  EXPECT_EQ(r.stats.sidechain_replays, 5u);  // 2 replayed by the sub-agent, 3 by its fork
  ASSERT_EQ(r.skipped.size(), 2u);           // a string count, a truncated line
  EXPECT_EQ(r.skipped[0].reason, "total_token_usage: wrong field type");
}

TEST(CodexReader, ModelAndProjectFromTheTurn) {
  claude::ScanResult r = ScanRoot(Fixture("codex-traps"));
  std::set<std::string> models;
  for (const auto& e : r.entries) {
    models.insert(r.strings[e.model]);
    EXPECT_EQ(r.strings[e.project], "shop");
  }
  EXPECT_EQ(models, (std::set<std::string>{"gpt-5", "gpt-5.1-codex", "gpt-5.1-codex-max"}));
}

TEST(CodexReader, RereadingGivesTheSameIds) {
  claude::ScanResult a = ScanRoot(Fixture("codex-traps"));
  claude::ScanResult b = ScanRoot(Fixture("codex-traps"), {.project = "", .threads = 2});
  ASSERT_EQ(a.entries.size(), b.entries.size());
  std::set<std::string> ids;
  for (size_t i = 0; i < a.entries.size(); ++i) {
    EXPECT_EQ(AgentEventId(Source::kCodex, a.entries[i]),
              AgentEventId(Source::kCodex, b.entries[i]));
    ids.insert(AgentEventId(Source::kCodex, a.entries[i]));
  }
  EXPECT_EQ(ids.size(), a.entries.size());  // distinct turns, distinct ids
}

TEST(CodexReader, ChildWithoutItsParentStillCountsTheLineageOnce) {
  namespace fs = std::filesystem;
  fs::path tmp = fs::temp_directory_path() / ("codex_child_" + std::to_string(::getpid()));
  fs::create_directories(tmp);
  for (const auto& f : fs::directory_iterator(Fixture("codex-traps/sessions/2026/11/20")))
    if (f.path().filename().string().find("0000c.jsonl") != std::string::npos ||
        f.path().filename().string().find("0000g.jsonl") != std::string::npos)
      fs::copy_file(f.path(), tmp / f.path().filename());
  claude::ScanResult r = ScanRoot(tmp.string());
  fs::remove_all(tmp);
  // The parent's two turns (from the replay), the child's, the fork's.
  model::TokenCounts t = Sum(r);
  EXPECT_EQ(t.input, (2500 - 900) + (600 - 100) + (400 - 100));
  EXPECT_EQ(t.output, 120 + 30 + 20);
  EXPECT_EQ(r.entries.size(), 4u);
}

TEST(CodexReader, RealCodex0171MatchesTheStubsUsage) {
  claude::ScanResult r = ScanRoot(Fixture("codex-0.171.0"));
  // The stub answered 1037 (211 cached) in, 43 out; then 1074 (222), 46.
  model::TokenCounts t = Sum(r);
  EXPECT_EQ(t.input, 1037 - 211 + 1074 - 222);
  EXPECT_EQ(t.cache_read, 211 + 222);
  EXPECT_EQ(t.output, 43 + 46);
  ASSERT_EQ(r.entries.size(), 2u);
  EXPECT_EQ(r.strings[r.entries[0].model], "gpt-5.5");
  EXPECT_TRUE(r.skipped.empty());
}

TEST(CodexReader, DefaultRootNeedsSessions) {
  auto none = DefaultCodexRoots([](const char*) -> const char* { return nullptr; });
  EXPECT_EQ(none.status().code(), Status::Code::kNotFound);
  std::string home = Fixture("codex-traps");
  auto found = DefaultCodexRoots([&](const char* k) -> const char* {
    return std::string(k) == "CODEX_HOME" ? home.c_str() : nullptr;
  });
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->at(0), home);
}

// The real Codex 0.171.0 run whose OTLP export is beside its rollouts: the
// reader's ids are the keys the otlp layer derives from conversation.id and
// the response.completed counts (model/request_key.h), so the same request
// shipped both ways is one event.
TEST(CodexReader, IdsAreTheRequestKeysTheOtlpExportGives) {
  claude::ScanResult r = ScanRoot(Fixture("codex-0.171.0-otlp"));
  ASSERT_EQ(r.entries.size(), 2u);
  std::set<std::string> got, want;
  for (const auto& e : r.entries) {
    got.insert(AgentEventId(Source::kCodex, e));
    std::string thread = r.strings[e.session];
    // The stub's answers (the fixture's README), in thread order unknown.
    for (model::CodexUsage u :
         {model::CodexUsage{1333, 299, 0, 67, 14}, model::CodexUsage{1370, 310, 0, 70, 15}}) {
      if (e.tokens.cache_read == u.cached)
        want.insert(model::CodexEventId(model::CodexRequestKey(thread, u)));
    }
  }
  EXPECT_EQ(got, want);
  EXPECT_EQ(want.size(), 2u);
}

}  // namespace
}  // namespace burnrate::agents
