// Internal to the app layer: the state behind the leaderboard extras
// (OTLP ingestion, badges, profiles), owned by App::Impl::board.
//
// Thread-safety: the Receiver and the BadgeService are thread-safe; the
// worker thread re-evaluates badges every evaluate_ms and snapshots ranks
// every snapshot_ms until the state is destroyed (the destructor stops and
// joins it, before the engine it reads goes away).
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "badges/badges.h"
#include "otlp/otlp.h"

namespace burnrate::app {

struct BoardState {
  explicit BoardState(otlp::ReceiverOptions o) : otlp(std::move(o)) {}
  otlp::Receiver otlp;
  std::string otlp_error;                        // set when its state store could not open
  std::unique_ptr<badges::BadgeService> badges;  // null when it could not open
  std::string badges_error;                      // why, then
  TimeMs evaluate_ms = 30 * kSecondMs;
  TimeMs snapshot_ms = 10 * kMinuteMs;

  std::thread worker;
  std::mutex mu;  // guards stopping, last_error
  std::condition_variable cv;
  bool stopping = false;
  std::string last_error;

  void Run() {
    TimeMs since_snapshot = snapshot_ms;  // snapshot once at start
    for (;;) {
      if (badges) {
        Status st = badges->Evaluate();
        if (st.ok() && since_snapshot >= snapshot_ms)
          st = badges->SnapshotRanks(), since_snapshot = 0;
        std::lock_guard lock(mu);
        last_error = st.ok() ? "" : st.message();
      }
      std::unique_lock lock(mu);
      if (cv.wait_for(lock, std::chrono::milliseconds(evaluate_ms), [&] { return stopping; }))
        return;
      since_snapshot += evaluate_ms;
    }
  }

  ~BoardState() {
    {
      std::lock_guard lock(mu);
      stopping = true;
    }
    cv.notify_all();
    if (worker.joinable()) worker.join();
  }
};

}  // namespace burnrate::app
