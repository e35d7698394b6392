// Leaderboard extras over HTTP: badges and profiles (docs/leaderboards.md),
// and the state they share with OTLP ingestion (otlp_routes.cc). Handlers
// translate; the logic lives in the badges and engine layers.
#include <toml++/toml.h>

#include <algorithm>
#include <charconv>

#include "app/app_impl.h"
#include "app/board_state.h"
#include "badges/badges.h"
#include "common/json_writer.h"
#include "common/time_util.h"
#include "detect/detect.h"
#include "model/prompt_features.h"
#include "otlp/otlp.h"

namespace burnrate::app {
namespace {

using http::ErrorResponse;
using http::Request;
using http::Respond;
using http::Response;
using http::Role;

void WriteAward(JsonWriter& w, const badges::Award& a, const std::string& subject,
                const std::vector<badges::BadgeRule>* rules = nullptr) {
  w.BeginObject().Key("badge").String(a.badge);
  if (rules) {
    for (const auto& r : *rules)
      if (r.id == a.badge) w.Key("name").String(r.name).Key("description").String(r.description);
  }
  w.Key("entity").String(a.entity).Key("subject").String(subject);
  w.Key("period").String(a.period).Key("awarded_at").String(FormatRfc3339(a.awarded_at));
  w.Key("updated_at").String(FormatRfc3339(a.updated_at)).Key("value").Double(a.value);
  w.Key("evidence").Raw(a.evidence.empty() ? "{}" : a.evidence).EndObject();
}

void WriteRule(JsonWriter& w, const badges::BadgeRule& r) {
  w.BeginObject()
      .Key("id")
      .String(r.id)
      .Key("name")
      .String(r.name)
      .Key("description")
      .String(r.description);
  w.Key("entity")
      .String(engine::EntityName(r.entity))
      .Key("metric")
      .String(badges::RuleMetricName(r.metric));
  w.Key("window").String(engine::WindowName(r.window));
  if (r.threshold > 0) w.Key("threshold").Double(r.threshold);
  if (r.top_n > 0) w.Key("top_n").Int(r.top_n);
  if (r.top_percent > 0) w.Key("top_percent").Double(r.top_percent);
  w.Key("min_volume")
      .Int(r.min_volume)
      .Key("disqualify_flagged")
      .Bool(r.disqualify_flagged)
      .EndObject();
}

void WriteRank(JsonWriter& w, const engine::BoardEntry& r) {
  if (r.rank == 0) {
    w.Null();
    return;
  }
  w.BeginObject().Key("rank").Int(r.rank).Key("prev_rank");
  if (r.prev_rank > 0)
    w.Int(r.prev_rank);
  else
    w.Null();
  w.Key("percentile").Double(r.percentile).EndObject();
}

}  // namespace

Status ConfigureBoardEngine(const Config& cfg, engine::EngineOptions* eo) {
  if (!cfg.toml) return Status::OK();
  const toml::table& t = *cfg.toml;
  if (auto w = t.at_path("outcomes.weights").as_table()) {
    for (const auto& [k, v] : *w) {
      auto d = v.value<double>();
      if (!d || *d < 0) {
        return Status::InvalidArgument(cfg.config_path + ": outcomes.weights." +
                                       std::string(k.str()) + " must be a number >= 0");
      }
      eo->outcome_weights[std::string(k.str())] = *d;
    }
  }
  if (auto v = t.at_path("efficiency.min_tokens").value<int64_t>()) eo->efficiency_min_tokens = *v;
  // Badge rules are loaded when routes register; a bad rule fails start-up here.
  BR_RETURN_IF_ERROR(badges::LoadRules(&t, cfg.config_path).status());
  if (auto v = t.at_path("efficiency.prior_mtokens").value<double>()) {
    if (*v < 0)
      return Status::InvalidArgument(cfg.config_path + ": efficiency.prior_mtokens must be >= 0");
    eo->efficiency_prior_mtokens = *v;
  }
  return Status::OK();
}

// long: one JSON document written in the order of docs/leaderboards.md
// ("Profiles"); each block is a field of the answer.
std::string App::Impl::ProfileJson(engine::Entity e, const engine::Profile& p) {
  bool alias = cfg.pseudonymous && e == engine::Entity::kUser;
  JsonWriter w;
  w.BeginObject()
      .Key("entity")
      .String(engine::EntityName(e))
      .Key("id")
      .String(alias ? Alias(p.id) : p.id);
  if (!p.team.empty()) w.Key("team").String(p.team);
  if (!p.org.empty()) w.Key("org").String(p.org);
  w.Key("timezone").String(cfg.timezone);
  w.Key("windows").BeginObject();
  for (engine::Window win : engine::kAllWindows) {
    w.Key(engine::WindowName(win)).BeginObject();
    WriteCounters(w, p.windows[int(win)]);
    static constexpr engine::Metric kRanked[] = {engine::Metric::kTokens, engine::Metric::kValue,
                                                 engine::Metric::kEfficiency,
                                                 engine::Metric::kHonest};
    auto ranks = engine->Ranks(e, win, p.id, kRanked);
    w.Key("efficiency");
    if (ranks.ok() && (*ranks)[2].rank > 0)
      w.Double((*ranks)[2].efficiency);
    else
      w.Null();
    w.Key("ranks").BeginObject();
    for (size_t k = 0; k < 4; ++k) {
      w.Key(engine::MetricName(kRanked[k]));
      if (ranks.ok())
        WriteRank(w, (*ranks)[k]);
      else
        w.Null();
    }
    w.EndObject().EndObject();
  }
  w.EndObject();
  w.Key("models").BeginArray();
  for (const auto& [model, c] : p.by_model) {
    w.BeginObject().Key("model").String(model);
    WriteCounters(w, c);
    w.EndObject();
  }
  w.EndArray().Key("outcomes").BeginObject();  // kind -> amount, all time
  for (const auto& o : p.outcomes) w.Key(o.kind).Double(o.amount);
  w.EndObject().Key("outcome_kinds").BeginArray();
  for (const auto& o : p.outcomes) {
    w.BeginObject()
        .Key("kind")
        .String(o.kind)
        .Key("events")
        .Int(o.events)
        .Key("amount")
        .Double(o.amount)
        .EndObject();
  }
  w.EndArray();
  if (e == engine::Entity::kUser) {
    w.Key("session_count").Int(p.sessions);
    for (const char* key :
         {"longest_sessions", "recent_sessions"}) {  // the dashboard reads the latter
      w.Key(key).BeginArray();
      for (const auto& s : p.longest_sessions) {
        w.BeginObject().Key("session").String(s.session).Key("start").String(
            FormatRfc3339(s.start));
        w.Key("end")
            .String(FormatRfc3339(s.end))
            .Key("hours")
            .Double(double(s.Span()) / double(kHourMs))
            .EndObject();
      }
      w.EndArray();
    }
    w.Key("streak").BeginObject().Key("days").Int(p.streak.days);
    if (p.streak.days > 0) {
      w.Key("first_day").String(engine->options().tz.FormatLocalDate(p.streak.first_day));
      w.Key("last_day").String(engine->options().tz.FormatLocalDate(p.streak.last_day));
    }
    w.EndObject();
  } else {
    w.Key("members").BeginArray();
    for (const auto& m : p.members) w.String(cfg.pseudonymous ? Alias(m) : m);
    w.EndArray();
  }
  w.Key("badges").BeginArray();
  if (board->badges) {
    badges::AwardQuery q;
    q.subject = p.id, q.limit = 100;
    if (auto awards = board->badges->Awards(q); awards.ok()) {
      for (const auto& a : *awards)
        if (a.entity == engine::EntityName(e)) {
          WriteAward(w, a, alias ? Alias(a.subject) : a.subject, &board->badges->rules());
        }
    }
  }
  w.EndArray().Key("rank_history").BeginArray();
  if (board->badges) {
    if (auto h = board->badges->RankHistory(e, p.id, 30); h.ok()) {
      for (const auto& r : *h) {
        w.BeginObject().Key("day").String(r.day).Key("metric").String(r.metric).Key("rank").Int(
            r.rank);
        w.Key("of").Int(r.of).Key("value").Double(r.value).EndObject();
      }
    }
  }
  w.EndArray().EndObject();
  return w.Take();
}

void App::Impl::WriteHeldBadges(JsonWriter& w, engine::Entity e, const std::string& id) const {
  w.Key("badges").BeginArray();
  if (board && board->badges) {
    for (const badges::BadgeRule* r : board->badges->Holding(e, id)) {
      w.BeginObject().Key("id").String(r->id).Key("name").String(r->name).EndObject();
    }
  }
  w.EndArray();
}

void App::Impl::StartBadges() {
  auto rules = badges::LoadRules(cfg.toml.get(), cfg.config_path);
  Result<std::unique_ptr<badges::BadgeService>> svc = rules.status();
  if (rules.ok()) {
    auto badge_store = OpenBadgeStore(cfg.db_path);
    svc = badge_store.ok() ? badges::BadgeService::Open(std::move(*badge_store), std::move(*rules),
                                                        *engine, *clock)
                           : Result<std::unique_ptr<badges::BadgeService>>(badge_store.status());
  }
  if (!svc.ok()) {
    board->badges_error = svc.status().message();
    return;
  }
  board->badges = std::move(*svc);
  if (cfg.toml) {
    if (auto v = cfg.toml->at_path("badge_evaluation.interval_seconds").value<double>();
        v && *v > 0) {
      board->evaluate_ms = TimeMs(*v * 1000);
    }
    if (auto v = cfg.toml->at_path("badge_evaluation.rank_snapshot_seconds").value<double>();
        v && *v > 0) {
      board->snapshot_ms = TimeMs(*v * 1000);
    }
  }
  BoardState* b = board.get();
  board->worker = std::thread([b] { b->Run(); });
}

void App::Impl::RegisterBoardRoutes() {
  otlp::ReceiverOptions ro;
  if (detection->config().prompt_features) ro.prompt_features = model::ComputePromptFeatures;
  board = std::make_shared<BoardState>(std::move(ro));
  auto otlp_store = OpenOtlpStateStore(cfg.db_path);
  Status attached = otlp_store.ok()
                        ? board->otlp.AttachStore(std::move(*otlp_store), clock->NowMs())
                        : otlp_store.status();
  if (!attached.ok()) {
    board->otlp_error = attached.message();  // OTLP then answers 503
  }
  StartBadges();
  RegisterOtlpRoutes();
  router.AddSync("GET", "/v1/badges", Role::kSelf, [this](Request& r) {
    if (!board->badges)
      return ErrorResponse(Status::Unavailable("badges are unavailable: " + board->badges_error));
    badges::AwardQuery q;
    q.subject = std::string(r.Query("user"));
    q.badge = std::string(r.Query("badge"));
    auto limit = r.Query("limit", "200");
    int64_t n = 0;
    auto res = std::from_chars(limit.data(), limit.data() + limit.size(), n);
    if (res.ec != std::errc() || res.ptr != limit.data() + limit.size() || n < 1 || n > 10000) {
      return ErrorResponse(Status::InvalidArgument("limit must be an integer in [1, 10000]"),
                           "limit");
    }
    q.limit = size_t(n);
    auto awards = board->badges->Awards(q);
    if (!awards.ok()) return ErrorResponse(awards.status());
    JsonWriter w;
    w.BeginObject().Key("rules").BeginArray();
    for (const auto& rule : board->badges->rules()) WriteRule(w, rule);
    w.EndArray().Key("awards").BeginArray();
    for (const auto& a : *awards) {
      bool alias = cfg.pseudonymous && a.entity == "user";
      WriteAward(w, a, alias ? Alias(a.subject) : a.subject, &board->badges->rules());
    }
    badges::EvalStats st = board->badges->stats();
    w.EndArray().Key("evaluation").BeginObject().Key("last_ms").Double(st.last_ms);
    w.Key("awarded_new").Int(st.awarded_new).Key("updated").Int(st.updated).EndObject();
    w.EndObject();
    return Response::Json(w.Take());
  });
  for (engine::Entity e : {engine::Entity::kUser, engine::Entity::kTeam}) {
    bool user = e == engine::Entity::kUser;
    router.AddSync("GET", user ? "/v1/users/{id}" : "/v1/teams/{id}",
                   user ? Role::kSelf : Role::kViewer, [this, e, user](Request& r) {
                     const std::string& id = r.params["id"];
                     if (user && r.role == Role::kSelf && r.principal != id) {
                       return ErrorResponse(
                           Status::PermissionDenied("a self key may only read its own profile"));
                     }
                     auto p = engine->GetProfile(e, id);
                     if (!p.ok()) return ErrorResponse(p.status(), "id");
                     return Response::Json(ProfileJson(e, *p));
                   });
  }
}

}  // namespace burnrate::app
