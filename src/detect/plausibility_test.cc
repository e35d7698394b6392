// Each plausibility check on both sides of its limit, through UserDayStats
// (as ingest feeds it) and DetectImplausibleUsage (what the flag says).
#include "detect/plausibility.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "detect/detectors.h"
#include "detect/user_day_stats.h"
#include "model/price_book.h"

namespace burnrate::detect {
namespace {

constexpr TimeMs kDay0 = 20000 * kDayMs;

model::Event Usage(int i, TimeMs ts, int64_t output = 400) {
  model::Event e;
  e.id = "ev" + std::to_string(i);
  e.user = "alice", e.session = "s1", e.model = "claude-sonnet-4-5";
  e.ts = e.received = ts;
  e.tokens.input = 10, e.tokens.cache_read = 30'000, e.tokens.output = output;
  e.cost_nanos = 0, e.cost_basis = model::CostBasis::kPriced;  // 0: no cost given to compare
  return e;
}

class PlausibilityTest : public ::testing::Test {
 protected:
  // 30 ordinary requests a minute apart, then `extra` as given.
  UserDayFeatures Day(const std::vector<model::Event>& extra,
                      const model::PriceSnapshot* prices = nullptr) {
    UserDayStats st;
    for (int i = 0; i < 30; ++i)
      st.AddUsage(Usage(i, kDay0 + 9 * kHourMs + i * kMinuteMs),
                  kDay0 + 9 * kHourMs + i * kMinuteMs, kDay0, cfg, prices);
    for (const auto& e : extra)
      st.AddUsage(e, std::min(e.ts, e.received + kHourMs), kDay0, cfg, prices);
    UserDayFeatures f = st.Finish(cfg);
    f.user = "alice";
    return f;
  }
  std::optional<Reason> Judge(const UserDayFeatures& f) {
    return DetectImplausibleUsage(f, PeerBaseline{}, cfg);
  }
  DetectConfig cfg;
};

TEST_F(PlausibilityTest, OrdinaryUsageIsPlausible) {
  UserDayFeatures f = Day({});
  EXPECT_FALSE(f.implausible.Any());
  EXPECT_FALSE(Judge(f));
}

TEST_F(PlausibilityTest, OutputBeyondAnyModelsLimitInOneResponse) {
  TimeMs t = kDay0 + 12 * kHourMs;
  EXPECT_FALSE(Judge(Day({Usage(100, t, 128'000)})));
  auto r = Judge(Day({Usage(100, t, 300'000)}));
  ASSERT_TRUE(r);
  EXPECT_NE(r->summary.find(
                "1 output_per_request (worst 300000 output tokens in one request, limit 128000)"),
            std::string::npos)
      << r->summary;
  EXPECT_NE(r->summary.find("First: ev100 (output_per_request)"), std::string::npos) << r->summary;
  EXPECT_TRUE(Conclusive(*r));  // more than twice the limit
  // A rollup of 3 requests is judged by its mean.
  model::Event rollup = Usage(101, t, 300'000);
  rollup.requests = 3;
  EXPECT_FALSE(Judge(Day({rollup})));
}

TEST_F(PlausibilityTest, ContextBeyondAnyWindowPerRequest) {
  model::Event e = Usage(100, kDay0 + 12 * kHourMs);
  e.tokens.cache_read = 2'500'000;
  auto r = Judge(Day({e}));
  ASSERT_TRUE(r);
  EXPECT_NE(r->summary.find("context_per_request"), std::string::npos);
  EXPECT_FALSE(Conclusive(*r));  // 1.25x the limit
  e.requests = 2;                // totals of two requests: 1.25M each
  EXPECT_FALSE(Judge(Day({e})));
}

TEST_F(PlausibilityTest, SessionOutputFasterThanModelsGenerate) {
  // 10 responses of 20,000 tokens 10 s apart: 180,000 tokens after the first in 90 s.
  std::vector<model::Event> fast;
  for (int i = 0; i < 10; ++i) {
    fast.push_back(Usage(100 + i, kDay0 + 15 * kHourMs + i * 10 * kSecondMs, 20'000));
    fast.back().session = "s2";
  }
  auto r = Judge(Day(fast));
  ASSERT_TRUE(r);
  EXPECT_NE(r->summary.find("output_rate (worst 2000 output tokens/s"), std::string::npos)
      << r->summary;
  // The same output a minute apart: 180,000 in 540 s, 333 tokens/s.
  for (int i = 0; i < 10; ++i)
    fast[size_t(i)].ts = fast[size_t(i)].received = kDay0 + 15 * kHourMs + i * kMinuteMs;
  EXPECT_FALSE(Judge(Day(fast)));
  // Without a session id there is no span to judge.
  for (int i = 0; i < 10; ++i)
    fast[size_t(i)].ts = kDay0 + 15 * kHourMs, fast[size_t(i)].session.clear();
  EXPECT_FALSE(Judge(Day(fast)));
}

TEST_F(PlausibilityTest, RateNeedsEnoughOutput) {
  cfg.implausible_output_per_second = 100;
  std::vector<model::Event> burst = {Usage(100, kDay0 + 15 * kHourMs, 5000),
                                     Usage(101, kDay0 + 15 * kHourMs + kSecondMs, 5000)};
  for (auto& e : burst) e.session = "s3";
  EXPECT_FALSE(Judge(Day(burst)));  // 5,000 after the first: below implausible_rate_min_output
}

TEST_F(PlausibilityTest, FutureTimesAndReorderingNeedAShare) {
  std::vector<model::Event> ahead;
  for (int i = 0; i < 2; ++i) {
    ahead.push_back(Usage(100 + i, kDay0 + 13 * kHourMs + i * kMinuteMs));
    ahead.back().ts += 3 * kHourMs;
  }
  EXPECT_FALSE(Judge(Day(ahead)));  // 2 of 32: a clock skewed now and then
  for (int i = 2; i < 6; ++i) {
    ahead.push_back(Usage(100 + i, kDay0 + 13 * kHourMs + i * kMinuteMs));
    ahead.back().ts += 3 * kHourMs;
  }
  auto r = Judge(Day(ahead));  // 6 of 36
  ASSERT_TRUE(r);
  EXPECT_NE(r->summary.find("6 future_time (worst 10800 s after arrival"), std::string::npos)
      << r->summary;
  EXPECT_FALSE(Conclusive(*r));
  EXPECT_LT(r->score, 60);

  std::vector<model::Event> back;
  for (int i = 0; i < 6; ++i)
    back.push_back(Usage(200 + i, kDay0 + 6 * kHourMs + i * kMinuteMs));  // session s1 was at 9:00
  r = Judge(Day(back));
  ASSERT_TRUE(r);
  EXPECT_NE(r->summary.find("6 out_of_order"), std::string::npos) << r->summary;
}

TEST_F(PlausibilityTest, UnknownModelsAndCostsFarFromOurPrice) {
  model::PriceBook book;
  auto prices = book.Current();
  model::Event priced = Usage(100, kDay0 + 12 * kHourMs);
  priced.cost_nanos = prices->Price(priced.model, priced.tokens).cost_nanos;
  EXPECT_FALSE(Judge(Day({priced}, prices.get())));
  model::Event inflated = priced;
  inflated.cost_nanos *= 20;
  auto r = Judge(Day({inflated}, prices.get()));
  ASSERT_TRUE(r);
  EXPECT_NE(r->summary.find("cost_band (worst 20 x our price, limit 3)"), std::string::npos)
      << r->summary;
  EXPECT_TRUE(Conclusive(*r));
  inflated.cost_nanos = priced.cost_nanos * 2;  // a long-context tier, say
  EXPECT_FALSE(Judge(Day({inflated}, prices.get())));

  std::vector<model::Event> unknown;
  for (int i = 0; i < 10; ++i) {
    unknown.push_back(Usage(300 + i, kDay0 + 14 * kHourMs + i * kMinuteMs));
    unknown.back().model = "totally-made-up-model",
    unknown.back().cost_basis = model::CostBasis::kUnpriced;
  }
  r = Judge(Day(unknown, prices.get()));
  ASSERT_TRUE(r);
  EXPECT_NE(r->summary.find("10 events of a model no price or family knows"), std::string::npos)
      << r->summary;
}

TEST_F(PlausibilityTest, HighConfidenceNeedsAConclusiveCheckAndWasteIsTheImplausibleTokens) {
  UserDayFeatures f = Day({Usage(100, kDay0 + 12 * kHourMs, 400'000)});
  Verdict v = Evaluate(f, PeerBaseline{}, cfg);
  ASSERT_EQ(v.reasons.size(), 1u);
  EXPECT_GE(v.score, cfg.high_confidence_score);
  EXPECT_EQ(v.wasted_tokens, 400'000 + 30'010);  // that event's tokens, not the day's
}

TEST_F(PlausibilityTest, RequestsBeyondTheirPromptTokensNeedAShare) {
  // Every request sends a prompt: a record of one request with at least
  // implausible_min_input_per_request (1) prompt token is plausible, one
  // with none (output out of nothing, or an empty record padding the
  // request count) is not; a few such records are an aborted request.
  TimeMs t = kDay0 + 12 * kHourMs;
  model::Event one = Usage(100, t);
  one.tokens.input = 1, one.tokens.cache_read = 0;
  std::vector<model::Event> at_limit(10, one), beyond;
  EXPECT_FALSE(Day(at_limit).implausible.Any());
  for (int i = 0; i < 10; ++i) {
    model::Event e = Usage(100 + i, t + i * kSecondMs);
    e.tokens.input = e.tokens.cache_read = e.tokens.cache_write = 0;
    beyond.push_back(e);
  }
  UserDayFeatures f = Day(beyond);
  EXPECT_EQ(f.implausible.events[size_t(Implausible::kRequestCount)], 10);
  auto r = Judge(f);
  ASSERT_TRUE(r);
  EXPECT_NE(r->summary.find("10 request_count (worst 1 requests beyond its prompt tokens"),
            std::string::npos)
      << r->summary;
  EXPECT_FALSE(Judge(Day({beyond[0], beyond[1]})));  // 2 of 32: an aborted request or two
  // A metric point (requests 0, OTLP) claims no request.
  model::Event point = beyond[0];
  point.requests = 0;
  EXPECT_FALSE(Day(std::vector<model::Event>(10, point)).implausible.Any());
}

TEST_F(PlausibilityTest, ConflictingDuplicatesFlagAloneNameTheIdsAndAreNeverConclusive) {
  UserDayFeatures f = Day({});
  f.implausible.AddConflicts(2, {"cc-aaa", "cc-bbb"});
  f.implausible.AddConflicts(1, {"cc-aaa"});
  f.implausible.AddConflicts(20, {"cc-ccc", "cc-ddd"});  // only 3 ids are named
  auto r = Judge(f);
  ASSERT_TRUE(r);
  EXPECT_NE(r->summary.find("23 conflicting_duplicate (ids reported again by their source with "
                            "other usage: cc-aaa, cc-bbb, cc-ccc)"),
            std::string::npos)
      << r->summary;
  EXPECT_FALSE(Conclusive(*r));
  auto ev = std::find_if(r->evidence.begin(), r->evidence.end(), [](const Evidence& e) {
    return e.name == "conflicting_duplicate_events";
  });
  ASSERT_NE(ev, r->evidence.end());
  EXPECT_EQ(ev->value, 23);
  EXPECT_EQ(f.implausible.tokens, 0);  // their tokens were never counted
  UserDayFeatures one = Day({});
  one.implausible.AddConflicts(1, {"x"});
  auto r1 = Judge(one);
  ASSERT_TRUE(r1);
  EXPECT_EQ(r1->score, 50);  // at its threshold
}

}  // namespace
}  // namespace burnrate::detect
