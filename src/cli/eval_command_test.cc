#include "cli/eval_command.h"

#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <memory>

namespace burnrate::cli {
namespace {

// A small organisation end to end: every persona is generated, the farmers
// are found, and the legitimate users are left alone.
// 600 users over 4 days, 10% farmers in bot farms of 8, evaluated through
// a fresh engine whose exempt list is the organisation's declared batch jobs.
Result<EvalReport> EvaluateSmallOrg(sim::PersonaOptions sim) {
  EvalOptions o;
  o.sim = std::move(sim);
  o.sim.users = 600, o.sim.days = 4, o.sim.farm_share = 0.1, o.sim.bot_farm_size = 8;
  o.min_flag_days = 2;
  detect::DetectConfig cfg;
  for (auto& u : sim::PersonaSim(o.sim).ExemptUsers()) cfg.exempt.insert(u);
  FakeClock clock(o.sim.start);
  detect::DetectionEngine engine(cfg, clock);
  auto rep = RunEvaluation(o, engine);
  if (rep.ok()) std::printf("%s", FormatReport(*rep).c_str());
  return rep;
}

TEST(EvalDetection, SmallOrgMeetsTargets) {
  auto rep = EvaluateSmallOrg({});
  ASSERT_TRUE(rep.ok());
  EXPECT_GE(rep->precision, 0.95);
  EXPECT_GE(rep->recall, 0.90);
  EXPECT_LE(rep->fpr_legit, 0.01);
}

// Other prompt texts: legitimate users take theirs from the hand-written
// corpus tests/data/legit_prompts.txt (short prompts sent again and again,
// long requests pasted once a day), farmers keep theirs.
TEST(EvalDetection, SmallOrgWithOtherLegitPromptsMeetsTargets) {
  const char* src = std::getenv("BURNRATE_SOURCE_DIR");
  std::string path = std::string(src ? src : ".") + "/tests/data/legit_prompts.txt";
  auto lines = LoadPromptLines(path);
  ASSERT_TRUE(lines.ok()) << lines.status().ToString();
  EXPECT_GT(lines->size(), 60u);
  bool multiline = false;
  for (const auto& l : *lines) multiline |= l.find('\n') != std::string::npos;
  EXPECT_TRUE(multiline);  // "\n" in the file is a line break
  sim::PersonaOptions sim;
  sim.legit_prompts = std::make_shared<const std::vector<std::string>>(std::move(*lines));
  auto rep = EvaluateSmallOrg(std::move(sim));
  ASSERT_TRUE(rep.ok());
  EXPECT_GE(rep->precision, 0.95);
  EXPECT_GE(rep->recall, 0.90);
  EXPECT_LE(rep->fpr_legit, 0.005);
}

// The independent generator on real text (sim/corpus_org.cc): researchers
// with long distinct documents and no outcomes, log pasters, teams without
// outcome integration. No legitimate user may reach high confidence.
TEST(EvalDetection, CorpusOrgMeetsTargetsWithNoLegitimateUserAtHighConfidence) {
  const char* src = std::getenv("BURNRATE_SOURCE_DIR");
  sim::PersonaOptions o;
  o.users = 400, o.days = 4, o.seed = 3, o.farm_share = 0.12;
  auto org = CorpusOrgUnderTest(o, std::string(src ? src : ".") + "/tests/data/real_text");
  ASSERT_TRUE(org.ok()) << org.status().ToString();
  FakeClock clock(o.start);
  detect::DetectionEngine engine(detect::DetectConfig{}, clock);
  auto rep = RunEvaluationOn(*org, 2, engine);
  ASSERT_TRUE(rep.ok());
  std::printf("%s", FormatReport(*rep).c_str());
  bool researchers = false;
  for (const auto& p : rep->personas) researchers |= p.persona == "researcher" && p.users > 0;
  EXPECT_TRUE(researchers);
  EXPECT_GE(rep->precision, 0.95);
  EXPECT_GE(rep->recall, 0.90);
  EXPECT_LE(rep->fpr_legit, 0.005);
  EXPECT_EQ(rep->legit_high_confidence_users, 0);
  EXPECT_FALSE(CorpusOrgUnderTest(o, "/nonexistent").ok());
}

TEST(EvalDetection, PromptLinesSkipCommentsAndBlanksAndUnescapeNewlines) {
  auto p = ParsePromptLines(
      "# comment\ncontinue\r\n\nline one\\nline two\nends with a backslash\\\nno newline at end");
  EXPECT_EQ(p, (std::vector<std::string>{"continue", "line one\nline two",
                                         "ends with a backslash\\", "no newline at end"}));
  EXPECT_TRUE(ParsePromptLines("").empty());
  EXPECT_TRUE(ParsePromptLines("#only\n\n").empty());
}

TEST(EvalDetection, PromptFileErrorsNameTheFile) {
  auto missing = LoadPromptLines("/nonexistent/prompts.txt");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/nonexistent/prompts.txt"), std::string::npos);
}

// An organisation from a different generator (the foundation simulator:
// log-normal heaviness, no prompts, no farmers) must come out clean.
TEST(EvalDetection, ForeignOrgHasNoFalsePositives) {
  auto r = RunForeignOrg(400, 3, 5, 2);
  ASSERT_TRUE(r.ok());
  EXPECT_GT(r->active_users, 300);
  EXPECT_GT(r->events, 10000);
  EXPECT_LE(r->fpr, 0.005);
}

TEST(EvalDetection, CommandLine) {
  CLI::App app{"burnrate"};
  AddEvalDetectionCommand(app);
  EXPECT_NO_THROW(app.parse("eval-detection --users 120 --days 2 --json", false));
  CLI::App bad{"burnrate"};
  AddEvalDetectionCommand(bad);
  EXPECT_THROW(bad.parse("eval-detection --users 5", false), CLI::ValidationError);
}

}  // namespace
}  // namespace burnrate::cli
