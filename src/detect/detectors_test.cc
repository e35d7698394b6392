// Each detector on both sides of each of its thresholds, from hand-built
// features (no simulation involved).
#include "detect/detectors.h"

#include <gtest/gtest.h>

namespace burnrate::detect {
namespace {

class DetectorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    f.user = "alice", f.team = "core";
    f.requests = 1000, f.tokens = 40'000'000, f.input_side = 39'000'000, f.output = 300'000;
    f.cache_read = 35'000'000, f.outcomes = 0, f.outcome_free_tokens = f.tokens;
    f.hours_active = 10, f.sessions = 3, f.clients = 1, f.max_concurrency = 2;
    f.gaps = 900, f.gap_cv = 2.0, f.prompts = 200, f.repeat_prompts = 200,
    f.low_entropy_prompts = 0;
    f.exact_dup_rate = 0.05, f.near_dup_rate = 0.05;
    f.outcomes_per_mtok = 0, f.output_ratio = 300'000.0 / 39'000'000, f.output_per_request = 300;
    f.cache_read_share = 0.875, f.cache_read_per_request = 35'000, f.outcome_free_share = 1.0;
    p.peers = 12, p.tokens = 5'000'000, p.requests = 100, p.outcomes_per_mtok = 2.0;
    p.output_per_request = 350, p.cache_read_per_request = 40'000, p.concurrency = 1;
  }
  void GiveOutcomes(int64_t n) {
    f.outcomes = n;
    f.outcomes_per_mtok = double(n) * 1e6 / double(f.tokens);
    f.outcome_free_share = 0.1;
  }
  UserDayFeatures f;
  PeerBaseline p;
  DetectConfig cfg;
};

TEST_F(DetectorsTest, ProductiveNeedsOutcomesAtQuarterPeerEfficiency) {
  EXPECT_FALSE(Productive(f, p, cfg));
  GiveOutcomes(19);  // 0.475/Mtok = 0.24x peers
  EXPECT_FALSE(Productive(f, p, cfg));
  GiveOutcomes(21);  // 0.525/Mtok = 0.26x
  EXPECT_TRUE(Productive(f, p, cfg));
}

TEST_F(DetectorsTest, IdleLoop) {
  f.hours_active = 20, f.gap_cv = 0.1;
  auto r = DetectIdleLoop(f, p, cfg);
  ASSERT_TRUE(r);
  EXPECT_GT(r->score, 50);
  EXPECT_NE(r->summary.find("20 of 24 hours"), std::string::npos);
  f.hours_active = 15;  // below idle_min_hours
  EXPECT_FALSE(DetectIdleLoop(f, p, cfg));
  f.hours_active = 16, f.gap_cv = 0.59;
  EXPECT_TRUE(DetectIdleLoop(f, p, cfg));
  f.gap_cv = 0.61;  // human-irregular
  EXPECT_FALSE(DetectIdleLoop(f, p, cfg));
  f.gap_cv = 0.1, f.gaps = 49;  // too little evidence
  EXPECT_FALSE(DetectIdleLoop(f, p, cfg));
  f.gaps = 900;
  GiveOutcomes(200);  // a productive CI account
  EXPECT_FALSE(DetectIdleLoop(f, p, cfg));
}

TEST_F(DetectorsTest, RepetitivePrompts) {
  EXPECT_FALSE(DetectRepetitivePrompts(f, p, cfg));
  f.exact_dup_rate = 0.49;
  EXPECT_FALSE(DetectRepetitivePrompts(f, p, cfg));
  f.exact_dup_rate = 0.51;
  EXPECT_TRUE(DetectRepetitivePrompts(f, p, cfg));
  f.exact_dup_rate = 0.05, f.near_dup_rate = 0.59;
  EXPECT_FALSE(DetectRepetitivePrompts(f, p, cfg));
  f.near_dup_rate = 0.61;
  EXPECT_TRUE(DetectRepetitivePrompts(f, p, cfg));
  f.near_dup_rate = 0.05, f.low_entropy_prompts = 99;
  EXPECT_FALSE(DetectRepetitivePrompts(f, p, cfg));
  f.low_entropy_prompts = 101;
  EXPECT_TRUE(DetectRepetitivePrompts(f, p, cfg));
  f.prompts = 19, f.low_entropy_prompts = 19;  // too few prompts to judge
  EXPECT_FALSE(DetectRepetitivePrompts(f, p, cfg));
  // Repeats count only among prompts of repeat_min_len bytes or more: a day
  // of mostly "continue" and "yes" has too few of them to judge.
  f.prompts = 200, f.low_entropy_prompts = 0, f.exact_dup_rate = 0.9, f.near_dup_rate = 0.9;
  f.repeat_prompts = 20;
  EXPECT_TRUE(DetectRepetitivePrompts(f, p, cfg));
  f.repeat_prompts = 19;
  EXPECT_FALSE(DetectRepetitivePrompts(f, p, cfg));
}

TEST_F(DetectorsTest, OutputFarming) {
  f.output_ratio = 3, f.output_per_request = 10'000;
  auto r = DetectOutputFarming(f, p, cfg);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->detector, "output_farming");
  f.output_ratio = 0.9;  // output below input: not farming output
  EXPECT_FALSE(DetectOutputFarming(f, p, cfg));
  f.output_ratio = 3, f.output_per_request = 3.9 * 350;  // under 4x peers
  EXPECT_FALSE(DetectOutputFarming(f, p, cfg));
  f.output_per_request = 4.1 * 350;
  EXPECT_TRUE(DetectOutputFarming(f, p, cfg));
}

TEST_F(DetectorsTest, ParallelFarm) {
  f.max_concurrency = 7;  // under the floor of 8
  EXPECT_FALSE(DetectParallelFarm(f, p, cfg));
  f.max_concurrency = 8;
  EXPECT_TRUE(DetectParallelFarm(f, p, cfg));
  p.concurrency = 3;  // busy peers: threshold is 4x their median = 12
  EXPECT_FALSE(DetectParallelFarm(f, p, cfg));
  f.max_concurrency = 40;
  auto r = DetectParallelFarm(f, p, cfg);
  ASSERT_TRUE(r);
  EXPECT_GT(r->score, 80);
}

TEST_F(DetectorsTest, BotFarm) {
  f.cluster_accounts = 4, f.cluster_share = 0.9;
  EXPECT_FALSE(DetectBotFarm(f, p, cfg));
  f.cluster_accounts = 5;
  EXPECT_TRUE(DetectBotFarm(f, p, cfg));
  f.cluster_share = 0.19;
  EXPECT_FALSE(DetectBotFarm(f, p, cfg));
  f.cluster_share = 0.9, f.cluster_productive = 0.6;  // shared tooling of a productive team
  EXPECT_FALSE(DetectBotFarm(f, p, cfg));
  f.cluster_productive = 0.4;
  EXPECT_TRUE(DetectBotFarm(f, p, cfg));
  f.cluster_accounts = 0, f.sync_accounts = 4;  // synchronised timing alone
  EXPECT_FALSE(DetectBotFarm(f, p, cfg));
  f.sync_accounts = 5;
  auto r = DetectBotFarm(f, p, cfg);
  ASSERT_TRUE(r);
  EXPECT_NE(r->summary.find("same minutes as 4 other accounts"), std::string::npos);
}

TEST_F(DetectorsTest, CacheReplay) {
  f.cache_read_per_request = 180'000, f.output_per_request = 15, f.cache_read_share = 0.99;
  EXPECT_TRUE(DetectCacheReplay(f, p, cfg));
  f.cache_read_per_request = 1.9 * 40'000;  // context not unusually large
  EXPECT_FALSE(DetectCacheReplay(f, p, cfg));
  f.cache_read_per_request = 180'000, f.output_per_request = 0.26 * 350;  // real answers
  EXPECT_FALSE(DetectCacheReplay(f, p, cfg));
  f.output_per_request = 15, f.requests = 99;  // not high-frequency vs peers
  EXPECT_FALSE(DetectCacheReplay(f, p, cfg));
}

TEST_F(DetectorsTest, OutcomeFreeBurn) {
  EXPECT_TRUE(DetectOutcomeFreeBurn(f, p, cfg));  // 8x peer tokens, no outcomes
  f.tokens = 14'000'000;                          // 2.8x peers
  EXPECT_FALSE(DetectOutcomeFreeBurn(f, p, cfg));
  f.tokens = 40'000'000, f.outcome_free_share = 0.79;
  EXPECT_FALSE(DetectOutcomeFreeBurn(f, p, cfg));
  f.outcome_free_share = 1.0;
  p.outcomes_per_mtok = 0;  // the org sends no outcomes: no opinion
  EXPECT_FALSE(DetectOutcomeFreeBurn(f, p, cfg));
}

TEST_F(DetectorsTest, MissingOutcomesAreNoEvidenceWithoutOutcomeIntegration) {
  EXPECT_TRUE(DetectOutcomeFreeBurn(f, p, cfg));
  p.team_outcome_coverage = 0.2;  // under a quarter of the team reports outcomes
  EXPECT_FALSE(DetectOutcomeFreeBurn(f, p, cfg));
  p.team_outcome_coverage = 0.9, p.source_outcome_coverage = 0;  // the user's client reports none
  EXPECT_FALSE(DetectOutcomeFreeBurn(f, p, cfg));
  p.source_outcome_coverage = 0.25;
  EXPECT_TRUE(DetectOutcomeFreeBurn(f, p, cfg));
}

// One detector on a non-conclusive signal flags for review but never
// reaches high confidence; a conclusive one, or two on independent
// evidence, do.
TEST_F(DetectorsTest, HighConfidenceNeedsTwoIndependentDetectorsOrConclusiveEvidence) {
  p.team_outcome_coverage = 0;  // no outcome integration: outcome_free_burn is silent
  f.near_dup_rate = 0.99;       // the researcher pattern: near-duplicates only
  Verdict v = Evaluate(f, p, cfg);
  ASSERT_EQ(v.reasons.size(), 1u);
  EXPECT_EQ(v.reasons[0].detector, "repetitive_prompts");
  EXPECT_GT(v.reasons[0].score, 95);
  EXPECT_GE(v.score, cfg.flag_score);
  EXPECT_LT(v.score, cfg.high_confidence_score);
  EXPECT_TRUE(v.held_below_high_confidence);

  f.exact_dup_rate = 0.95;  // verbatim repeats: conclusive on their own
  v = Evaluate(f, p, cfg);
  EXPECT_GE(v.score, cfg.high_confidence_score);
  EXPECT_TRUE(Conclusive(v.reasons[0]));

  f.exact_dup_rate = 0.05;
  f.hours_active = 18, f.gap_cv = 0.3;  // a loop, but not conclusive alone: timing + prompts
  v = Evaluate(f, p, cfg);
  ASSERT_EQ(v.reasons.size(), 2u);
  EXPECT_FALSE(Conclusive(v.reasons[0]) || Conclusive(v.reasons[1]));
  EXPECT_GE(v.score, cfg.high_confidence_score);
  EXPECT_FALSE(v.held_below_high_confidence);

  // Shared templates rest on the same prompt evidence as near-duplicates.
  f.hours_active = 10, f.gap_cv = 2;
  f.cluster_accounts = 6, f.cluster_share = 0.9;
  v = Evaluate(f, p, cfg);
  ASSERT_EQ(v.reasons.size(), 2u);
  EXPECT_EQ(EvidenceBasis(v.reasons[0], cfg), "prompts");
  EXPECT_EQ(EvidenceBasis(v.reasons[1], cfg), "prompts");
  EXPECT_LT(v.score, cfg.high_confidence_score);
}

TEST_F(DetectorsTest, ConclusiveBars) {
  f.hours_active = 21, f.gap_cv = 0.1;
  EXPECT_FALSE(Conclusive(*DetectIdleLoop(f, p, cfg)));
  f.hours_active = 22;
  EXPECT_TRUE(Conclusive(*DetectIdleLoop(f, p, cfg)));
  f.max_concurrency = 31;  // 4x the floor of 8 is 32
  EXPECT_FALSE(Conclusive(*DetectParallelFarm(f, p, cfg)));
  f.max_concurrency = 32;
  EXPECT_TRUE(Conclusive(*DetectParallelFarm(f, p, cfg)));
}

TEST_F(DetectorsTest, EvaluateCombinesAndEstimatesWaste) {
  f.hours_active = 22, f.gap_cv = 0.05;
  Verdict v = Evaluate(f, p, cfg);
  ASSERT_GE(v.reasons.size(), 2u);  // idle loop + outcome-free burn
  EXPECT_GE(v.score, cfg.flag_score);
  EXPECT_LE(v.score, 100);
  EXPECT_EQ(v.wasted_tokens, f.tokens);  // no outcomes: all of it
  cfg.exempt.insert("alice");
  v = Evaluate(f, p, cfg);
  EXPECT_TRUE(v.exempt);
  EXPECT_EQ(v.score, 0);
  EXPECT_TRUE(v.reasons.empty());
}

TEST_F(DetectorsTest, HeavyProductiveUserIsClean) {
  GiveOutcomes(120);  // 3/Mtok, above the peer median
  f.max_concurrency = 5, f.hours_active = 14;
  EXPECT_TRUE(Evaluate(f, p, cfg).reasons.empty());
}

TEST(DetectConfig, SetOptionByName) {
  DetectConfig cfg;
  EXPECT_TRUE(SetDetectOption(cfg, "idle_min_hours", 18).ok());
  EXPECT_EQ(cfg.idle_min_hours, 18);
  EXPECT_TRUE(SetDetectOption(cfg, "dup_rate", 0.7).ok());
  EXPECT_DOUBLE_EQ(cfg.dup_rate, 0.7);
  EXPECT_TRUE(SetDetectOption(cfg, "idle_max_gap_seconds", 1800).ok());
  EXPECT_EQ(cfg.idle_max_gap_ms, 1800 * kSecondMs);
  auto bad = SetDetectOption(cfg, "dup_rate", 1.5);
  EXPECT_NE(bad.message().find("detect.dup_rate"), std::string::npos);
  EXPECT_FALSE(SetDetectOption(cfg, "idle_min_hours", 16.5).ok());
  EXPECT_FALSE(SetDetectOption(cfg, "no_such_thing", 1).ok());
  EXPECT_TRUE(SetDetectOption(cfg, "prompt_features", 0).ok());
  EXPECT_EQ(cfg.prompt_features, 0);
  EXPECT_FALSE(SetDetectOption(cfg, "prompt_features", 2).ok());
  EXPECT_TRUE(SetDetectOption(cfg, "retract_margin", 5).ok());
  EXPECT_DOUBLE_EQ(cfg.retract_margin, 5);
  EXPECT_FALSE(SetDetectOption(cfg, "retract_margin", -1).ok());
  EXPECT_EQ(DetectOptionNames().size(), 55u);
}

}  // namespace
}  // namespace burnrate::detect
