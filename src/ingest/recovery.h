// Recovery: rebuilding the in-memory state from the store at start-up.
//
// Internal to the ingest layer (Ingestor::Recover is the front door). Reads
// the daily rollups and then every stored event in arrival order, and
// rebuilds from them: the engine (every event), the de-duplication index
// (events received since `dedup_from`) and each listener (events received
// since its own `from`, passed to its replay function).
//
// Thread-safety: RunRecovery blocks its caller and runs two helper threads
// of its own; the engine, index and listeners must not be used by anyone
// else until it returns. Errors: the store's scan error, after the helper
// threads have finished what they were given.
#pragma once

#include <functional>
#include <limits>
#include <vector>

#include "ingest/dedup_index.h"
#include "ingest/ingest.h"

namespace burnrate::ingest {

struct RecoveryPlan {
  engine::Engine* engine = nullptr;
  // The engine already holds every event of the blocks with seq <= this (a
  // checkpoint was loaded into it): they and the rollups are not applied to
  // it again, and only the blocks the index or a listener still needs are
  // read below it. -1: no checkpoint, everything is applied.
  int64_t engine_after_seq = -1;
  // Set when that checkpoint is still being loaded into the engine on
  // another thread (the index and the listeners, which do not read the
  // engine, replay meanwhile): called once on the applier thread, before
  // the first event reaches the engine (or at the end when none does), it
  // waits for the load and says whether it succeeded. When it did not, the
  // engine gets nothing from the pipeline and RunRecovery then replays the
  // whole log into the engine alone: a full replay, as without a checkpoint.
  std::function<bool()> engine_loaded;
  DedupIndex* dedup = nullptr;
  TimeMs dedup_from = 0;  // arrival time; older ids are not indexed
  struct Replay {
    EventsListener fn;
    TimeMs from = std::numeric_limits<TimeMs>::min();  // arrival time
  };
  std::vector<Replay> listeners;
};

Status RunRecovery(const RecoveryPlan& plan, store::Store& store, Ingestor::RecoveryStats* stats);

// Index of the first event received at or after `from` (events.size() when
// none): a listener is replayed that event and every later one.
size_t FirstReceivedAtOrAfter(std::span<const model::Event> events, TimeMs from);

}  // namespace burnrate::ingest
