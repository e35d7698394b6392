#include "govern/period.h"

namespace burnrate::govern {

WindowSpec WindowFor(PeriodKind p, TimeMs window_ms, const TimeZone& tz, TimeMs now) {
  WindowSpec w;
  switch (p) {
    case PeriodKind::kDay:
      w.start = tz.DayStart(now);
      w.end = tz.AddDays(w.start, 1);
      break;
    case PeriodKind::kWeek:
      w.start = tz.WeekStart(now);
      w.end = tz.AddDays(w.start, 7);
      break;
    case PeriodKind::kMonth:
      w.start = tz.MonthStart(now);
      w.end = tz.AddMonths(w.start, 1);
      break;
    case PeriodKind::kRolling: {
      w.slots = kRollingSlots;
      w.slot_ms = (window_ms + kRollingSlots - 1) / kRollingSlots;
      if (w.slot_ms <= 0) w.slot_ms = 1;
      int64_t cur = FloorDiv(now, w.slot_ms);
      w.end = (cur + 1) * w.slot_ms;
      w.start = (cur + 1 - kRollingSlots) * w.slot_ms;
      break;
    }
  }
  return w;
}

}  // namespace burnrate::govern
