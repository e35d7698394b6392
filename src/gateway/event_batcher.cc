#include "gateway/event_batcher.h"

#include <pthread.h>

namespace burnrate::gateway {

EventBatcher::EventBatcher(Flush flush, size_t max_events, std::chrono::milliseconds max_delay)
    : flush_(std::move(flush)),
      max_events_(std::max<size_t>(1, max_events)),
      max_delay_(max_delay) {}

EventBatcher::~EventBatcher() { Stop(); }

void EventBatcher::Start() {
  std::lock_guard lock(mu_);
  if (running_ || stopping_) return;
  running_ = true;
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "br-gw-events");
    Run();
  });
}

void EventBatcher::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::vector<std::vector<model::Event>> rest;
  {
    std::lock_guard lock(mu_);
    rest.swap(full_);
    if (!batch_.empty()) rest.push_back(std::move(batch_));
    batch_.clear();
  }
  for (auto& b : rest) flush_(std::move(b));
}

void EventBatcher::Add(model::Event e) {
  std::vector<model::Event> full;
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    if (batch_.empty()) {
      first_at_ = std::chrono::steady_clock::now(), wake = true;
      // Sized like the last batch at once: grown by doubling, a batch of
      // 512 moved its events ten times over, on the I/O thread. Halved
      // each batch, so that a burst does not size every later batch.
      batch_.reserve(std::min(last_batch_, max_events_));
      last_batch_ /= 2;
    }
    batch_.push_back(std::move(e));
    last_batch_ = std::max(last_batch_, batch_.size());
    if (!running_ || stopping_) {
      full.swap(batch_);  // no thread to flush it later: the caller flushes
    } else if (batch_.size() >= max_events_) {
      // A full batch goes to the batcher's thread: the caller is an I/O
      // thread with other connections to serve. Only when that thread is
      // kMaxWaiting batches behind does the caller flush (back-pressure).
      if (full_.size() >= kMaxWaiting) {
        full.swap(batch_);
      } else {
        full_.push_back(std::move(batch_));
        batch_.clear();
        wake = true;
      }
    }
  }
  if (!full.empty()) return flush_(std::move(full));
  if (wake) cv_.notify_one();  // the thread sleeps until a batch starts or fills
}

// Waits for a batch to start, then until it is max_delay_ old or full, and
// flushes it (and any other full ones).
void EventBatcher::Run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || !batch_.empty() || !full_.empty(); });
    if (stopping_) return;
    if (full_.empty()) {
      auto due = first_at_ + max_delay_;
      cv_.wait_until(lock, due, [&] { return stopping_ || batch_.empty() || !full_.empty(); });
      if (stopping_) return;
      if (full_.empty()) {
        if (batch_.empty() || std::chrono::steady_clock::now() < due) continue;
        full_.push_back(std::move(batch_));
        batch_.clear();
      }
    }
    std::vector<std::vector<model::Event>> ready;
    ready.swap(full_);
    lock.unlock();
    for (auto& b : ready) flush_(std::move(b));
    lock.lock();
  }
}

}  // namespace burnrate::gateway
