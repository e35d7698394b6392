#include "govern/check_json.h"

#include <simdjson.h>

#include <cmath>

#include "common/json_writer.h"
#include "common/strings.h"
#include "common/time_util.h"

namespace burnrate::govern {

namespace {

Status Bad(const char* name, const char* msg) {
  return Status::InvalidArgument(std::string(name) + ": " + msg).WithField(name);
}

// Reads an optional string member; absent leaves `out` alone.
Status Str(simdjson::dom::object& o, const char* k, std::string& out) {
  simdjson::dom::element e;
  if (o[k].get(e) != simdjson::SUCCESS || e.is_null()) return Status::OK();
  std::string_view s;
  if (e.get_string().get(s) != simdjson::SUCCESS) return Bad(k, "must be a string");
  if (s.size() > 256) return Bad(k, "longer than 256 bytes");
  out = std::string(s);
  return Status::OK();
}

Status Int(simdjson::dom::object& o, const char* k, int64_t& out) {
  simdjson::dom::element e;
  if (o[k].get(e) != simdjson::SUCCESS || e.is_null()) return Status::OK();
  if (e.get_int64().get(out) != simdjson::SUCCESS) {
    uint64_t u;
    if (e.get_uint64().get(u) == simdjson::SUCCESS) return Bad(k, "too large");
    return Bad(k, "must be an integer");
  }
  if (out < 0) return Bad(k, "must not be negative");
  if (out > (int64_t{1} << 50)) return Bad(k, "too large");
  return Status::OK();
}

Status Usd(simdjson::dom::object& o, const char* k, int64_t& out) {
  simdjson::dom::element e;
  if (o[k].get(e) != simdjson::SUCCESS || e.is_null()) return Status::OK();
  double d;
  if (e.get_double().get(d) != simdjson::SUCCESS) {
    int64_t i;
    if (e.get_int64().get(i) != simdjson::SUCCESS) return Bad(k, "must be a number");
    d = double(i);
  }
  if (!std::isfinite(d) || d < 0 || d > 1e9) return Bad(k, "must be a number between 0 and 1e9");
  out = std::llround(d * 1e9);
  return Status::OK();
}

Status Object(simdjson::dom::parser& p, std::string_view body, simdjson::dom::object& o) {
  if (!IsValidUtf8(body)) return Bad("body", "not valid UTF-8");
  simdjson::dom::element root;
  if (p.parse(body.data(), body.size()).get(root) != simdjson::SUCCESS)
    return Bad("body", "not valid JSON");
  if (root.get_object().get(o) != simdjson::SUCCESS) return Bad("body", "must be a JSON object");
  return Status::OK();
}

}  // namespace

Status ParseCheckJson(std::string_view body, CheckRequest& r) {
  thread_local simdjson::dom::parser p;  // keeps its buffers between requests
  simdjson::dom::object o;
  BR_RETURN_IF_ERROR(Object(p, body, o));
  BR_RETURN_IF_ERROR(Str(o, "user", r.user));
  BR_RETURN_IF_ERROR(Str(o, "key", r.key));
  BR_RETURN_IF_ERROR(Str(o, "team", r.team));
  BR_RETURN_IF_ERROR(Str(o, "org", r.org));
  BR_RETURN_IF_ERROR(Str(o, "project", r.project));
  BR_RETURN_IF_ERROR(Str(o, "model", r.model));
  BR_RETURN_IF_ERROR(Str(o, "batch_job", r.batch_job));
  BR_RETURN_IF_ERROR(Int(o, "estimated_tokens", r.estimated_tokens));
  BR_RETURN_IF_ERROR(Usd(o, "estimated_cost_usd", r.estimated_cost_nanos));
  if (r.user.empty() && r.key.empty()) return Bad("user", "user or key is required");
  return Status::OK();
}

Status ParseSettleJson(std::string_view body, SettleRequest& r) {
  thread_local simdjson::dom::parser p;
  simdjson::dom::object o;
  BR_RETURN_IF_ERROR(Object(p, body, o));
  BR_RETURN_IF_ERROR(Str(o, "reservation_id", r.reservation_id));
  if (r.reservation_id.empty()) return Bad("reservation_id", "required");
  BR_RETURN_IF_ERROR(Str(o, "event_id", r.event_id));
  BR_RETURN_IF_ERROR(Usd(o, "cost_usd", r.cost_nanos));
  simdjson::dom::element e;
  if (o["tokens"].get(e) == simdjson::SUCCESS && !e.is_null()) {
    simdjson::dom::object t;
    if (e.get_object().get(t) != simdjson::SUCCESS) return Bad("tokens", "must be an object");
    Status s = Int(t, "input", r.tokens.input);
    if (s.ok()) s = Int(t, "output", r.tokens.output);
    if (s.ok()) s = Int(t, "cache_read", r.tokens.cache_read);
    if (s.ok()) s = Int(t, "cache_write", r.tokens.cache_write);
    if (!s.ok())
      return Status::InvalidArgument("tokens." + s.message()).WithField("tokens." + s.field());
  }
  return Status::OK();
}

Status ParseThrottleJson(std::string_view body, std::string& user, int64_t& level,
                         std::string& reason) {
  simdjson::dom::parser p;
  simdjson::dom::object o;
  BR_RETURN_IF_ERROR(Object(p, body, o));
  BR_RETURN_IF_ERROR(Str(o, "user", user));
  BR_RETURN_IF_ERROR(Str(o, "reason", reason));
  level = -1;
  BR_RETURN_IF_ERROR(Int(o, "level", level));
  if (user.empty()) return Bad("user", "required");
  if (level < 0 || level > 3) return Bad("level", "required, 0..3");
  return Status::OK();
}

std::string CheckResultJson(const CheckResult& r) {
  JsonWriter w;
  w.BeginObject();
  w.Key("decision").String(DecisionName(r.decision));
  w.Key("retry_after_ms").Int(r.retry_after_ms);
  w.Key("policy").String(r.policy);
  w.Key("remaining");
  if (r.remaining < 0)
    w.Null();
  else if (r.unit == Unit::kTokens)
    w.Int(r.remaining);
  else
    w.NanoUsd(r.remaining);
  w.Key("unit").String(UnitName(r.unit));
  if (!r.reason.empty()) w.Key("reason").String(r.reason);
  w.Key("reservation_id").String(r.reservation_id);
  if (r.expires_at) w.Key("expires_at").String(FormatRfc3339(r.expires_at));
  w.EndObject();
  return w.Take();
}

}  // namespace burnrate::govern
