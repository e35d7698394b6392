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
// committer thread and must be quick. Stop() drains the queue first.
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
class PriceTable;
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
};

using Done = std::function<void(Result<IngestResult>)>;
using EventsListener = std::function<void(std::span<const model::Event>)>;

class Ingestor {
 public:
  Ingestor(IngestOptions opts, store::Store& store, engine::Engine& engine,
           model::Identity& identity, const model::PriceTable& prices, const Clock& clock);
  ~Ingestor();

  // Rebuilds the engine and the de-duplication index from the store. Call
  // once, before Start().
  Status Recover();
  void Start();
  // Commits everything queued, then stops the committer.
  void Stop();

  void SubmitNdjson(std::string_view body, Done done);
  // For sources that build events themselves (OTLP, transcripts, simulator).
  // Events are validated for required fields only.
  void SubmitEvents(std::vector<model::Event> events, Done done);
  // Blocking convenience wrapper of SubmitEvents.
  Result<IngestResult> IngestSync(std::vector<model::Event> events);

  void AddListener(EventsListener l);  // before Start()
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
