// Recovery as a three-stage pipeline.
//
// A restart must rebuild, from tens of millions of stored events, state
// that three independent consumers hold: the engine's hourly buckets (needs
// every event), the de-duplication index (needs the ids of the last eight
// days) and the listeners (governance, detection: need only recent events,
// see Listener::replay_from in ingest.h). Done on one thread, the costs add
// up: decoding, hashing ids into a cold 1 GB table, and the engine's
// per-entity updates.
//
// So the stages run on their own threads and overlap: the caller's thread
// scans the store and takes each decoded block into a ring slot; an applier thread
// applies the slot to the engine and the listeners; an indexer thread
// fingerprints the ids and inserts them in bulk (DedupIndex::RestoreBatch,
// which sizes the table once per batch and prefetches). A slot is reused
// only after both consumers are done with it; the ring holds kSlots
// batches, so memory stays at a few batches whatever the history. Blocks
// are taken, not copied (Store::ScanEventBlocks): the slot's vector is
// swapped with the store's, and the store decodes the next block into the
// events the slot held before, reusing their strings' buffers. Copying
// instead cost about as much as decoding (10 s of CPU for 50M events).
//
// Order is kept: every consumer sees the batches in arrival order, which is
// what the engine's sessions and the listeners' windows assume.
#include "ingest/recovery.h"

#include <time.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "engine/engine.h"
#include "store/store.h"

namespace burnrate::ingest {
namespace {

using SteadyClock = std::chrono::steady_clock;  // timing for stats only, not logic

double Since(SteadyClock::time_point t) {
  return std::chrono::duration<double>(SteadyClock::now() - t).count();
}

// CPU time of the calling thread: what a stage costs whatever else the
// machine runs (waiting on the ring costs none).
double ThreadCpu() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

constexpr int kSlots = 4;
constexpr int kConsumers = 2;  // 0: engine and listeners, 1: dedup index

class Ring {
 public:
  struct Slot {
    int64_t seq = 0;  // the events' block (0: rows from before blocks)
    std::vector<model::Event> events;
    std::span<const model::Event> view() const { return events; }
  };

  // Producer: the next free slot, waiting for the consumers if all are taken.
  Slot& Acquire() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return produced_ - MinConsumed() < kSlots; });
    return slots_[produced_ % kSlots];
  }
  void Publish() {
    {
      std::lock_guard lock(mu_);
      ++produced_;
    }
    cv_.notify_all();
  }
  void Close() {
    {
      std::lock_guard lock(mu_);
      closed_ = true;
    }
    cv_.notify_all();
  }
  // Consumer c: the next slot, or null once the ring is closed and drained.
  const Slot* Next(int c) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return consumed_[c] < produced_ || closed_; });
    return consumed_[c] < produced_ ? &slots_[consumed_[c] % kSlots] : nullptr;
  }
  void Done(int c) {
    {
      std::lock_guard lock(mu_);
      ++consumed_[c];
    }
    cv_.notify_all();
  }

 private:
  int64_t MinConsumed() const {
    int64_t m = consumed_[0];
    for (int c = 1; c < kConsumers; ++c) m = std::min(m, consumed_[c]);
    return m;
  }

  std::mutex mu_;  // guards produced_, consumed_, closed_ (not the slots)
  std::condition_variable cv_;
  Slot slots_[kSlots];
  int64_t produced_ = 0;
  int64_t consumed_[kConsumers] = {};
  bool closed_ = false;
};

// `engine_ok`: false when the checkpoint being loaded failed (the engine
// then got nothing here; RunRecovery replays everything into it).
void ApplyStage(const RecoveryPlan& plan, Ring& ring, Ingestor::RecoveryStats* st,
                bool* engine_ok) {
  bool waited = !plan.engine_loaded;
  while (const Ring::Slot* slot = ring.Next(0)) {
    double t0 = ThreadCpu();
    if (slot->seq > plan.engine_after_seq) {
      if (!waited) *engine_ok = plan.engine_loaded(), waited = true;
      if (*engine_ok) {
        plan.engine->Apply(slot->view());
        st->engine_events += int64_t(slot->events.size());
      }
    }
    double t1 = ThreadCpu();
    for (size_t i = 0; i < plan.listeners.size(); ++i) {
      auto tail =
          slot->view().subspan(FirstReceivedAtOrAfter(slot->view(), plan.listeners[i].from));
      if (tail.empty()) continue;
      plan.listeners[i].fn(tail);
      if (i < 4) st->replayed[i] += int64_t(tail.size());
    }
    st->apply_cpu_seconds += t1 - t0;
    st->listener_cpu_seconds += ThreadCpu() - t1;
    ring.Done(0);
  }
  if (!waited) *engine_ok = plan.engine_loaded();
}

void IndexStage(const RecoveryPlan& plan, Ring& ring, Ingestor::RecoveryStats* st) {
  std::vector<uint64_t> fps;
  std::vector<TimeMs> arrivals;
  std::vector<uint32_t> digests;
  while (const Ring::Slot* slot = ring.Next(1)) {
    double t0 = ThreadCpu();
    fps.clear(), arrivals.clear(), digests.clear();
    for (const model::Event& e : slot->view()) {
      if (e.received < plan.dedup_from) continue;
      fps.push_back(model::EventFingerprint(e));
      arrivals.push_back(e.received);
      digests.push_back(model::UsageDigest(e));
    }
    plan.dedup->RestoreBatch(fps, arrivals, digests);
    st->dedup_restored += int64_t(fps.size());
    st->dedup_cpu_seconds += ThreadCpu() - t0;
    ring.Done(1);
  }
}

Status ReplayRollups(engine::Engine& engine, store::Store& store, Ingestor::RecoveryStats* st) {
  // Rollups are history past raw retention: engine only.
  std::vector<model::Event> chunk;
  Status s = store.ScanRollups([&](const model::Event& e) {
    chunk.push_back(e);
    ++st->rollups;
    if (chunk.size() >= 8192) engine.Apply(chunk), chunk.clear();
    return Status::OK();
  });
  engine.Apply(chunk);
  return s;
}

// The checkpoint did not load after all (its checksum is read last): the
// engine alone gets every rollup and stored event, as in a full replay.
Status ReplayEngineOnly(engine::Engine& engine, store::Store& store, Ingestor::RecoveryStats* st) {
  BR_RETURN_IF_ERROR(ReplayRollups(engine, store, st));
  return store.ScanEventBlocksAfter(-1, 0, [&](int64_t, std::vector<model::Event>& events) {
    engine.Apply(events);
    st->engine_events += int64_t(events.size());
    return Status::OK();
  });
}

}  // namespace

size_t FirstReceivedAtOrAfter(std::span<const model::Event> events, TimeMs from) {
  size_t i = 0;
  while (i < events.size() && events[i].received < from) ++i;
  return i;
}

Status RunRecovery(const RecoveryPlan& plan, store::Store& store, Ingestor::RecoveryStats* st) {
  auto t0 = SteadyClock::now();
  // From a checkpoint, rollups are in the engine already: Purge only folds
  // blocks at or below the checkpoint's (the caller checked PurgedThrough).
  if (plan.engine_after_seq < 0) BR_RETURN_IF_ERROR(ReplayRollups(*plan.engine, store, st));
  TimeMs needed_from = plan.dedup_from;  // below the checkpoint, what the index and listeners need
  for (const auto& l : plan.listeners) needed_from = std::min(needed_from, l.from);
  Ring ring;
  Ingestor::RecoveryStats applied, indexed;  // written by one stage each
  bool engine_ok = true;
  std::thread applier([&] { ApplyStage(plan, ring, &applied, &engine_ok); });
  std::thread indexer([&] { IndexStage(plan, ring, &indexed); });
  double scan_start = ThreadCpu();
  Status s = store.ScanEventBlocksAfter(
      plan.engine_after_seq, needed_from, [&](int64_t seq, std::vector<model::Event>& events) {
        Ring::Slot& slot = ring.Acquire();
        slot.seq = seq;
        st->through_seq = std::max(st->through_seq, seq);
        std::swap(slot.events,
                  events);  // the store decodes the next block into this slot's old events
        st->events += int64_t(slot.events.size());
        ring.Publish();
        return Status::OK();
      });
  st->scan_cpu_seconds = ThreadCpu() - scan_start;  // the store: reading and decoding blocks
  ring.Close();
  applier.join();
  indexer.join();
  st->apply_cpu_seconds = applied.apply_cpu_seconds;
  st->engine_events = applied.engine_events;
  st->listener_cpu_seconds = applied.listener_cpu_seconds;
  std::copy(std::begin(applied.replayed), std::end(applied.replayed), std::begin(st->replayed));
  st->dedup_cpu_seconds = indexed.dedup_cpu_seconds;
  st->dedup_restored = indexed.dedup_restored;
  if (s.ok() && !engine_ok) s = ReplayEngineOnly(*plan.engine, store, st);
  st->seconds = Since(t0);
  return s;
}

}  // namespace burnrate::ingest
