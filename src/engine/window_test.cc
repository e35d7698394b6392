// Contract tests for engine/window.h: rolling windows end at the end of the
// current UTC hour; calendar windows follow the local calendar.
#include "engine/window.h"

#include <gtest/gtest.h>

namespace burnrate::engine {
namespace {

TimeMs T(const char* s) { return *ParseRfc3339(s); }

TEST(Window, ParseAndName) {
  for (Window w : kAllWindows) EXPECT_EQ(*ParseWindow(WindowName(w)), w);
  EXPECT_EQ(*ParseWindow("1d"), Window::k24h);
  EXPECT_EQ(*ParseWindow("today"), Window::kDay);
  auto bad = ParseWindow("fortnight");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(bad.status().message().rfind("window", 0), 0u);  // names the parameter first
}

TEST(Window, RollingWindowsCoverWholeHours) {
  TimeZone utc = TimeZone::Utc();
  TimeMs now = T("2026-03-21T14:03:04Z");
  TimeRange d = WindowRange(Window::k24h, now, utc);
  EXPECT_EQ(d.from, T("2026-03-20T15:00:00Z"));
  EXPECT_EQ(d.to, T("2026-03-21T15:00:00Z"));
  TimeRange w = WindowRange(Window::k7d, now, utc);
  EXPECT_EQ(w.to - w.from, 7 * kDayMs);
  EXPECT_EQ(w.to, d.to);
  TimeRange m = WindowRange(Window::k30d, now, utc);
  EXPECT_EQ(m.to - m.from, 30 * kDayMs);
  TimeRange p = PreviousRange(Window::k24h, now, utc);
  EXPECT_EQ(p.from, T("2026-03-19T15:00:00Z"));
  EXPECT_EQ(p.to, d.from);
  // Exactly on the hour, the current hour is the last one of the window.
  TimeRange on = WindowRange(Window::k24h, T("2026-03-21T14:00:00Z"), utc);
  EXPECT_EQ(on.to, T("2026-03-21T15:00:00Z"));
  // Rolling windows do not depend on the zone.
  TimeZone tokyo = *TimeZone::Load("Asia/Tokyo");
  EXPECT_EQ(WindowRange(Window::k7d, now, tokyo).from, w.from);
}

TEST(Window, CalendarWindowsInUtc) {
  TimeZone utc = TimeZone::Utc();
  TimeMs now = T("2026-03-21T14:03:04Z");  // Saturday
  TimeRange day = WindowRange(Window::kDay, now, utc);
  EXPECT_EQ(day.from, T("2026-03-21T00:00:00Z"));
  EXPECT_EQ(day.to, T("2026-03-22T00:00:00Z"));
  TimeRange week = WindowRange(Window::kWeek, now, utc);
  EXPECT_EQ(week.from, T("2026-03-16T00:00:00Z"));
  EXPECT_EQ(week.to, T("2026-03-23T00:00:00Z"));
  TimeRange month = WindowRange(Window::kMonth, now, utc);
  EXPECT_EQ(month.from, T("2026-03-01T00:00:00Z"));
  EXPECT_EQ(month.to, T("2026-04-01T00:00:00Z"));
  EXPECT_EQ(PreviousRange(Window::kDay, now, utc).from, T("2026-03-20T00:00:00Z"));
  EXPECT_EQ(PreviousRange(Window::kWeek, now, utc).from, T("2026-03-09T00:00:00Z"));
  TimeRange pm = PreviousRange(Window::kMonth, now, utc);
  EXPECT_EQ(pm.from, T("2026-02-01T00:00:00Z"));
  EXPECT_EQ(pm.to, month.from);
  // January's previous month is last year's December.
  EXPECT_EQ(PreviousRange(Window::kMonth, T("2026-01-10T00:00:00Z"), utc).from,
            T("2025-12-01T00:00:00Z"));
}

TEST(Window, CalendarWindowsInAZone) {
  TimeZone ny = *TimeZone::Load("America/New_York");
  // 02:00 UTC on the 21st is still the 20th in New York (EDT, -4).
  TimeMs now = T("2026-03-21T02:00:00Z");
  TimeRange day = WindowRange(Window::kDay, now, ny);
  EXPECT_EQ(day.from, T("2026-03-20T04:00:00Z"));
  EXPECT_EQ(day.to, T("2026-03-21T04:00:00Z"));
  // The week of the DST change (Sunday 8 March 2026) is 167 hours long.
  TimeRange week = WindowRange(Window::kWeek, T("2026-03-05T12:00:00Z"), ny);
  EXPECT_EQ(week.from, T("2026-03-02T05:00:00Z"));
  EXPECT_EQ(week.to - week.from, 167 * kHourMs);
  TimeRange prev = PreviousRange(Window::kDay, now, ny);
  EXPECT_EQ(prev.to, day.from);
  EXPECT_EQ(prev.from, T("2026-03-19T04:00:00Z"));
}

TEST(Window, AllCoversEverything) {
  TimeRange all = WindowRange(Window::kAll, 0, TimeZone::Utc());
  EXPECT_LT(all.from, T("1971-01-01T00:00:00Z") - 1000 * 365 * kDayMs);
  EXPECT_GT(all.to, T("2100-01-01T00:00:00Z"));
  TimeRange prev = PreviousRange(Window::kAll, 0, TimeZone::Utc());
  EXPECT_EQ(prev.from, prev.to);  // empty
}

}  // namespace
}  // namespace burnrate::engine
