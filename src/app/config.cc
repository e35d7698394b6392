#include "app/config.h"

#include <toml++/toml.h>

#include <utility>

#include "app/app.h"

namespace burnrate::app {

// The [server] connection limits are in range (the serve flags are checked
// by CLI11 with the same ranges).
static Status CheckServerLimits(const Config& c, const std::string& prefix) {
  if (c.max_connections < 1 || c.max_connections > kMaxConnectionsLimit) {
    return Status::InvalidArgument(prefix + "max_connections must be 1.." +
                                   std::to_string(kMaxConnectionsLimit));
  }
  const std::pair<const char*, int> timeouts[] = {{"header_timeout_ms", c.header_timeout_ms},
                                                  {"idle_timeout_ms", c.idle_timeout_ms},
                                                  {"body_timeout_ms", c.body_timeout_ms}};
  for (const auto& [name, ms] : timeouts) {
    if (ms < 1 || ms > kMaxTimeoutMs) {
      return Status::InvalidArgument(prefix + name + " must be 1.." +
                                     std::to_string(kMaxTimeoutMs));
    }
  }
  if (c.busy_poll_us < 0 || c.busy_poll_us > kMaxBusyPollUs) {
    return Status::InvalidArgument(prefix + "busy_poll_us must be 0 (off).." +
                                   std::to_string(kMaxBusyPollUs));
  }
  return Status::OK();
}

// long: the table of config keys, one line or a few each, read in file
// order; the checks of a section are in named functions above.
Result<Config> LoadConfig(const std::string& path) {
  Config c;
  c.config_path = path;
  toml::table t;
  try {
    t = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    const auto& src = e.source();
    return Status::InvalidArgument(path + ":" + std::to_string(src.begin.line) + ": " +
                                   std::string(e.description()));
  }
  // A key present with the wrong type is an error naming it and its line,
  // not a silent fall-back to the default.
  Status err;
  auto wrong = [&](const char* key, const char* want) {
    if (!err.ok()) return;
    auto node = t.at_path(key);
    err = Status::InvalidArgument(path + ":" + std::to_string(node.node()->source().begin.line) +
                                  ": " + key + " must be " + want);
  };
  auto str = [&](const char* key, std::string* out) {
    if (!t.at_path(key)) return;
    if (auto v = t.at_path(key).value<std::string>())
      *out = *v;
    else
      wrong(key, "a string");
  };
  auto num = [&](const char* key, auto* out) {
    if (!t.at_path(key)) return;
    using T = std::remove_pointer_t<decltype(out)>;
    auto v = t.at_path(key).value<int64_t>();
    if (v && std::in_range<T>(*v))
      *out = static_cast<T>(*v);
    else
      wrong(key, v ? "an integer in range" : "an integer");
  };
  str("server.listen", &c.listen);
  num("server.threads", &c.http_threads);
  str("server.web_dir", &c.web_dir);
  num("server.max_connections", &c.max_connections);
  num("server.header_timeout_ms", &c.header_timeout_ms);
  num("server.idle_timeout_ms", &c.idle_timeout_ms);
  num("server.body_timeout_ms", &c.body_timeout_ms);
  num("server.busy_poll_us", &c.busy_poll_us);
  num("server.max_decompressed_bytes", &c.max_decompressed_bytes);
  str("store.path", &c.db_path);
  std::string url;
  str("store.url", &url);  // PostgreSQL: overrides store.path
  num("store.raw_retention_days", &c.raw_retention_days);
  num("store.checkpoint_interval_seconds", &c.checkpoint_interval_s);
  str("store.checkpoint_path", &c.checkpoint_path);
  str("engine.timezone", &c.timezone);
  num("engine.board_refresh_ms", &c.board_refresh_ms);
  str("prices.file", &c.prices_file);
  str("identity.file", &c.identity_file);
  if (t.at_path("server.access_log")) {
    if (auto v = t.at_path("server.access_log").value<bool>())
      c.access_log = *v;
    else
      wrong("server.access_log", "true or false");
  }
  if (t.at_path("server.io_priority")) {
    auto v = t.at_path("server.io_priority").value<std::string>();
    if (!v || !ParseIoPriority(*v, &c.io_priority))
      wrong("server.io_priority", "\"auto\", \"realtime\" or \"normal\"");
  }
  if (t.at_path("boards.pseudonymous")) {
    if (auto v = t.at_path("boards.pseudonymous").value<bool>())
      c.pseudonymous = *v;
    else
      wrong("boards.pseudonymous", "true or false");
  }
  if (t.at_path("boards.trusted_sources")) {
    std::string list;
    str("boards.trusted_sources", &list);
    auto mask = engine::ParseSources(list);
    if (mask.ok() && !list.empty())
      c.trusted_sources = *mask;
    else if (err.ok())
      wrong("boards.trusted_sources", "a list of gateway, otlp, logs, ndjson");
  }
  num("detection.score_interval_seconds", &c.detection_interval_s);
  if (c.detection_interval_s < 1)
    return Status::InvalidArgument(path + ": detection.score_interval_seconds must be at least 1");
  num("ingest.max_tokens", &c.limits.max_tokens);
  int64_t minutes = c.limits.max_future_ms / kMinuteMs;
  num("ingest.max_future_minutes", &minutes);
  c.limits.max_future_ms = minutes * kMinuteMs;
  c.limits.retention_ms = c.raw_retention_days * kDayMs;
  if (!err.ok()) return err;
  if (c.http_threads < 1 || c.http_threads > 256)
    return Status::InvalidArgument(path + ": server.threads must be 1..256");
  BR_RETURN_IF_ERROR(CheckServerLimits(c, path + ": server."));
  if (c.max_decompressed_bytes < 1) {
    return Status::InvalidArgument(path + ": server.max_decompressed_bytes must be at least 1");
  }
  if (c.checkpoint_interval_s < 0)
    return Status::InvalidArgument(path +
                                   ": store.checkpoint_interval_seconds must be 0 (off) or more");
  if (!url.empty()) {
    if (!IsPostgres(url))
      return Status::InvalidArgument(path + ": store.url must be a postgresql:// URL (got '" + url +
                                     "'); a SQLite file is store.path");
    c.db_path = url;
  }
  if (c.raw_retention_days < 8)
    return Status::InvalidArgument(path + ": store.raw_retention_days must be at least 8");
  c.toml = std::make_shared<toml::table>(std::move(t));
  return c;
}

Status SplitHostPort(const std::string& s, std::string* host, uint16_t* port) {
  size_t colon = s.rfind(':');
  if (colon == std::string::npos)
    return Status::InvalidArgument("--listen must be HOST:PORT, got '" + s + "'");
  *host = s.substr(0, colon);
  int p = 0;
  try {
    p = std::stoi(s.substr(colon + 1));
  } catch (...) {
    p = -1;
  }
  if (p < 0 || p > 65535)
    return Status::InvalidArgument("--listen port must be 0..65535, got '" + s + "'");
  *port = uint16_t(p);
  if (host->empty()) *host = "0.0.0.0";
  return Status::OK();
}

}  // namespace burnrate::app
