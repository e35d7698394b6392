// Badge rules: the default set and the [[badges]] config overlay.
#include <toml++/toml.h>

#include "badges/badges.h"

namespace burnrate::badges {

Result<RuleMetric> ParseRuleMetric(std::string_view s) {
  static constexpr std::pair<std::string_view, RuleMetric> kNames[] = {
      {"tokens", RuleMetric::kTokens},
      {"cost", RuleMetric::kCost},
      {"requests", RuleMetric::kRequests},
      {"value", RuleMetric::kValue},
      {"efficiency", RuleMetric::kEfficiency},
      {"honest", RuleMetric::kHonest},
      {"session_hours", RuleMetric::kSessionHours},
      {"streak_days", RuleMetric::kStreakDays},
      {"edit_acceptance", RuleMetric::kEditAcceptance}};
  for (auto [n, m] : kNames)
    if (n == s) return m;
  return Status::InvalidArgument(
      "metric must be one of tokens, cost, requests, value, efficiency, honest, session_hours, "
      "streak_days, "
      "edit_acceptance");
}

const char* RuleMetricName(RuleMetric m) {
  static const char* kNames[] = {"tokens",        "cost",        "requests",
                                 "value",         "efficiency",  "honest",
                                 "session_hours", "streak_days", "edit_acceptance"};
  return kNames[int(m)];
}

std::vector<BadgeRule> DefaultRules() {
  using engine::Window;
  using E = engine::Entity;
  auto rule = [](const char* id, const char* name, const char* desc, RuleMetric m, Window w) {
    BadgeRule r;
    r.id = id, r.name = name, r.description = desc, r.metric = m, r.window = w;
    r.disqualify_flagged = true;
    return r;
  };
  std::vector<BadgeRule> out;
  BadgeRule legend =
      rule("token_legend", "Token Legend", "Top 1% by 30-day token volume, with no flagged waste",
           RuleMetric::kTokens, Window::k30d);
  legend.top_percent = 1, legend.min_volume = 1;
  out.push_back(legend);
  BadgeRule immortal = rule(
      "session_immortal", "Session Immortal",
      "The longest single session of the last 30 days (pauses under 30 minutes), at least 4 hours",
      RuleMetric::kSessionHours, Window::k30d);
  immortal.top_n = 1, immortal.threshold = 4;
  out.push_back(immortal);
  BadgeRule streak5 = rule("streak_5", "On a Roll", "Active 5 days in a row",
                           RuleMetric::kStreakDays, Window::k30d);
  streak5.threshold = 5;
  out.push_back(streak5);
  BadgeRule streak20 = rule("streak_20", "Iron Streak", "Active 20 days in a row",
                            RuleMetric::kStreakDays, Window::k30d);
  streak20.threshold = 20;
  out.push_back(streak20);
  BadgeRule sniper = rule("value_sniper", "Value Sniper",
                          "Top 5% by outcomes per million tokens over 30 days (at least 1M tokens)",
                          RuleMetric::kEfficiency, Window::k30d);
  sniper.top_percent = 5, sniper.min_volume = 1'000'000;
  out.push_back(sniper);
  BadgeRule shipper = rule("shipper", "Shipper", "Top 10 by weighted outcomes this week",
                           RuleMetric::kValue, Window::kWeek);
  shipper.top_n = 10;
  out.push_back(shipper);
  BadgeRule editor =
      rule("sharp_editor", "Sharp Editor",
           "90% or more of suggested edits accepted over 30 days (at least 100k tokens)",
           RuleMetric::kEditAcceptance, Window::k30d);
  editor.threshold = 90, editor.min_volume = 100'000;
  out.push_back(editor);
  BadgeRule team = rule("value_team", "Value Team",
                        "The team with the best outcomes per million tokens this month",
                        RuleMetric::kEfficiency, Window::kMonth);
  team.entity = E::kTeam, team.top_n = 1, team.min_volume = 1'000'000;
  out.push_back(team);
  return out;
}

Status ValidateRule(const BadgeRule& r) {
  if (r.id.empty() || r.id.size() > 64)
    return Status::InvalidArgument("id must be 1..64 characters");
  for (char c : r.id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
      return Status::InvalidArgument("id must be lower-case letters, digits and _");
    }
  }
  if (r.threshold <= 0 && r.top_n <= 0 && r.top_percent <= 0) {
    return Status::InvalidArgument("threshold: set threshold, top_n or top_percent");
  }
  if (r.top_percent > 100) return Status::InvalidArgument("top_percent must be in (0, 100]");
  if (r.entity != engine::Entity::kUser &&
      (r.metric == RuleMetric::kSessionHours || r.metric == RuleMetric::kStreakDays)) {
    return Status::InvalidArgument("entity: session_hours and streak_days are for users");
  }
  return Status::OK();
}

static Status ParseOne(const toml::table& t, BadgeRule* r, bool* enabled) {
  auto str = [&](const char* k, std::string* out) {
    if (auto v = t[k].value<std::string>()) *out = *v;
  };
  str("id", &r->id);
  str("name", &r->name);
  str("description", &r->description);
  if (auto v = t["entity"].value<std::string>()) {
    BR_ASSIGN_OR_RETURN(r->entity, engine::ParseEntity(*v));
  }
  if (auto v = t["metric"].value<std::string>()) {
    BR_ASSIGN_OR_RETURN(r->metric, ParseRuleMetric(*v));
  }
  if (auto v = t["window"].value<std::string>()) {
    BR_ASSIGN_OR_RETURN(r->window, engine::ParseWindow(*v));
  }
  if (auto v = t["threshold"].value<double>()) r->threshold = *v;
  if (auto v = t["top_n"].value<int64_t>()) r->top_n = *v;
  if (auto v = t["top_percent"].value<double>()) r->top_percent = *v;
  if (auto v = t["min_volume"].value<int64_t>()) r->min_volume = *v;
  if (auto v = t["disqualify_flagged"].value<bool>()) r->disqualify_flagged = *v;
  if (auto v = t["enabled"].value<bool>()) *enabled = *v;
  if (r->name.empty()) r->name = r->id;
  return ValidateRule(*r);
}

Result<std::vector<BadgeRule>> LoadRules(const toml::table* config, const std::string& origin) {
  std::vector<BadgeRule> rules = DefaultRules();
  if (config == nullptr) return rules;
  const toml::node* node = config->get("badges");
  if (node == nullptr) return rules;
  const toml::array* arr = node->as_array();
  if (arr == nullptr)
    return Status::InvalidArgument(origin + ": badges must be an array of tables ([[badges]])");
  for (size_t i = 0; i < arr->size(); ++i) {
    const toml::table* t = (*arr)[i].as_table();
    std::string where = origin + ":" + std::to_string((*arr)[i].source().begin.line) + ": badges[" +
                        std::to_string(i) + "].";
    if (t == nullptr) return Status::InvalidArgument(where + " must be a table");
    std::string id = (*t)["id"].value_or(std::string());
    BadgeRule r;
    for (const auto& d : rules)
      if (d.id == id) r = d;  // start from the default of the same id
    bool enabled = true;
    Status st = ParseOne(*t, &r, &enabled);
    if (!st.ok()) return Status::InvalidArgument(where + st.message());
    std::erase_if(rules, [&](const BadgeRule& d) { return d.id == r.id; });
    if (enabled) rules.push_back(std::move(r));
  }
  return rules;
}

}  // namespace burnrate::badges
