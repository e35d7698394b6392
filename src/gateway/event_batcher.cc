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
  std::vector<model::Event> rest;
  {
    std::lock_guard lock(mu_);
    rest.swap(batch_);
  }
  if (!rest.empty()) flush_(std::move(rest));
}

void EventBatcher::Add(model::Event e) {
  std::vector<model::Event> full;
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    if (batch_.empty()) first_at_ = std::chrono::steady_clock::now(), wake = true;
    batch_.push_back(std::move(e));
    // A full batch, or no thread to flush it later: the caller flushes.
    if (batch_.size() >= max_events_ || !running_ || stopping_) full.swap(batch_);
  }
  if (!full.empty()) return flush_(std::move(full));
  if (wake) cv_.notify_one();  // the thread sleeps until a batch starts
}

// Waits for a batch to start, then until it is max_delay_ old (or taken by
// an Add() that filled it), and flushes it.
void EventBatcher::Run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || !batch_.empty(); });
    if (stopping_) return;
    auto due = first_at_ + max_delay_;
    cv_.wait_until(lock, due, [&] { return stopping_ || batch_.empty(); });
    if (stopping_) return;
    if (batch_.empty() || std::chrono::steady_clock::now() < due) continue;
    std::vector<model::Event> batch;
    batch.swap(batch_);
    lock.unlock();
    flush_(std::move(batch));
    lock.lock();
  }
}

}  // namespace burnrate::gateway
