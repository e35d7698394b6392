// Contract tests for common/name_index.h.
#include "common/name_index.h"

#include <gtest/gtest.h>

#include <deque>
#include <string>

namespace burnrate {
namespace {

TEST(NameIndex, FindsEveryNameInsertedAsItGrows) {
  std::deque<std::string> names;  // never moves its elements
  NameIndex index;
  for (uint32_t i = 0; i < 100000; ++i) {
    names.push_back("user" + std::to_string(i));
    ASSERT_TRUE(index.Insert(names.back(), i));
  }
  EXPECT_EQ(index.size(), 100000u);
  for (uint32_t i = 0; i < 100000; ++i) {
    std::string probe = "user" + std::to_string(i);  // another copy of the name
    ASSERT_EQ(index.Find(probe), i);
    ASSERT_EQ(index.Find(probe, NameIndex::HashOf(probe)), i);
  }
  EXPECT_EQ(index.Find("user100000"), NameIndex::kNotFound);
  EXPECT_EQ(index.Find(""), NameIndex::kNotFound);
}

TEST(NameIndex, ASecondInsertOfANameIsRefusedAndKeepsTheFirstId) {
  std::string a = "alice", a2 = "alice";
  NameIndex index;
  EXPECT_TRUE(index.Insert(a, 7));
  EXPECT_FALSE(index.Insert(a2, 9));
  EXPECT_EQ(index.Find("alice"), 7u);
  auto [id, added] = index.emplace(a2, 9);
  EXPECT_EQ(id, 7u);
  EXPECT_FALSE(added);
  EXPECT_EQ(index.size(), 1u);
}

// Names whose hashes agree (a forged hash here) are still told apart by
// the name, and a miss stops at the first empty slot.
TEST(NameIndex, EqualHashesAreToldApartByName) {
  std::string a = "a", b = "b", c = "c";
  NameIndex index;
  EXPECT_TRUE(index.Insert(a, 42, 1));
  EXPECT_TRUE(index.Insert(b, 42, 2));
  EXPECT_EQ(index.Find("a", 42), 1u);
  EXPECT_EQ(index.Find("b", 42), 2u);
  EXPECT_EQ(index.Find("c", 42), NameIndex::kNotFound);
  EXPECT_TRUE(index.Insert(c, 42, 3));
  EXPECT_EQ(index.Find("c", 42), 3u);
}

TEST(NameIndex, ClearForgetsEverythingAndEmptyNamesAreNames) {
  std::string empty, x = "x";
  NameIndex index;
  EXPECT_EQ(index.Find("x"), NameIndex::kNotFound);  // before any slot exists
  EXPECT_TRUE(index.Insert(empty, 0));
  EXPECT_TRUE(index.Insert(x, 1));
  EXPECT_EQ(index.Find(""), 0u);
  index.clear();
  EXPECT_TRUE(index.empty());
  EXPECT_EQ(index.Find("x"), NameIndex::kNotFound);
  index.reserve(1000);
  EXPECT_TRUE(index.Insert(x, 5));
  EXPECT_EQ(index.Find("x"), 5u);
}

}  // namespace
}  // namespace burnrate
