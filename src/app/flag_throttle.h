// FlagThrottle: the bridge from detection's flags to governance and to the
// boards' honest volume. It owns the one rule that joins them:
//
//   - a flag's waste counts against its user when the flag does
//     (Flag::CountsAsWaste: confirmed, or high confidence and still open);
//   - a user's throttle level is the highest Flag::ThrottleLevel of their
//     flags of the days detection still keeps (retain_days up to today),
//     and governance is told each time it moves (Governor::SetThrottle);
//   - every flag event is audited exactly once: by SetThrottle when the
//     level moves, otherwise here as "flag.<event>" (score updates are not
//     events); a review is written durably before it is answered.
//
// Wiring (App): detection.Subscribe(OnFlag), Restore() once at start-up
// after the flags are loaded, engine.SetWasteFn(WastedTokens).
//
// Thread-safety: thread-safe; mu_ guards the marks. Governance and the
// audit log are called after mu_ is released. `detection`, `governor`,
// `audit` and `clock` must outlive this object.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/clock.h"
#include "detect/detect.h"
#include "govern/govern.h"

namespace burnrate::app {

class FlagThrottle {
 public:
  FlagThrottle(detect::DetectionEngine& detection, govern::Governor& governor,
               govern::AuditLog& audit, const Clock& clock);
  FlagThrottle(const FlagThrottle&) = delete;
  FlagThrottle& operator=(const FlagThrottle&) = delete;

  // A flag was raised, updated, retracted or reviewed (detection's listener).
  void OnFlag(const detect::Flag& f, detect::FlagEvent ev);
  // After a restart: rebuilds the marks from the stored flags and puts the
  // throttles back (governance keeps them in memory only), without audit
  // entries or alerts: they were raised when first set.
  void Restore();
  // Nodes sharing one flag store (PostgreSQL): applies the flags another
  // node raised or reviewed since — waste and throttle levels — without
  // audit entries (the node that made the change wrote them). Returns how
  // many users' throttle levels changed. A full read of the stored flags;
  // App calls it every second on a shared store.
  int Sync();
  // Tokens detection counts as waste for `user` on the days `from`..`to`-1
  // touch (honest volume is tokens minus this). One hash lookup per user.
  int64_t WastedTokens(std::string_view user, TimeMs from, TimeMs to) const;
  // The throttle level the user's flags ask for today.
  int ThrottleLevel(const std::string& user) const;

 private:
  struct Mark {
    int64_t wasted_tokens = 0;
    int level = 0;
  };
  int ThrottleLevelLocked(const std::string& user, int64_t today) const;  // mu_ held
  void Audit(const detect::Flag& f, detect::FlagEvent ev, int before, int after);

  detect::DetectionEngine& detection_;
  govern::Governor& governor_;
  govern::AuditLog& audit_;
  const Clock& clock_;
  mutable std::mutex mu_;
  // user -> day -> what that day's flag counts for; guarded by mu_
  std::unordered_map<std::string, std::map<int64_t, Mark>> marks_;
};

}  // namespace burnrate::app
