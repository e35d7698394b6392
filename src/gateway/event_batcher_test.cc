#include "gateway/event_batcher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <set>
#include <thread>

namespace burnrate::gateway {
namespace {

struct Sink {
  std::mutex mu;
  std::vector<std::vector<std::string>> batches;  // guarded by mu
  EventBatcher::Flush Fn() {
    return [this](std::vector<model::Event> b) {
      std::vector<std::string> ids;
      for (auto& e : b) ids.push_back(e.id);
      std::lock_guard lock(mu);
      batches.push_back(std::move(ids));
    };
  }
  size_t Count() {
    std::lock_guard lock(mu);
    return batches.size();
  }
};

model::Event Ev(std::string id) {
  model::Event e;
  e.id = std::move(id);
  return e;
}

// A full batch is not flushed on the thread that filled it (an HTTP I/O
// thread in the gateway) but handed to the batcher's thread, at once.
TEST(EventBatcher, FullBatchIsFlushedOnTheBatcherThread) {
  std::mutex mu;
  std::vector<std::pair<std::vector<std::string>, std::thread::id>> got;  // guarded by mu
  EventBatcher b(
      [&](std::vector<model::Event> batch) {
        std::vector<std::string> ids;
        for (auto& e : batch) ids.push_back(e.id);
        std::lock_guard lock(mu);
        got.emplace_back(std::move(ids), std::this_thread::get_id());
      },
      3, std::chrono::hours(1));
  b.Start();
  b.Add(Ev("a"));
  b.Add(Ev("b"));
  b.Add(Ev("c"));
  auto count = [&] {
    std::lock_guard lock(mu);
    return got.size();
  };
  // Not a timing assertion: it must come long before the hour's delay.
  for (int i = 0; i < 10000 && count() == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_EQ(count(), 1u);
  EXPECT_EQ(got[0].first, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_NE(got[0].second, std::this_thread::get_id());
  b.Add(Ev("d"));
  b.Stop();  // the rest
  ASSERT_EQ(count(), 2u);
  EXPECT_EQ(got[1].first, (std::vector<std::string>{"d"}));
}

// When the thread is kMaxWaiting batches behind (a stuck sink), the Add()
// that fills one more flushes it itself.
TEST(EventBatcher, StuckSinkMakesTheFillingAddFlush) {
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  std::atomic<int> flushed{0}, on_caller{0};
  const std::thread::id caller = std::this_thread::get_id();
  EventBatcher b(
      [&](std::vector<model::Event>) {
        if (std::this_thread::get_id() == caller) {
          ++on_caller, ++flushed;
          return;
        }
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return release; });
        ++flushed;
      },
      1, std::chrono::hours(1));
  b.Start();
  // The thread takes what is waiting when it wakes (at most kMaxWaiting
  // batches) and blocks in the first; then at most kMaxWaiting more wait:
  // of these 2 kMaxWaiting + 3 batches at least three are flushed by Add()
  // itself, whenever the thread wakes (with kMaxWaiting + 3, a thread that
  // woke late and took several left room for all the rest).
  const size_t batches = 2 * EventBatcher::kMaxWaiting + 3;
  for (size_t i = 0; i < batches; ++i) b.Add(Ev(std::to_string(i)));
  EXPECT_GE(on_caller.load(), 3);
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  b.Stop();
  EXPECT_EQ(flushed.load(), int(batches));
}

TEST(EventBatcher, PartialBatchIsFlushedAfterTheDelay) {
  Sink sink;
  EventBatcher b(sink.Fn(), 1000, std::chrono::milliseconds(5));
  b.Start();
  b.Add(Ev("a"));
  b.Add(Ev("b"));
  // Not a timing assertion: it must come, however loaded the machine.
  for (int i = 0; i < 10000 && sink.Count() == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_GE(sink.Count(), 1u);
  b.Add(Ev("c"));
  for (int i = 0; i < 10000 && sink.Count() < 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  b.Stop();
  size_t n = 0;
  for (auto& batch : sink.batches) n += batch.size();
  EXPECT_EQ(n, 3u);
  EXPECT_EQ(sink.batches.back().back(), "c");
}

TEST(EventBatcher, WithoutThreadEveryAddFlushes) {
  Sink sink;
  EventBatcher b(sink.Fn(), 100, std::chrono::hours(1));
  b.Add(Ev("a"));  // not started
  EXPECT_EQ(sink.Count(), 1u);
  b.Start();
  b.Stop();
  b.Add(Ev("b"));  // stopped
  EXPECT_EQ(sink.Count(), 2u);
}

TEST(EventBatcher, ConcurrentAddsAreEachFlushedOnce) {
  Sink sink;
  EventBatcher b(sink.Fn(), 7, std::chrono::milliseconds(1));
  b.Start();
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) b.Add(Ev(std::to_string(t) + ":" + std::to_string(i)));
    });
  for (auto& t : ts) t.join();
  b.Stop();
  std::set<std::string> seen;
  size_t n = 0;
  for (auto& batch : sink.batches) {
    EXPECT_LE(batch.size(), 7u);
    for (auto& id : batch) seen.insert(id), ++n;
  }
  EXPECT_EQ(n, 2000u);
  EXPECT_EQ(seen.size(), 2000u);
}

}  // namespace
}  // namespace burnrate::gateway
