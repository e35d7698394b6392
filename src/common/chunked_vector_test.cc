// Contract tests for common/chunked_vector.h.
#include "common/chunked_vector.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace burnrate {
namespace {

TEST(ChunkedVector, ElementsNeverMoveAsItGrows) {
  ChunkedVector<std::string, 2> v;  // chunks of 4
  std::vector<const std::string*> where;
  for (int i = 0; i < 100; ++i) {
    v.emplace_back("name" + std::to_string(i));
    where.push_back(&v.back());
  }
  ASSERT_EQ(v.size(), 100u);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(&v[size_t(i)], where[size_t(i)]);
    EXPECT_EQ(v[size_t(i)], "name" + std::to_string(i));
  }
}

TEST(ChunkedVector, IteratesInOrder) {
  ChunkedVector<int, 3> v;
  for (int i = 0; i < 20; ++i) v.emplace_back(i);
  int expect = 0;
  for (int x : v) EXPECT_EQ(x, expect++);
  EXPECT_EQ(expect, 20);
  const auto& cv = v;
  int sum = 0;
  for (const int& x : cv) sum += x;
  EXPECT_EQ(sum, 190);
}

TEST(ChunkedVector, ResizeConstructsAndDestroys) {
  auto counter = std::make_shared<int>(0);
  ChunkedVector<std::shared_ptr<int>, 2> v;
  v.resize(10);
  EXPECT_EQ(v.size(), 10u);
  EXPECT_EQ(v[9], nullptr);  // default-constructed
  for (auto& p : v) p = counter;
  EXPECT_EQ(counter.use_count(), 11);
  v.resize(3);
  EXPECT_EQ(counter.use_count(), 4);
  v.clear();
  EXPECT_TRUE(v.empty());
  EXPECT_EQ(counter.use_count(), 1);
  v.emplace_back(counter);
  EXPECT_EQ(counter.use_count(), 2);
}

TEST(ChunkedVector, MoveKeepsElementsInPlace) {
  auto counter = std::make_shared<int>(0);
  ChunkedVector<std::shared_ptr<int>, 2> a;
  for (int i = 0; i < 9; ++i) a.emplace_back(counter);
  const auto* fifth = &a[5];
  ChunkedVector<std::shared_ptr<int>, 2> b(std::move(a));
  EXPECT_EQ(a.size(), 0u);
  EXPECT_EQ(&b[5], fifth);
  ChunkedVector<std::shared_ptr<int>, 2> c;
  c.emplace_back(counter);
  c = std::move(b);  // c's own element is destroyed
  EXPECT_EQ(c.size(), 9u);
  EXPECT_EQ(&c[5], fifth);
  EXPECT_EQ(counter.use_count(), 10);
  std::swap(a, c);
  EXPECT_EQ(a.size(), 9u);
  EXPECT_EQ(c.size(), 0u);
  EXPECT_EQ(counter.use_count(), 10);
}

}  // namespace
}  // namespace burnrate
