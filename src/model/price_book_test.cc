// Contract tests for model/price_book.h: cached pricing with its basis,
// reload from a good and a bad file (the old table stays), and readers that
// keep a consistent table across a reload.
#include "model/price_book.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

namespace burnrate::model {
namespace {

class PriceBookTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("price_book_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "prices.json").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Write(const std::string& text) {
    std::ofstream f(path_, std::ios::trunc);
    f << text;
  }
  std::filesystem::path dir_;
  std::string path_;
};

TokenCounts Output(int64_t n) {
  TokenCounts t;
  t.output = n;
  return t;
}

TEST_F(PriceBookTest, PricesWithBasis) {
  PriceBook book;
  Priced exact = book.Price("claude-opus-4-8", Output(1'000'000));
  EXPECT_EQ(exact.cost_nanos, 25'000'000'000);
  EXPECT_EQ(exact.basis, CostBasis::kPriced);
  Priced est = book.Price("claude-opus-5-5", Output(1'000'000));
  EXPECT_EQ(est.cost_nanos, 25'000'000'000);
  EXPECT_EQ(est.basis, CostBasis::kEstimated);
  Priced none = book.Price("totally-unknown-model", Output(1'000'000));
  EXPECT_EQ(none.cost_nanos, 0);
  EXPECT_EQ(none.basis, CostBasis::kUnpriced);
  // Cached answers are the same answers.
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(book.Price("claude-opus-5-5", Output(1000)).basis, CostBasis::kEstimated);
    EXPECT_EQ(book.Price("gemini-3-pro-preview", Output(1000)).basis, CostBasis::kEstimated);
    EXPECT_EQ(book.Price("gpt-5.1-codex", Output(1000)).cost_nanos,
              book.Price("gpt-5", Output(1000)).cost_nanos);
  }
  PriceResolution r = book.Current()->Resolve("claude-opus-5-5");
  EXPECT_EQ(r.priced_as, "claude-opus-4-8");
}

TEST_F(PriceBookTest, ReloadSwapsTablesAndKeepsTheOldOnError) {
  Write(R"({"claude-opus-5-5": {"input_cost_per_token": 6e-06, "output_cost_per_token": 3e-05}})");
  PriceBook book;
  ASSERT_TRUE(book.Load(path_).ok());
  std::shared_ptr<const PriceSnapshot> first = book.Current();
  EXPECT_EQ(first->file(), path_);
  Priced p = book.Price("claude-opus-5-5", Output(1'000'000));
  EXPECT_EQ(p.basis, CostBasis::kPriced);  // the file prices it exactly
  EXPECT_EQ(p.cost_nanos, 30'000'000'000);

  // A new file (models.dev format this time) replaces the old one.
  Write(R"({"claude-opus-5-5": {"cost": {"input": 8, "output": 40}}})");
  ASSERT_TRUE(book.Reload().ok());
  EXPECT_EQ(book.Price("claude-opus-5-5", Output(1'000'000)).cost_nanos, 40'000'000'000);
  EXPECT_EQ(book.Current()->generation(), first->generation() + 1);
  // A reader that took the old snapshot still prices with it.
  EXPECT_EQ(first->Price("claude-opus-5-5", Output(1'000'000)).cost_nanos, 30'000'000'000);

  // A bad file: the error names the file and the problem; prices stay.
  Write("{\"claude-opus-5-5\": {\"cost\": ");
  Status st = book.Reload();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find(path_), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("not valid JSON"), std::string::npos) << st.message();
  EXPECT_EQ(book.Price("claude-opus-5-5", Output(1'000'000)).cost_nanos, 40'000'000'000);
  // A missing file likewise.
  std::filesystem::remove(path_);
  st = book.Reload();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find(path_), std::string::npos) << st.message();
  EXPECT_EQ(book.Price("claude-opus-5-5", Output(1'000'000)).cost_nanos, 40'000'000'000);
}

TEST_F(PriceBookTest, ReloadWithoutAFileIsAnError) {
  PriceBook book;
  Status st = book.Reload();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("--prices"), std::string::npos);
  EXPECT_FALSE(
      book.Load(path_ + ".missing").ok());  // a failed first load leaves the built-in table
  EXPECT_EQ(book.Current()->file(), "");
  EXPECT_EQ(book.Price("claude-opus-4-8", Output(1)).basis, CostBasis::kPriced);
}

// Readers never see a half-swapped table: each batch, priced on one
// snapshot, is priced entirely at one of the two prices.
TEST_F(PriceBookTest, ConcurrentReadersSeeWholeTables) {
  Write(R"({"m-x": {"input_cost_per_token": 1e-06, "output_cost_per_token": 1e-06}})");
  PriceBook book;
  ASSERT_TRUE(book.Load(path_).ok());
  std::atomic<bool> stop{false};
  std::atomic<int64_t> mixed{0}, batches{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        auto snap = book.Current();
        int64_t first = snap->Price("m-x", Output(1000)).cost_nanos;
        for (int i = 0; i < 100; ++i)
          if (snap->Price("m-x", Output(1000)).cost_nanos != first) mixed++;
        batches++;
      }
    });
  }
  for (int i = 0; i < 50; ++i) {
    Write(i % 2 ? R"({"m-x": {"input_cost_per_token": 1e-06, "output_cost_per_token": 1e-06}})"
                : R"({"m-x": {"input_cost_per_token": 2e-06, "output_cost_per_token": 2e-06}})");
    ASSERT_TRUE(book.Reload().ok());
  }
  stop = true;
  for (auto& r : readers) r.join();
  EXPECT_EQ(mixed.load(), 0);
  EXPECT_GT(batches.load(), 0);
}

TEST_F(PriceBookTest, CacheIsBounded) {
  PriceBook book;
  // Past kMaxCached distinct names, answers are still right (resolved each time).
  for (size_t i = 0; i < PriceSnapshot::kMaxCached + 10; ++i) {
    Priced p = book.Price("unknown-" + std::to_string(i), Output(1));
    ASSERT_EQ(p.basis, CostBasis::kUnpriced);
  }
  EXPECT_EQ(book.Price("claude-opus-5-5", Output(1'000'000)).basis, CostBasis::kEstimated);
}

}  // namespace
}  // namespace burnrate::model
