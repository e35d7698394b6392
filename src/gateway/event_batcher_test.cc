#include "gateway/event_batcher.h"

#include <gtest/gtest.h>

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

TEST(EventBatcher, FullBatchIsFlushedByTheAddThatFilledIt) {
  Sink sink;
  EventBatcher b(sink.Fn(), 3, std::chrono::hours(1));
  b.Start();
  b.Add(Ev("a"));
  b.Add(Ev("b"));
  EXPECT_EQ(sink.Count(), 0u);
  b.Add(Ev("c"));
  ASSERT_EQ(sink.Count(), 1u);  // synchronously, on this thread
  EXPECT_EQ(sink.batches[0], (std::vector<std::string>{"a", "b", "c"}));
  b.Add(Ev("d"));
  b.Stop();  // the rest
  ASSERT_EQ(sink.Count(), 2u);
  EXPECT_EQ(sink.batches[1], (std::vector<std::string>{"d"}));
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
