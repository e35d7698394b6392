#include "common/log.h"

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <unordered_map>

#include "common/time_util.h"

namespace burnrate::log {
namespace {

std::atomic<int> g_level{[] {
  Level l = Level::kInfo;
  if (const char* env = std::getenv("BURNRATE_LOG_LEVEL")) ParseLevel(env, &l);
  return int(l);
}()};

const char* LevelName(Level l) {
  switch (l) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "info";
}

// A value is quoted when it is empty or holds a space, '"', '=' or a control
// byte; inside quotes, '"' and '\' are escaped and control bytes written as
// \n, \t or \xNN, so one event is always one line.
void AppendValue(std::string& out, std::string_view v) {
  bool plain = !v.empty();
  for (unsigned char c : v)
    if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f) plain = false;
  if (plain) {
    out.append(v);
    return;
  }
  out.push_back('"');
  for (unsigned char c : v) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(char(c));
    } else if (c == '\n') {
      out.append("\\n");
    } else if (c == '\t') {
      out.append("\\t");
    } else if (c < ' ' || c == 0x7f) {
      out.append(fmt::format("\\x{:02x}", c));
    } else {
      out.push_back(char(c));
    }
  }
  out.push_back('"');
}

struct Limiter {
  int64_t second = 0;
  int lines = 0;
  int64_t suppressed = 0;
};
std::mutex g_mu;  // guards g_limits and the write to stderr
std::unordered_map<std::string, Limiter> g_limits;

}  // namespace

Field::Field(std::string_view k, double v) : key(k), value(fmt::format("{:.6g}", v)) {}

void IfError(const Status& s, std::string_view event) {
  if (!s.ok()) Error(event, {{"error", s.message()}});
}

void SetLevel(Level level) { g_level = int(level); }
Level GetLevel() { return Level(g_level.load()); }

bool ParseLevel(std::string_view s, Level* out) {
  for (Level l : {Level::kDebug, Level::kInfo, Level::kWarn, Level::kError}) {
    if (s == LevelName(l)) {
      *out = l;
      return true;
    }
  }
  return false;
}

std::string Format(int64_t ts_ms, Level level, std::string_view event,
                   std::initializer_list<Field> fields) {
  std::string line = "ts=" + FormatRfc3339(ts_ms) + " level=" + LevelName(level) + " event=";
  AppendValue(line, event);
  for (const Field& f : fields) {
    line.push_back(' ');
    line.append(f.key);
    line.push_back('=');
    AppendValue(line, f.value);
  }
  return line;
}

void Write(Level level, std::string_view event, std::initializer_list<Field> fields) {
  if (int(level) < g_level.load(std::memory_order_relaxed)) return;
  int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  std::string line = Format(now, level, event, fields);
  std::lock_guard lock(g_mu);
  Limiter& lim = g_limits[std::string(event)];
  if (lim.second != now / 1000) {
    lim.second = now / 1000;
    lim.lines = 0;
  }
  if (++lim.lines > kBurst) {
    ++lim.suppressed;
    return;
  }
  if (lim.suppressed > 0) {
    line += " suppressed=" + std::to_string(lim.suppressed);
    lim.suppressed = 0;
  }
  line.push_back('\n');
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace burnrate::log
