// The ingest layer's front door: from bytes to durable, counted events.
//
// Life of a batch: SubmitBody() decodes (Content-Encoding), parses and
// validates it on a small pool of parse threads (SubmitNdjson: on the
// caller's thread) with NdjsonParser, resolves identity and cost, and
// queues it for the committer thread. The committer takes every queued batch at once (group
// commit), drops ids seen in the de-duplication window (DedupIndex), appends
// the rest to the store in one synced transaction, applies them to the
// engine, tells the listeners (governance, detection), and only then calls
// each batch's `done`. So an acknowledged event is on disk. The engine and
// listeners are updated on the applier thread, before `done`, while the
// committer goes on with the next commit.
//
// Thread-safety: Submit* may be called from any thread. Listeners run on the
// applier thread and must be quick. Stop() drains the queues first.
//
// Memory of one SubmitBody request (docs/event-format.md, "Limits"): its
// body, plus one 64 KiB piece of decoded output and one line (2 MiB at
// most) while parsing, plus at most three parts of parsed events (the one
// being parsed and two waiting to commit), plus a bounded answer: the first
// 100 rejects in detail and a count per kind. Decoded output is never held
// whole.
#pragma once

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "ingest/ndjson_parser.h"
#include "model/event.h"
#include "store/store.h"

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

// The Content-Encoding of a request body (ParseEncoding, below).
enum class Encoding { kIdentity, kGzip, kZstd };

struct IngestResult {
  int64_t accepted = 0;
  int64_t duplicates = 0;
  std::vector<Reject> rejected;  // the first Limits::max_reject_details, in line order
  int64_t rejected_total = 0;    // every rejected line
  std::array<int64_t, kRejectKinds> rejected_by_kind{};  // indexed by RejectKind
};

struct IngestOptions {
  Limits limits;
  int parse_threads = 2;  // SubmitBody's pool: decode and parse off the caller's thread
  size_t max_waiting_bodies =
      64;  // SubmitBody answers Unavailable past this many waiting for a parse thread
  size_t part_events =
      16'384;  // SubmitBody commits a longer body in parts of about this many events
  PromptFeatureFn prompt_features;     // may be empty
  size_t max_commit_events = 200'000;  // per group commit
  int dedup_window_days = 8;           // ids are remembered at least 7 full days
  size_t dedup_max_entries = 400'000'000;
  // A shared log (store::EventStore::shared_log, PostgreSQL): how often
  // the other nodes' new blocks are read and applied (0: never).
  int tail_interval_ms = 200;
};

struct IngestStats {
  int64_t accepted = 0, duplicates = 0, rejected = 0, commits = 0, commit_errors = 0;
  int64_t dedup_entries = 0, dedup_bytes = 0, dedup_evicted_days = 0, queue_events = 0;
  // Duplicates whose id was first reported by the same source with other
  // usage (DedupIndex::Seen::kConflict), in all and by source (at most 32
  // names, then "other"). Counted in `duplicates` too.
  int64_t conflicting_duplicates = 0;
  std::map<std::string, int64_t> conflicts_by_source;
  // Whether the newest commit failed (/readyz then answers degraded), and why.
  bool commit_failing = false;
  std::string last_commit_error;
  // Tailing a shared log (only when `tailing`): the newest seq seen at the
  // last successful poll, the seq applied through, their difference, and
  // the seconds since this node last had every block of the log applied
  // (as of a successful poll; it grows while polls fail). Blocks and
  // events read from the other nodes so far.
  bool tailing = false;
  int64_t log_newest_seq = 0, log_applied_seq = 0, log_lag_blocks = 0;
  double log_lag_seconds = 0;
  int64_t tailed_blocks = 0, tailed_events = 0, tail_errors = 0;
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
// time instead of at `now`. `on_conflicts` (may be empty) gets, live only,
// after a commit, the events that were dropped as duplicates although
// their source had reported their id with other usage (model::UsageDigest):
// not stored, not counted, but evidence of an edited report.
struct Listener {
  EventsListener on_events;
  std::function<TimeMs(TimeMs now)> replay_from;  // empty: every event
  EventsListener on_replay;                       // empty: on_events
  EventsListener on_conflicts;                    // empty: none
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
  //
  // `engine_through_seq` >= 0: the engine was loaded from a checkpoint that
  // holds every event of the blocks up to that seq (the caller checked that
  // it is still valid, see store::Store::PurgedThrough); only later blocks
  // reach it, and the index and listeners read from their own horizons.
  // `engine_loaded`, when set: that checkpoint is still loading into the
  // engine on another thread; it is called once, before the first event
  // reaches the engine, to wait for the load, and when it returns false
  // (the checkpoint failed its checksum at the end) the engine is replayed
  // every event instead (recovery.h, RecoveryPlan::engine_loaded).
  Status Recover(int64_t engine_through_seq = -1, std::function<bool()> engine_loaded = {});
  // Where the last Recover() spent its time, for logs and benchmarks:
  // wall time, and the CPU time of each pipeline stage (scan: store decode
  // and copy; apply: engine; listeners; dedup: fingerprints and index).
  struct RecoveryStats {
    int64_t events = 0, rollups = 0, dedup_restored = 0;
    int64_t engine_events = 0;  // stored events applied to the engine (the tail, from a checkpoint)
    int64_t replayed[4] = {};   // events passed to listener i (first 4)
    int64_t through_seq = 0;    // the highest block seq read (a shared log's tail starts there)
    double seconds = 0;
    double scan_cpu_seconds = 0, apply_cpu_seconds = 0, listener_cpu_seconds = 0,
           dedup_cpu_seconds = 0;
  };
  RecoveryStats recovery_stats() const;
  // Starts the committer, the applier and the parse threads, and, on a
  // shared log, the tail thread: every tail_interval_ms it reads the
  // blocks other nodes appended after the last one applied (seq order,
  // its own skipped) and hands them to the applier like a commit — the
  // engine, then each listener's replay function (on_events where there is
  // none), as recovery does — so boards, governance usage and detection on
  // every node follow the whole log.
  void Start();
  // Commits everything queued, then stops the committer.
  void Stop();

  // Parses and queues an NDJSON body on the caller's thread.
  void SubmitNdjson(std::string_view body, Done done);
  // Decodes `body` by `encoding` and parses it as it unpacks, on the parse
  // pool (so an HTTP I/O thread is free at once), and queues its events
  // like SubmitNdjson, in parts of at most `part_events` (in order, at most
  // two waiting for the committer), so its memory does not grow with its
  // size. `done` is called once, on some ingest thread, after the last
  // part is durable, with the sums; or with the first error: TooLarge when
  // the decoded body passes `max_decoded_bytes` (decoding stops there),
  // InvalidArgument for a corrupt body, Unavailable when too many bodies
  // wait already or the ingestor is stopped, or a commit's error. Parts
  // queued before an error stay stored; a retry counts them as duplicates.
  // Needs Start().
  void SubmitBody(std::string body, Encoding encoding, size_t max_decoded_bytes, Done done);
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

  // Checkpoints: runs fn on the applier thread between two commits, with
  // the last block whose events the engine and listeners have all been
  // given (seq 0: none yet), and returns after it ran. Before Start() or
  // after Stop() it runs on the caller's thread. A commit whose position
  // could not be read (the store failed after the commit) makes the
  // position unknown, seq -1, until the next commit: no checkpoint then.
  // A shared log (store.shared_log()): commits are paused while the tail
  // catches up to the newest block, and the position is the seq through
  // which this node has applied the whole log (its own blocks and the
  // others'), not the global last block; seq -1 if the log cannot be read.
  void AtAppliedPosition(const std::function<void(const store::BlockMark&)>& fn);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Reads a Content-Encoding header, case-insensitively: "" or "identity",
// "gzip" or "x-gzip", "zstd". Anything else is Unsupported (415), naming it.
Result<Encoding> ParseEncoding(std::string_view header);

// Receives decoded output piece by piece; a piece is valid during the call.
using DecodeSink = std::function<void(std::string_view piece)>;
// Decodes `body`, handing the output to `sink` in pieces of at most 64 KiB
// as it unpacks, and stops with TooLarge before the output would pass
// `max_bytes` (the sink then has seen at most max_bytes). Errors:
// InvalidArgument for a corrupt or truncated body, TooLarge also for a zstd
// frame that needs a window above 8 MiB.
Status DecodeStream(std::string_view body, Encoding encoding, size_t max_bytes,
                    const DecodeSink& sink);
// Decodes a whole body into a string by its Content-Encoding header, with
// the errors of ParseEncoding and DecodeStream. Identity bodies are copied
// whatever their size.
Result<std::string> Decompress(std::string_view body, std::string_view encoding, size_t max_bytes);

}  // namespace burnrate::ingest
