// HTTP endpoints and Prometheus metrics of the governance layer.
//
// Roles: check and settle are called in-line by proxies and agents with an
// ingest key (admin works too); reading policies, quotas and allowances
// needs viewer (a self key sees only its own allowance); changing policies,
// throttling users and reading the audit and delivery logs needs admin.
#include <fmt/format.h>

#include <optional>

#include "common/json_writer.h"
#include "govern/check_json.h"
#include "govern/governor.h"
#include "govern/limit_keys.h"
#include "http/http.h"

namespace burnrate::govern {

namespace {

using http::Request;
using http::Response;
using http::Role;

std::string PoliciesJson(const std::vector<Policy>& ps) {
  std::string out = "{\"policies\":[";
  for (size_t i = 0; i < ps.size(); ++i) out += (i ? "," : "") + ps[i].ToJson();
  return out + "]}";
}

// The paging filters shared by the audit and delivery routes: from, to
// (RFC 3339 or epoch ms), limit (1..10000, default 100), before_id. On bad
// input, the 400 answer naming the field.
struct Page {
  TimeMs from = 0, to = 0;
  int limit = 100;
  int64_t before_id = 0;
};
std::optional<Response> ParsePage(const Request& req, Page* p) {
  auto from = http::QueryRfc3339(req, "from", 0);
  if (!from.ok()) return http::ErrorResponse(from.status());
  auto to = http::QueryRfc3339(req, "to", 0);
  if (!to.ok()) return http::ErrorResponse(to.status());
  auto limit = http::QueryInt(req, "limit", 100);
  if (!limit.ok() || *limit < 1 || *limit > 10000)
    return http::ErrorResponse(Status::InvalidArgument("limit: want 1..10000").WithField("limit"));
  auto before = http::QueryInt(req, "before_id", 0);
  if (!before.ok()) return http::ErrorResponse(before.status());
  *p = {*from, *to, static_cast<int>(*limit), *before};
  return std::nullopt;
}

Response AuditResponse(AuditLog& audit, const Request& req) {
  AuditFilter f;
  f.actor = req.Query("actor"), f.action = req.Query("action"), f.subject = req.Query("subject");
  Page page;
  if (auto bad = ParsePage(req, &page)) return *bad;
  f.from = page.from, f.to = page.to, f.limit = page.limit, f.before_id = page.before_id;
  auto rows = audit.Query(f);
  if (!rows.ok()) return http::ErrorResponse(rows.status());
  JsonWriter w;
  w.BeginObject().Key("entries").BeginArray();
  for (const AuditEntry& e : *rows) {
    w.BeginObject();
    w.Key("id").Int(e.id).Key("ts").String(FormatRfc3339(e.ts));
    w.Key("actor").String(e.actor).Key("action").String(e.action).Key("subject").String(e.subject);
    w.Key("reason").String(e.reason).Key("detail");
    if (e.detail.empty())
      w.Null();
    else
      w.Raw(e.detail);
    w.EndObject();
  }
  w.EndArray().EndObject();
  return Response::Json(w.Take());
}

// GET /v1/alerts/deliveries?state=&kind=&subject=&from=&to=&before_id=&limit=
Response DeliveriesResponse(Alerter* alerter, const Request& req) {
  DeliveryFilter f;
  f.state = req.Query("state"), f.kind = req.Query("kind"), f.subject = req.Query("subject");
  if (!f.state.empty() && f.state != "pending" && f.state != "delivered" && f.state != "failed")
    return http::ErrorResponse(Status::InvalidArgument("state: want pending, delivered or failed"),
                               "state");
  Page page;
  if (auto bad = ParsePage(req, &page)) return *bad;
  f.from = page.from, f.to = page.to, f.limit = page.limit, f.before_id = page.before_id;
  std::vector<DeliveryRecord> rows;
  if (alerter) {
    auto r = alerter->Deliveries(f);
    if (!r.ok()) return http::ErrorResponse(r.status());
    rows = std::move(*r);
  }
  JsonWriter w;
  w.BeginObject().Key("deliveries").BeginArray();
  for (const DeliveryRecord& d : rows) {
    w.BeginObject().Key("id").Int(d.id).Key("state").String(d.state);
    w.Key("kind").String(d.kind).Key("policy").String(d.policy).Key("subject").String(d.subject);
    w.Key("pct")
        .Int(d.pct)
        .Key("text")
        .String(d.text)
        .Key("alert_ts")
        .String(FormatRfc3339(d.alert_ts));
    w.Key("url").String(d.url).Key("format").String(d.slack ? "slack" : "json");
    w.Key("attempts")
        .Int(d.attempts)
        .Key("status")
        .Int(d.status)
        .Key("last_error")
        .String(d.last_error);
    w.Key("created")
        .String(FormatRfc3339(d.created))
        .Key("updated")
        .String(FormatRfc3339(d.updated));
    w.EndObject();
  }
  w.EndArray().EndObject();
  return Response::Json(w.Take());
}

// Prometheus label values escape backslash, quote and newline.
std::string Label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"')
      out += '\\', out += c;
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

}  // namespace

// long: the route table of the governance API; each handler is a few lines
// that parse (check_json.h), call one Governor method and answer.
void Governor::RegisterRoutes(http::Router& r) {
  r.AddSync("POST", "/v1/check", Role::kIngest, [this](Request& req) {
    CheckRequest c;
    Status s = ParseCheckJson(req.body, c);
    if (!s.ok()) return http::ErrorResponse(s);
    c.actor = req.principal;
    auto res = Check(c);
    if (!res.ok()) return http::ErrorResponse(res.status());
    return Response::Json(CheckResultJson(*res));
  });
  r.AddSync("POST", "/v1/settle", Role::kIngest, [this](Request& req) {
    SettleRequest sr;
    Status s = ParseSettleJson(req.body, sr);
    if (s.ok()) s = Settle(sr);
    if (!s.ok()) return http::ErrorResponse(s);
    return Response::Json(R"({"settled":true})");
  });
  r.AddSync("GET", "/v1/allowance", Role::kSelf, [this](Request& req) {
    CheckRequest who;
    who.user = req.role == Role::kSelf ? req.principal : std::string(req.Query("user"));
    who.team = req.Query("team"), who.org = req.Query("org"), who.project = req.Query("project");
    who.key = req.Query("api_key"), who.model = req.Query("model");
    if (req.role == Role::kSelf)
      who.team.clear(), who.org.clear(), who.key.clear();  // own, resolved
    return Response::Json(AllowanceJson(who));
  });
  r.AddSync("GET", "/v1/quota", Role::kViewer, [this](Request&) {
    QuotaView v = Quota();
    JsonWriter w;
    w.BeginObject().Key("org").String(v.org).Key("unit").String(UnitName(v.unit));
    w.Key("capacity").Int(v.capacity).Key("computed_at").String(FormatRfc3339(v.computed_at));
    w.Key("period_start")
        .String(FormatRfc3339(v.period_start))
        .Key("period_end")
        .String(FormatRfc3339(v.period_end));
    w.Key("projects").BeginArray();
    for (const auto& p : v.projects) {
      w.BeginObject().Key("project").String(p.name).Key("weight").Double(p.weight);
      w.Key("used").Int(p.used).Key("demand").Int(p.demand).Key("fair_share").Int(p.fair_share);
      w.Key("allowance").Int(p.allowance).Key("why").String(p.why).EndObject();
    }
    w.EndArray().EndObject();
    return Response::Json(w.Take());
  });
  r.AddSync("GET", "/v1/policies", Role::kViewer,
            [this](Request&) { return Response::Json(PoliciesJson(policies().List())); });
  r.AddSync("GET", "/v1/policies/{id}", Role::kViewer, [this](Request& req) {
    auto p = policies().Get(req.params["id"]);
    auto h = policies().History(req.params["id"]);
    if (!p.ok() && (!h.ok() || h->empty())) return http::ErrorResponse(p.status(), "id");
    std::string out =
        "{\"policy\":" + (p.ok() ? p->ToJson() : std::string("null")) + ",\"history\":[";
    if (h.ok()) {
      for (size_t i = 0; i < h->size(); ++i) {
        const PolicyVersion& v = (*h)[i];
        out += fmt::format("{}{{\"version\":{},\"ts\":\"{}\",\"deleted\":{},\"body\":{}}}",
                           i ? "," : "", v.version, FormatRfc3339(v.ts),
                           v.deleted ? "true" : "false", v.body);
      }
    }
    return Response::Json(out + "]}");
  });
  auto upsert = [this](Request& req, bool must_exist) {
    auto p = PolicyFromJson(req.body);
    if (!p.ok()) return http::ErrorResponse(p.status());
    if (must_exist && p->id != req.params["id"]) {
      if (p->id.empty() || p->id == "")
        p->id = req.params["id"];
      else
        return http::ErrorResponse(Status::InvalidArgument("id: does not match the URL"), "id");
    }
    auto saved = policies().Upsert(*p, req.principal, must_exist);
    if (!saved.ok()) return http::ErrorResponse(saved.status(), "id");
    return Response::Json(saved->ToJson(), must_exist ? 200 : 201);
  };
  r.AddSync("POST", "/v1/policies", Role::kAdmin,
            [upsert](Request& req) { return upsert(req, false); });
  r.AddSync("PUT", "/v1/policies/{id}", Role::kAdmin,
            [upsert](Request& req) { return upsert(req, true); });
  r.AddSync("DELETE", "/v1/policies/{id}", Role::kAdmin, [this](Request& req) {
    Status s = policies().Delete(req.params["id"], req.principal);
    if (!s.ok()) return http::ErrorResponse(s, "id");
    return Response::Json(R"({"deleted":true})");
  });
  r.AddSync("POST", "/v1/throttle", Role::kAdmin, [this](Request& req) {
    std::string user, reason;
    int64_t level = -1;
    Status st = ParseThrottleJson(req.body, user, level, reason);
    if (!st.ok()) return http::ErrorResponse(st);
    SetThrottle(user, static_cast<int>(level), reason.empty() ? "set by admin" : reason,
                req.principal);
    JsonWriter w;
    w.BeginObject().Key("user").String(user).Key("level").Int(level).EndObject();
    return Response::Json(w.Take());
  });
  r.AddSync("GET", "/v1/audit", Role::kAdmin,
            [this](Request& req) { return AuditResponse(audit_, req); });
  r.AddSync("GET", "/v1/alerts/deliveries", Role::kAdmin,
            [this](Request& req) { return DeliveriesResponse(alerter_, req); });
}

void Governor::AppendMetrics(std::string& out) {
  const TimeMs now = clock_.NowMs();
  auto s = Snapshot();
  std::vector<std::string> teams;
  std::vector<std::pair<std::string, uint64_t>> denials;
  {
    std::lock_guard<std::mutex> l(misc_mu_);
    teams.assign(seen_teams_.begin(), seen_teams_.end());
    denials.assign(denials_.begin(), denials_.end());
  }
  out +=
      "# HELP burnrate_budget_remaining Remaining budget (tokens, or USD) per policy and "
      "subject.\n";
  out += "# TYPE burnrate_budget_remaining gauge\n";
  for (const Policy& p : s->policies) {
    if (p.kind != PolicyKind::kBudget || p.scope == ScopeKind::kUser || p.scope == ScopeKind::kKey)
      continue;
    std::vector<std::string> subjects;
    if (p.subject != "*")
      subjects.push_back(p.subject);
    else if (p.scope == ScopeKind::kTeam)
      subjects = teams;
    for (const std::string& subj : subjects) {
      WindowSpec w = WindowFor(p.period, p.window_ms, s->settings.tz, now);
      BudgetState b = store_->Read(limit_key::Budget(p.id, subj), w, now);
      double rem = double(std::max<int64_t>(0, p.limit - b.used - b.reserved));
      if (p.unit == Unit::kNanoUsd) rem /= 1e9;
      out += fmt::format("burnrate_budget_remaining{{policy=\"{}\",{}=\"{}\",unit=\"{}\"}} {}\n",
                         Label(p.id), ScopeName(p.scope), Label(subj), UnitName(p.unit), rem);
    }
  }
  out +=
      "# HELP burnrate_governance_denials_total Denied or throttled checks per policy and team.\n";
  out += "# TYPE burnrate_governance_denials_total counter\n";
  for (const auto& [k, n] : denials) {
    size_t bar = k.rfind('|');
    out += fmt::format("burnrate_governance_denials_total{{policy=\"{}\",team=\"{}\"}} {}\n",
                       Label(k.substr(0, bar)), Label(k.substr(bar + 1)), n);
  }
  out += "# TYPE burnrate_governance_checks_total counter\n";
  out +=
      fmt::format("burnrate_governance_checks_total{{decision=\"allow\"}} {}\n", allowed_.load());
  out += fmt::format("burnrate_governance_checks_total{{decision=\"throttle\"}} {}\n",
                     throttled_.load());
  out += fmt::format("burnrate_governance_checks_total{{decision=\"deny\"}} {}\n", denied_.load());
  out += "# TYPE burnrate_governance_limit_store_errors_total counter\n";
  out += fmt::format("burnrate_governance_limit_store_errors_total {}\n", store_errors_.load());
  out += "# TYPE burnrate_governance_reservations_expired_total counter\n";
  out += fmt::format("burnrate_governance_reservations_expired_total {}\n", expired_.load());
  out += "# TYPE burnrate_governance_reservations_outstanding gauge\n";
  out +=
      fmt::format("burnrate_governance_reservations_outstanding {}\n", outstanding_reservations());
  out += "# TYPE burnrate_audit_dropped_total counter\n";
  out += fmt::format("burnrate_audit_dropped_total {}\n", audit_.dropped());
}

}  // namespace burnrate::govern
