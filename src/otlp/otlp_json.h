// Parsing of OTLP/HTTP JSON bodies (ExportMetricsServiceRequest,
// ExportLogsServiceRequest and ExportTraceServiceRequest, protobuf's
// canonical JSON mapping) into plain structs. Internal to the otlp layer; include otlp/otlp.h
// instead.
//
// Only what burnrate counts is kept: Sum and Gauge number points (Histogram,
// ExponentialHistogram and Summary are skipped), log records' body, time
// and attributes, and spans' name, ids, times and attributes (events and
// links are skipped). Attribute values of every kind are kept as text
// (ints as decimal, doubles in shortest round-trip form, bools as
// true/false; arrays, maps, bytes, NaN/Infinity and strings over 4 KiB are
// skipped). 64-bit integers are accepted as JSON numbers or as decimal
// strings, as the mapping allows both. Parsing is linear in the body size,
// whatever the number of attributes.
//
// Two kinds of error:
//  - the body's structure is wrong (not JSON, a list that is not an array,
//    an element that is not an object, a metric without a name): the
//    functions return InvalidArgument naming the JSON path, and the whole
//    body is refused;
//  - one value is malformed (an intValue "12x", a float or out of int64
//    range; an asInt, asDouble or timestamp of the wrong kind): the point,
//    record or resource that holds it gets `error` (path and reason) and
//    is still returned, so that the receiver rejects it alone and reports
//    it, while the good points around it count.
// Thread-safety: stateless functions, safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace burnrate::otlp {

// Key/value pairs in arrival order; keys are unique (last one wins).
using Attrs = std::vector<std::pair<std::string, std::string>>;
const std::string* FindAttr(const Attrs& a, std::string_view key);

enum class Temporality : uint8_t { kUnspecified = 0, kDelta = 1, kCumulative = 2 };

struct NumberPoint {
  Attrs attrs;
  std::string error;  // a malformed value ("<path> <why>"): reject the point
  uint64_t start_ns = 0;
  uint64_t time_ns = 0;
  bool is_int = true;
  int64_t as_int = 0;
  double as_double = 0;
  double Value() const { return is_int ? double(as_int) : as_double; }
};

struct MetricData {
  std::string name;
  bool is_sum = false;  // false: gauge
  Temporality temporality = Temporality::kUnspecified;
  std::vector<NumberPoint> points;
};

struct ResourceMetrics {
  Attrs resource;
  std::string error;  // a malformed resource attribute: reject every point
  std::vector<MetricData> metrics;
};

struct LogRecord {
  Attrs attrs;
  std::string error;       // a malformed value ("<path> <why>"): reject the record
  uint64_t time_ns = 0;    // timeUnixNano, else observedTimeUnixNano
  std::string body;        // string bodies only
  std::string event_name;  // eventName (OTLP 1.5+), may be empty
};

struct ResourceLogs {
  Attrs resource;
  std::string error;  // a malformed resource attribute: reject every record
  std::vector<LogRecord> records;
};

struct Span {
  Attrs attrs;
  std::string error;  // a malformed value ("<path> <why>"): reject the span
  std::string name;
  std::string trace_id, span_id;  // hex, as sent (may be empty)
  uint64_t start_ns = 0, end_ns = 0;
};

struct ResourceSpans {
  Attrs resource;
  std::string error;  // a malformed resource attribute: reject every span
  std::vector<Span> spans;
};

Result<std::vector<ResourceMetrics>> ParseMetricsJson(std::string_view body);
Result<std::vector<ResourceLogs>> ParseLogsJson(std::string_view body);
Result<std::vector<ResourceSpans>> ParseTracesJson(std::string_view body);

}  // namespace burnrate::otlp
