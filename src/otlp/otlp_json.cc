// OTLP JSON walking with simdjson's DOM parser.
//
// The protobuf JSON mapping is lenient in ways real exporters use: 64-bit
// integers arrive as strings ("12") from the OpenTelemetry JS SDK and as
// numbers from others; enums arrive as numbers (2) or names
// ("AGGREGATION_TEMPORALITY_CUMULATIVE"); field names may be lowerCamelCase
// or the original snake_case. Missing containers are empty, not errors.
//
// A body whose structure is wrong is refused whole. A value of the wrong
// kind (an intValue "12x", an asInt 1.5, a timestamp "soon") marks only the
// point or record that holds it: the receiver rejects that one and reports
// it in partialSuccess, and counts the rest. That is safe against double
// counting because every event's id is stable, so the exporter's retry of
// the batch is de-duplicated, and because a rejected point consumes no id
// and no cumulative state, a corrected retry still counts.
#include "otlp/otlp_json.h"

#include <simdjson.h>

#include <charconv>
#include <cmath>
#include <unordered_map>

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

// The value as sent, shortened, for error messages.
std::string Shown(element e) {
  constexpr size_t kMax = 40;
  std::string s = simdjson::minify(e);
  if (s.size() > kMax) s = s.substr(0, kMax) + "...";
  return s;
}

Status Uint64(element e, const std::string& path, uint64_t* out) {
  constexpr const char* kWant =
      "must be an unsigned integer (as a number or a decimal string), got ";
  switch (e.type()) {
    case element_type::UINT64:
      *out = uint64_t(e);
      return Status::OK();
    case element_type::INT64: {
      int64_t v = int64_t(e);
      if (v < 0) return Bad(path, "must not be negative, got " + Shown(e));
      *out = uint64_t(v);
      return Status::OK();
    }
    case element_type::STRING: {
      std::string_view s = e.get_string().value_unsafe();
      auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
      if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size()) {
        return Bad(path, kWant + Shown(e));
      }
      return Status::OK();
    }
    default:
      return Bad(path, kWant + Shown(e));
  }
}

Status Int64(element e, const std::string& path, int64_t* out) {
  constexpr const char* kWant = "must be an int64 (as a number or a decimal string), got ";
  switch (e.type()) {
    case element_type::INT64:
      *out = int64_t(e);
      return Status::OK();
    case element_type::UINT64:
      return Bad(path, "is out of int64 range, got " + Shown(e));  // simdjson: > INT64_MAX
    case element_type::STRING: {
      std::string_view s = e.get_string().value_unsafe();
      auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
      if (r.ec == std::errc::result_out_of_range) {
        return Bad(path, "is out of int64 range, got " + Shown(e));
      }
      if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size()) {
        return Bad(path, kWant + Shown(e));
      }
      return Status::OK();
    }
    default:
      return Bad(path, kWant + Shown(e));
  }
}

std::string DoubleText(double d) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, r.ptr);
}

enum class Kept : uint8_t { kYes, kNo, kBad };

// AnyValue -> text. kNo for kinds burnrate does not keep; kBad, with the
// reason in *why, for a value that is not of the kind it declares.
Kept AnyValueText(element v, std::string* out, std::string* why) {
  object o;
  if (v.get(o)) return Kept::kNo;
  element x;
  if (Field(o, "stringValue", "string_value", &x)) {
    std::string_view s;
    if (x.get_string().get(s)) {
      *why = "stringValue must be a string, got " + Shown(x);
      return Kept::kBad;
    }
    if (s.size() > kMaxAttrValue) return Kept::kNo;
    out->assign(s);
    return Kept::kYes;
  }
  if (Field(o, "intValue", "int_value", &x)) {
    int64_t i;
    if (Status st = Int64(x, "intValue", &i); !st.ok()) {
      *why = st.message();
      return Kept::kBad;
    }
    *out = std::to_string(i);
    return Kept::kYes;
  }
  if (Field(o, "doubleValue", "double_value", &x)) {
    double d;
    if (x.get(d) == simdjson::SUCCESS) {
      *out = DoubleText(d);
      return Kept::kYes;
    }
    std::string_view s;
    if (x.get_string().get(s) == simdjson::SUCCESS &&
        (s == "NaN" || s == "Infinity" || s == "-Infinity")) {
      return Kept::kNo;  // the mapping's non-finite doubles: nothing burnrate counts
    }
    *why = "doubleValue must be a number, got " + Shown(x);
    return Kept::kBad;
  }
  if (Field(o, "boolValue", "bool_value", &x)) {
    bool b;
    if (x.get(b)) {
      *why = "boolValue must be true or false, got " + Shown(x);
      return Kept::kBad;
    }
    *out = b ? "true" : "false";
    return Kept::kYes;
  }
  return Kept::kNo;
}

std::string AttrPath(const std::string& path, size_t i) {
  return path + ".attributes[" + std::to_string(i) + "]";
}

// Reads parent.attributes into *out. The first malformed value goes to
// *bad (when it is empty) and the rest are still read.
Status ParseAttrs(object parent, const std::string& path, Attrs* out, std::string* bad) {
  array arr;
  bool present;
  BR_RETURN_IF_ERROR(ArrayField(parent, "attributes", "", path, &arr, &present));
  if (!present) return Status::OK();
  // Keys are unique and the last one wins. The index (over key bytes in the
  // parser's buffer) keeps that linear: a scan of *out per attribute made
  // 80k attributes take 15 s while holding an HTTP thread.
  std::unordered_map<std::string_view, size_t> index;
  index.reserve(arr.size());
  size_t i = 0;
  for (element kv : arr) {
    size_t at = i++;
    object o;
    if (kv.get(o)) return Bad(AttrPath(path, at), "must be an object {key, value}");
    std::string_view key;
    if (o["key"].get_string().get(key)) return Bad(AttrPath(path, at) + ".key", "must be a string");
    element v;
    if (o["value"].get(v)) continue;
    std::string text, why;
    Kept kept = AnyValueText(v, &text, &why);
    if (kept == Kept::kBad && bad->empty()) {
      *bad = AttrPath(path, at) + ".value (" + std::string(key.substr(0, 64)) + ") " + why;
    }
    if (kept != Kept::kYes) continue;  // arrays, maps, bytes: not used
    auto [it, fresh] = index.try_emplace(key, out->size());
    if (fresh) {
      out->emplace_back(std::string(key), std::move(text));
    } else {
      (*out)[it->second].second = std::move(text);
    }
  }
  return Status::OK();
}

Status ParseResource(object o, const std::string& path, Attrs* out, std::string* bad) {
  element r;
  object ro;
  if (!Field(o, "resource", "", &r) || r.get(ro)) return Status::OK();
  return ParseAttrs(ro, path + ".resource", out, bad);
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

// A point's times and value; an error here marks the point, not the body.
Status PointValues(object o, const std::string& path, NumberPoint* p) {
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
      return Bad(path + ".asDouble", "must be a finite number, got " + Shown(e));
    return Status::OK();
  }
  return Bad(path, "needs asInt or asDouble");
}

Status ParsePoint(object o, const std::string& path, NumberPoint* p) {
  BR_RETURN_IF_ERROR(ParseAttrs(o, path, &p->attrs, &p->error));
  if (Status v = PointValues(o, path, p); !v.ok() && p->error.empty()) p->error = v.message();
  return Status::OK();
}

Status ParseMetric(object o, const std::string& path, MetricData* m, bool* keep) {
  std::string_view name;
  if (o["name"].get_string().get(name)) return Bad(path + ".name", "must be a string");
  m->name.assign(name);
  element data;
  object d;
  std::string dpath;
  Status temporality;  // a bad one marks every point of the metric
  if (o["sum"].get(data) == simdjson::SUCCESS && !data.get(d)) {
    m->is_sum = true;
    dpath = path + ".sum";
    element t;
    if (Field(d, "aggregationTemporality", "aggregation_temporality", &t)) {
      temporality = ParseTemporality(t, dpath + ".aggregationTemporality", &m->temporality);
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
    if (!temporality.ok() && p.error.empty()) p.error = temporality.message();
    m->points.push_back(std::move(p));
  }
  return Status::OK();
}

Result<element> Root(simdjson::dom::parser& parser, std::string_view body, const char* top,
                     const char* snake, array* out) {
  element root;
  if (auto err = parser.parse(body.data(), body.size()).get(root)) {
    return Status::InvalidArgument(std::string("body is not valid JSON: ") +
                                   simdjson::error_message(err));
  }
  object o;
  if (root.get(o)) return Status::InvalidArgument("body must be a JSON object");
  bool present;
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

// timeUnixNano, else observedTimeUnixNano; an error marks the record.
Status RecordTime(object lo, const std::string& path, LogRecord* rec) {
  element e;
  if (Field(lo, "timeUnixNano", "time_unix_nano", &e)) {
    BR_RETURN_IF_ERROR(Uint64(e, path + ".timeUnixNano", &rec->time_ns));
  }
  if (rec->time_ns == 0 && Field(lo, "observedTimeUnixNano", "observed_time_unix_nano", &e)) {
    BR_RETURN_IF_ERROR(Uint64(e, path + ".observedTimeUnixNano", &rec->time_ns));
  }
  return Status::OK();
}

// A span's times; an error here marks the span, not the body.
Status SpanTimes(object so, const std::string& path, Span* sp) {
  element e;
  if (Field(so, "startTimeUnixNano", "start_time_unix_nano", &e))
    BR_RETURN_IF_ERROR(Uint64(e, path + ".startTimeUnixNano", &sp->start_ns));
  if (Field(so, "endTimeUnixNano", "end_time_unix_nano", &e))
    BR_RETURN_IF_ERROR(Uint64(e, path + ".endTimeUnixNano", &sp->end_ns));
  return Status::OK();
}

// A string field of a span (name, traceId, spanId); absent is empty. A
// value of another kind marks the span.
void SpanString(object so, std::string_view camel, std::string_view snake, const std::string& path,
                std::string* out, std::string* bad) {
  element e;
  if (!Field(so, camel, snake, &e) || e.is_null()) return;
  std::string_view v;
  if (e.get_string().get(v) || v.size() > kMaxAttrValue) {
    if (bad->empty()) *bad = Join(path, camel) + " must be a string, got " + Shown(e);
    return;
  }
  out->assign(v);
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
  BR_ASSIGN_OR_RETURN(element root,
                      Root(parser, body, "resourceMetrics", "resource_metrics", &top));
  std::vector<ResourceMetrics> out;
  object ro;
  if (root.get(ro)) return Status::InvalidArgument("body must be a JSON object");
  BR_RETURN_IF_ERROR(
      ForEach(ro, "resourceMetrics", "resource_metrics", "", [&](object rm, const std::string& p) {
        ResourceMetrics r;
        BR_RETURN_IF_ERROR(ParseResource(rm, p, &r.resource, &r.error));
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
  BR_ASSIGN_OR_RETURN(element root, Root(parser, body, "resourceLogs", "resource_logs", &top));
  std::vector<ResourceLogs> out;
  object ro;
  if (root.get(ro)) return Status::InvalidArgument("body must be a JSON object");
  BR_RETURN_IF_ERROR(
      ForEach(ro, "resourceLogs", "resource_logs", "", [&](object rl, const std::string& p) {
        ResourceLogs r;
        BR_RETURN_IF_ERROR(ParseResource(rl, p, &r.resource, &r.error));
        BR_RETURN_IF_ERROR(
            ForEach(rl, "scopeLogs", "scope_logs", p, [&](object sl, const std::string& sp) {
              return ForEach(
                  sl, "logRecords", "log_records", sp, [&](object lo, const std::string& lp) {
                    LogRecord rec;
                    BR_RETURN_IF_ERROR(ParseAttrs(lo, lp, &rec.attrs, &rec.error));
                    if (Status t = RecordTime(lo, lp, &rec); !t.ok() && rec.error.empty())
                      rec.error = t.message();
                    element e;
                    element b;
                    object bo;
                    std::string why;  // a body of the wrong kind only names nothing
                    if (lo["body"].get(b) == simdjson::SUCCESS && !b.get(bo))
                      AnyValueText(b, &rec.body, &why);
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

Result<std::vector<ResourceSpans>> ParseTracesJson(std::string_view body) {
  simdjson::dom::parser parser;
  array top;
  BR_ASSIGN_OR_RETURN(element root, Root(parser, body, "resourceSpans", "resource_spans", &top));
  std::vector<ResourceSpans> out;
  object ro;
  if (root.get(ro)) return Status::InvalidArgument("body must be a JSON object");
  BR_RETURN_IF_ERROR(
      ForEach(ro, "resourceSpans", "resource_spans", "", [&](object rs, const std::string& p) {
        ResourceSpans r;
        BR_RETURN_IF_ERROR(ParseResource(rs, p, &r.resource, &r.error));
        BR_RETURN_IF_ERROR(
            ForEach(rs, "scopeSpans", "scope_spans", p, [&](object ss, const std::string& sp) {
              return ForEach(ss, "spans", "", sp, [&](object so, const std::string& path) {
                Span span;
                BR_RETURN_IF_ERROR(ParseAttrs(so, path, &span.attrs, &span.error));
                SpanString(so, "name", "", path, &span.name, &span.error);
                SpanString(so, "traceId", "trace_id", path, &span.trace_id, &span.error);
                SpanString(so, "spanId", "span_id", path, &span.span_id, &span.error);
                if (Status t = SpanTimes(so, path, &span); !t.ok() && span.error.empty())
                  span.error = t.message();
                r.spans.push_back(std::move(span));
                return Status::OK();
              });
            }));
        out.push_back(std::move(r));
        return Status::OK();
      }));
  return out;
}

}  // namespace burnrate::otlp
