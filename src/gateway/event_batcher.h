// EventBatcher: the gateway's usage events, handed to ingestion in batches.
//
// One event per forwarded request went to the ingest queue as its own
// submission: a lock, a wake-up of the committer and a completion callback
// per request, at 8k requests a second. The batcher collects events and
// hands them on together when `max_events` are waiting, or `max_delay`
// after the first of them arrived, whichever comes first, and at Stop().
// Budgets do not wait for it: the gateway settles each request's usage with
// the governor before the event is added here. A crash loses at most the
// events of the last `max_delay` from the boards, as it would lose any
// submission not yet acknowledged.
//
// A full batch is handed to the batcher's thread too, not flushed by the
// Add() that filled it: that Add() runs on an HTTP I/O thread, which would
// stop serving its other connections for the flush (ingestion of 512
// events). Only when kMaxWaiting full batches wait for the thread does an
// Add() flush itself, so that a stuck sink holds the gateway back instead
// of growing memory.
//
// Thread-safety: Add() from any thread. The flush callback runs on the
// batcher's own thread, or on an Add()'s thread when kMaxWaiting batches
// wait or the batcher is not running, or in Stop(); never under the
// batcher's lock. Start() once, Stop() once
// (idempotent; the destructor calls it).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "model/event.h"

namespace burnrate::gateway {

class EventBatcher {
 public:
  using Flush = std::function<void(std::vector<model::Event>)>;
  EventBatcher(Flush flush, size_t max_events, std::chrono::milliseconds max_delay);
  ~EventBatcher();
  EventBatcher(const EventBatcher&) = delete;
  EventBatcher& operator=(const EventBatcher&) = delete;

  void Start();
  // Flushes what waits and joins the thread; later Add()s flush at once.
  void Stop();
  void Add(model::Event e);

  static constexpr size_t kMaxWaiting = 8;

 private:
  void Run();

  const Flush flush_;
  const size_t max_events_;
  const std::chrono::milliseconds max_delay_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<model::Event> batch_;                 // guarded by mu_
  size_t last_batch_ = 0;                           // guarded by mu_: a recent batch's size
  std::vector<std::vector<model::Event>> full_;     // guarded by mu_: for the thread
  std::chrono::steady_clock::time_point first_at_;  // guarded by mu_: batch_[0]'s arrival
  bool running_ = false, stopping_ = false;         // guarded by mu_
  std::thread thread_;
};

}  // namespace burnrate::gateway
