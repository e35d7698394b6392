// Group commit.
//
// An fsync costs about a millisecond on a good disk and far more on a cloud
// volume, so one fsync per request caps ingest at a few hundred requests a
// second. Instead, request threads queue their parsed batches and wait; the
// single committer thread takes everything queued, writes it as one
// transaction with one fsync, and then releases all the waiters. Under load
// the batches grow by themselves (whatever arrived during the last fsync
// goes into the next), so throughput scales with the load while latency
// stays at about two fsyncs.
//
// The committer's own work per event is small on purpose: a dedup probe,
// then the store encodes the commit as one compressed event block (one row,
// store/event_block.cc) instead of a row per event. Accepted events never
// move: duplicates are squeezed out of each request's vector in place and
// the store gets the requests' vectors as runs (Store::AppendRuns).
//
// After the fsync the committer hands the batch to the applier thread,
// which updates the engine and the listeners and then answers the waiters,
// while the committer already writes the next commit. So the engine is off
// the committer's critical path, and a client that reads right after its
// answer sees its own events.
//
// Request threads are often HTTP I/O threads, which must stay free for
// other clients (/healthz once waited 9-18 s behind three zstd bombs). So
// SubmitBody hands decoding and parsing to a small pool of parse threads
// and returns at once; the pool decodes a compressed body straight into the
// parser piece by piece, and a full pool queue is an immediate 503 rather
// than an unbounded backlog of bodies. Parse threads run at a lower
// priority (nice +5): bulk work yields the CPU to the I/O threads, which
// answer in microseconds.
//
// The de-duplication index is touched only by the committer, so checking
// and inserting an id is atomic with respect to other batches: two
// concurrent retries of the same event cannot both be accepted. If the
// commit fails, the batch's ids are erased again, so a retry is not mistaken
// for a duplicate.
//
// A shared log (PostgreSQL, several nodes): the store keeps each id once
// over all nodes, so an event this node's index took for new may have
// lost to another node's copy; the store says which (AppendRunsReporting)
// and those become duplicates here, never applied. The tail thread then
// brings every block the other nodes appended, their copy of those ids
// among them, through the applier as well: one thread updates the engine
// and listeners, whatever the events' origin. Its ids do not enter this
// node's index (the store refuses them anyway); a block is applied whole,
// since the store kept only the events that won.
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>

#include "common/heap.h"
#include "common/log.h"
#include "engine/engine.h"
#include "ingest/dedup_index.h"
#include "ingest/ingest.h"
#include "ingest/recovery.h"
#include "model/identity.h"
#include "model/price_book.h"
#include "store/store.h"

namespace burnrate::ingest {

// The applier's arena, faulted in at start: about 32,000 new users' state.
constexpr size_t kApplierHeapBytes = 32 << 20;

struct Ingestor::Impl {
  IngestOptions opts;
  store::Store& store;
  engine::Engine& engine;
  model::Identity& identity;
  const model::PriceBook& prices;
  const Clock& clock;
  std::vector<Listener> listeners;
  RecoveryStats recovery;  // guarded by stats_mu

  struct Pending {
    std::vector<model::Event> events;
    IngestResult result;  // rejects filled by the parser
    Done done;
  };

  std::mutex mu;  // guards queue, queued_events, stopping
  std::condition_variable cv;
  std::deque<Pending> queue;
  size_t queued_events = 0;
  bool stopping = false;
  std::thread committer;

  std::mutex apply_mu;  // guards apply_queue, apply_stopping
  std::condition_variable apply_cv;
  struct Applied {
    std::vector<Pending>
        batch;                  // accepted events in each request's `events`; answered once applied
    store::BlockMark position;  // the last block stored once this batch was committed
    std::function<void(const store::BlockMark&)>
        at_position;                      // AtAppliedPosition's marker (batch empty)
    std::vector<model::Event> conflicts;  // dropped: an id seen before with other usage
    bool tailed = false;                  // `tail`: a block another node appended
    std::vector<model::Event> tail;
  };
  std::deque<Applied> apply_queue;
  bool apply_stopping = false;
  bool applier_running = false;         // between Start() and the applier's exit
  store::BlockMark applied_position;    // of the batches applied so far; guarded by apply_mu
  store::BlockMark committed_position;  // committer thread (and Recover before Start)
  bool applying = false;                // a popped batch is being applied
  std::condition_variable applied_cv;
  std::thread applier;
  int tail_queued = 0;  // tailed blocks in apply_queue or being applied; guarded by apply_mu

  // Held by the committer over each Commit (transaction and hand-over to
  // the applier), and by a shared log's checkpoint cut to pause commits.
  std::mutex commit_gate;
  // Held over each catch-up with the shared log (the tail thread's poll, a
  // checkpoint's cut): guards tail_position. Order: commit_gate, then this.
  std::mutex tail_run_mu;
  std::mutex tail_mu;  // guards tail_stopping
  std::condition_variable tail_cv;
  bool tail_stopping = false;
  std::thread tail_thread;
  int64_t tail_position = 0;  // the seq applied through; guarded by tail_run_mu
  TimeMs caught_up_at = 0;    // guarded by stats_mu

  std::mutex parsers_mu;  // guards parsers (SubmitNdjson's, by calling thread)
  std::vector<std::unique_ptr<NdjsonParser>> parsers;

  struct ParseJob {
    std::string body;
    Encoding encoding = Encoding::kIdentity;
    size_t max_decoded = 0;
    Done done;
  };
  std::mutex parse_mu;  // guards parse_jobs, parse_running
  std::condition_variable parse_cv;
  std::deque<ParseJob> parse_jobs;
  bool parse_running = false;  // between Start() and Stop()
  std::vector<std::thread> parse_threads;

  DedupIndex dedup;               // committer thread only (and Recover before Start)
  std::vector<uint64_t> fps;      // committer scratch
  std::vector<uint64_t> req_fps;  // committer scratch: one request's fingerprints
  std::vector<std::span<const model::Event>> runs;  // committer scratch
  std::vector<model::Event> conflicts;              // committer scratch
  std::vector<const model::Event*> lost;            // committer scratch
  mutable std::mutex stats_mu;
  IngestStats stats;  // guarded by stats_mu

  Impl(IngestOptions o, store::Store& s, engine::Engine& e, model::Identity& i,
       const model::PriceBook& p, const Clock& c)
      : opts(std::move(o)),
        store(s),
        engine(e),
        identity(i),
        prices(p),
        clock(c),
        dedup(opts.dedup_window_days, opts.dedup_max_entries) {}

  // `p`: one price snapshot for the whole request, so a reload never
  // splits a batch between two tables. A cost the client gave is priced.
  void Enrich(std::span<model::Event> events, const model::PriceSnapshot& p) const {
    identity.LearnAndResolve(events);
    for (model::Event& e : events) SourceAndCost(e, p);
  }

  static void SourceAndCost(model::Event& e, const model::PriceSnapshot& p) {
    if (e.source.empty()) e.source = "api";
    if (e.type != model::EventType::kUsage) return;
    if (e.cost_nanos < 0) {
      model::Priced priced = p.Price(e.model, e.tokens);
      e.cost_nanos = priced.cost_nanos, e.cost_basis = priced.basis;
    } else if (e.cost_nanos == 0 &&
               e.tokens.input + e.tokens.output + e.tokens.cache_read + e.tokens.cache_write > 0) {
      // A reported $0 for real tokens (Claude Code's OTLP export for a model
      // it has no price for) is no price: ours, estimated where it must be,
      // and only if it is not $0 as well (docs/pricing.md).
      model::Priced priced = p.Price(e.model, e.tokens);
      if (priced.basis != model::CostBasis::kPriced) {
        e.cost_nanos = priced.cost_nanos, e.cost_basis = priced.basis;
      }
    }
  }

  void Enqueue(Pending p) {
    {
      std::lock_guard lock(mu);
      if (stopping) {
        p.done(Status::Unavailable("burnrate is shutting down; retry on another node or later"));
        return;
      }
      queued_events += p.events.size();
      queue.push_back(std::move(p));
    }
    cv.notify_one();
  }

  void Run() {
    for (;;) {
      std::vector<Pending> batch;
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return stopping || !queue.empty(); });
        if (queue.empty()) return;  // stopping and drained
        size_t n = 0;
        while (!queue.empty() &&
               (batch.empty() || n + queue.front().events.size() <= opts.max_commit_events)) {
          n += queue.front().events.size();
          batch.push_back(std::move(queue.front()));
          queue.pop_front();
        }
        queued_events -= n;
      }
      std::lock_guard gate(commit_gate);
      Commit(batch);
    }
  }

  // Drops the request's duplicates in place (its accepted events move up),
  // notes the conflicting ones, and adds the rest's fingerprints and run.
  void DropDuplicates(Pending& p, TimeMs now) {
    // Fingerprints first, so that each id's slots in the index (a random
    // cache miss in a table of millions) are asked for kAhead ids before
    // they are probed.
    static constexpr size_t kAhead = 16;
    req_fps.resize(p.events.size());
    for (size_t i = 0; i < p.events.size(); ++i) req_fps[i] = model::EventFingerprint(p.events[i]);
    size_t kept = 0;
    for (size_t i = 0; i < p.events.size(); ++i) {
      if (i + kAhead < p.events.size()) dedup.Prefetch(req_fps[i + kAhead]);
      model::Event& e = p.events[i];
      uint64_t fp = req_fps[i];
      DedupIndex::Seen seen = dedup.Check(fp, model::UsageDigest(e), now);
      if (seen != DedupIndex::Seen::kNew) {
        p.result.duplicates++;
        if (seen == DedupIndex::Seen::kConflict) {
          e.received = now;
          conflicts.push_back(std::move(e));
        }
        continue;
      }
      e.received = now;
      fps.push_back(fp);
      if (kept != i) p.events[kept] = std::move(e);
      ++kept;
    }
    p.events.resize(kept);
    p.result.accepted += int64_t(kept);
    if (kept) runs.emplace_back(p.events);
  }

  // Drops each request's duplicates in place (no copy of the accepted
  // events: they stay in their requests' vectors) and appends what is left
  // as one transaction.
  void Commit(std::vector<Pending>& batch) {
    TimeMs now = clock.NowMs();
    fps.clear();
    runs.clear();
    conflicts.clear();
    for (Pending& p : batch) DropDuplicates(p, now);
    Status st = runs.empty() ? Status::OK() : store.AppendRunsReporting(runs, &lost);
    if (st.ok() && !lost.empty()) DropLost(batch);
    if (!st.ok()) {
      for (uint64_t fp : fps) dedup.Erase(fp);
      {
        std::lock_guard lock(stats_mu);
        stats.commit_errors++;
        stats.commit_failing = true;
        stats.last_commit_error = st.message();
      }
      log::Error("ingest.commit_failed",
                 {{"error", st.message()}, {"events", int64_t(fps.size())}});
      // Nothing of the batch is stored or counted: the client may send it
      // again (503 with Retry-After), here or on another node. The store
      // reconnects by itself (PostgreSQL restarted) on the next commit.
      Status answer = Status::Unavailable("events not stored, retry later: " + st.message());
      for (Pending& p : batch) p.done(answer);
      return;
    }
    {
      std::lock_guard lock(stats_mu);
      if (stats.commit_failing) log::Info("ingest.commit_recovered");
      stats.commit_failing = false;
      stats.commits++;
      stats.dedup_entries = int64_t(dedup.size());
      stats.dedup_bytes = int64_t(dedup.memory_bytes());
      stats.dedup_evicted_days = dedup.evicted_days();
      for (const model::Event& e : conflicts) CountConflict(e.source);
      for (const Pending& p : batch) {
        stats.accepted += p.result.accepted;
        stats.duplicates += p.result.duplicates;
        stats.rejected += p.result.rejected_total;
      }
    }
    if (!runs.empty()) {
      // Checkpoints name the last block applied; the committer is the only
      // writer of blocks, so the last one now is this commit's.
      Result<store::BlockMark> last = store.LastBlock();
      committed_position = last.ok() ? *last : store::BlockMark{.seq = -1};
      log::IfError(last.status(), "ingest.position_unknown");
    }
    {
      std::lock_guard lock(apply_mu);
      apply_queue.push_back({std::move(batch), committed_position, {}, std::move(conflicts)});
    }
    apply_cv.notify_one();
  }

  // The events a shared log did not store (another node had their id):
  // squeezed out of their requests like duplicates, so only the copy that
  // won is counted, on every node, when the tail brings it.
  void DropLost(std::vector<Pending>& batch) {
    std::sort(lost.begin(), lost.end());
    for (Pending& p : batch) {
      size_t kept = 0;
      for (size_t i = 0; i < p.events.size(); ++i) {
        if (std::binary_search(lost.begin(), lost.end(), &p.events[i])) continue;
        if (kept != i) p.events[kept] = std::move(p.events[i]);
        ++kept;
      }
      int64_t dropped = int64_t(p.events.size() - kept);
      p.events.resize(kept);
      p.result.accepted -= dropped;
      p.result.duplicates += dropped;
    }
    lost.clear();
  }

  // Per source, at most kMaxConflictSources names (sources are client
  // strings), the rest under "other". Caller holds stats_mu.
  void CountConflict(const std::string& source) {
    static constexpr size_t kMaxConflictSources = 32;
    stats.conflicting_duplicates++;
    auto it = stats.conflicts_by_source.find(source);
    if (it == stats.conflicts_by_source.end() &&
        stats.conflicts_by_source.size() >= kMaxConflictSources) {
      it = stats.conflicts_by_source.try_emplace("other", 0).first;
    } else if (it == stats.conflicts_by_source.end()) {
      it = stats.conflicts_by_source.try_emplace(source, 0).first;
    }
    it->second++;
  }

  void RunApplier() {
    for (;;) {
      Applied a;
      {
        std::unique_lock lock(apply_mu);
        apply_cv.wait(lock, [&] { return apply_stopping || !apply_queue.empty(); });
        if (apply_queue.empty()) {
          applier_running = false;
          return;
        }
        a = std::move(apply_queue.front());
        apply_queue.pop_front();
        applying = true;
      }
      if (a.tailed) {
        ApplyTailed(a.tail);
        std::lock_guard lock(apply_mu);
        --tail_queued;
        applying = false;
        applied_cv.notify_all();
        continue;
      }
      // Each request is answered as soon as its own events are applied: it
      // is durable already, and its client then sees its events.
      for (Pending& p : a.batch) {
        if (!p.events.empty()) {
          engine.Apply(p.events);
          for (const auto& l : listeners) l.on_events(p.events);
        }
        p.done(std::move(p.result));
      }
      if (!a.conflicts.empty()) {
        for (const auto& l : listeners)
          if (l.on_conflicts) l.on_conflicts(a.conflicts);
      }
      if (a.at_position) {
        a.at_position(applied_position);  // only this thread writes applied_position
      } else {
        std::lock_guard lock(apply_mu);
        applied_position = a.position;
      }
      {
        std::lock_guard lock(apply_mu);
        applying = false;
      }
      applied_cv.notify_all();
    }
  }

  // Another node's block: the engine, then each listener as recovery
  // replays it (governance counts usage at its arrival time).
  void ApplyTailed(std::span<const model::Event> events) {
    engine.Apply(events);
    for (const auto& l : listeners) (l.on_replay ? l.on_replay : l.on_events)(events);
  }

  void RunTail() {
    std::unique_lock lock(tail_mu);
    while (!tail_stopping) {
      lock.unlock();
      TailOnce();
      lock.lock();
      tail_cv.wait_for(lock, std::chrono::milliseconds(opts.tail_interval_ms),
                       [&] { return tail_stopping; });
    }
  }

  void TailOnce() {
    std::lock_guard run(tail_run_mu);
    (void)CatchUp();
  }

  // Reads and applies every block up to the newest seq seen at the start,
  // a page at a time; each page is applied before the next is read, so at
  // most one page of decoded blocks is held. Returns the newest seq it aimed
  // at. Caller holds tail_run_mu.
  Result<int64_t> CatchUp() {
    static constexpr int kTailPage = 16;
    TimeMs started = clock.NowMs();
    Result<store::BlockMark> newest = store.LastBlock();
    Status st = newest.status();
    while (st.ok() && tail_position < newest->seq) {
      Result<int64_t> through =
          store.TailBlocks(tail_position, kTailPage, [&](int64_t, std::vector<model::Event>& b) {
            QueueTailed(b);
            return Status::OK();
          });
      WaitTailApplied();
      st = through.status();
      if (!st.ok() || *through == tail_position) break;  // nothing more (a purge took it)
      tail_position = *through;
    }
    std::lock_guard lock(stats_mu);
    if (!st.ok()) {
      if (stats.tail_errors++ == 0 || stats.tail_errors % 100 == 0)
        log::Error("ingest.tail_failed", {{"error", st.message()}});
      return st;
    }
    stats.log_newest_seq = std::max(stats.log_newest_seq, newest->seq);
    stats.log_applied_seq = tail_position;
    if (tail_position >= newest->seq) caught_up_at = started;
    return newest->seq;
  }

  // A shared log's checkpoint position. The engine holds this node's blocks
  // as soon as they commit and the others' when the tail reads them, so
  // between two polls it is not a prefix of the log: the global last block
  // may be above another node's block the tail has not applied yet. The
  // cut: commits paused (commit_gate, so every block of this node is
  // committed and queued for the applier), the tail brought up to the
  // newest block. Blocks become visible in seq order (the store's order
  // lock), so then the engine, once the applier has run what is queued,
  // holds exactly the blocks up to tail_position: the others' read by the
  // tail, its own all at or below the newest. seq -1 (no checkpoint) when
  // the log cannot be read. Caller holds commit_gate and tail_run_mu.
  store::BlockMark SharedLogCut() {
    Result<int64_t> newest = CatchUp();
    if (!newest.ok() || tail_position < *newest) return {.seq = -1};
    if (tail_position == 0) return {};
    Result<store::BlockMark> at = store.FindBlock(tail_position);
    log::IfError(at.status(), "ingest.position_unknown");
    return at.ok() ? *at : store::BlockMark{.seq = -1};
  }

  // To the applier; applied here when the applier is not running (a
  // checkpoint cut before Start or after Stop).
  void QueueTailed(std::vector<model::Event>& block) {
    Applied a;
    a.tailed = true;
    a.tail.swap(block);
    {
      std::lock_guard lock(stats_mu);
      stats.tailed_blocks++;
      stats.tailed_events += int64_t(a.tail.size());
    }
    {
      std::lock_guard lock(apply_mu);
      if (applier_running) {
        ++tail_queued;
        apply_queue.push_back(std::move(a));
        apply_cv.notify_one();
        return;
      }
    }
    ApplyTailed(a.tail);
  }

  void WaitTailApplied() {
    std::unique_lock lock(apply_mu);
    applied_cv.wait(lock, [&] { return tail_queued == 0; });
  }

  std::unique_ptr<NdjsonParser> TakeParser() {
    std::lock_guard lock(parsers_mu);
    if (parsers.empty()) return std::make_unique<NdjsonParser>(opts.limits, opts.prompt_features);
    auto p = std::move(parsers.back());
    parsers.pop_back();
    return p;
  }

  void GiveParser(std::unique_ptr<NdjsonParser> p) {
    std::lock_guard lock(parsers_mu);
    parsers.push_back(std::move(p));
  }

  // `snapshot`: the request's one price table (all its parts share it).
  void QueueParsed(ParsedBatch parsed, const model::PriceSnapshot& snapshot, Done done) {
    Pending p;
    p.events = std::move(parsed.events);
    for (auto& e : p.events) {
      // The names of the server's own channels are not the client's to
      // claim: boards trust them (docs/leaderboards.md, "Trust by source").
      if (engine::ReservedSourceName(e.source)) e.source.insert(0, "ndjson:");
    }
    Enrich(p.events, snapshot);
    SetRejects(std::move(parsed.rejects), &p.result);
    p.done = std::move(done);
    Enqueue(std::move(p));
  }

  static void SetRejects(Rejects r, IngestResult* out) {
    out->rejected = std::move(r.details);
    out->rejected_total = r.total;
    out->rejected_by_kind = r.by_kind;
  }

  // One SubmitBody request, committed in parts of at most
  // opts.part_events events, so that its memory does not grow with its
  // body. Parts are queued in order; their answers are summed here.
  struct Request {
    std::mutex mu;  // guards everything below
    std::condition_variable cv;
    int in_flight = 0;    // parts queued and not yet answered
    bool parsed = false;  // the last part is queued (or parsing failed)
    IngestResult result;  // summed over the answered parts
    Status error;         // the first failure
    Done done;
  };

  // Counts a part's answer; the request is answered after its last part.
  static void PartDone(const std::shared_ptr<Request>& req, Result<IngestResult> r) {
    std::unique_lock lock(req->mu);
    if (!r.ok()) {
      if (req->error.ok()) req->error = r.status();
    } else {
      req->result.accepted += r->accepted;
      req->result.duplicates += r->duplicates;
      if (r->rejected_total) {  // only the last part carries the rejects
        req->result.rejected = std::move(r->rejected);
        req->result.rejected_total = r->rejected_total;
        req->result.rejected_by_kind = r->rejected_by_kind;
      }
    }
    --req->in_flight;
    bool last = req->parsed && req->in_flight == 0;
    lock.unlock();
    req->cv.notify_all();
    if (last) Answer(req);
  }

  static void Answer(const std::shared_ptr<Request>& req) {
    if (!req->error.ok()) return req->done(req->error);
    req->done(std::move(req->result));
  }

  void QueuePart(const std::shared_ptr<Request>& req, const model::PriceSnapshot& snapshot,
                 ParsedBatch part) {
    {
      // At most two parts wait for the committer: it keeps up, and a long
      // body does not pile up parsed events faster than they are written.
      std::unique_lock lock(req->mu);
      req->cv.wait(lock, [&] { return req->in_flight < 2; });
      ++req->in_flight;
    }
    QueueParsed(std::move(part), snapshot,
                [req](Result<IngestResult> r) { PartDone(req, std::move(r)); });
  }

  void ParseBody(NdjsonParser& parser, ParseJob& job) {
    auto req = std::make_shared<Request>();
    req->done = std::move(job.done);
    parser.Begin(clock.NowMs());
    // One price table for every part of the request, so a reload never
    // splits a request between two tables.
    auto snapshot = prices.Current();
    Status st = DecodeStream(job.body, job.encoding, job.max_decoded, [&](std::string_view piece) {
      parser.Feed(piece);
      if (parser.pending_events() >= opts.part_events)
        QueuePart(req, *snapshot, parser.TakeEvents());
    });
    ParsedBatch last = parser.Finish();
    std::string().swap(job.body);  // the events are all that is needed now
    if (st.ok()) {
      QueuePart(req, *snapshot, std::move(last));  // with the rejects, even when it has no events
    }
    std::unique_lock lock(req->mu);
    if (!st.ok() && req->error.ok()) req->error = st;
    req->parsed = true;
    bool answer = req->in_flight == 0;
    lock.unlock();
    if (answer) Answer(req);
  }

  void RunParseThread() {
    NdjsonParser parser(opts.limits, opts.prompt_features);
    for (;;) {
      ParseJob job;
      {
        std::unique_lock lock(parse_mu);
        parse_cv.wait(lock, [&] { return !parse_running || !parse_jobs.empty(); });
        if (parse_jobs.empty()) return;  // stopped and drained
        job = std::move(parse_jobs.front());
        parse_jobs.pop_front();
      }
      ParseBody(parser, job);
    }
  }
};

Ingestor::Ingestor(IngestOptions opts, store::Store& store, engine::Engine& engine,
                   model::Identity& identity, const model::PriceBook& prices, const Clock& clock)
    : impl_(std::make_unique<Impl>(std::move(opts), store, engine, identity, prices, clock)) {}

Ingestor::~Ingestor() { Stop(); }

Status Ingestor::Recover(int64_t engine_through_seq, std::function<bool()> engine_loaded) {
  RecoveryPlan plan;
  plan.engine = &impl_->engine;
  plan.dedup = &impl_->dedup;
  TimeMs now = impl_->clock.NowMs();
  plan.dedup_from = now - impl_->opts.dedup_window_days * kDayMs;
  for (const Listener& l : impl_->listeners) {
    plan.listeners.push_back(
        {l.on_replay ? l.on_replay : l.on_events,
         l.replay_from ? l.replay_from(now) : std::numeric_limits<TimeMs>::min()});
  }
  plan.engine_after_seq = engine_through_seq;
  plan.engine_loaded = std::move(engine_loaded);
  RecoveryStats st;
  Status status = RunRecovery(plan, impl_->store, &st);
  if (status.ok()) {
    Result<store::BlockMark> last = impl_->store.LastBlock();
    if (!last.ok()) status = last.status();
    impl_->committed_position = last.ok() ? *last : store::BlockMark{.seq = -1};
    {
      std::lock_guard run(impl_->tail_run_mu);
      impl_->tail_position = st.through_seq;  // no node's block below it was missed
    }
    std::lock_guard lock(impl_->apply_mu);
    impl_->applied_position = impl_->committed_position;
  }
  std::lock_guard lock(impl_->stats_mu);
  impl_->recovery = st;
  return status;
}

Ingestor::RecoveryStats Ingestor::recovery_stats() const {
  std::lock_guard lock(impl_->stats_mu);
  return impl_->recovery;
}

void Ingestor::Start() {
  std::lock_guard lock(impl_->mu);
  if (impl_->committer.joinable()) return;
  impl_->stopping = false;
  {
    std::lock_guard apply_lock(impl_->apply_mu);
    impl_->apply_stopping = false;
    impl_->applier_running = true;
  }
  impl_->applier = std::thread([this] {
    pthread_setname_np(pthread_self(), "br-applier");
    // New users' state is allocated here, a few small blocks each: start
    // with an arena that need not grow page by page (common/heap.h).
    PrefaultThreadHeap(kApplierHeapBytes);
    impl_->RunApplier();
  });
  impl_->committer = std::thread([this] {
    pthread_setname_np(pthread_self(), "br-committer");
    impl_->Run();
  });
  if (impl_->store.shared_log() && impl_->opts.tail_interval_ms > 0) {
    {
      std::lock_guard tail_lock(impl_->tail_mu);
      impl_->tail_stopping = false;
    }
    {
      std::lock_guard stats_lock(impl_->stats_mu);
      impl_->stats.tailing = true;
      impl_->caught_up_at = impl_->clock.NowMs();
    }
    impl_->tail_thread = std::thread([this] {
      pthread_setname_np(pthread_self(), "br-tail");
      impl_->RunTail();
    });
  }
  std::lock_guard parse_lock(impl_->parse_mu);
  impl_->parse_running = true;
  for (int i = 0; i < std::max(1, impl_->opts.parse_threads); ++i) {
    impl_->parse_threads.emplace_back([this] {
      pthread_setname_np(pthread_self(), "br-parse");
      setpriority(PRIO_PROCESS, gettid(), 5);  // this thread only; failure just leaves it at 0
      impl_->RunParseThread();
    });
  }
}

void Ingestor::Stop() {
  // The tail first: it hands blocks to the applier and waits for them.
  {
    std::lock_guard lock(impl_->tail_mu);
    impl_->tail_stopping = true;
  }
  impl_->tail_cv.notify_all();
  if (impl_->tail_thread.joinable()) impl_->tail_thread.join();
  // Parse threads first: the bodies they still hold become queued batches.
  {
    std::lock_guard lock(impl_->parse_mu);
    impl_->parse_running = false;
  }
  impl_->parse_cv.notify_all();
  for (auto& t : impl_->parse_threads) t.join();
  impl_->parse_threads.clear();
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  if (impl_->committer.joinable()) impl_->committer.join();
  {
    std::lock_guard lock(impl_->apply_mu);
    impl_->apply_stopping = true;
  }
  impl_->apply_cv.notify_all();
  if (impl_->applier.joinable()) impl_->applier.join();
}

void Ingestor::AtAppliedPosition(const std::function<void(const store::BlockMark&)>& fn) {
  Impl& m = *impl_;
  std::promise<void> ran;
  std::optional<store::BlockMark> now;  // set when the applier is not running
  // Outlives the block below: the queued marker reads it on the applier's
  // thread while this function waits for it.
  std::optional<store::BlockMark> cut;
  {
    // A shared log: the position is the cut (SharedLogCut), computed with
    // commits and the tail paused until the marker is queued behind them.
    std::unique_lock<std::mutex> gate, run;
    if (m.store.shared_log()) {
      gate = std::unique_lock(m.commit_gate);
      run = std::unique_lock(m.tail_run_mu);
      cut = m.SharedLogCut();
    }
    std::lock_guard lock(m.apply_mu);
    if (m.applier_running) {
      // The applier leaves only with an empty queue, so it runs this marker.
      m.apply_queue.push_back({{}, {}, [&](const store::BlockMark& at) {
                                 fn(cut ? *cut : at);
                                 ran.set_value();
                               }});
    } else {
      now = cut ? *cut : m.applied_position;
    }
  }
  if (now) return fn(*now);
  m.apply_cv.notify_one();
  ran.get_future().wait();
}

void Ingestor::WaitApplied() {
  std::unique_lock lock(impl_->apply_mu);
  impl_->applied_cv.wait(lock, [&] { return impl_->apply_queue.empty() && !impl_->applying; });
}

void Ingestor::SubmitNdjson(std::string_view body, Done done) {
  auto parser = impl_->TakeParser();
  ParsedBatch parsed = parser->Parse(body, impl_->clock.NowMs());
  impl_->GiveParser(std::move(parser));
  impl_->QueueParsed(std::move(parsed), *impl_->prices.Current(), std::move(done));
}

void Ingestor::SubmitBody(std::string body, Encoding encoding, size_t max_decoded_bytes,
                          Done done) {
  Status refused;
  {
    std::lock_guard lock(impl_->parse_mu);
    if (!impl_->parse_running) {
      refused = Status::Unavailable(
          "burnrate is not accepting events now (starting or shutting down); retry later");
    } else if (impl_->parse_jobs.size() >= impl_->opts.max_waiting_bodies) {
      refused =
          Status::Unavailable("burnrate is busy: " + std::to_string(impl_->parse_jobs.size()) +
                              " bodies are waiting to be parsed; retry later");
    } else {
      impl_->parse_jobs.push_back({std::move(body), encoding, max_decoded_bytes, std::move(done)});
    }
  }
  if (!refused.ok()) return done(refused);
  impl_->parse_cv.notify_one();
}

void Ingestor::SubmitEvents(std::vector<model::Event> events, Done done) {
  Impl::Pending p;
  auto prices = impl_->prices.Current();
  Rejects rejects;
  rejects.max_details = impl_->opts.limits.max_reject_details;
  int64_t i = 0;
  for (auto& e : events) {
    ++i;
    if (e.id.empty() || e.user.empty() || (e.type == model::EventType::kUsage && e.model.empty())) {
      rejects.Add({i, "id, user and (for usage) model are required",
                   e.id.empty()     ? "id"
                   : e.user.empty() ? "user"
                                    : "model",
                   RejectKind::kMissingField});
      continue;
    }
    if (e.received == 0) e.received = impl_->clock.NowMs();
    p.events.push_back(std::move(e));
  }
  impl_->Enrich(p.events, *prices);
  Impl::SetRejects(std::move(rejects), &p.result);
  p.done = std::move(done);
  impl_->Enqueue(std::move(p));
}

Result<IngestResult> Ingestor::IngestSync(std::vector<model::Event> events) {
  std::promise<Result<IngestResult>> promise;
  auto future = promise.get_future();
  SubmitEvents(std::move(events), [&](Result<IngestResult> r) { promise.set_value(std::move(r)); });
  return future.get();
}

void Ingestor::AddListener(EventsListener l) {
  impl_->listeners.push_back({std::move(l), {}, {}, {}});
}
void Ingestor::AddListener(Listener l) { impl_->listeners.push_back(std::move(l)); }

IngestStats Ingestor::stats() const {
  IngestStats s;
  {
    std::lock_guard lock(impl_->stats_mu);
    s = impl_->stats;
  }
  if (s.tailing) {
    std::lock_guard lock(impl_->stats_mu);
    s.log_lag_blocks = std::max<int64_t>(0, s.log_newest_seq - s.log_applied_seq);
    s.log_lag_seconds =
        std::max<double>(0, double(impl_->clock.NowMs() - impl_->caught_up_at) / 1e3);
  }
  std::lock_guard lock(impl_->mu);
  s.queue_events = int64_t(impl_->queued_events);
  return s;
}

}  // namespace burnrate::ingest
