// Conformance suite for detect::FlagStore: the review rules (Put keeps a
// review, Retract only open flags, a retracted flag reopens), listing, and
// persistence of every field. See conformance.h.
#pragma once

#include <climits>

#include "detect/detect.h"
#include "store/conformance/conformance.h"

namespace burnrate::store::conformance {

using detect::Flag;
using detect::FlagId;
using detect::PutOutcome;
using detect::Reason;
using detect::ReviewState;

inline Flag Scored(const std::string& user, int64_t day, double score) {
  Flag f;
  f.user = user, f.team = "core", f.day = day, f.id = FlagId(user, day), f.date = "2024-10-04";
  f.score = score, f.flagged = true, f.high_confidence = score >= 80;
  f.tokens = 1000000, f.wasted_tokens = 900000;
  f.reasons = {{"idle_loop",
                "Active 22 of 24 hours \"like a clock\".",
                {{"hours_active", 22}, {"gap_cv", 0.01}},
                score},
               {"outcome_free_burn", "No outcomes.", {}, 55}};
  return f;
}

using FlagStoreConformance = ConformanceTest<detect::FlagStore>;

TEST_P(FlagStoreConformance, PutKeepsTheReviewAndReportsWhatChanged) {
  Flag f = Scored("looper", 100, 90), stored;
  EXPECT_EQ(*s().Put(f, &stored), PutOutcome::kInserted);
  EXPECT_EQ(stored.state, ReviewState::kOpen);
  EXPECT_EQ(*s().Put(f), PutOutcome::kUnchanged);
  ASSERT_TRUE(
      s().Review(f.id, ReviewState::kConfirmed, "confirmed with the owner", "admin1", 5000).ok());
  f.score = 95, f.wasted_tokens = 950000;
  EXPECT_EQ(*s().Put(f, &stored), PutOutcome::kUpdated);
  EXPECT_EQ(stored.state, ReviewState::kConfirmed);
  EXPECT_EQ(stored.note, "confirmed with the owner");
  EXPECT_DOUBLE_EQ(s().Get(f.id)->score, 95);
  EXPECT_FALSE(s().Review("ffffffffffffffff", ReviewState::kDismissed, "", "x", 1).ok());
}

TEST_P(FlagStoreConformance, RetractOnlyOpenFlagsAndReopenOnPut) {
  Flag open = Scored("a", 100, 85), confirmed = Scored("b", 100, 85),
       dismissed = Scored("c", 100, 85);
  for (const Flag& f : {open, confirmed, dismissed}) ASSERT_TRUE(s().Put(f).ok());
  ASSERT_TRUE(s().Review(confirmed.id, ReviewState::kConfirmed, "yes", "r", 1).ok());
  ASSERT_TRUE(s().Review(dismissed.id, ReviewState::kDismissed, "no", "r", 1).ok());
  std::vector<Reason> none;
  auto r = s().Retract(open.id, 12.5, none, "re-scored 12.5", 7000);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->state, ReviewState::kRetracted);
  EXPECT_EQ((*r)->wasted_tokens, 0);
  EXPECT_FALSE((*r)->CountsAsWaste());
  EXPECT_EQ((*r)->ThrottleLevel(), 0);
  for (const std::string& id :
       {open.id, confirmed.id, dismissed.id, std::string("0000000000000000")})
    EXPECT_FALSE(s().Retract(id, 1, none, "again", 8000)->has_value()) << id;
  EXPECT_EQ(s().Get(confirmed.id)->state, ReviewState::kConfirmed);
  EXPECT_EQ(s().Get(dismissed.id)->state, ReviewState::kDismissed);
  Reopen();  // a persistent store reads everything back
  auto back = s().Get(open.id);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->state, ReviewState::kRetracted);
  EXPECT_DOUBLE_EQ(back->score, 12.5);
  EXPECT_EQ(back->retraction, "re-scored 12.5");
  EXPECT_EQ(back->retracted_at, 7000);
  // Crossing the threshold again reopens it.
  Flag stored;
  EXPECT_EQ(*s().Put(open, &stored), PutOutcome::kReopened);
  EXPECT_EQ(stored.state, ReviewState::kOpen);
  EXPECT_TRUE(stored.retraction.empty());
  EXPECT_TRUE(stored.CountsAsWaste());
}

TEST_P(FlagStoreConformance, ListsByDayHighestFirst) {
  ASSERT_TRUE(s().Put(Scored("a", 100, 60)).ok());
  ASSERT_TRUE(s().Put(Scored("b", 100, 90)).ok());
  ASSERT_TRUE(s().Put(Scored("c", 101, 70)).ok());
  auto day = s().List(100, 100);
  ASSERT_EQ(day.size(), 2u);
  EXPECT_EQ(day[0].user, "b");
  EXPECT_EQ(s().List(100, 101).size(), 3u);
  EXPECT_TRUE(s().List(102, 200).empty());
  EXPECT_EQ(s().Find("c", 101)->score, 70);
}

TEST_P(FlagStoreConformance, ReviewAndReasonsSurviveReopening) {
  if (!persistent()) GTEST_SKIP() << "not persistent";
  Flag f = Scored("looper", 100, 91.25);
  ASSERT_TRUE(s().Put(f).ok());
  ASSERT_TRUE(s().Review(f.id, ReviewState::kDismissed, "approved \"load\" test\nticket OPS-12",
                         "alice", 1234)
                  .ok());
  Reopen();
  auto back = s().Get(f.id);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->state, ReviewState::kDismissed);
  EXPECT_EQ(back->note, "approved \"load\" test\nticket OPS-12");
  EXPECT_EQ(back->reviewer, "alice");
  EXPECT_EQ(back->reviewed_at, 1234);
  EXPECT_DOUBLE_EQ(back->score, 91.25);
  EXPECT_TRUE(back->high_confidence);
  EXPECT_EQ(back->tokens, f.tokens);
  EXPECT_EQ(back->wasted_tokens, f.wasted_tokens);
  EXPECT_EQ(back->date, f.date);
  ASSERT_EQ(back->reasons.size(), 2u);
  EXPECT_EQ(back->reasons[0].detector, "idle_loop");
  EXPECT_EQ(back->reasons[0].summary, f.reasons[0].summary);
  ASSERT_EQ(back->reasons[0].evidence.size(), 2u);
  EXPECT_EQ(back->reasons[0].evidence[1].name, "gap_cv");
  EXPECT_DOUBLE_EQ(back->reasons[0].evidence[1].value, 0.01);
  EXPECT_TRUE(back->reasons[1].evidence.empty());
}

TEST_P(FlagStoreConformance, UnknownIdsAreAbsent) {
  EXPECT_FALSE(s().Get("0123456789abcdef").has_value());
  EXPECT_FALSE(s().Find("nobody", 1).has_value());
  EXPECT_TRUE(s().List(INT64_MIN / 2, INT64_MAX / 2).empty());
  EXPECT_EQ(s().Review("0123456789abcdef", ReviewState::kConfirmed, "", "r", 1).status().code(),
            Status::Code::kNotFound);
}

}  // namespace burnrate::store::conformance
