// Time as burnrate sees it: milliseconds since the Unix epoch, UTC, as int64.
//
// Logic never reads the wall clock itself: it is handed a Clock (or a time)
// so that windows, limits and detectors are testable with a FakeClock.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace burnrate {

using TimeMs = int64_t;  // ms since 1970-01-01T00:00:00Z
constexpr TimeMs kSecondMs = 1000;
constexpr TimeMs kMinuteMs = 60 * kSecondMs;
constexpr TimeMs kHourMs = 60 * kMinuteMs;
constexpr TimeMs kDayMs = 24 * kHourMs;

// Thread-safe source of the current time.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimeMs NowMs() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimeMs NowMs() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  static SystemClock& Get() {
    static SystemClock c;
    return c;
  }
};

// A clock that moves only when told to. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimeMs now = 0) : now_(now) {}
  TimeMs NowMs() const override { return now_.load(std::memory_order_relaxed); }
  void Set(TimeMs t) { now_.store(t, std::memory_order_relaxed); }
  void Advance(TimeMs d) { now_.fetch_add(d, std::memory_order_relaxed); }

 private:
  std::atomic<TimeMs> now_;
};

// Floor division that rounds towards negative infinity.
constexpr int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

}  // namespace burnrate
