// Engine checkpoints, so that a restart costs the events since the last
// checkpoint instead of the whole history (docs/ARCHITECTURE.md, "What is
// on disk", for the file and the rules).
//
// At start-up Load() puts the newest valid checkpoint into the engine and
// says through which block it holds the events, for Ingestor::Recover to
// apply only the later ones. While serving, a thread writes a new
// checkpoint every `interval_s` seconds when events arrived since the last;
// Stop() writes a last one after the ingestor drained, so a clean restart
// replays nothing into the engine.
//
// A checkpoint never makes a restart less correct than a full replay: one
// that does not verify (checksum, version, options, or a database whose
// blocks are not the ones it counted) is ignored with a log line, and the
// events are replayed instead.
//
// Thread-safety: Load() before the ingestor starts; Start/Stop from the
// owning thread; Write() from any thread (writes are serialised).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/clock.h"
#include "common/status.h"

namespace burnrate::engine {
class Engine;
}
namespace burnrate::ingest {
class Ingestor;
}
namespace burnrate::store {
class Store;
class CheckpointReader;
}  // namespace burnrate::store

namespace burnrate::app {

class Checkpointer {
 public:
  Checkpointer(std::string path, engine::Engine& engine, ingest::Ingestor& ingestor,
               store::Store& store, const Clock& clock);
  ~Checkpointer();

  // Loads the checkpoint at `path` into the engine if it is valid for this
  // database and these engine options. Returns the seq of the last block
  // the engine now holds, or -1 when there is none or it was ignored.
  int64_t Load();
  // Load() in two steps, so that the state can stream in on one thread
  // while Ingestor::Recover replays the index and listeners on others:
  // Open() checks the file's header against this database and returns the
  // seq the checkpoint holds the events through (-1: none or ignored);
  // Restore() then reads the state into the engine and says whether it
  // succeeded (the checksums are read as each section ends: on failure the
  // engine is as it was, empty, and the caller replays everything into
  // it). A state of the previous version (3) loads too, and the next
  // Write() replaces it with the current one even if no event came since.
  int64_t Open();
  bool Restore();
  // Writes a checkpoint at the ingestor's applied position, unless nothing
  // was applied since the last one. Errors are the file's (the previous
  // checkpoint stays).
  Status Write();
  // Writes one now (in the background) and then every interval_s seconds;
  // 0: none at all, not even at Stop().
  void Start(int64_t interval_s);
  void Stop();  // idempotent; after Start(interval > 0), writes a last checkpoint

  struct Stats {
    int64_t written = 0, failed = 0;
    int64_t last_seq = 0, last_bytes = 0;
    double last_seconds = 0;  // the last write, wall time
  };
  Stats stats() const;

 private:
  void Run(int64_t interval_s);
  // Threads decoding a version-4 state at once (beside the recovery's
  // scan, applier and indexer threads; the state is most of a restart).
  static constexpr int kRestoreThreads = 2;

  const std::string path_;
  engine::Engine& engine_;
  ingest::Ingestor& ingestor_;
  store::Store& store_;
  const Clock& clock_;
  std::mutex write_mu_;  // serialises Write(); guards last_seq_
  int64_t last_seq_ = -1;
  std::unique_ptr<store::CheckpointReader> reader_;  // between Open() and Restore()
  int64_t opened_seq_ = -1;
  std::chrono::steady_clock::time_point opened_at_;
  mutable std::mutex mu_;  // guards stopping_, stats_
  std::condition_variable cv_;
  bool stopping_ = false;
  bool enabled_ = false;  // Start() with an interval; owner thread only
  Stats stats_;
  std::thread thread_;
};

}  // namespace burnrate::app
