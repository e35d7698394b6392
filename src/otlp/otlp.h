// The otlp layer's front door: OpenTelemetry OTLP/HTTP JSON in, burnrate
// events out. See docs/otlp.md for the mapping of Claude Code's, Codex
// CLI's and GitHub Copilot CLI's telemetry.
//
// A Receiver turns one request body (metrics, logs or traces) into model::Events
// that the caller hands to ingest::Ingestor::SubmitEvents. It keeps the
// state that conversion needs across requests:
//  - per series of a CUMULATIVE sum, the last (start, time, value), to turn
//    running totals into deltas and to detect resets;
//  - the sessions that have sent claude_code.api_request log records, whose
//    token and cost metric points are then not counted (no double count).
// Every event gets a stable id (request_id for api_request records, a hash
// of series identity and time window for metric points, trace and span id
// for spans, and for Codex responses the id its rollout reader gives them),
// so an exporter's retry, or the same request read from the agent's logs,
// is de-duplicated by the ingest layer. A point or record with a
// malformed or out-of-range value (an intValue "12x", a negative count) is
// rejected alone, into Converted::rejected, before it consumes an id or
// any state.
//
// Thread-safety: all methods are thread-safe (one mutex around the state).
// Errors: InvalidArgument naming the JSON path when the body's structure is
// wrong; the body is then refused. Parsing is linear in the body size.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "model/event.h"

namespace burnrate::otlp {

// The durable part of a Receiver's state, so that a restart never counts a
// running total twice: per cumulative series its last point, per session
// which source owns its usage. The otlp layer never opens a database; App
// constructs an implementation (SQLite: store/sqlite/sqlite_stores.h) and
// passes it to AttachStore. Implementations pass the conformance suite of
// src/store/conformance/; they are thread-safe; errors are IOError.
struct SeriesState {
  uint64_t start_ns = 0, time_ns = 0;
  int64_t units = 0;
  bool is_int = true;
  bool operator==(const SeriesState&) const = default;
};
struct SeriesChange {
  uint64_t key = 0;
  SeriesState next;
};

class StateStore {
 public:
  virtual ~StateStore() = default;
  // Deletes entries not updated since `before` (long-silent series and
  // sessions), then calls `series` for every series, least recently
  // updated first, and `sessions` for every session.
  virtual Status Load(TimeMs before,
                      const std::function<void(uint64_t, const SeriesState&)>& series,
                      const std::function<void(uint64_t, uint8_t)>& sessions) = 0;
  // In one transaction, durable on return: each series takes its change
  // unless the stored point is newer (time_ns), so bodies saved out of
  // order never put an older state back; a session keeps the first source
  // saved for it. `now` marks what was written as updated.
  virtual Status Save(const std::vector<SeriesChange>& series,
                      const std::vector<std::pair<uint64_t, uint8_t>>& sessions, TimeMs now) = 0;
};

struct ReceiverOptions {
  size_t max_series = 1'000'000;    // cumulative series remembered (oldest dropped)
  size_t max_sessions = 1'000'000;  // sessions remembered as "logs carry usage"
  std::string default_team;         // when no team.id attribute; empty: directory decides
  // Turns the text of a user_prompt record's "prompt" attribute (sent when
  // Claude Code runs with OTEL_LOG_USER_PROMPTS=1; "<REDACTED>" otherwise)
  // into features for detection; empty: prompt_length only.
  std::function<model::PromptFeatures(std::string_view text)> prompt_features;
};

struct PointReject {
  std::string error;
  std::string field;  // attribute or JSON path
};

// What one body became.
struct Converted {
  static constexpr size_t kMaxRejectsKept = 100;
  std::vector<model::Event> events;
  // Rejected points or records: every one is counted in rejected_total, the
  // first kMaxRejectsKept are kept (bounded memory, whatever the body).
  // A rejected point consumed nothing: no event id, no cumulative state, no
  // session decision, so that a corrected retry counts.
  std::vector<PointReject> rejected;
  int64_t rejected_total = 0;
  int64_t points = 0;            // metric points or log records seen
  int64_t ignored = 0;           // names burnrate does not count
  int64_t deferred_to_logs = 0;  // token/cost points dropped: the session sends api_request logs
  int64_t unchanged = 0;         // cumulative points with no increase (incl. retries)
  int64_t resets = 0;            // cumulative series restarted
  // Opaque undo record: Rollback() restores the cumulative state if the
  // events could not be committed, so the exporter's retry counts again.
  struct Undo;
  std::shared_ptr<Undo> undo;

  void Reject(PointReject r);
};

struct ReceiverStats {
  int64_t metric_points = 0, log_records = 0, spans = 0, events = 0, ignored = 0,
          deferred_to_logs = 0, resets = 0;
  int64_t series = 0, log_sessions = 0;
};

// The three OTLP/HTTP signals.
enum class Signal : uint8_t { kMetrics, kLogs, kTraces };
// "/v1/otlp/v1/metrics", "/v1/otlp/v1/logs", "/v1/otlp/v1/traces".
std::string_view SignalPath(Signal s);
// The partial-success field that counts rejects: "rejectedDataPoints",
// "rejectedLogRecords", "rejectedSpans".
std::string_view RejectedKey(Signal s);

class Receiver {
 public:
  explicit Receiver(ReceiverOptions opts = {});
  ~Receiver();

  Result<Converted> Metrics(std::string_view json_body);
  Result<Converted> Logs(std::string_view json_body);
  Result<Converted> Traces(std::string_view json_body);
  // One of the three above, by signal.
  Result<Converted> Export(Signal signal, std::string_view json_body);
  // The events of `c` were not committed: undo its cumulative-state changes.
  void Rollback(const Converted& c);

  // Makes the state durable in `store`: loads what is there (entries silent
  // for more than 8 days are dropped), and from then on Persist() writes
  // each committed body's changes. Call once, before the first body.
  Status AttachStore(std::unique_ptr<StateStore> store, TimeMs now);
  // The events of `c` were committed: write its state changes. Call before
  // acknowledging the body, so that a crash cannot lose state a retry needs.
  // A no-op without AttachStore.
  Status Persist(const Converted& c, TimeMs now);
  ReceiverStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Accepts "application/json" (any parameters); anything else, protobuf
// included, is Status::Unsupported (HTTP 415) with a hint to use http/json.
Status CheckContentType(std::string_view content_type);

}  // namespace burnrate::otlp
