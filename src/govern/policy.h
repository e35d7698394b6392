// Governance policies: budgets and rate limits, as plain values.
//
// A Policy says who it applies to (a scope kind and a subject, "*" meaning
// every subject of that kind separately), optionally which models, and what
// it limits. Budgets cap tokens or nano-USD per period (calendar day, ISO
// week, calendar month in the configured zone, or a rolling window) and are
// hard (deny) or soft (alert only). Rate limits are token buckets (requests
// and tokens per minute) plus a cap on concurrent requests.
//
// Parsing: from the TOML config (`[[governance.budget]]`,
// `[[governance.rate_limit]]`, see docs/governance.md) and from the admin
// API's JSON. Errors are InvalidArgument naming the field (`field` out-param
// receives the field name for HTTP error bodies). Values are immutable once
// published in a PolicySet; thread-safety is that of a plain struct.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "common/toml_fwd.h"

namespace burnrate::govern {

enum class ScopeKind : uint8_t { kUser = 0, kTeam, kOrg, kProject, kKey };
inline constexpr int kScopeKinds = 5;
enum class PolicyKind : uint8_t { kBudget = 0, kRateLimit };
enum class Unit : uint8_t { kTokens = 0, kNanoUsd };
enum class PeriodKind : uint8_t { kDay = 0, kWeek, kMonth, kRolling };
enum class Enforcement : uint8_t { kHard = 0, kSoft };

const char* ScopeName(ScopeKind k);
const char* PeriodName(PeriodKind k);
const char* UnitName(Unit u);
Result<ScopeKind> ParseScope(std::string_view s);
Result<PeriodKind> ParsePeriod(std::string_view s);
// "30s", "5m", "24h", "7d", "250ms" -> milliseconds.
Result<TimeMs> ParseDuration(std::string_view s);

struct Policy {
  std::string id;  // unique; letters, digits, '-', '_', '.', ':'
  PolicyKind kind = PolicyKind::kBudget;
  ScopeKind scope = ScopeKind::kUser;
  std::string subject = "*";   // "*" = each subject of the scope separately
  std::string model;           // "" = all models; "claude-opus*" = prefix
  std::string origin = "api";  // "config" or "api"
  int64_t version = 1;

  // Budgets.
  Unit unit = Unit::kTokens;
  int64_t limit = 0;  // tokens or nano-USD per period
  PeriodKind period = PeriodKind::kMonth;
  TimeMs window_ms = 0;  // rolling windows only
  Enforcement enforce = Enforcement::kHard;
  std::vector<int> alert_pct = {50, 80, 100};

  // Rate limits (0 = no limit of that kind).
  int64_t requests_per_min = 0;
  int64_t tokens_per_min = 0;
  int64_t max_concurrent = 0;

  bool MatchesModel(std::string_view m) const;
  bool MatchesSubject(std::string_view s) const { return subject == "*" || subject == s; }
  // Checks ranges and required fields; the error's field() names the field.
  Status Validate() const;
  std::string ToJson() const;
};

// Parses one `[[governance.budget]]` or `[[governance.rate_limit]]` table.
// `where` prefixes error messages ("governance.budget[2]").
Result<Policy> PolicyFromToml(const toml::table& t, PolicyKind kind, std::string_view where);
// Parses the admin API body {"id":..., "kind":"budget"|"rate_limit", ...}.
// Errors name the bad member in field().
Result<Policy> PolicyFromJson(std::string_view json);

}  // namespace burnrate::govern
