#include "app/flag_throttle.h"

#include <gtest/gtest.h>

#include "common/time_util.h"

namespace burnrate::app {
namespace {

using detect::FlagEvent;
using detect::ReviewState;

constexpr TimeMs kNoon = 1773144000000;  // 2026-03-10T12:00:00Z

class FlagThrottleTest : public ::testing::Test {
 protected:
  FakeClock clock{kNoon};
  detect::DetectionEngine detection{detect::DetectConfig{}, clock};
  govern::AuditLog audit{nullptr, clock};
  govern::Governor governor{clock, audit, nullptr};
  FlagThrottle bridge{detection, governor, audit, clock};

  int64_t Today() const { return detection.DayOf(clock.NowMs()); }
  // A flag of `user` `days_ago` days before today.
  detect::Flag Flag(const std::string& user, int days_ago, bool high_confidence,
                    ReviewState state = ReviewState::kOpen, int64_t wasted = 1000) {
    detect::Flag f;
    f.user = user;
    f.day = Today() - days_ago;
    f.id = detect::FlagId(user, f.day);
    f.date = "2026-03-10";
    f.score = high_confidence ? 90 : 60;
    f.flagged = true;
    f.high_confidence = high_confidence;
    f.wasted_tokens = wasted;
    f.state = state;
    f.reviewer = state == ReviewState::kOpen ? "" : "admin";
    return f;
  }
  std::vector<govern::AuditEntry> Audit(const std::string& user) {
    govern::AuditFilter filter;
    filter.subject = "user:" + user;
    auto r = audit.Query(filter);
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : std::vector<govern::AuditEntry>{};
  }
};

TEST_F(FlagThrottleTest, ThrottleFollowsTheHighestFlagOfTheKeptDays) {
  bridge.OnFlag(Flag("u", 0, /*high_confidence=*/false), FlagEvent::kFlagged);
  EXPECT_EQ(governor.ThrottleLevel("u"), 0);  // not high confidence, not reviewed
  bridge.OnFlag(Flag("u", 1, true), FlagEvent::kFlagged);
  EXPECT_EQ(governor.ThrottleLevel("u"), 1);
  bridge.OnFlag(Flag("u", 1, true, ReviewState::kConfirmed), FlagEvent::kConfirmed);
  EXPECT_EQ(governor.ThrottleLevel("u"), 2);
  EXPECT_EQ(bridge.ThrottleLevel("u"), 2);
  bridge.OnFlag(Flag("u", 1, true, ReviewState::kDismissed), FlagEvent::kDismissed);
  EXPECT_EQ(governor.ThrottleLevel("u"), 0);
}

TEST_F(FlagThrottleTest, FlagsOlderThanTheKeptDaysDoNotThrottle) {
  int retain = detection.config().retain_days;
  bridge.OnFlag(Flag("old", retain, true, ReviewState::kConfirmed), FlagEvent::kConfirmed);
  EXPECT_EQ(governor.ThrottleLevel("old"), 0);
  EXPECT_EQ(bridge.ThrottleLevel("old"), 0);
  bridge.OnFlag(Flag("old", retain - 1, true, ReviewState::kConfirmed), FlagEvent::kConfirmed);
  EXPECT_EQ(governor.ThrottleLevel("old"), 2);
}

TEST_F(FlagThrottleTest, WasteCountsOnlyForFlagsThatCountAndOnlyInTheRange) {
  bridge.OnFlag(Flag("w", 2, true, ReviewState::kOpen, 100), FlagEvent::kFlagged);
  bridge.OnFlag(Flag("w", 1, false, ReviewState::kOpen, 10), FlagEvent::kFlagged);  // not waste
  bridge.OnFlag(Flag("w", 0, true, ReviewState::kConfirmed, 1), FlagEvent::kConfirmed);
  TimeMs day_start = kNoon - 12 * kHourMs;
  EXPECT_EQ(bridge.WastedTokens("w", day_start - 2 * kDayMs, day_start + kDayMs), 101);
  EXPECT_EQ(bridge.WastedTokens("w", day_start - kDayMs, day_start + kDayMs), 1);
  EXPECT_EQ(bridge.WastedTokens("w", day_start, day_start + 1), 1);
  EXPECT_EQ(bridge.WastedTokens("nobody", 0, day_start + kDayMs), 0);
  // A dismissal takes the waste back.
  bridge.OnFlag(Flag("w", 2, true, ReviewState::kDismissed, 100), FlagEvent::kDismissed);
  EXPECT_EQ(bridge.WastedTokens("w", day_start - 2 * kDayMs, day_start + kDayMs), 1);
}

TEST_F(FlagThrottleTest, EveryFlagEventIsAuditedOnce) {
  bridge.OnFlag(Flag("a", 0, true), FlagEvent::kFlagged);  // level 0 -> 1: SetThrottle audits
  bridge.OnFlag(Flag("a", 0, true), FlagEvent::kUpdated);  // a score update: no entry
  bridge.OnFlag(Flag("a", 1, true), FlagEvent::kFlagged);  // still level 1: audited here
  auto entries = Audit("a");
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].action, "flag.flagged");  // newest first
  EXPECT_EQ(entries[0].actor, "detect");
}

// Another node on the same flag store raises and reviews a flag: this
// node's bridge is not told (no listener call), and Sync brings the
// throttle, without an audit entry of its own.
TEST_F(FlagThrottleTest, SyncAppliesFlagsAndReviewsAnotherNodeStored) {
  ASSERT_TRUE(detection.flags().Put(Flag("v", 0, true)).ok());
  EXPECT_EQ(governor.ThrottleLevel("v"), 0);
  EXPECT_EQ(bridge.Sync(), 1);
  EXPECT_EQ(governor.ThrottleLevel("v"), 1);
  EXPECT_EQ(bridge.Sync(), 0);  // nothing new
  ASSERT_TRUE(detection.flags()
                  .Review(detect::FlagId("v", Today()), ReviewState::kConfirmed, "", "admin", kNoon)
                  .ok());
  EXPECT_EQ(bridge.Sync(), 1);
  EXPECT_EQ(governor.ThrottleLevel("v"), 2);
  EXPECT_TRUE(Audit("v").empty());
}

TEST_F(FlagThrottleTest, RestorePutsThrottlesBackWithoutAuditEntries) {
  ASSERT_TRUE(detection.flags().Put(Flag("r", 0, true)).ok());
  ASSERT_TRUE(detection.flags().Put(Flag("gone", 5, true, ReviewState::kConfirmed)).ok());
  bridge.Restore();
  EXPECT_EQ(governor.ThrottleLevel("r"), 1);
  EXPECT_EQ(governor.ThrottleLevel("gone"), 0);  // its day is no longer kept
  EXPECT_TRUE(Audit("r").empty());
  TimeMs day_start = kNoon - 12 * kHourMs;
  EXPECT_EQ(bridge.WastedTokens("r", day_start, day_start + kDayMs), 1000);
}

}  // namespace
}  // namespace burnrate::app
