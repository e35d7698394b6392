// Internal to the app layer: the state behind the leaderboard extras
// (OTLP ingestion, badges, profiles), owned by App::Impl::board.
//
// Thread-safety: the Receiver and the BadgeService are thread-safe; the
// worker thread re-evaluates badges and snapshots ranks until the state is
// destroyed (the destructor stops and joins it).
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "otlp/otlp.h"

namespace burnrate::app {

struct BoardState {
  otlp::Receiver otlp;

  std::thread worker;
  std::mutex mu;  // guards stopping
  std::condition_variable cv;
  bool stopping = false;

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
