// burnrate's configuration: a TOML file (docs/config.md) plus command-line
// flags that override it. Every field has a working default, so a config
// file is optional.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "common/thread_priority.h"
#include "common/toml_fwd.h"
#include "engine/engine.h"
#include "ingest/ingest.h"

namespace burnrate::app {

struct Config {
  std::string db_path = "burnrate.db";
  std::string listen = "127.0.0.1:8080";
  int http_threads = 2;
  // Limits against clients that hold connections ([server], docs/config.md).
  int max_connections = 4096;      // lowered to fit the open-file limit
  int header_timeout_ms = 10'000;  // a new connection's first request head
  int idle_timeout_ms = 60'000;    // a kept-alive connection between requests
  int body_timeout_ms = 30'000;    // the longest pause in an upload
  bool access_log = false;         // one log line per HTTP answer
  // The HTTP I/O threads' scheduling class (common/thread_priority.h):
  // real-time when permitted, so reads and checks never queue behind ingest.
  IoPriority io_priority = IoPriority::kAuto;
  // Busy polling of the HTTP I/O threads, microseconds (http::ServerOptions::
  // busy_poll_us): off by default; for a gateway node where latency matters
  // more than an idle core.
  int busy_poll_us = 0;
  // `burnrate gateway`: serve the gateway's provider endpoints (and
  // /healthz, /readyz, /metrics) only; [gateway] must be configured.
  bool gateway_only = false;
  // The most a compressed request body may unpack to (docs/event-format.md,
  // "Limits"): no more than the 256 MiB body limit, and small enough that a
  // compression bomb costs little.
  int64_t max_decompressed_bytes = 64 << 20;
  std::string web_dir;  // development: dashboard dir on disk; empty = the one compiled in
  std::string timezone = "UTC";
  int64_t board_refresh_ms = 250;
  int64_t raw_retention_days = 90;  // raw events; rollups are kept forever
  // Engine checkpoints (<db>.checkpoint) for fast restarts: how often one
  // is written; 0: never (an existing one is still loaded when valid).
  int64_t checkpoint_interval_s = 300;
  // Where the checkpoint file is: empty means `<db>.checkpoint` for a
  // SQLite file and none for PostgreSQL, whose URL names no local place
  // (each PostgreSQL node sets its own, [store] checkpoint_path).
  std::string checkpoint_path;
  std::string prices_file;    // LiteLLM-format overlay
  std::string identity_file;  // CSV or JSON
  bool pseudonymous = false;  // boards show stable aliases instead of ids
  // The source classes `trusted=1` restricts a board to (boards.trusted_sources).
  engine::SourceMask trusted_sources =
      1u << int(engine::SourceClass::kGateway) | 1u << int(engine::SourceClass::kOtlp);
  int64_t detection_interval_s = 60;  // how often today's users are re-scored
  ingest::Limits limits;
  std::string config_path;            // where it came from, if a file
  std::shared_ptr<toml::table> toml;  // the whole file, for other layers' sections
};

// Ranges of the [server] connection limits.
constexpr int kMaxConnectionsLimit = 1'000'000;
constexpr int kMaxTimeoutMs = 86'400'000;  // a day
constexpr int kMaxBusyPollUs = 100'000;    // 0.1 s: past that, sleeping costs nothing in comparison

// Reads a TOML config file; errors name the file, line and key.
Result<Config> LoadConfig(const std::string& path);
// "host:port" -> parts; errors name the flag.
Status SplitHostPort(const std::string& s, std::string* host, uint16_t* port);

}  // namespace burnrate::app
