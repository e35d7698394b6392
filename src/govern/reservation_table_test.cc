#include "govern/reservation_table.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

namespace burnrate::govern {
namespace {

TEST(ReservationTable, InsertTakeOnce) {
  ReservationTable<std::string> t(0x1234);
  std::string a = t.Insert("a", 100), b = t.Insert("b", 100);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.size(), 33u);
  EXPECT_EQ(t.size(), 2u);
  EXPECT_EQ(t.Take(a).value_or(""), "a");
  EXPECT_FALSE(t.Take(a).has_value());  // already taken
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.Take(b).value_or(""), "b");
}

TEST(ReservationTable, RejectsForeignAndMalformedIds) {
  ReservationTable<int> t(1), other(2);
  std::string id = t.Insert(7, 100);
  EXPECT_FALSE(other.Take(id).has_value());  // another process's salt
  EXPECT_FALSE(t.Take("x").has_value());
  EXPECT_FALSE(t.Take(id.substr(0, 32) + "g").has_value());
  EXPECT_FALSE(t.Take("r" + std::string(32, 'f')).has_value());
  EXPECT_EQ(t.Take(id).value_or(0), 7);
}

TEST(ReservationTable, ReusedSlotDoesNotMatchOldId) {
  ReservationTable<int> t(1);
  std::string old = t.Insert(1, 100);
  ASSERT_TRUE(t.Take(old).has_value());
  std::set<std::string> ids;
  for (int i = 0; i < 64; ++i) ids.insert(t.Insert(i, 100));  // reuses the freed slot
  EXPECT_EQ(ids.count(old), 0u);
  EXPECT_FALSE(t.Take(old).has_value());
  EXPECT_EQ(t.size(), 64u);
}

TEST(ReservationTable, ExpiresDueOnlyAndSkipsTaken) {
  ReservationTable<int> t(1);
  std::string a = t.Insert(1, 100);
  t.Insert(2, 100);
  t.Insert(3, 200);
  ASSERT_TRUE(t.Take(a).has_value());
  std::vector<int> got;
  EXPECT_EQ(t.Expire(99, [&](int&& v) { got.push_back(v); }), 0u);
  EXPECT_EQ(t.Expire(150, [&](int&& v) { got.push_back(v); }), 1u);
  EXPECT_EQ(got, std::vector<int>{2});
  EXPECT_EQ(t.Expire(200, [&](int&& v) { got.push_back(v); }), 1u);
  EXPECT_EQ(t.size(), 0u);
}

TEST(ReservationTable, ManyOutstandingAcrossChunksAndThreads) {
  ReservationTable<int> t(9);
  constexpr int kPerThread = 50000;
  std::vector<std::vector<std::string>> ids(2);
  std::vector<std::thread> th;
  for (int k = 0; k < 2; ++k)
    th.emplace_back([&, k] {
      for (int i = 0; i < kPerThread; ++i) ids[k].push_back(t.Insert(k * kPerThread + i, 1000 + i));
    });
  for (auto& x : th) x.join();
  EXPECT_EQ(t.size(), size_t{2 * kPerThread});
  for (int i = 0; i < kPerThread; i += 2) EXPECT_EQ(t.Take(ids[1][i]).value_or(-1), kPerThread + i);
  int64_t sum = 0;
  size_t n = t.Expire(1000 + kPerThread, [&](int&& v) { sum += v; });
  EXPECT_EQ(n, size_t{kPerThread + kPerThread / 2});
  EXPECT_EQ(t.size(), 0u);
}

}  // namespace
}  // namespace burnrate::govern
