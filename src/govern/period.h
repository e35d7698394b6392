// Budget periods: which window a budget counts in at a given instant.
//
// Calendar periods (day, ISO week, month) start at local midnight in the
// governance time zone, so a month budget in Europe/Berlin resets at 00:00
// Berlin time on the 1st, whatever DST says; a day can be 23 or 25 hours.
// Rolling windows are approximated by kRollingSlots equal slots: usage is
// added to the slot of its instant and the window sums the last kRollingSlots
// slots, so usage leaves the window at most one slot (window/60) late.
// Pure functions; thread-safe.
#pragma once

#include "common/time_util.h"
#include "govern/policy.h"

namespace burnrate::govern {

inline constexpr int kRollingSlots = 60;

struct WindowSpec {
  TimeMs start = 0;    // calendar: period start; rolling: start of the oldest slot
  TimeMs end = 0;      // calendar: next period start; rolling: end of the current slot
  TimeMs slot_ms = 0;  // rolling only
  int slots = 0;       // rolling only; 0 = calendar period
  bool rolling() const { return slots > 0; }
};

// The window of a budget with period `p` (and `window_ms` when rolling) that
// contains `now`, in zone `tz`.
WindowSpec WindowFor(PeriodKind p, TimeMs window_ms, const TimeZone& tz, TimeMs now);

}  // namespace burnrate::govern
