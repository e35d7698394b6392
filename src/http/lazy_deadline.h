// A connection's timeout that is set once per request without touching a
// timer once per request. Private to the translation units that already
// hold Asio: the server (a kept-alive connection's idle wait and its head's
// reads) and the gateway's upstream client (the wait for an answer).
//
// Why: Beast's tcp_stream arms its timer on every operation and cancels it
// when the operation completes. Per request and side that is a timer-queue
// insertion, a timerfd_settime system call (the new expiry is the loop's
// earliest), a cancellation whose handler runs on one more turn of the
// event loop, and the bookkeeping around them: about 3.7k instructions and
// two system calls of the gateway's 75k instructions per request
// (docs/PERFORMANCE.md, "Metering gateway", 2026-12-07). Here a request
// only stores its deadline. The timer stays armed at an earlier deadline;
// when it fires it compares the clock with the newest deadline and either
// expires or arms itself again for that one: once per timeout period per
// connection, not once per request. A deadline earlier than the armed
// expiry re-arms at once, so no deadline is ever late.
//
// Thread-safety: none; every call, and the expiry callback, run on the
// executor given at construction (the connection's strand or loop).
#pragma once

#include <boost/asio/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <utility>

namespace burnrate::http::detail {

class LazyDeadline {
 public:
  using Clock = std::chrono::steady_clock;

  // `on_expiry` runs when a deadline set by Set() passes before Clear().
  template <class Executor>
  LazyDeadline(const Executor& ex, std::function<void()> on_expiry)
      : timer_(ex), state_(std::make_shared<State>()) {
    state_->self = this;
    state_->on_expiry = std::move(on_expiry);
  }
  LazyDeadline(const LazyDeadline&) = delete;
  LazyDeadline& operator=(const LazyDeadline&) = delete;
  ~LazyDeadline() { Cancel(); }

  // The deadline is `d` from now (replacing any earlier one).
  void Set(std::chrono::milliseconds d) {
    deadline_ = Clock::now() + d;
    expired_ = false;
    if (armed_ && timer_.expiry() <= deadline_) return;  // it fires first, then re-arms
    Arm();
  }
  // No deadline until the next Set(); the timer, if armed, stays so and
  // finds nothing to do when it fires.
  void Clear() { deadline_ = Clock::time_point::max(); }
  // Clear(), and the timer's wait ended now (a closed connection).
  void Cancel() {
    Clear();
    if (!armed_) return;
    armed_ = false;
    ++state_->generation;
    timer_.cancel();
  }
  // Whether the last deadline set passed (the expiry callback ran).
  bool expired() const { return expired_; }
  // How many times the timer was armed (for tests).
  uint64_t arms() const { return arms_; }

 private:
  // Shared with the timer's handler, which may run after this object is
  // gone (it then finds the state expired) or after a newer arming (it
  // then finds a newer generation).
  struct State {
    LazyDeadline* self = nullptr;
    uint64_t generation = 0;
    std::function<void()> on_expiry;
  };

  void Arm() {
    armed_ = true;
    ++arms_;
    uint64_t gen = ++state_->generation;
    timer_.expires_at(deadline_);  // a wait already armed ends as aborted
    timer_.async_wait([w = std::weak_ptr<State>(state_), gen](boost::system::error_code ec) {
      if (ec == boost::asio::error::operation_aborted) return;
      std::shared_ptr<State> st = w.lock();
      if (st == nullptr || st->generation != gen) return;
      st->self->Fire();
    });
  }

  void Fire() {
    armed_ = false;
    if (deadline_ == Clock::time_point::max()) return;
    if (Clock::now() < deadline_) return Arm();
    deadline_ = Clock::time_point::max();
    expired_ = true;
    // Copied: the callback may destroy this object (and so the state).
    std::function<void()> cb = state_->on_expiry;
    cb();
  }

  boost::asio::steady_timer timer_;
  std::shared_ptr<State> state_;
  Clock::time_point deadline_ = Clock::time_point::max();
  bool armed_ = false;
  bool expired_ = false;
  uint64_t arms_ = 0;
};

}  // namespace burnrate::http::detail
