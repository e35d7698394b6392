#include "app/pseudonyms.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <unordered_set>

#include "store/store.h"

namespace burnrate::app {
namespace {

TEST(PseudonymsTest, StableAndKeyedBySecret) {
  Pseudonyms a(std::string(64, 'a')), b(std::string(64, 'b'));
  std::string x = a.Alias("ada@corp");
  EXPECT_EQ(x, a.Alias("ada@corp"));
  EXPECT_EQ(x, Pseudonyms(std::string(64, 'a')).Alias("ada@corp"));  // same secret, same alias
  EXPECT_NE(x, b.Alias("ada@corp"));  // another install, another alias
  EXPECT_EQ(x.find("ada"), std::string::npos);
  // adjective-animal-ten base-32 digits
  EXPECT_EQ(std::count(x.begin(), x.end(), '-'), 2) << x;
  EXPECT_EQ(x.size() - x.rfind('-') - 1, 10u) << x;
}

TEST(PseudonymsTest, NoCollisionsAmong100kUsers) {
  Pseudonyms p(std::string(64, '7'));
  std::unordered_set<std::string> seen;
  for (int i = 0; i < 100'000; ++i)
    seen.insert(p.Alias("user" + std::to_string(i) + "@corp.example"));
  EXPECT_EQ(seen.size(), 100'000u);
}

TEST(PseudonymsTest, SecretIsMadeOnceAndKept) {
  auto dir = std::filesystem::path(testing::TempDir()) / ("pseudonyms_" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::string first;
  {
    auto s = store::OpenSqliteStore((dir / "db").string());
    ASSERT_TRUE(s.ok());
    auto p = Pseudonyms::Open(**s);
    ASSERT_TRUE(p.ok());
    first = (*p)->Alias("grace");
  }
  auto s = store::OpenSqliteStore((dir / "db").string());
  ASSERT_TRUE(s.ok());
  auto p = Pseudonyms::Open(**s);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ((*p)->Alias("grace"), first);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace burnrate::app
