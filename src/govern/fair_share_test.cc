#include "govern/fair_share.h"

#include <gtest/gtest.h>

#include <numeric>

namespace burnrate::govern {
namespace {

int64_t Sum(const std::vector<ShareResult>& r) {
  int64_t s = 0;
  for (const auto& x : r) s += x.allowance;
  return s;
}

TEST(FairShare, AllIdleSplitsByWeight) {
  auto r = WeightedMaxMin(1000, {{"a", 3, 0}, {"b", 1, 0}});
  EXPECT_EQ(r[0].fair_share, 0);
  EXPECT_EQ(r[0].allowance, 750);
  EXPECT_EQ(r[1].allowance, 250);
  EXPECT_TRUE(r[0].satisfied);
}

TEST(FairShare, OneGreedyGetsWhatOthersLeave) {
  auto r = WeightedMaxMin(1000, {{"greedy", 1, 10000}, {"b", 1, 100}, {"c", 1, 200}});
  EXPECT_EQ(r[0].allowance, 700);
  EXPECT_FALSE(r[0].satisfied);
  EXPECT_EQ(r[1].allowance, 100);
  EXPECT_EQ(r[2].allowance, 200);
  EXPECT_EQ(Sum(r), 1000);
}

TEST(FairShare, EqualWeightsAllGreedy) {
  auto r = WeightedMaxMin(900, {{"a", 1, 1000}, {"b", 1, 1000}, {"c", 1, 1000}});
  for (const auto& x : r) EXPECT_EQ(x.allowance, 300);
}

TEST(FairShare, WeightsSplitContention) {
  auto r = WeightedMaxMin(900, {{"hi", 2, 5000}, {"lo", 1, 5000}});
  EXPECT_EQ(r[0].allowance, 600);
  EXPECT_EQ(r[1].allowance, 300);
}

TEST(FairShare, NobodyGetsMoreThanAskedSpareIsHeadroom) {
  auto r = WeightedMaxMin(1000, {{"a", 1, 100}, {"b", 3, 100}});
  EXPECT_EQ(r[0].fair_share, 100);
  EXPECT_EQ(r[1].fair_share, 100);
  EXPECT_EQ(r[0].allowance, 100 + 200);  // 800 spare split 1:3
  EXPECT_EQ(r[1].allowance, 100 + 600);
}

// The worked example of docs/governance.md.
TEST(FairShare, WorkedExample) {
  auto r = WeightedMaxMin(
      10000,
      {{"payments", 3, 4000}, {"search", 2, 5000}, {"infra", 1, 500}, {"research", 1, 3000}});
  EXPECT_EQ(r[0].allowance, 4000);
  EXPECT_EQ(r[1].allowance, 3667);
  EXPECT_EQ(r[2].allowance, 500);
  EXPECT_EQ(r[3].allowance, 1833);
  EXPECT_EQ(Sum(r), 10000);
}

TEST(FairShare, EmptyAndZeroCapacity) {
  EXPECT_TRUE(WeightedMaxMin(100, {}).empty());
  auto r = WeightedMaxMin(0, {{"a", 1, 10}});
  EXPECT_EQ(r[0].allowance, 0);
}

}  // namespace
}  // namespace burnrate::govern
