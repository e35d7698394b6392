// Time windows for boards and usage queries.
//
// Rolling windows (24h, 7d, 30d) end at the end of the current UTC hour and
// cover whole hour buckets: "24h" is the current hour and the 23 before it.
// Calendar windows (day, week, month) are the current local period in the
// engine's time zone, from its local midnight up to now; weeks start on
// Monday (ISO). "all" is everything kept. The previous window of each is the
// one of the same kind just before it, used for rank change.
#pragma once

#include <string_view>

#include "common/status.h"
#include "common/time_util.h"

namespace burnrate::engine {

enum class Window : uint8_t { k24h, k7d, k30d, kDay, kWeek, kMonth, kAll };
inline constexpr Window kAllWindows[] = {Window::k24h,  Window::k7d,    Window::k30d, Window::kDay,
                                         Window::kWeek, Window::kMonth, Window::kAll};

struct TimeRange {
  TimeMs from = 0;  // inclusive
  TimeMs to = 0;    // exclusive
};

Result<Window> ParseWindow(std::string_view s);
const char* WindowName(Window w);
// The window as of `now` in zone `tz`.
TimeRange WindowRange(Window w, TimeMs now, const TimeZone& tz);
// The window of the same kind just before WindowRange(w, now, tz).
TimeRange PreviousRange(Window w, TimeMs now, const TimeZone& tz);

}  // namespace burnrate::engine
