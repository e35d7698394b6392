// The HTTP API (docs/http-api.md): request parsing and JSON answers. Logic
// lives in the layers; these handlers translate.
#include <cstring>

#include "app/app_impl.h"
#include "common/hash.h"
#include "common/json_writer.h"
#include "common/time_util.h"
#include "http/static_files.h"

namespace burnrate::app {

void WriteCounters(JsonWriter& w, const engine::Counters& c) {
  w.Key("input_tokens").Int(c.input);
  w.Key("output_tokens").Int(c.output);
  w.Key("cache_read_tokens").Int(c.cache_read);
  w.Key("cache_write_tokens").Int(c.cache_write);
  w.Key("total_tokens").Int(c.Total());
  w.Key("cost_usd").NanoUsd(c.cost_nanos);
  w.Key("requests").Int(c.requests);
  w.Key("outcomes").Int(c.outcomes);
  w.Key("value").Double(c.value);
  // Value per token: edit decisions and what an outcome costs.
  w.Key("edits_accepted").Int(c.edits_accepted);
  w.Key("edits_rejected").Int(c.edits_rejected);
  w.Key("edit_acceptance");
  if (c.EditAcceptance() >= 0)
    w.Double(c.EditAcceptance());
  else
    w.Null();
  w.Key("cost_per_outcome_usd");
  if (c.outcomes > 0)
    w.Double(double(c.cost_nanos) / 1e9 / double(c.outcomes));
  else
    w.Null();
  w.Key("value_per_mtok");
  if (c.Total() > 0)
    w.Double(c.value / (double(c.Total()) / 1e6));
  else
    w.Null();
  // Part of cost_usd is a family price's estimate, or some tokens had no
  // price at all (docs/pricing.md).
  w.Key("cost_estimated").Bool(c.cost_estimated);
  w.Key("cost_unpriced").Bool(c.cost_unpriced);
}

namespace {

using http::ErrorResponse;
using http::Request;
using http::Response;
using http::Role;

}  // namespace

std::string App::Impl::BoardJson(const engine::Board& b) const {
  JsonWriter w;
  w.BeginObject();
  w.Key("entity").String(engine::EntityName(b.query.entity));
  w.Key("window").String(engine::WindowName(b.query.window));
  w.Key("metric").String(engine::MetricName(b.query.metric));
  w.Key("from").String(b.query.window == engine::Window::kAll ? "" : FormatRfc3339(b.range.from));
  w.Key("to").String(b.query.window == engine::Window::kAll ? "" : FormatRfc3339(b.range.to));
  w.Key("sources").BeginArray();
  for (int s = 0; s < engine::kSourceClasses; ++s)
    if (b.query.sources >> s & 1) w.String(engine::SourceClassName(engine::SourceClass(s)));
  w.EndArray();
  w.Key("total_entries").Int(b.total_entries);
  w.Key("generated_at").String(FormatRfc3339(b.generated_at));
  w.Key("version").Uint(b.version);
  w.Key("entries").BeginArray();
  bool alias = cfg.pseudonymous && b.query.entity == engine::Entity::kUser;
  for (const auto& e : b.entries) {
    w.BeginObject();
    w.Key("rank").Int(e.rank);
    w.Key("prev_rank");
    if (e.prev_rank > 0)
      w.Int(e.prev_rank);
    else
      w.Null();
    w.Key("id").String(alias ? Alias(e.id) : e.id);
    if (!e.team.empty()) w.Key("team").String(e.team);
    if (!e.org.empty()) w.Key("org").String(e.org);
    WriteCounters(w, e.c);
    w.Key("efficiency").Double(e.efficiency);
    w.Key("wasted_tokens").Int(e.wasted_tokens);
    w.Key("percentile").Double(e.percentile);
    w.Key("tokens_by_source").BeginObject();
    for (int s = 0; s < engine::kSourceClasses; ++s)
      w.Key(engine::SourceClassName(engine::SourceClass(s))).Int(e.source_tokens[size_t(s)]);
    w.EndObject();
    WriteHeldBadges(w, b.query.entity, e.id);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return w.Take();
}

// `trusted`: the source classes trusted=1 means (boards.trusted_sources).
static Result<engine::BoardQuery> ParseBoardQuery(const Request& r, engine::SourceMask trusted) {
  engine::BoardQuery q;
  BR_ASSIGN_OR_RETURN(q.entity,
                      WithField(engine::ParseEntity(r.Query("entity", "user")), "entity"));
  BR_ASSIGN_OR_RETURN(q.window, WithField(engine::ParseWindow(r.Query("window", "7d")), "window"));
  BR_ASSIGN_OR_RETURN(q.metric,
                      WithField(engine::ParseMetric(r.Query("metric", "tokens")), "metric"));
  BR_ASSIGN_OR_RETURN(int64_t limit, http::QueryIntIn(r, "limit", 100, 1, 10000));
  BR_ASSIGN_OR_RETURN(int64_t offset, http::QueryIntIn(r, "offset", 0, 0, 100'000'000));
  q.limit = size_t(limit);
  q.offset = size_t(offset);
  q.search = std::string(r.Query("q"));
  BR_ASSIGN_OR_RETURN(q.sources, WithField(engine::ParseSources(r.Query("sources")), "sources"));
  if (q.sources == 0)
    return Status::InvalidArgument("sources must name a source class").WithField("sources");
  std::string_view t = r.Query("trusted");
  if (t == "1") {
    if (!r.Query("sources").empty())
      return Status::InvalidArgument("sources and trusted=1 are exclusive").WithField("trusted");
    q.sources = trusted;
  } else if (!t.empty() && t != "0") {
    return Status::InvalidArgument("trusted must be 0 or 1").WithField("trusted");
  }
  return q;
}

// The answer to POST /v1/events (docs/http-api.md): counts, the first
// rejects in detail and every reject counted by kind, so its size does not
// grow with the body.
static std::string IngestAnswerJson(const ingest::IngestResult& res) {
  JsonWriter w;
  w.BeginObject().Key("accepted").Int(res.accepted).Key("duplicates").Int(res.duplicates);
  w.Key("rejected").BeginArray();
  for (const auto& rej : res.rejected) {
    w.BeginObject().Key("line").Int(rej.line).Key("error").String(rej.error);
    if (!rej.field.empty()) w.Key("field").String(rej.field);
    w.Key("kind").String(ingest::RejectKindName(rej.kind));
    w.EndObject();
  }
  w.EndArray();
  w.Key("rejected_total").Int(res.rejected_total);
  w.Key("rejected_by_error").BeginObject();
  for (size_t k = 0; k < ingest::kRejectKinds; ++k) {
    if (res.rejected_by_kind[k])
      w.Key(ingest::RejectKindName(ingest::RejectKind(k))).Int(res.rejected_by_kind[k]);
  }
  w.EndObject().EndObject();
  return w.Take();
}

// On a pseudonymous board, q= matches aliases only: matching the ids behind
// them would let anyone confirm who an alias is.
void App::Impl::MatchAliases(engine::BoardQuery& q) {
  if (!cfg.pseudonymous || q.entity != engine::Entity::kUser || q.search.empty()) return;
  std::string s = q.search;
  q.match = [this, s](std::string_view id) { return Alias(id).find(s) != std::string::npos; };
  q.search = "alias:" + s;  // keeps live streams with different searches apart
}

Response App::Impl::Readyz() {
  if (!ready) return ErrorResponse(Status::Unavailable("recovering or shutting down"));
  ingest::IngestStats st = ingestor->stats();
  if (!st.commit_failing) return Response::Json("{\"status\":\"ready\"}");
  JsonWriter w;
  w.BeginObject().Key("status").String("degraded");
  w.Key("error").String("event commits are failing: " + st.last_commit_error).EndObject();
  return Response::Json(w.Take(), 503);
}

http::Respond App::Impl::CountIngestResponse(http::Respond respond) {
  return [this, respond = std::move(respond)](Response res) {
    int cls = res.status >= 500 ? 2 : res.status >= 400 ? 1 : 0;
    ingest_responses[size_t(cls)]++;
    respond(std::move(res));
  };
}

void App::Impl::PostEvents(Request& r, http::Respond respond_raw) {
  ingest_requests++;
  http::Respond respond = CountIngestResponse(std::move(respond_raw));
  auto encoding = ingest::ParseEncoding(r.Header("content-encoding"));
  if (!encoding.ok()) return respond(ErrorResponse(encoding.status(), "Content-Encoding"));
  size_t max_decoded =
      *encoding == ingest::Encoding::kIdentity ? SIZE_MAX : size_t(cfg.max_decompressed_bytes);
  ingestor->SubmitBody(
      std::move(r.body), *encoding, max_decoded, [respond](Result<ingest::IngestResult> res) {
        if (!res.ok()) {
          bool body_error = res.status().code() == Status::Code::kInvalidArgument ||
                            res.status().code() == Status::Code::kTooLarge;
          return respond(ErrorResponse(res.status(), body_error ? "Content-Encoding" : ""));
        }
        respond(Response::Json(IngestAnswerJson(*res)));
      });
}

Response App::Impl::GetLeaderboard(Request& r) {
  auto q = ParseBoardQuery(r, cfg.trusted_sources);
  if (!q.ok()) return ErrorResponse(q.status());
  MatchAliases(*q);
  auto b = engine->Leaderboard(*q);
  if (!b.ok()) return ErrorResponse(b.status());
  return Response::Json(BoardJson(*b));
}

Response App::Impl::StreamLeaderboard(Request& r) {
  auto q = ParseBoardQuery(r, cfg.trusted_sources);
  if (!q.ok()) return ErrorResponse(q.status());
  MatchAliases(*q);
  auto b = engine->Leaderboard(*q);
  std::string first = b.ok() ? BoardJson(*b) : "{}";
  uint64_t v = b.ok() ? b->version : 0;
  std::string key_hash = r.caller.key_hash;  // set by the Router from the key it authenticated
  return Response::Stream([this, q = *q, first, v, key_hash](std::shared_ptr<http::SseChannel> ch) {
    ch->Send("leaderboard", first);
    std::lock_guard lock(subs_mu);
    subs.push_back({std::move(ch), key_hash, q, v});
  });
}

Response App::Impl::GetUsage(engine::Entity ent, Request& r) {
  const std::string& user = r.params["id"];  // the entity's id
  if (r.role == Role::kSelf && r.principal != user) {
    return ErrorResponse(Status::PermissionDenied("a self key may only read its own usage"));
  }
  TimeMs now = clock->NowMs();
  auto from = http::QueryTime(r, "from", now - 7 * kDayMs);
  if (!from.ok()) return ErrorResponse(from.status());
  auto to = http::QueryTime(r, "to", now + kHourMs);
  if (!to.ok()) return ErrorResponse(to.status());
  auto gran = r.Query("granularity", "hour");
  if (gran != "hour" && gran != "day") {
    return ErrorResponse(Status::InvalidArgument("granularity must be hour or day"), "granularity");
  }
  auto s = engine->Usage(ent, user, {*from, *to},
                         gran == "day" ? engine::Granularity::kDay : engine::Granularity::kHour);
  if (!s.ok()) return ErrorResponse(s.status());
  JsonWriter w;
  w.BeginObject()
      .Key(engine::EntityName(ent))
      .String(user)
      .Key("team")
      .String(s->team)
      .Key("org")
      .String(s->org);
  w.Key("granularity")
      .String(gran)
      .Key("from")
      .String(FormatRfc3339(*from))
      .Key("to")
      .String(FormatRfc3339(*to));
  w.Key("series").BeginArray();
  for (const auto& p : s->points) {
    w.BeginObject().Key("t").String(FormatRfc3339(p.t));
    WriteCounters(w, p.c);
    w.EndObject();
  }
  w.EndArray();
  w.Key("totals").BeginObject();
  WriteCounters(w, s->totals);
  w.EndObject();
  w.Key("by_model").BeginArray();
  for (const auto& [m, c] : s->by_model) {
    w.BeginObject().Key("model").String(m);
    WriteCounters(w, c);
    w.EndObject();
  }
  w.EndArray().EndObject();
  return Response::Json(w.Take());
}

Response App::Impl::GetOverview(Request& r) {
  auto days = http::QueryIntIn(r, "days", 30, 1, 366);
  if (!days.ok()) return ErrorResponse(days.status());
  TimeMs now = clock->NowMs();
  // Estimated waste: flagged tokens that count against their users
  // (high confidence or confirmed), by the flag's local date.
  std::unordered_map<std::string, int64_t> waste_by_date;
  int64_t today = detection->DayOf(now);
  for (const auto& f : detection->flags().List(today - *days, today))
    if (f.CountsAsWaste()) waste_by_date[f.date] += f.wasted_tokens;
  JsonWriter w;
  w.BeginObject().Key("timezone").String(cfg.timezone).Key("days").BeginArray();
  engine::Counters total;
  int64_t total_waste = 0;
  for (const auto& d : engine->Daily(int(*days))) {
    std::string date = engine->options().tz.FormatLocalDate(d.day);
    auto waste = waste_by_date.find(date.substr(0, 10));
    int64_t wasted = waste == waste_by_date.end() ? 0 : waste->second;
    w.BeginObject().Key("date").String(date);
    WriteCounters(w, d.c);
    w.Key("active_users").Int(d.active_users).Key("wasted_tokens").Int(wasted).EndObject();
    total += d.c;
    total_waste += wasted;
  }
  w.EndArray();
  w.Key("top_models").BeginArray();
  for (const auto& [m, c] : engine->TopModels({now - *days * kDayMs, now + kHourMs}, 10)) {
    w.BeginObject().Key("model").String(m);
    WriteCounters(w, c);
    w.EndObject();
  }
  w.EndArray();
  w.Key("totals").BeginObject();
  WriteCounters(w, total);
  w.Key("wasted_tokens").Int(total_waste).EndObject();
  w.Key("users").Int(int64_t(engine->entity_count(engine::Entity::kUser)));
  w.EndObject();
  return Response::Json(w.Take());
}

Response App::Impl::GetIdentity() {
  JsonWriter w;
  w.BeginArray();
  for (const auto& m : identity.List()) {
    w.BeginObject()
        .Key("user")
        .String(m.user)
        .Key("team")
        .String(m.team)
        .Key("org")
        .String(m.org)
        .EndObject();
  }
  w.EndArray();
  return Response::Json(w.Take());
}

Response App::Impl::PostIdentity(Request& r) {
  bool csv = r.Header("content-type").find("csv") != std::string_view::npos;
  Status st = csv ? identity.LoadCsv(r.body, "body") : identity.LoadJson(r.body, "body");
  if (!st.ok()) return ErrorResponse(st, "body");
  return Response::Json("{\"users\":" + std::to_string(identity.size()) + "}");
}

Response App::Impl::CreateKey(Request& r) {
  auto q = http::ParseQuery(r.body);  // role=..&label=..&user=.. or query string
  for (auto& [k, v] : r.query) q.emplace(k, v);
  auto secret = CreateApiKey(*store, q["role"], q["label"], q["user"], clock->NowMs(), q["team"],
                             q["project"]);
  if (!secret.ok()) return ErrorResponse(secret.status(), "role");
  Status logged =
      audit->AppendDurable({.actor = r.principal,
                            .action = "key.create",
                            .subject = "role:" + q["role"],
                            .reason = q["label"].empty() ? "created over the API" : q["label"],
                            .detail = ""});
  if (!logged.ok()) return ErrorResponse(logged);
  JsonWriter w;
  w.BeginObject().Key("key").String(*secret).Key("role").String(q["role"]).EndObject();
  return Response::Json(w.Take(), 201);
}

Response App::Impl::ListKeys() {
  auto keys = store->ListKeys();
  if (!keys.ok()) return ErrorResponse(keys.status());
  JsonWriter w;
  w.BeginArray();
  for (const auto& k : *keys) {
    w.BeginObject().Key("id").String(k.id).Key("role").String(k.role).Key("label").String(k.label);
    w.Key("user")
        .String(k.user)
        .Key("created")
        .String(FormatRfc3339(k.created))
        .Key("revoked")
        .Bool(k.revoked);
    w.EndObject();
  }
  w.EndArray();
  return Response::Json(w.Take());
}

Response App::Impl::RevokeKey(Request& r) {
  Status st = store->RevokeKey(r.params["id"]);
  if (!st.ok()) return ErrorResponse(st, "id");
  keys->Invalidate();
  Status logged = audit->AppendDurable({.actor = r.principal,
                                        .action = "key.revoke",
                                        .subject = "key:" + r.params["id"],
                                        .reason = "revoked over the API",
                                        .detail = ""});
  if (!logged.ok()) return ErrorResponse(logged);
  return Response::Json("{\"revoked\":true}");
}

// Liveness, readiness and metrics: served by `burnrate gateway` too.
void App::Impl::RegisterHealthRoutes() {
  router.AddSync("GET", "/healthz", Role::kNone,
                 [](Request&) { return Response::Json("{\"status\":\"ok\"}"); });
  // Ready, or 503: recovering, shutting down, or degraded while commits
  // fail (a full disk), so a load balancer sends ingest elsewhere.
  router.AddSync("GET", "/readyz", Role::kNone, [this](Request&) { return Readyz(); });
  router.AddSync("GET", "/metrics", Role::kViewer, [this](Request&) {
    return Response::Text(MetricsText(), "text/plain; version=0.0.4; charset=utf-8");
  });
}

// The route table of this module: each route names its handler above.
void App::Impl::RegisterRoutes() {
  // A gateway's bring-your-own provider key ([[gateway.passthrough]]) is
  // tried first; it has role gateway, so it opens the provider endpoints only.
  // The key is hashed once for both lookups.
  router.SetCallerAuthenticator([this](std::string_view key) -> Result<http::Caller> {
    std::string hash = Sha256Hex(key);
    if (gateway && gateway->has_passthrough())
      if (std::optional<http::Caller> c = gateway->PassthroughCallerByHash(hash))
        return std::move(*c);
    return keys->AuthenticateHash(hash);
  });
  RegisterHealthRoutes();
  if (cfg.gateway_only) return;  // `burnrate gateway`: the provider endpoints only
  RegisterBoardRoutes();
  RegisterPriceRoutes();

  router.AddSync("GET", "/v1/whoami", Role::kAnyKey, [](Request& r) {
    JsonWriter w;
    w.BeginObject()
        .Key("role")
        .String(http::RoleName(r.role))
        .Key("principal")
        .String(r.principal)
        .EndObject();
    return Response::Json(w.Take());
  });

  // Decoding and parsing run on the ingestor's parse pool: this I/O thread
  // only checks the encoding and hands the body over.
  router.Add("POST", "/v1/events", Role::kIngest,
             [this](Request& r, http::Respond respond) { PostEvents(r, std::move(respond)); });

  router.AddSync("GET", "/v1/leaderboard", Role::kSelf,
                 [this](Request& r) { return GetLeaderboard(r); });

  router.AddStream("GET", "/v1/stream/leaderboard", Role::kSelf,
                   [this](Request& r) { return StreamLeaderboard(r); });

  for (engine::Entity ent : {engine::Entity::kUser, engine::Entity::kTeam, engine::Entity::kOrg,
                             engine::Entity::kProject, engine::Entity::kModel}) {
    std::string path = std::string("/v1/") + engine::EntityName(ent) + "s/{id}/usage";
    router.AddSync("GET", path, ent == engine::Entity::kUser ? Role::kSelf : Role::kViewer,
                   [this, ent](Request& r) { return GetUsage(ent, r); });
  }

  router.AddSync("GET", "/v1/overview", Role::kViewer,
                 [this](Request& r) { return GetOverview(r); });

  router.AddSync("GET", "/v1/identity", Role::kViewer, [this](Request&) { return GetIdentity(); });
  router.AddSync("POST", "/v1/identity", Role::kAdmin,
                 [this](Request& r) { return PostIdentity(r); });

  router.AddSync("POST", "/v1/keys", Role::kAdmin, [this](Request& r) { return CreateKey(r); });
  router.AddSync("GET", "/v1/keys", Role::kAdmin, [this](Request&) { return ListKeys(); });
  router.AddSync("DELETE", "/v1/keys/{id}", Role::kAdmin,
                 [this](Request& r) { return RevokeKey(r); });

  governor->RegisterRoutes(router);
  detection->RegisterRoutes(router);

  // The dashboard: compiled into the binary, or from disk with --web-dir
  // (development), with a fallback to index.html for client-side routes.
  auto files = cfg.web_dir.empty()
                   ? std::make_shared<http::StaticFiles>(http::EmbeddedDashboard())
                   : std::make_shared<http::StaticFiles>(std::filesystem::path(cfg.web_dir));
  router.SetFallback([files](Request& r, http::Respond respond) { respond(files->Serve(r)); });
}

}  // namespace burnrate::app
