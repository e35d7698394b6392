#include "engine/window.h"

#include <limits>

namespace burnrate::engine {

Result<Window> ParseWindow(std::string_view s) {
  if (s == "24h" || s == "1d") return Window::k24h;
  if (s == "7d") return Window::k7d;
  if (s == "30d") return Window::k30d;
  if (s == "day" || s == "today") return Window::kDay;
  if (s == "week") return Window::kWeek;
  if (s == "month") return Window::kMonth;
  if (s == "all") return Window::kAll;
  return Status::InvalidArgument("window must be one of 24h, 7d, 30d, day, week, month, all");
}

const char* WindowName(Window w) {
  switch (w) {
    case Window::k24h:
      return "24h";
    case Window::k7d:
      return "7d";
    case Window::k30d:
      return "30d";
    case Window::kDay:
      return "day";
    case Window::kWeek:
      return "week";
    case Window::kMonth:
      return "month";
    case Window::kAll:
      return "all";
  }
  return "all";
}

static TimeRange Rolling(TimeMs now, int hours) {
  TimeMs end = (FloorDiv(now, kHourMs) + 1) * kHourMs;
  return {end - hours * kHourMs, end};
}

TimeRange WindowRange(Window w, TimeMs now, const TimeZone& tz) {
  switch (w) {
    case Window::k24h:
      return Rolling(now, 24);
    case Window::k7d:
      return Rolling(now, 24 * 7);
    case Window::k30d:
      return Rolling(now, 24 * 30);
    case Window::kDay:
      return {tz.DayStart(now), tz.AddDays(tz.DayStart(now), 1)};
    case Window::kWeek:
      return {tz.WeekStart(now), tz.AddDays(tz.WeekStart(now), 7)};
    case Window::kMonth:
      return {tz.MonthStart(now), tz.AddMonths(tz.MonthStart(now), 1)};
    case Window::kAll:
      return {std::numeric_limits<TimeMs>::min() / 2, std::numeric_limits<TimeMs>::max() / 2};
  }
  return {};
}

TimeRange PreviousRange(Window w, TimeMs now, const TimeZone& tz) {
  TimeRange cur = WindowRange(w, now, tz);
  switch (w) {
    case Window::k24h:
    case Window::k7d:
    case Window::k30d:
      return {cur.from - (cur.to - cur.from), cur.from};
    case Window::kDay:
      return {tz.AddDays(cur.from, -1), cur.from};
    case Window::kWeek:
      return {tz.AddDays(cur.from, -7), cur.from};
    case Window::kMonth:
      return {tz.AddMonths(cur.from, -1), cur.from};
    case Window::kAll:
      return {0, 0};
  }
  return {};
}

}  // namespace burnrate::engine
