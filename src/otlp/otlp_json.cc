// OTLP JSON walking with simdjson's DOM parser.
//
// The protobuf JSON mapping is lenient in ways real exporters use: 64-bit
// integers arrive as strings ("12") from the OpenTelemetry JS SDK and as
// numbers from others; enums arrive as numbers (2) or names
// ("AGGREGATION_TEMPORALITY_CUMULATIVE"); field names may be lowerCamelCase
// or the original snake_case. Missing containers are empty, not errors. A
// value of the wrong kind where burnrate needs it (a point's value, a
// timestamp) is an error naming its path, and the whole body is refused: an
// exporter that sends malformed JSON is broken, and half-counting its batch
// would make the retry double-count the other half.
#include "otlp/otlp_json.h"

#include <simdjson.h>

#include <charconv>
#include <cmath>

namespace burnrate::otlp {
namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

constexpr size_t kMaxAttrValue = 4096;

std::string Join(const std::string& path, std::string_view name) {
  return path.empty() ? std::string(name) : path + "." + std::string(name);
}

Status Bad(const std::string& path, const std::string& why) {
  return Status::InvalidArgument(path + " " + why);
}

// Field lookup that accepts lowerCamelCase and snake_case names.
bool Field(object o, std::string_view camel, std::string_view snake, element* out) {
  if (o[camel].get(*out) == simdjson::SUCCESS) return true;
  return !snake.empty() && o[snake].get(*out) == simdjson::SUCCESS;
}

// An array field; absent or null is empty. Another kind is an error.
Status ArrayField(object o, std::string_view camel, std::string_view snake, const std::string& path,
                  array* out, bool* present) {
  element e;
  *present = false;
  if (!Field(o, camel, snake, &e) || e.is_null()) return Status::OK();
  if (e.get(*out)) return Bad(Join(path, camel), "must be an array");
  *present = true;
  return Status::OK();
}

Status Uint64(element e, const std::string& path, uint64_t* out) {
  switch (e.type()) {
    case element_type::UINT64:
      *out = uint64_t(e);
      return Status::OK();
    case element_type::INT64: {
      int64_t v = int64_t(e);
      if (v < 0) return Bad(path, "must not be negative");
      *out = uint64_t(v);
      return Status::OK();
    }
    case element_type::STRING: {
      std::string_view s = e.get_string().value_unsafe();
      auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
      if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size()) {
        return Bad(path, "must be an unsigned integer (as a number or a decimal string)");
      }
      return Status::OK();
    }
    default:
      return Bad(path, "must be an unsigned integer (as a number or a decimal string)");
  }
}

Status Int64(element e, const std::string& path, int64_t* out) {
  switch (e.type()) {
    case element_type::INT64:
      *out = int64_t(e);
      return Status::OK();
    case element_type::UINT64: {
      uint64_t v = uint64_t(e);
      if (v > uint64_t(INT64_MAX)) return Bad(path, "is out of range");
      *out = int64_t(v);
      return Status::OK();
    }
    case element_type::STRING: {
      std::string_view s = e.get_string().value_unsafe();
      auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
      if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size()) {
        return Bad(path, "must be an integer (as a number or a decimal string)");
      }
      return Status::OK();
    }
    default:
      return Bad(path, "must be an integer (as a number or a decimal string)");
  }
}

std::string DoubleText(double d) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, r.ptr);
}

// AnyValue -> text. Returns false for kinds burnrate does not keep.
bool AnyValueText(element v, std::string* out) {
  object o;
  if (v.get(o)) return false;
  element x;
  if (Field(o, "stringValue", "string_value", &x)) {
    std::string_view s;
    if (x.get_string().get(s) || s.size() > kMaxAttrValue) return false;
    out->assign(s);
    return true;
  }
  if (Field(o, "intValue", "int_value", &x)) {
    int64_t i;
    if (!Int64(x, "", &i).ok()) return false;
    *out = std::to_string(i);
    return true;
  }
  if (Field(o, "doubleValue", "double_value", &x)) {
    double d;
    if (x.get(d)) return false;
    *out = DoubleText(d);
    return true;
  }
  if (Field(o, "boolValue", "bool_value", &x)) {
    bool b;
    if (x.get(b)) return false;
    *out = b ? "true" : "false";
    return true;
  }
  return false;
}

Status ParseAttrs(object parent, const std::string& path, Attrs* out) {
  array arr;
  bool present;
  BR_RETURN_IF_ERROR(ArrayField(parent, "attributes", "", path, &arr, &present));
  if (!present) return Status::OK();
  size_t i = 0;
  for (element kv : arr) {
    std::string p = path + ".attributes[" + std::to_string(i++) + "]";
    object o;
    if (kv.get(o)) return Bad(p, "must be an object {key, value}");
    std::string_view key;
    if (o["key"].get_string().get(key)) return Bad(p + ".key", "must be a string");
    element v;
    std::string text;
    if (o["value"].get(v) || !AnyValueText(v, &text)) continue;  // arrays, maps, bytes: not used
    bool replaced = false;
    for (auto& [k, val] : *out) {
      if (k == key) val = text, replaced = true;
    }
    if (!replaced) out->emplace_back(std::string(key), std::move(text));
  }
  return Status::OK();
}

Status ParseResource(object o, const std::string& path, Attrs* out) {
  element r;
  object ro;
  if (!Field(o, "resource", "", &r) || r.get(ro)) return Status::OK();
  return ParseAttrs(ro, path + ".resource", out);
}

Status ParseTemporality(element e, const std::string& path, Temporality* out) {
  int64_t n = 0;
  std::string_view s;
  if (e.get_string().get(s) == simdjson::SUCCESS) {
    if (s == "AGGREGATION_TEMPORALITY_DELTA")
      n = 1;
    else if (s == "AGGREGATION_TEMPORALITY_CUMULATIVE")
      n = 2;
    else if (s == "AGGREGATION_TEMPORALITY_UNSPECIFIED")
      n = 0;
    else
      return Bad(path, "must be 1 (DELTA), 2 (CUMULATIVE) or the enum name");
  } else if (!Int64(e, path, &n).ok() || n < 0 || n > 2) {
    return Bad(path, "must be 1 (DELTA), 2 (CUMULATIVE) or the enum name");
  }
  *out = Temporality(n);
  return Status::OK();
}

Status ParsePoint(object o, const std::string& path, NumberPoint* p) {
  BR_RETURN_IF_ERROR(ParseAttrs(o, path, &p->attrs));
  element e;
  if (Field(o, "startTimeUnixNano", "start_time_unix_nano", &e)) {
    BR_RETURN_IF_ERROR(Uint64(e, path + ".startTimeUnixNano", &p->start_ns));
  }
  if (!Field(o, "timeUnixNano", "time_unix_nano", &e))
    return Bad(path + ".timeUnixNano", "is required");
  BR_RETURN_IF_ERROR(Uint64(e, path + ".timeUnixNano", &p->time_ns));
  if (Field(o, "asInt", "as_int", &e)) {
    p->is_int = true;
    return Int64(e, path + ".asInt", &p->as_int);
  }
  if (Field(o, "asDouble", "as_double", &e)) {
    p->is_int = false;
    // Non-finite doubles are written as the strings "NaN"/"Infinity".
    if (e.get(p->as_double) || !std::isfinite(p->as_double))
      return Bad(path + ".asDouble", "must be a finite number");
    return Status::OK();
  }
  return Bad(path, "needs asInt or asDouble");
}

Status ParseMetric(object o, const std::string& path, MetricData* m, bool* keep) {
  std::string_view name;
  if (o["name"].get_string().get(name)) return Bad(path + ".name", "must be a string");
  m->name.assign(name);
  element data;
  object d;
  std::string dpath;
  if (o["sum"].get(data) == simdjson::SUCCESS && !data.get(d)) {
    m->is_sum = true;
    dpath = path + ".sum";
    element t;
    if (Field(d, "aggregationTemporality", "aggregation_temporality", &t)) {
      BR_RETURN_IF_ERROR(ParseTemporality(t, dpath + ".aggregationTemporality", &m->temporality));
    }
  } else if (o["gauge"].get(data) == simdjson::SUCCESS && !data.get(d)) {
    dpath = path + ".gauge";
  } else {
    *keep = false;  // histograms and summaries carry nothing burnrate counts
    return Status::OK();
  }
  *keep = true;
  array pts;
  bool present;
  BR_RETURN_IF_ERROR(ArrayField(d, "dataPoints", "data_points", dpath, &pts, &present));
  if (!present) return Status::OK();
  size_t i = 0;
  for (element pe : pts) {
    std::string ppath = dpath + ".dataPoints[" + std::to_string(i++) + "]";
    object po;
    if (pe.get(po)) return Bad(ppath, "must be an object");
    NumberPoint p;
    BR_RETURN_IF_ERROR(ParsePoint(po, ppath, &p));
    m->points.push_back(std::move(p));
  }
  return Status::OK();
}

Result<element> Root(simdjson::dom::parser& parser, std::string_view body, const char* top,
                     array* out) {
  element root;
  if (auto err = parser.parse(body.data(), body.size()).get(root)) {
    return Status::InvalidArgument(std::string("body is not valid JSON: ") +
                                   simdjson::error_message(err));
  }
  object o;
  if (root.get(o)) return Status::InvalidArgument("body must be a JSON object");
  bool present;
  std::string snake =
      top == std::string_view("resourceMetrics") ? "resource_metrics" : "resource_logs";
  BR_RETURN_IF_ERROR(ArrayField(o, top, snake, "", out, &present));
  if (!present) *out = array();
  return root;
}

// Iterates parent[camel] (an array of objects) calling fn(object, path).
template <typename Fn>
Status ForEach(object parent, std::string_view camel, std::string_view snake,
               const std::string& path, Fn fn) {
  array arr;
  bool present;
  BR_RETURN_IF_ERROR(ArrayField(parent, camel, snake, path, &arr, &present));
  if (!present) return Status::OK();
  size_t i = 0;
  for (element e : arr) {
    std::string p = Join(path, camel) + "[" + std::to_string(i++) + "]";
    object o;
    if (e.get(o)) return Bad(p, "must be an object");
    BR_RETURN_IF_ERROR(fn(o, p));
  }
  return Status::OK();
}

}  // namespace

const std::string* FindAttr(const Attrs& a, std::string_view key) {
  for (const auto& [k, v] : a)
    if (k == key) return &v;
  return nullptr;
}

Result<std::vector<ResourceMetrics>> ParseMetricsJson(std::string_view body) {
  simdjson::dom::parser parser;
  array top;
  BR_ASSIGN_OR_RETURN(element root, Root(parser, body, "resourceMetrics", &top));
  std::vector<ResourceMetrics> out;
  object ro;
  if (root.get(ro)) return Status::InvalidArgument("body must be a JSON object");
  BR_RETURN_IF_ERROR(
      ForEach(ro, "resourceMetrics", "resource_metrics", "", [&](object rm, const std::string& p) {
        ResourceMetrics r;
        BR_RETURN_IF_ERROR(ParseResource(rm, p, &r.resource));
        BR_RETURN_IF_ERROR(
            ForEach(rm, "scopeMetrics", "scope_metrics", p, [&](object sm, const std::string& sp) {
              return ForEach(sm, "metrics", "", sp, [&](object mo, const std::string& mp) {
                MetricData m;
                bool keep = false;
                BR_RETURN_IF_ERROR(ParseMetric(mo, mp, &m, &keep));
                if (keep) r.metrics.push_back(std::move(m));
                return Status::OK();
              });
            }));
        out.push_back(std::move(r));
        return Status::OK();
      }));
  return out;
}

Result<std::vector<ResourceLogs>> ParseLogsJson(std::string_view body) {
  simdjson::dom::parser parser;
  array top;
  BR_ASSIGN_OR_RETURN(element root, Root(parser, body, "resourceLogs", &top));
  std::vector<ResourceLogs> out;
  object ro;
  if (root.get(ro)) return Status::InvalidArgument("body must be a JSON object");
  BR_RETURN_IF_ERROR(
      ForEach(ro, "resourceLogs", "resource_logs", "", [&](object rl, const std::string& p) {
        ResourceLogs r;
        BR_RETURN_IF_ERROR(ParseResource(rl, p, &r.resource));
        BR_RETURN_IF_ERROR(
            ForEach(rl, "scopeLogs", "scope_logs", p, [&](object sl, const std::string& sp) {
              return ForEach(
                  sl, "logRecords", "log_records", sp, [&](object lo, const std::string& lp) {
                    LogRecord rec;
                    BR_RETURN_IF_ERROR(ParseAttrs(lo, lp, &rec.attrs));
                    element e;
                    if (Field(lo, "timeUnixNano", "time_unix_nano", &e)) {
                      BR_RETURN_IF_ERROR(Uint64(e, lp + ".timeUnixNano", &rec.time_ns));
                    }
                    if (rec.time_ns == 0 &&
                        Field(lo, "observedTimeUnixNano", "observed_time_unix_nano", &e)) {
                      BR_RETURN_IF_ERROR(Uint64(e, lp + ".observedTimeUnixNano", &rec.time_ns));
                    }
                    element b;
                    object bo;
                    if (lo["body"].get(b) == simdjson::SUCCESS && !b.get(bo))
                      AnyValueText(b, &rec.body);
                    std::string_view en;
                    if (Field(lo, "eventName", "event_name", &e) &&
                        e.get_string().get(en) == simdjson::SUCCESS) {
                      rec.event_name.assign(en);
                    }
                    r.records.push_back(std::move(rec));
                    return Status::OK();
                  });
            }));
        out.push_back(std::move(r));
        return Status::OK();
      }));
  return out;
}

}  // namespace burnrate::otlp
