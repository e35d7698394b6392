#include "common/time_util.h"

#include <date/date.h>
#include <date/tz.h>

#include <charconv>
#include <cstdio>

namespace burnrate {
namespace {

bool ParseInt(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

using Days = date::sys_days;
using Ms = std::chrono::milliseconds;

}  // namespace

Result<TimeMs> ParseRfc3339(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)
  int y, mo, d, h, mi, se;
  auto bad = [&] { return Status::InvalidArgument("not an RFC 3339 timestamp"); };
  if (s.size() < 20 || !ParseInt(s, 0, 4, &y) || s[4] != '-' || !ParseInt(s, 5, 2, &mo) ||
      s[7] != '-' || !ParseInt(s, 8, 2, &d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      !ParseInt(s, 11, 2, &h) || s[13] != ':' || !ParseInt(s, 14, 2, &mi) || s[16] != ':' ||
      !ParseInt(s, 17, 2, &se)) {
    return bad();
  }
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || se > 60) return bad();
  auto ymd = date::year{y} / mo / d;
  if (!ymd.ok()) return bad();
  size_t pos = 19;
  int64_t frac_ms = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 3) frac_ms = frac_ms * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return bad();
    for (int i = digits; i < 3; ++i) frac_ms *= 10;
  }
  if (pos >= s.size()) return bad();
  int64_t offset_min = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int oh, om;
    if (!ParseInt(s, pos + 1, 2, &oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !ParseInt(s, pos + 4, 2, &om) || oh > 23 || om > 59) {
      return bad();
    }
    offset_min = (s[pos] == '-' ? -1 : 1) * (oh * 60 + om);
    pos += 6;
  } else {
    return bad();
  }
  if (pos != s.size()) return bad();
  int64_t days = Days(ymd).time_since_epoch().count();
  return days * kDayMs + h * kHourMs + mi * kMinuteMs + std::min(se, 59) * kSecondMs + frac_ms -
         offset_min * kMinuteMs;
}

std::string FormatRfc3339(TimeMs t) {
  int64_t days = FloorDiv(t, kDayMs);
  int64_t rem = t - days * kDayMs;
  date::year_month_day ymd{Days{date::days{days}}};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", int(ymd.year()),
                unsigned(ymd.month()), unsigned(ymd.day()), int(rem / kHourMs),
                int(rem / kMinuteMs % 60), int(rem / kSecondMs % 60), int(rem % 1000));
  return buf;
}

std::string FormatDate(TimeMs t) { return FormatRfc3339(t).substr(0, 10); }

Result<TimeZone> TimeZone::Load(std::string_view name) {
  if (name.empty() || name == "UTC" || name == "Etc/UTC" || name == "Z") return Utc();
  try {
    const date::time_zone* tz = date::locate_zone(name);
    return TimeZone(std::string(name), tz);
  } catch (const std::exception&) {
    return Status::InvalidArgument("unknown time zone '" + std::string(name) + "'");
  }
}

TimeZone TimeZone::Utc() { return TimeZone("UTC", nullptr); }

TimeMs TimeZone::OffsetAt(TimeMs t) const {
  if (tz_ == nullptr) return 0;
  auto info = tz_->get_info(date::sys_time<Ms>(Ms(t)));
  return std::chrono::duration_cast<Ms>(info.offset).count();
}

int64_t TimeZone::LocalDay(TimeMs t) const { return FloorDiv(t + OffsetAt(t), kDayMs); }

TimeMs TimeZone::LocalMidnightToUtc(int64_t local_days) const {
  if (tz_ == nullptr) return local_days * kDayMs;
  date::local_time<Ms> lt{Ms(local_days * kDayMs)};
  auto info = tz_->get_info(lt);
  switch (info.result) {
    case date::local_info::unique:
      return (lt.time_since_epoch() - std::chrono::duration_cast<Ms>(info.first.offset)).count();
    case date::local_info::ambiguous:  // take the earlier instant
      return (lt.time_since_epoch() - std::chrono::duration_cast<Ms>(info.first.offset)).count();
    case date::local_info::nonexistent:  // the gap's end
      return std::chrono::duration_cast<Ms>(info.second.begin.time_since_epoch()).count();
  }
  return local_days * kDayMs;
}

TimeMs TimeZone::DayStart(TimeMs t) const { return LocalMidnightToUtc(LocalDay(t)); }

TimeMs TimeZone::WeekStart(TimeMs t) const {
  int64_t day = LocalDay(t);
  // 1970-01-01 was a Thursday; ISO weeks start on Monday.
  int64_t weekday = ((day % 7) + 7 + 3) % 7;  // 0 = Monday
  return LocalMidnightToUtc(day - weekday);
}

TimeMs TimeZone::MonthStart(TimeMs t) const {
  date::year_month_day ymd{Days{date::days{LocalDay(t)}}};
  auto first = date::sys_days{ymd.year() / ymd.month() / 1};
  return LocalMidnightToUtc(first.time_since_epoch().count());
}

TimeMs TimeZone::AddDays(TimeMs day_start, int n) const {
  return LocalMidnightToUtc(LocalDay(day_start) + n);
}

TimeMs TimeZone::AddMonths(TimeMs month_start, int n) const {
  date::year_month_day ymd{Days{date::days{LocalDay(month_start)}}};
  auto ym = date::year_month{ymd.year(), ymd.month()} + date::months{n};
  auto first = date::sys_days{ym / 1};
  return LocalMidnightToUtc(first.time_since_epoch().count());
}

std::string TimeZone::FormatLocalDate(TimeMs t) const { return FormatDate(LocalDay(t) * kDayMs); }

}  // namespace burnrate
