#include "govern/period.h"

#include <gtest/gtest.h>

#include "govern/test_util.h"

namespace burnrate::govern {
namespace {

using testing::At;
using testing::Fixture;

TimeZone Berlin() {
  auto z = TimeZone::Load("Europe/Berlin");
  EXPECT_TRUE(z.ok());
  return *z;
}

TEST(Period, CalendarMonthStartsAtLocalMidnight) {
  WindowSpec w = WindowFor(PeriodKind::kMonth, 0, Berlin(), At("2026-03-31T21:59:59Z"));
  EXPECT_EQ(w.start, At("2026-02-28T23:00:00Z"));  // March 1st 00:00 CET
  EXPECT_EQ(w.end, At("2026-03-31T22:00:00Z"));    // April 1st 00:00 CEST
  WindowSpec n = WindowFor(PeriodKind::kMonth, 0, Berlin(), At("2026-03-31T22:00:00Z"));
  EXPECT_EQ(n.start, At("2026-03-31T22:00:00Z"));
}

TEST(Period, DstDaysAre23And25Hours) {
  WindowSpec spring = WindowFor(PeriodKind::kDay, 0, Berlin(), At("2026-03-29T12:00:00Z"));
  EXPECT_EQ(spring.end - spring.start, 23 * kHourMs);
  WindowSpec autumn = WindowFor(PeriodKind::kDay, 0, Berlin(), At("2026-10-25T12:00:00Z"));
  EXPECT_EQ(autumn.end - autumn.start, 25 * kHourMs);
  WindowSpec week = WindowFor(PeriodKind::kWeek, 0, Berlin(), At("2026-03-29T12:00:00Z"));
  EXPECT_EQ(week.start, At("2026-03-22T23:00:00Z"));  // Monday 23rd, 00:00 CET
  EXPECT_EQ(week.end - week.start, 7 * kDayMs - kHourMs);
}

TEST(Period, LeapDay) {
  WindowSpec feb = WindowFor(PeriodKind::kMonth, 0, TimeZone::Utc(), At("2028-02-29T23:59:59Z"));
  EXPECT_EQ(feb.start, At("2028-02-01T00:00:00Z"));
  EXPECT_EQ(feb.end, At("2028-03-01T00:00:00Z"));
  WindowSpec day = WindowFor(PeriodKind::kDay, 0, TimeZone::Utc(), At("2028-02-29T10:00:00Z"));
  EXPECT_EQ(day.start, At("2028-02-29T00:00:00Z"));
  EXPECT_EQ(day.end, At("2028-03-01T00:00:00Z"));
}

TEST(Period, RollingWindowSlots) {
  WindowSpec w =
      WindowFor(PeriodKind::kRolling, kHourMs, TimeZone::Utc(), At("2026-03-10T12:00:30Z"));
  EXPECT_TRUE(w.rolling());
  EXPECT_EQ(w.slot_ms, kMinuteMs);
  EXPECT_EQ(w.end, At("2026-03-10T12:01:00Z"));
  EXPECT_EQ(w.end - w.start, kHourMs);
}

// The budget itself resets at local midnight on the 1st, in the zone.
TEST(PeriodBudget, MonthResetsAtMidnightInConfiguredZone) {
  Fixture f(R"(
[governance]
time_zone = "Europe/Berlin"
[[governance.budget]]
id = "m"
scope = "user"
limit_tokens = 100
period = "month"
)",
            At("2026-03-31T21:59:58Z"));
  EXPECT_TRUE(f.Use("a", 100));
  CheckResult d = f.Check("a", 1);
  EXPECT_EQ(d.decision, Decision::kDeny);
  EXPECT_EQ(d.retry_after_ms, 2000);
  f.clock.Set(At("2026-03-31T21:59:59.999Z"));
  EXPECT_EQ(f.Check("a", 1).decision, Decision::kDeny);
  f.clock.Set(At("2026-03-31T22:00:00Z"));  // 00:00 on April 1st in Berlin
  EXPECT_TRUE(f.Use("a", 100));
  EXPECT_FALSE(f.Use("a", 1));
}

TEST(PeriodBudget, DayBudgetAcrossDstChange) {
  Fixture f(R"(
[governance]
time_zone = "Europe/Berlin"
[[governance.budget]]
id = "d"
scope = "user"
limit_tokens = 10
period = "day"
)",
            At("2026-03-28T23:30:00Z"));  // 00:30 CET on the 29th (DST day)
  EXPECT_TRUE(f.Use("a", 10));
  f.clock.Set(At("2026-03-29T21:59:59Z"));  // 23:59:59 CEST, same local day
  EXPECT_FALSE(f.Use("a", 1));
  f.clock.Set(At("2026-03-29T22:00:00Z"));  // midnight CEST: a new day after 23 hours
  EXPECT_TRUE(f.Use("a", 10));
}

TEST(PeriodBudget, LeapDayIsPartOfFebruary) {
  Fixture f(R"(
[[governance.budget]]
id = "m"
scope = "user"
limit_tokens = 10
period = "month"
)",
            At("2028-02-28T12:00:00Z"));
  EXPECT_TRUE(f.Use("a", 10));
  f.clock.Set(At("2028-02-29T12:00:00Z"));
  EXPECT_FALSE(f.Use("a", 1));
  f.clock.Set(At("2028-03-01T00:00:00Z"));
  EXPECT_TRUE(f.Use("a", 10));
}

TEST(PeriodBudget, RollingWindowReleasesOldUsage) {
  Fixture f(R"(
[[governance.budget]]
id = "r"
scope = "user"
limit_tokens = 100
period = "rolling"
window = "1h"
)",
            At("2026-03-10T12:00:00Z"));
  EXPECT_TRUE(f.Use("a", 60));
  f.clock.Set(At("2026-03-10T12:30:00Z"));
  EXPECT_TRUE(f.Use("a", 40));
  f.clock.Set(At("2026-03-10T12:59:00Z"));
  EXPECT_FALSE(f.Use("a", 1));
  f.clock.Set(At("2026-03-10T13:01:00Z"));  // the first 60 left the window
  EXPECT_TRUE(f.Use("a", 60));
  EXPECT_FALSE(f.Use("a", 1));
  f.clock.Set(At("2026-03-10T13:31:00Z"));  // the 40 left as well
  EXPECT_TRUE(f.Use("a", 40));
}

}  // namespace
}  // namespace burnrate::govern
