// LazyDeadline: a deadline moved per request arms its timer once per
// timeout period, never fires late, and a cleared one never fires.
#include "http/lazy_deadline.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <optional>

namespace burnrate::http::detail {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class LazyDeadlineTest : public testing::Test {
 protected:
  // Runs `fn` on the loop `after` from now.
  void At(std::chrono::milliseconds after, std::function<void()> fn) {
    auto t = std::make_shared<boost::asio::steady_timer>(ioc_, after);
    t->async_wait([t, fn = std::move(fn)](boost::system::error_code) { fn(); });
  }
  std::chrono::milliseconds Since(Clock::time_point t0) const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(*fired_at_ - t0);
  }

  boost::asio::io_context ioc_;
  std::optional<Clock::time_point> fired_at_;
  int fired_ = 0;
  LazyDeadline deadline_{ioc_.get_executor(), [this] {
                           ++fired_;
                           fired_at_ = Clock::now();
                         }};
};

TEST_F(LazyDeadlineTest, ExpiresOnceAtItsDeadline) {
  auto t0 = Clock::now();
  deadline_.Set(50ms);
  ioc_.run_for(400ms);
  EXPECT_EQ(fired_, 1);
  EXPECT_TRUE(deadline_.expired());
  EXPECT_GE(Since(t0), 50ms);
  EXPECT_EQ(deadline_.arms(), 1u);
}

// Requests on a kept-alive connection: each moves the deadline later
// without a timer operation; the timer fires at the first deadline, finds
// a later one and arms once more, and expiry comes at the newest.
TEST_F(LazyDeadlineTest, MovedLaterPerRequestArmsOncePerPeriod) {
  auto t0 = Clock::now();
  deadline_.Set(100ms);
  for (int i = 1; i <= 6; ++i) At(i * 10ms, [this] { deadline_.Set(100ms); });
  ioc_.run_for(600ms);
  EXPECT_EQ(fired_, 1);
  EXPECT_GE(Since(t0), 160ms);  // the last Set, at 60 ms, plus 100 ms
  EXPECT_EQ(deadline_.arms(), 2u);
}

TEST_F(LazyDeadlineTest, AnEarlierDeadlineArmsAtOnce) {
  auto t0 = Clock::now();
  deadline_.Set(10s);
  deadline_.Set(50ms);
  ioc_.run_for(500ms);
  EXPECT_EQ(fired_, 1);
  EXPECT_LT(Since(t0), 400ms);
  EXPECT_EQ(deadline_.arms(), 2u);
}

TEST_F(LazyDeadlineTest, ClearedDeadlineNeverFiresAndSetAgainDoes) {
  deadline_.Set(50ms);
  deadline_.Clear();
  ioc_.run_for(200ms);
  EXPECT_EQ(fired_, 0);
  EXPECT_FALSE(deadline_.expired());
  ioc_.restart();
  deadline_.Set(30ms);
  ioc_.run_for(300ms);
  EXPECT_EQ(fired_, 1);
}

TEST_F(LazyDeadlineTest, DestroyedBeforeItsDeadlineNeverCallsBack) {
  int calls = 0;
  {
    LazyDeadline d(ioc_.get_executor(), [&calls] { ++calls; });
    d.Set(30ms);
  }
  ioc_.run_for(200ms);
  EXPECT_EQ(calls, 0);
}

}  // namespace
}  // namespace burnrate::http::detail
