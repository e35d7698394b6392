// A small structured logger: one line per event, in logfmt, to stderr.
//
//   ts=2026-12-04T15:50:01.123Z level=error event=commit.failed error="disk I/O error" events=10000
//
// Messages are events with fields, not prose, so they can be grepped and
// parsed. Callers never log a secret: no API key, no query string (it may
// carry ?key=), no prompt text. Each event name is limited to kBurst lines
// a second; what is held back is counted in the next line of that event
// ("suppressed=N"), so a failing disk or a hostile client cannot flood the
// log.
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "common/status.h"

namespace burnrate::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

struct Field {
  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, const char* v) : key(k), value(v) {}
  Field(std::string_view k, const std::string& v) : key(k), value(v) {}
  Field(std::string_view k, int64_t v) : key(k), value(std::to_string(v)) {}
  Field(std::string_view k, int v) : key(k), value(std::to_string(v)) {}
  Field(std::string_view k, uint64_t v) : key(k), value(std::to_string(v)) {}
  Field(std::string_view k, double v);
  std::string_view key;
  std::string value;
};

constexpr int kBurst = 20;  // lines per event name per second

// Lines below `level` are dropped. Default kInfo; BURNRATE_LOG_LEVEL
// (debug, info, warn, error) sets it at start.
void SetLevel(Level level);
Level GetLevel();
// "debug", "info", "warn" or "error"; false when not one of them.
bool ParseLevel(std::string_view s, Level* out);

void Write(Level level, std::string_view event, std::initializer_list<Field> fields = {});
inline void Debug(std::string_view event, std::initializer_list<Field> f = {}) {
  Write(Level::kDebug, event, f);
}
inline void Info(std::string_view event, std::initializer_list<Field> f = {}) {
  Write(Level::kInfo, event, f);
}
inline void Warn(std::string_view event, std::initializer_list<Field> f = {}) {
  Write(Level::kWarn, event, f);
}
inline void Error(std::string_view event, std::initializer_list<Field> f = {}) {
  Write(Level::kError, event, f);
}

// Logs a failed `s` as an error event named `event` (with "error" = its
// message): for background work whose failure no caller can act on, so it
// is never dropped silently.
void IfError(const Status& s, std::string_view event);

// The line Write would print (without the rate limit), for tests.
std::string Format(int64_t ts_ms, Level level, std::string_view event,
                   std::initializer_list<Field> fields);

}  // namespace burnrate::log
