// The review rules of FlagStore, for both stores, and the SQLite store's
// persistence across reopening the database file.
#include "detect/flag_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "detect/sqlite_flag_store.h"

namespace burnrate::detect {
namespace {

namespace fs = std::filesystem;

Flag Scored(const std::string& user, int64_t day, double score) {
  Flag f;
  f.user = user, f.team = "core", f.day = day, f.id = FlagId(user, day), f.date = "2024-10-04";
  f.score = score, f.flagged = true, f.high_confidence = score >= 80;
  f.tokens = 1000000, f.wasted_tokens = 900000;
  f.reasons = {{"idle_loop",
                "Active 22 of 24 hours \"like a clock\".",
                {{"hours_active", 22}, {"gap_cv", 0.01}},
                score},
               {"outcome_free_burn", "No outcomes.", {}, 55}};
  return f;
}

class FlagStoreTest : public testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    dir_ = fs::path(testing::TempDir()) / ("flag_store_test_" + std::to_string(getpid()));
    fs::create_directories(dir_);
    std::string name = testing::UnitTest::GetInstance()->current_test_info()->name();
    std::replace(name.begin(), name.end(), '/', '_');
    path_ = (dir_ / (name + ".db")).string();
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path_ + suffix);
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }
  // A new SqliteFlagStore on the same file; the in-memory store is kept.
  void Reopen() {
    if (!GetParam()) {
      if (!store_) store_ = std::make_unique<InMemoryFlagStore>();
      return;
    }
    store_.reset();
    auto s = SqliteFlagStore::Open(path_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
  }
  fs::path dir_;
  std::string path_;
  std::unique_ptr<FlagStore> store_;
};

TEST_P(FlagStoreTest, PutKeepsTheReviewAndReportsWhatChanged) {
  Flag f = Scored("looper", 100, 90), stored;
  EXPECT_EQ(*store_->Put(f, &stored), PutOutcome::kInserted);
  EXPECT_EQ(stored.state, ReviewState::kOpen);
  EXPECT_EQ(*store_->Put(f), PutOutcome::kUnchanged);
  ASSERT_TRUE(
      store_->Review(f.id, ReviewState::kConfirmed, "confirmed with the owner", "admin1", 5000)
          .ok());
  f.score = 95, f.wasted_tokens = 950000;
  EXPECT_EQ(*store_->Put(f, &stored), PutOutcome::kUpdated);
  EXPECT_EQ(stored.state, ReviewState::kConfirmed);
  EXPECT_EQ(stored.note, "confirmed with the owner");
  EXPECT_DOUBLE_EQ(store_->Get(f.id)->score, 95);
  EXPECT_FALSE(store_->Review("ffffffffffffffff", ReviewState::kDismissed, "", "x", 1).ok());
}

TEST_P(FlagStoreTest, RetractOnlyOpenFlagsAndReopenOnPut) {
  Flag open = Scored("a", 100, 85), confirmed = Scored("b", 100, 85),
       dismissed = Scored("c", 100, 85);
  for (const Flag& f : {open, confirmed, dismissed}) ASSERT_TRUE(store_->Put(f).ok());
  ASSERT_TRUE(store_->Review(confirmed.id, ReviewState::kConfirmed, "yes", "r", 1).ok());
  ASSERT_TRUE(store_->Review(dismissed.id, ReviewState::kDismissed, "no", "r", 1).ok());
  std::vector<Reason> none;
  auto r = store_->Retract(open.id, 12.5, none, "re-scored 12.5", 7000);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->state, ReviewState::kRetracted);
  EXPECT_EQ((*r)->wasted_tokens, 0);
  EXPECT_FALSE((*r)->CountsAsWaste());
  EXPECT_EQ((*r)->ThrottleLevel(), 0);
  for (const std::string& id :
       {open.id, confirmed.id, dismissed.id, std::string("0000000000000000")})
    EXPECT_FALSE(store_->Retract(id, 1, none, "again", 8000)->has_value()) << id;
  EXPECT_EQ(store_->Get(confirmed.id)->state, ReviewState::kConfirmed);
  EXPECT_EQ(store_->Get(dismissed.id)->state, ReviewState::kDismissed);
  Reopen();  // the SQLite store reads everything back
  auto back = store_->Get(open.id);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->state, ReviewState::kRetracted);
  EXPECT_DOUBLE_EQ(back->score, 12.5);
  EXPECT_EQ(back->retraction, "re-scored 12.5");
  EXPECT_EQ(back->retracted_at, 7000);
  // Crossing the threshold again reopens it.
  Flag stored;
  EXPECT_EQ(*store_->Put(open, &stored), PutOutcome::kReopened);
  EXPECT_EQ(stored.state, ReviewState::kOpen);
  EXPECT_TRUE(stored.retraction.empty());
  EXPECT_TRUE(stored.CountsAsWaste());
}

TEST_P(FlagStoreTest, ListsByDayHighestFirst) {
  ASSERT_TRUE(store_->Put(Scored("a", 100, 60)).ok());
  ASSERT_TRUE(store_->Put(Scored("b", 100, 90)).ok());
  ASSERT_TRUE(store_->Put(Scored("c", 101, 70)).ok());
  auto day = store_->List(100, 100);
  ASSERT_EQ(day.size(), 2u);
  EXPECT_EQ(day[0].user, "b");
  EXPECT_EQ(store_->List(100, 101).size(), 3u);
  EXPECT_TRUE(store_->List(102, 200).empty());
  EXPECT_EQ(store_->Find("c", 101)->score, 70);
}

INSTANTIATE_TEST_SUITE_P(Stores, FlagStoreTest, testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Sqlite" : "InMemory"; });

TEST(SqliteFlagStore, ReviewAndReasonsSurviveReopening) {
  std::string path =
      (fs::path(testing::TempDir()) / ("flags_reopen_" + std::to_string(getpid()) + ".db"))
          .string();
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path + suffix);
  Flag f = Scored("looper", 100, 91.25);
  {
    auto s = SqliteFlagStore::Open(path);
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE((*s)->Put(f).ok());
    ASSERT_TRUE((*s)->Review(f.id, ReviewState::kDismissed, "approved \"load\" test\nticket OPS-12",
                             "alice", 1234)
                    .ok());
  }
  auto s = SqliteFlagStore::Open(path);
  ASSERT_TRUE(s.ok());
  auto back = (*s)->Get(f.id);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->state, ReviewState::kDismissed);
  EXPECT_EQ(back->note, "approved \"load\" test\nticket OPS-12");
  EXPECT_EQ(back->reviewer, "alice");
  EXPECT_EQ(back->reviewed_at, 1234);
  EXPECT_DOUBLE_EQ(back->score, 91.25);
  EXPECT_TRUE(back->high_confidence);
  EXPECT_EQ(back->tokens, f.tokens);
  EXPECT_EQ(back->wasted_tokens, f.wasted_tokens);
  EXPECT_EQ(back->date, f.date);
  ASSERT_EQ(back->reasons.size(), 2u);
  EXPECT_EQ(back->reasons[0].detector, "idle_loop");
  EXPECT_EQ(back->reasons[0].summary, f.reasons[0].summary);
  ASSERT_EQ(back->reasons[0].evidence.size(), 2u);
  EXPECT_EQ(back->reasons[0].evidence[1].name, "gap_cv");
  EXPECT_DOUBLE_EQ(back->reasons[0].evidence[1].value, 0.01);
  EXPECT_TRUE(back->reasons[1].evidence.empty());
  EXPECT_FALSE(SqliteFlagStore::Open("/nonexistent-dir/x.db").ok());
  s->reset();
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path + suffix);
}

}  // namespace
}  // namespace burnrate::detect
