// The query-parameter parsers of http.h, with from_chars (no exceptions,
// no locale). QueryInt is strict; QueryIntIn and QueryTime also take what
// strtoll takes before the digits (white space, a '+'), as the board and
// usage routes always have.
#include <charconv>
#include <string>

#include "common/time_util.h"
#include "http/http.h"

namespace burnrate::http {
namespace {

bool ParseInt64(std::string_view v, int64_t* out) {
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), *out);
  return ec == std::errc() && p == v.data() + v.size();
}

// As strtoll reads a whole string: white space and a sign, then digits.
bool ParseInt64Lenient(std::string_view v, int64_t* out) {
  size_t i = 0;
  while (i < v.size() && (v[i] == ' ' || (v[i] >= '\t' && v[i] <= '\r'))) ++i;
  if (i < v.size() && v[i] == '+' && i + 1 < v.size() && v[i + 1] != '-') ++i;
  return ParseInt64(v.substr(i), out);
}

Status Bad(std::string_view name, std::string message) {
  return Status::InvalidArgument(std::move(message)).WithField(std::string(name));
}

}  // namespace

Result<int64_t> QueryInt(const Request& r, std::string_view name, int64_t fallback) {
  std::string_view v = r.Query(name);
  if (v.empty()) return fallback;
  int64_t n;
  if (!ParseInt64(v, &n)) return Bad(name, std::string(name) + ": not an integer");
  return n;
}

Result<int64_t> QueryIntIn(const Request& r, std::string_view name, int64_t fallback, int64_t lo,
                           int64_t hi) {
  std::string_view v = r.Query(name);
  if (v.empty()) return fallback;
  int64_t n;
  if (ParseInt64Lenient(v, &n) && n >= lo && n <= hi) return n;
  return Bad(name, std::string(name) + " must be an integer in [" + std::to_string(lo) + ", " +
                       std::to_string(hi) + "]");
}

Result<TimeMs> QueryRfc3339(const Request& r, std::string_view name, TimeMs fallback) {
  std::string_view v = r.Query(name);
  if (v.empty()) return fallback;
  auto t = ParseRfc3339(v);
  if (!t.ok()) return Bad(name, std::string(name) + ": " + t.status().message());
  return *t;
}

Result<TimeMs> QueryTime(const Request& r, std::string_view name, TimeMs fallback) {
  std::string_view v = r.Query(name);
  if (v.empty()) return fallback;
  if (v.find('T') != std::string_view::npos) return WithField(ParseRfc3339(v), std::string(name));
  int64_t n;
  if (!ParseInt64Lenient(v, &n))
    return Bad(name, std::string(name) + " must be RFC 3339 or epoch milliseconds");
  return n;
}

}  // namespace burnrate::http
