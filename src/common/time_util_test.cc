// Contract tests for common/time_util.h: RFC 3339 in and out, and calendar
// periods in IANA time zones, including DST transitions.
#include "common/time_util.h"

#include <gtest/gtest.h>

namespace burnrate {
namespace {

TimeMs Utc(const char* s) {
  auto r = ParseRfc3339(s);
  EXPECT_TRUE(r.ok()) << s;
  return r.ok() ? *r : 0;
}

TEST(DaysFromCivil, CountsDaysFromTheEpochAcrossLeapYearsAndEras) {
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DaysFromCivil(1969, 12, 31), -1);
  EXPECT_EQ(DaysFromCivil(2000, 3, 1), 11017);  // 2000 is a leap year
  EXPECT_EQ(DaysFromCivil(2026, 3, 21) * kDayMs, Utc("2026-03-21T00:00:00Z"));
  EXPECT_EQ(DaysFromCivil(2026, 2, 31), DaysFromCivil(2026, 3, 3));  // past the end: counts on
  EXPECT_EQ(DaysFromCivil(1600, 1, 1), -135140);
  static_assert(DaysFromCivil(1970, 1, 2) == 1);
}

TEST(Rfc3339, ParsesUtcAndFractions) {
  EXPECT_EQ(Utc("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(Utc("1970-01-01T00:00:01.5Z"), 1500);
  EXPECT_EQ(Utc("1970-01-01T00:00:00.123456789Z"), 123);  // truncated to ms
  EXPECT_EQ(Utc("2026-03-21T14:03:04.577Z"), 1774101784577);
  EXPECT_EQ(Utc("2026-03-21t14:03:04.577z"), 1774101784577);
}

TEST(Rfc3339, ParsesOffsets) {
  EXPECT_EQ(Utc("2026-03-21T16:03:04+02:00"), Utc("2026-03-21T14:03:04Z"));
  EXPECT_EQ(Utc("2026-03-21T09:33:04-04:30"), Utc("2026-03-21T14:03:04Z"));
  EXPECT_EQ(Utc("2026-01-01T00:30:00+01:00"), Utc("2025-12-31T23:30:00Z"));
}

TEST(Rfc3339, RejectsMalformed) {
  for (const char* s :
       {"", "2026-03-21", "2026-03-21T14:03:04", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z",
        "2026-03-21T24:00:00Z", "2026-03-21T14:60:00Z", "2026-03-21T14:03:04.Z",
        "2026-03-21T14:03:04+2:00", "2026-03-21T14:03:04+02:00x", "2026-03-21T14:03:04Zjunk",
        "abcd-03-21T14:03:04Z", "2026-03-21T14:03:04+24:00", "2026-03-21T14:03:04+02"}) {
    EXPECT_FALSE(ParseRfc3339(s).ok()) << s;
  }
}

TEST(Rfc3339, LeapDayAndLeapSecond) {
  EXPECT_TRUE(ParseRfc3339("2024-02-29T00:00:00Z").ok());
  EXPECT_FALSE(ParseRfc3339("2025-02-29T00:00:00Z").ok());
  // A leap second is clamped to :59, not rejected.
  EXPECT_EQ(Utc("2016-12-31T23:59:60Z"), Utc("2016-12-31T23:59:59Z"));
}

TEST(Rfc3339, FormatRoundTrips) {
  EXPECT_EQ(FormatRfc3339(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatRfc3339(1774101784577), "2026-03-21T14:03:04.577Z");
  EXPECT_EQ(FormatRfc3339(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatDate(1774101784577), "2026-03-21");
  for (TimeMs t : {TimeMs(0), TimeMs(951782400000), TimeMs(1774101784577), TimeMs(4102444799999)}) {
    EXPECT_EQ(Utc(FormatRfc3339(t).c_str()), t);
  }
}

TEST(TimeZone, LoadsUtcAndIana) {
  EXPECT_EQ(TimeZone::Load("UTC")->name(), "UTC");
  EXPECT_EQ(TimeZone::Load("")->name(), "UTC");
  auto berlin = TimeZone::Load("Europe/Berlin");
  ASSERT_TRUE(berlin.ok());
  EXPECT_EQ(berlin->name(), "Europe/Berlin");
  auto bad = TimeZone::Load("Mars/Olympus_Mons");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("Mars/Olympus_Mons"), std::string::npos);
}

TEST(TimeZone, UtcPeriods) {
  TimeZone tz = TimeZone::Utc();
  TimeMs t = Utc("2026-03-21T14:03:04Z");  // a Saturday
  EXPECT_EQ(tz.OffsetAt(t), 0);
  EXPECT_EQ(tz.DayStart(t), Utc("2026-03-21T00:00:00Z"));
  EXPECT_EQ(tz.WeekStart(t), Utc("2026-03-16T00:00:00Z"));  // Monday
  EXPECT_EQ(tz.MonthStart(t), Utc("2026-03-01T00:00:00Z"));
  EXPECT_EQ(tz.AddDays(tz.DayStart(t), 1), Utc("2026-03-22T00:00:00Z"));
  EXPECT_EQ(tz.AddDays(tz.DayStart(t), -21), Utc("2026-02-28T00:00:00Z"));
  EXPECT_EQ(tz.AddMonths(tz.MonthStart(t), 1), Utc("2026-04-01T00:00:00Z"));
  EXPECT_EQ(tz.AddMonths(tz.MonthStart(t), -3), Utc("2025-12-01T00:00:00Z"));
  EXPECT_EQ(tz.AddMonths(tz.MonthStart(t), 10), Utc("2027-01-01T00:00:00Z"));
  EXPECT_EQ(tz.FormatLocalDate(t), "2026-03-21");
  // A Monday is its own week start; a Sunday belongs to the week before.
  EXPECT_EQ(tz.WeekStart(Utc("2026-03-16T00:00:00Z")), Utc("2026-03-16T00:00:00Z"));
  EXPECT_EQ(tz.WeekStart(Utc("2026-03-22T23:59:59Z")), Utc("2026-03-16T00:00:00Z"));
  // Before the epoch, floor division must still find the right day.
  EXPECT_EQ(tz.DayStart(Utc("1969-12-31T12:00:00Z")), Utc("1969-12-31T00:00:00Z"));
  EXPECT_EQ(tz.WeekStart(Utc("1970-01-01T00:00:00Z")), Utc("1969-12-29T00:00:00Z"));
}

TEST(TimeZone, BerlinAcrossDst) {
  TimeZone tz = *TimeZone::Load("Europe/Berlin");
  // Winter: UTC+1.
  TimeMs winter = Utc("2026-01-15T12:00:00Z");
  EXPECT_EQ(tz.OffsetAt(winter), kHourMs);
  EXPECT_EQ(tz.DayStart(winter), Utc("2026-01-14T23:00:00Z"));
  // Summer: UTC+2.
  TimeMs summer = Utc("2026-07-15T12:00:00Z");
  EXPECT_EQ(tz.OffsetAt(summer), 2 * kHourMs);
  EXPECT_EQ(tz.DayStart(summer), Utc("2026-07-14T22:00:00Z"));
  // 23:30 UTC on 14 July is already 15 July in Berlin.
  EXPECT_EQ(tz.FormatLocalDate(Utc("2026-07-14T23:30:00Z")), "2026-07-15");
  // DST starts on Sunday 29 March 2026 at 02:00 local: a 23-hour day.
  TimeMs spring = tz.DayStart(Utc("2026-03-29T12:00:00Z"));
  EXPECT_EQ(spring, Utc("2026-03-28T23:00:00Z"));
  EXPECT_EQ(tz.AddDays(spring, 1) - spring, 23 * kHourMs);
  // DST ends on Sunday 25 October 2026 at 03:00 local: a 25-hour day.
  TimeMs autumn = tz.DayStart(Utc("2026-10-25T12:00:00Z"));
  EXPECT_EQ(autumn, Utc("2026-10-24T22:00:00Z"));
  EXPECT_EQ(tz.AddDays(autumn, 1) - autumn, 25 * kHourMs);
  // The week containing the spring change is 167 hours long.
  TimeMs week = tz.WeekStart(Utc("2026-03-27T12:00:00Z"));
  EXPECT_EQ(week, Utc("2026-03-22T23:00:00Z"));
  EXPECT_EQ(tz.AddDays(week, 7) - week, 167 * kHourMs);
  // Month starts are local midnights.
  EXPECT_EQ(tz.MonthStart(Utc("2026-04-10T00:00:00Z")), Utc("2026-03-31T22:00:00Z"));
  EXPECT_EQ(tz.AddMonths(tz.MonthStart(Utc("2026-03-10T00:00:00Z")), 1),
            Utc("2026-03-31T22:00:00Z"));
}

TEST(TimeZone, MidnightSkippedByDst) {
  // America/Santiago moves clocks from 00:00 to 01:00 (first Sunday of
  // September 2026, 6 Sep): local midnight does not exist, and the day
  // starts at the first valid instant after the gap, 01:00 local (-03).
  TimeZone tz = *TimeZone::Load("America/Santiago");
  TimeMs start = tz.DayStart(Utc("2026-09-06T15:00:00Z"));
  EXPECT_EQ(start, Utc("2026-09-06T04:00:00Z"));
  EXPECT_EQ(tz.FormatLocalDate(start), "2026-09-06");
  EXPECT_EQ(tz.AddDays(start, 1) - start, 23 * kHourMs);
}

TEST(TimeZone, HalfHourZones) {
  TimeZone tz = *TimeZone::Load("Asia/Kolkata");
  TimeMs t = Utc("2026-03-21T20:00:00Z");  // 01:30 on the 22nd in India
  EXPECT_EQ(tz.OffsetAt(t), 5 * kHourMs + 30 * kMinuteMs);
  EXPECT_EQ(tz.DayStart(t), Utc("2026-03-21T18:30:00Z"));
  EXPECT_EQ(tz.FormatLocalDate(t), "2026-03-22");
  EXPECT_EQ(tz.LocalDay(t), tz.LocalDay(Utc("2026-03-21T18:30:00Z")));
  EXPECT_EQ(tz.LocalDay(t) - 1, tz.LocalDay(Utc("2026-03-21T18:29:59.999Z")));
}

TEST(FloorDiv, RoundsTowardsNegativeInfinity) {
  EXPECT_EQ(FloorDiv(7, 2), 3);
  EXPECT_EQ(FloorDiv(-7, 2), -4);
  EXPECT_EQ(FloorDiv(-8, 2), -4);
  EXPECT_EQ(FloorDiv(0, 5), 0);
  EXPECT_EQ(FloorDiv(-1, kDayMs), -1);
}

TEST(FakeClock, MovesOnlyWhenTold) {
  FakeClock c(1000);
  EXPECT_EQ(c.NowMs(), 1000);
  c.Advance(500);
  EXPECT_EQ(c.NowMs(), 1500);
  c.Set(42);
  EXPECT_EQ(c.NowMs(), 42);
}

}  // namespace
}  // namespace burnrate
