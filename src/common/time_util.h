// Timestamps and calendars: RFC 3339 parsing and printing, and calendar
// periods (day, ISO week, month) in an IANA time zone.
//
// Thread-safety: all functions are thread-safe. A TimeZone is an immutable
// handle to the system tz database (/usr/share/zoneinfo) and cheap to copy.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"

namespace date {
class time_zone;
}

namespace burnrate {

// Parses "2026-03-21T14:03:04.577Z" or with an offset ("+02:00"); fractional
// seconds are truncated to milliseconds.
Result<TimeMs> ParseRfc3339(std::string_view s);
// Formats as "2026-03-21T14:03:04.577Z" (UTC, milliseconds).
std::string FormatRfc3339(TimeMs t);
// "2026-03-21" for the UTC day of t.
std::string FormatDate(TimeMs t);

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
// days_from_civil). Inline: transcript timestamps are parsed with it in a
// hot loop. A day past the month's end counts on into the next month.
constexpr int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

class TimeZone {
 public:
  // "UTC" and any IANA name ("Europe/Berlin"). Fails with InvalidArgument.
  static Result<TimeZone> Load(std::string_view name);
  static TimeZone Utc();

  const std::string& name() const { return name_; }
  // Offset from UTC at instant t, in ms (e.g. +3600000 for CET in winter).
  TimeMs OffsetAt(TimeMs t) const;
  // Start (UTC instant) of the local calendar day that contains t.
  TimeMs DayStart(TimeMs t) const;
  // Start of the local ISO week (Monday 00:00) that contains t.
  TimeMs WeekStart(TimeMs t) const;
  // Start of the local calendar month that contains t.
  TimeMs MonthStart(TimeMs t) const;
  // Local day number (days since 1970-01-01 in this zone) of instant t.
  int64_t LocalDay(TimeMs t) const;
  // Start of the local day n days after the one containing t (n may be < 0).
  TimeMs AddDays(TimeMs day_start, int n) const;
  // Start of the local month n months after the one containing t.
  TimeMs AddMonths(TimeMs month_start, int n) const;
  // "2026-03-21" for the local day of t.
  std::string FormatLocalDate(TimeMs t) const;

 private:
  TimeZone(std::string name, const date::time_zone* tz) : name_(std::move(name)), tz_(tz) {}
  // Converts a local midnight (days since epoch, local) to a UTC instant;
  // a midnight skipped by DST maps to the first valid instant after it.
  TimeMs LocalMidnightToUtc(int64_t local_days) const;

  std::string name_;
  const date::time_zone* tz_;  // nullptr means UTC
};

}  // namespace burnrate
