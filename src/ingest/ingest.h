// The ingest layer's front door: from bytes to durable, counted events.
//
// Life of a batch: SubmitNdjson() parses and validates it on the caller's
// thread (NdjsonParser), resolves identity and cost, and queues it for the
// committer thread. The committer takes every queued batch at once (group
// commit), drops ids seen in the de-duplication window (DedupIndex), appends
// the rest to the store in one synced transaction, applies them to the
// engine, tells the listeners (governance, detection), and only then calls
// each batch's `done`. So an acknowledged event is on disk. The engine and
// listeners are updated on the applier thread, before `done`, while the
// committer goes on with the next commit.
//
// Thread-safety: Submit* may be called from any thread. Listeners run on the
// applier thread and must be quick. Stop() drains the queue first.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "ingest/ndjson_parser.h"
#include "model/event.h"

namespace burnrate::store {
class Store;
}
namespace burnrate::engine {
class Engine;
}
namespace burnrate::model {
class Identity;
class PriceBook;
}  // namespace burnrate::model

namespace burnrate::ingest {

struct IngestResult {
  int64_t accepted = 0;
  int64_t duplicates = 0;
  std::vector<Reject> rejected;
};

struct IngestOptions {
  Limits limits;
  PromptFeatureFn prompt_features;      // may be empty
  size_t max_commit_events = 200'000;   // per group commit
  int dedup_window_days = 8;            // ids are remembered at least 7 full days
  size_t dedup_max_entries = 400'000'000;
};

struct IngestStats {
  int64_t accepted = 0, duplicates = 0, rejected = 0, commits = 0, commit_errors = 0;
  int64_t dedup_entries = 0, dedup_bytes = 0, dedup_evicted_days = 0, queue_events = 0;
  // Whether the newest commit failed (/readyz then answers degraded), and why.
  bool commit_failing = false;
  std::string last_commit_error;
};

using Done = std::function<void(Result<IngestResult>)>;
using EventsListener = std::function<void(std::span<const model::Event>)>;

// A consumer of durable events (governance, detection). Live, `on_events`
// sees every committed batch on the applier thread. At recovery the stored
// events are replayed in arrival order, but only those it still needs:
// `replay_from(now)` names the earliest arrival time (Event::received) whose
// events can change its state as of `now`; older events are skipped, which
// is what makes a restart over months of history cheap. `on_replay` gets the
// replayed events (empty: on_events) — e.g. to count usage at its arrival
// time instead of at `now`.
struct Listener {
  EventsListener on_events;
  std::function<TimeMs(TimeMs now)> replay_from;  // empty: every event
  EventsListener on_replay;                       // empty: on_events
};

class Ingestor {
 public:
  Ingestor(IngestOptions opts, store::Store& store, engine::Engine& engine,
           model::Identity& identity, const model::PriceBook& prices, const Clock& clock);
  ~Ingestor();

  // Rebuilds the engine, the de-duplication index and the listeners' state
  // from the store (docs/ARCHITECTURE.md, "Restart"). Call once, before
  // Start(). A pipeline (ingest/recovery.cc): the caller's thread decodes,
  // one thread applies events to the engine and listeners, one restores the
  // de-duplication index.
  Status Recover();
  // Where the last Recover() spent its time, for logs and benchmarks:
  // wall time, and the CPU time of each pipeline stage (scan: store decode
  // and copy; apply: engine; listeners; dedup: fingerprints and index).
  struct RecoveryStats {
    int64_t events = 0, rollups = 0, dedup_restored = 0;
    int64_t replayed[4] = {};  // events passed to listener i (first 4)
    double seconds = 0;
    double scan_cpu_seconds = 0, apply_cpu_seconds = 0, listener_cpu_seconds = 0, dedup_cpu_seconds = 0;
  };
  RecoveryStats recovery_stats() const;
  void Start();
  // Commits everything queued, then stops the committer.
  void Stop();

  void SubmitNdjson(std::string_view body, Done done);
  // For sources that build events themselves (OTLP, transcripts, simulator).
  // Events are validated for required fields only.
  void SubmitEvents(std::vector<model::Event> events, Done done);
  // Blocking convenience wrapper of SubmitEvents.
  Result<IngestResult> IngestSync(std::vector<model::Event> events);

  void AddListener(EventsListener l);  // before Recover(); replays every event
  void AddListener(Listener l);        // before Recover()
  // Returns once every acknowledged batch has reached the engine (tests,
  // CLI --db). Approximate under concurrent submissions.
  void WaitApplied();
  IngestStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Decodes a request body by its Content-Encoding ("", "identity", "gzip",
// "zstd"), refusing output larger than max_bytes.
Result<std::string> Decompress(std::string_view body, std::string_view encoding, size_t max_bytes);

}  // namespace burnrate::ingest
