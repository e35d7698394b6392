#include "app/flag_throttle.h"

#include <algorithm>
#include <climits>
#include <utility>
#include <vector>

#include "common/log.h"

namespace burnrate::app {

FlagThrottle::FlagThrottle(detect::DetectionEngine& detection, govern::Governor& governor,
                           govern::AuditLog& audit, const Clock& clock)
    : detection_(detection), governor_(governor), audit_(audit), clock_(clock) {}

int FlagThrottle::ThrottleLevelLocked(const std::string& user, int64_t today) const {
  auto it = marks_.find(user);
  if (it == marks_.end()) return 0;
  int level = 0;
  for (auto d = it->second.lower_bound(today - detection_.config().retain_days + 1);
       d != it->second.end(); ++d)
    level = std::max(level, d->second.level);
  return level;
}

int FlagThrottle::ThrottleLevel(const std::string& user) const {
  int64_t today = detection_.DayOf(clock_.NowMs());
  std::lock_guard lock(mu_);
  return ThrottleLevelLocked(user, today);
}

void FlagThrottle::OnFlag(const detect::Flag& f, detect::FlagEvent ev) {
  int64_t today = detection_.DayOf(clock_.NowMs());
  int before, after;
  {
    std::lock_guard lock(mu_);
    before = ThrottleLevelLocked(f.user, today);
    Mark& m = marks_[f.user][f.day];
    m.wasted_tokens = f.CountsAsWaste() ? f.wasted_tokens : 0;
    m.level = f.ThrottleLevel();
    after = ThrottleLevelLocked(f.user, today);
  }
  Audit(f, ev, before, after);
}

// The one audit entry of a flag event (see the header).
void FlagThrottle::Audit(const detect::Flag& f, detect::FlagEvent ev, int before, int after) {
  using detect::FlagEvent;
  bool review = ev == FlagEvent::kConfirmed || ev == FlagEvent::kDismissed;
  std::string actor = review ? f.reviewer : "detect";
  std::string what = "flag " + f.id + " " + detect::FlagEventName(ev) + ": score " +
                     std::to_string(int(f.score)) + " on " + f.date +
                     (f.reasons.empty() ? "" : " (" + f.reasons.front().detector + ")");
  if (review && !f.note.empty()) what += "; note: " + f.note;
  if (ev == FlagEvent::kRetracted) what += "; " + f.retraction;
  if (after != before) {
    governor_.SetThrottle(f.user, after, what, actor);
    return;
  }
  if (ev == FlagEvent::kUpdated) return;
  govern::AuditEntry entry{.actor = actor,
                           .action = std::string("flag.") + detect::FlagEventName(ev),
                           .subject = "user:" + f.user,
                           .reason = what,
                           .detail = ""};
  if (!review) return audit_.Append(std::move(entry));
  // A review is answered to the reviewer: on disk before that.
  Status logged = audit_.AppendDurable(std::move(entry));
  if (!logged.ok())
    log::Error("audit.write_failed", {{"action", "flag.review"}, {"error", logged.message()}});
}

void FlagThrottle::Restore() {
  int64_t today = detection_.DayOf(clock_.NowMs());
  std::vector<std::pair<std::string, int>> throttled;
  {
    std::lock_guard lock(mu_);
    for (const detect::Flag& f : detection_.flags().List(INT64_MIN / 2, INT64_MAX / 2))
      marks_[f.user][f.day] = {f.CountsAsWaste() ? f.wasted_tokens : 0, f.ThrottleLevel()};
    for (const auto& [user, days] : marks_)
      if (int level = ThrottleLevelLocked(user, today); level > 0)
        throttled.emplace_back(user, level);
  }
  for (const auto& [user, level] : throttled) governor_.RestoreThrottle(user, level);
}

int FlagThrottle::Sync() {
  int64_t today = detection_.DayOf(clock_.NowMs());
  std::vector<std::pair<std::string, int>> changed;
  {
    std::lock_guard lock(mu_);
    for (const detect::Flag& f : detection_.flags().List(INT64_MIN / 2, INT64_MAX / 2)) {
      Mark next{f.CountsAsWaste() ? f.wasted_tokens : 0, f.ThrottleLevel()};
      Mark& m = marks_[f.user][f.day];
      if (m.wasted_tokens == next.wasted_tokens && m.level == next.level) continue;
      int before = ThrottleLevelLocked(f.user, today);
      m = next;
      if (int after = ThrottleLevelLocked(f.user, today); after != before)
        changed.emplace_back(f.user, after);
    }
  }
  for (const auto& [user, level] : changed) governor_.RestoreThrottle(user, level);
  return int(changed.size());
}

int64_t FlagThrottle::WastedTokens(std::string_view user, TimeMs from, TimeMs to) const {
  int64_t first = detection_.DayOf(from), last = detection_.DayOf(to - 1), sum = 0;
  std::lock_guard lock(mu_);
  auto it = marks_.find(std::string(user));
  if (it == marks_.end()) return 0;
  for (auto d = it->second.lower_bound(first); d != it->second.end() && d->first <= last; ++d)
    sum += d->second.wasted_tokens;
  return sum;
}

}  // namespace burnrate::app
