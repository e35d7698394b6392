// The governor's settings from [governance] (docs/governance.md): plain
// values, published with the policies in an immutable PolicySet.
#pragma once

#include <array>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/clock.h"
#include "common/time_util.h"
#include "govern/alerter.h"
#include "govern/policy.h"

namespace burnrate::govern {

// Quota: one organisation's budget divided across its projects.
struct QuotaConfig {
  std::string org;  // "" = no quota
  Unit unit = Unit::kNanoUsd;
  int64_t limit = 0;
  PeriodKind period = PeriodKind::kMonth;
  TimeMs recompute_every_ms = 15 * kMinuteMs;
  TimeMs demand_window_ms = kDayMs;
  double default_weight = 1;
  std::unordered_map<std::string, double> weights;  // project -> weight
};

struct GovernorSettings {
  TimeZone tz = TimeZone::Utc();
  TimeMs reservation_ttl_ms = 5 * kMinuteMs;
  // Unsettled reservations one user (or key) may hold; 0 = unlimited. Past
  // it, checks are throttled with policy "reservations:unsettled".
  int64_t max_unsettled = 100000;
  // Unsettled reservations this node holds in all (~700 bytes each); past
  // it every check is throttled the same way. 0 = unlimited.
  int64_t max_unsettled_total = 5000000;
  // When the limit store cannot be reached: false = deny (fail closed, the
  // default), true = allow without reservation (fail open).
  bool allow_when_store_unavailable = false;
  std::array<int64_t, 3> throttle_rpm = {30, 6, 0};  // requests/min at levels 1..3; 0 = deny
  std::unordered_set<std::string> exempt_users, exempt_keys, batch_jobs;
  QuotaConfig quota;
  std::vector<WebhookConfig> webhooks;
};

}  // namespace burnrate::govern
