// Policy parsing and validation. TOML and JSON share one validator so that a
// policy accepted over the admin API is exactly one the config would accept.
#include "govern/policy.h"

#include <simdjson.h>
#include <toml++/toml.h>

#include <cmath>

#include "common/json_writer.h"

namespace burnrate::govern {

namespace {

constexpr const char* kScopeNames[] = {"user", "team", "org", "project", "key"};
constexpr const char* kPeriodNames[] = {"day", "week", "month", "rolling"};

bool ValidId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

Status FieldErr(const char* name, std::string msg) {
  return Status::InvalidArgument(std::string(name) + ": " + msg).WithField(name);
}

int64_t UsdToNanos(double usd) { return static_cast<int64_t>(std::llround(usd * 1e9)); }

}  // namespace

const char* ScopeName(ScopeKind k) { return kScopeNames[static_cast<int>(k)]; }
const char* PeriodName(PeriodKind k) { return kPeriodNames[static_cast<int>(k)]; }
const char* UnitName(Unit u) { return u == Unit::kTokens ? "tokens" : "usd"; }

Result<ScopeKind> ParseScope(std::string_view s) {
  for (int i = 0; i < kScopeKinds; ++i)
    if (s == kScopeNames[i]) return static_cast<ScopeKind>(i);
  return Status::InvalidArgument("unknown scope '" + std::string(s) +
                                 "' (want user, team, org, project or key)");
}

Result<PeriodKind> ParsePeriod(std::string_view s) {
  for (int i = 0; i < 4; ++i)
    if (s == kPeriodNames[i]) return static_cast<PeriodKind>(i);
  return Status::InvalidArgument("unknown period '" + std::string(s) +
                                 "' (want day, week, month or rolling)");
}

Result<TimeMs> ParseDuration(std::string_view s) {
  size_t i = 0;
  int64_t n = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    if (n > (int64_t{1} << 40)) return Status::InvalidArgument("duration too large");
    n = n * 10 + (s[i++] - '0');
  }
  std::string_view unit = s.substr(i);
  if (i == 0) return Status::InvalidArgument("bad duration '" + std::string(s) + "'");
  if (unit == "ms") return n;
  if (unit == "s") return n * kSecondMs;
  if (unit == "m") return n * kMinuteMs;
  if (unit == "h") return n * kHourMs;
  if (unit == "d") return n * kDayMs;
  return Status::InvalidArgument("bad duration '" + std::string(s) + "' (use ms, s, m, h or d)");
}

bool Policy::MatchesModel(std::string_view m) const {
  if (model.empty()) return true;
  if (model.back() == '*')
    return m.substr(0, model.size() - 1) == std::string_view(model).substr(0, model.size() - 1);
  return m == model;
}

Status Policy::Validate() const {
  if (!ValidId(id)) return FieldErr("id", "required; letters, digits, - _ . : (max 128)");
  if (subject.empty()) return FieldErr("subject", "must not be empty (use \"*\")");
  if (kind == PolicyKind::kBudget) {
    if (limit <= 0) return FieldErr("limit", "a budget needs limit_tokens or limit_usd > 0");
    if (period == PeriodKind::kRolling && (window_ms < kMinuteMs || window_ms > 366 * kDayMs))
      return FieldErr("window", "rolling budgets need a window between 1m and 366d");
    for (int p : alert_pct)
      if (p <= 0 || p > 1000) return FieldErr("alert_at", "percentages must be in 1..1000");
  } else {
    if (requests_per_min < 0 || tokens_per_min < 0 || max_concurrent < 0)
      return FieldErr("requests_per_min", "limits must not be negative");
    if (requests_per_min == 0 && tokens_per_min == 0 && max_concurrent == 0)
      return FieldErr("requests_per_min",
                      "a rate limit needs requests_per_min, tokens_per_min or max_concurrent");
  }
  return Status::OK();
}

std::string Policy::ToJson() const {
  JsonWriter w;
  w.BeginObject();
  w.Key("id").String(id);
  w.Key("kind").String(kind == PolicyKind::kBudget ? "budget" : "rate_limit");
  w.Key("scope").String(ScopeName(scope));
  w.Key("subject").String(subject);
  w.Key("model").String(model);
  w.Key("origin").String(origin);
  w.Key("version").Int(version);
  if (kind == PolicyKind::kBudget) {
    w.Key("unit").String(UnitName(unit));
    if (unit == Unit::kTokens)
      w.Key("limit_tokens").Int(limit);
    else
      w.Key("limit_usd").NanoUsd(limit);
    w.Key("period").String(PeriodName(period));
    if (period == PeriodKind::kRolling) w.Key("window").String(std::to_string(window_ms) + "ms");
    w.Key("enforce").String(enforce == Enforcement::kHard ? "hard" : "soft");
    w.Key("alert_at").BeginArray();
    for (int p : alert_pct) w.Int(p);
    w.EndArray();
  } else {
    w.Key("requests_per_min").Int(requests_per_min);
    w.Key("tokens_per_min").Int(tokens_per_min);
    w.Key("max_concurrent").Int(max_concurrent);
  }
  w.EndObject();
  return w.Take();
}

// ---- TOML ----

namespace {

Status TomlStr(const toml::table& t, const char* key, std::string& out, std::string_view where) {
  const toml::node* n = t.get(key);
  if (!n) return Status::OK();
  auto v = n->value<std::string>();
  if (!v) return Status::InvalidArgument(std::string(where) + "." + key + ": must be a string");
  out = *v;
  return Status::OK();
}

Status TomlInt(const toml::table& t, const char* key, int64_t& out, std::string_view where) {
  const toml::node* n = t.get(key);
  if (!n) return Status::OK();
  auto v = n->value<int64_t>();
  if (!v) return Status::InvalidArgument(std::string(where) + "." + key + ": must be an integer");
  out = *v;
  return Status::OK();
}

}  // namespace

Result<Policy> PolicyFromToml(const toml::table& t, PolicyKind kind, std::string_view where) {
  Policy p;
  p.kind = kind;
  p.origin = "config";
  std::string w(where);
  auto fail = [&](const Status& s) { return Status::InvalidArgument(w + ": " + s.message()); };
  BR_RETURN_IF_ERROR(TomlStr(t, "id", p.id, w));
  std::string scope = "user", period = "month", window, enforce = "hard";
  BR_RETURN_IF_ERROR(TomlStr(t, "scope", scope, w));
  BR_RETURN_IF_ERROR(TomlStr(t, "subject", p.subject, w));
  BR_RETURN_IF_ERROR(TomlStr(t, "model", p.model, w));
  auto sk = ParseScope(scope);
  if (!sk.ok()) return fail(Status::InvalidArgument("scope: " + sk.status().message()));
  p.scope = *sk;
  if (kind == PolicyKind::kBudget) {
    BR_RETURN_IF_ERROR(TomlStr(t, "period", period, w));
    BR_RETURN_IF_ERROR(TomlStr(t, "window", window, w));
    BR_RETURN_IF_ERROR(TomlStr(t, "enforce", enforce, w));
    auto pk = ParsePeriod(period);
    if (!pk.ok()) return fail(Status::InvalidArgument("period: " + pk.status().message()));
    p.period = *pk;
    if (!window.empty()) {
      auto d = ParseDuration(window);
      if (!d.ok()) return fail(Status::InvalidArgument("window: " + d.status().message()));
      p.window_ms = *d;
    }
    if (enforce != "hard" && enforce != "soft")
      return fail(Status::InvalidArgument("enforce: want hard or soft"));
    p.enforce = enforce == "hard" ? Enforcement::kHard : Enforcement::kSoft;
    if (t.contains("limit_usd")) {
      auto v = t.get("limit_usd")->value<double>();
      if (!v) return fail(Status::InvalidArgument("limit_usd: must be a number"));
      p.unit = Unit::kNanoUsd;
      p.limit = UsdToNanos(*v);
    } else {
      BR_RETURN_IF_ERROR(TomlInt(t, "limit_tokens", p.limit, w));
    }
    if (const toml::array* a = t.get_as<toml::array>("alert_at")) {
      p.alert_pct.clear();
      for (const auto& e : *a) {
        auto v = e.value<int64_t>();
        if (!v) return fail(Status::InvalidArgument("alert_at: must be integers (percent)"));
        p.alert_pct.push_back(static_cast<int>(*v));
      }
    }
  } else {
    BR_RETURN_IF_ERROR(TomlInt(t, "requests_per_min", p.requests_per_min, w));
    BR_RETURN_IF_ERROR(TomlInt(t, "tokens_per_min", p.tokens_per_min, w));
    BR_RETURN_IF_ERROR(TomlInt(t, "max_concurrent", p.max_concurrent, w));
  }
  Status st = p.Validate();
  if (!st.ok()) return fail(st);
  return p;
}

// ---- JSON ----

Result<Policy> PolicyFromJson(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(json.data(), json.size()).get(root) != simdjson::SUCCESS || !root.is_object())
    return FieldErr("body", "must be a JSON object");
  Policy p;
  p.origin = "api";
  std::string_view s;
  auto str = [&](const char* k, std::string& out) -> Status {
    simdjson::dom::element e;
    if (root[k].get(e) != simdjson::SUCCESS) return Status::OK();
    if (e.get_string().get(s) != simdjson::SUCCESS) return FieldErr(k, "must be a string");
    out = std::string(s);
    return Status::OK();
  };
  auto num = [&](const char* k, int64_t& out) -> Status {
    simdjson::dom::element e;
    if (root[k].get(e) != simdjson::SUCCESS) return Status::OK();
    if (e.get_int64().get(out) != simdjson::SUCCESS) return FieldErr(k, "must be an integer");
    return Status::OK();
  };
  std::string kind = "budget", scope = "user", period = "month", window, enforce = "hard";
  BR_RETURN_IF_ERROR(str("id", p.id));
  BR_RETURN_IF_ERROR(str("kind", kind));
  BR_RETURN_IF_ERROR(str("scope", scope));
  BR_RETURN_IF_ERROR(str("subject", p.subject));
  BR_RETURN_IF_ERROR(str("model", p.model));
  if (kind != "budget" && kind != "rate_limit")
    return FieldErr("kind", "want budget or rate_limit");
  p.kind = kind == "budget" ? PolicyKind::kBudget : PolicyKind::kRateLimit;
  auto sk = ParseScope(scope);
  if (!sk.ok()) return FieldErr("scope", sk.status().message());
  p.scope = *sk;
  if (p.kind == PolicyKind::kBudget) {
    BR_RETURN_IF_ERROR(str("period", period));
    BR_RETURN_IF_ERROR(str("window", window));
    BR_RETURN_IF_ERROR(str("enforce", enforce));
    auto pk = ParsePeriod(period);
    if (!pk.ok()) return FieldErr("period", pk.status().message());
    p.period = *pk;
    if (!window.empty()) {
      auto d = ParseDuration(window);
      if (!d.ok()) return FieldErr("window", d.status().message());
      p.window_ms = *d;
    }
    if (enforce != "hard" && enforce != "soft") return FieldErr("enforce", "want hard or soft");
    p.enforce = enforce == "hard" ? Enforcement::kHard : Enforcement::kSoft;
    simdjson::dom::element e;
    if (root["limit_usd"].get(e) == simdjson::SUCCESS) {
      double usd;
      if (e.get_double().get(usd) != simdjson::SUCCESS || !std::isfinite(usd) || usd > 9e9)
        return FieldErr("limit_usd", "must be a number");
      p.unit = Unit::kNanoUsd;
      p.limit = UsdToNanos(usd);
    } else {
      BR_RETURN_IF_ERROR(num("limit_tokens", p.limit));
    }
    simdjson::dom::array arr;
    if (root["alert_at"].get(e) == simdjson::SUCCESS) {
      if (e.get_array().get(arr) != simdjson::SUCCESS)
        return FieldErr("alert_at", "must be an array");
      p.alert_pct.clear();
      for (auto v : arr) {
        int64_t pct;
        if (v.get_int64().get(pct) != simdjson::SUCCESS || pct < -1000000 || pct > 1000000)
          return FieldErr("alert_at", "must be integers (percent)");
        p.alert_pct.push_back(static_cast<int>(pct));
      }
    }
  } else {
    BR_RETURN_IF_ERROR(num("requests_per_min", p.requests_per_min));
    BR_RETURN_IF_ERROR(num("tokens_per_min", p.tokens_per_min));
    BR_RETURN_IF_ERROR(num("max_concurrent", p.max_concurrent));
  }
  BR_RETURN_IF_ERROR(p.Validate());
  return p;
}

}  // namespace burnrate::govern
