// Conformance suite for badges::BadgeStore: upserts keep the first award
// time, queries filter and order, rank points replace by key, and all of
// it persists. See conformance.h.
#pragma once

#include <map>
#include <vector>

#include "badges/badges.h"
#include "store/conformance/conformance.h"

namespace burnrate::store::conformance {

using BadgeStoreConformance = ConformanceTest<badges::BadgeStore>;

inline badges::Award MakeAward(std::string badge, std::string subject, TimeMs at, double value) {
  badges::Award a;
  a.badge = std::move(badge), a.entity = "user", a.subject = std::move(subject);
  a.period = "2026-03-10", a.awarded_at = a.updated_at = at, a.value = value;
  a.evidence = R"({"metric":"tokens","value":)" + std::to_string(int64_t(value)) + "}";
  return a;
}

TEST_P(BadgeStoreConformance, UpsertKeepsTheFirstAwardTime) {
  ASSERT_TRUE(s().UpsertAwards({MakeAward("legend", "ada", 1000, 5)}).ok());
  ASSERT_TRUE(s().UpsertAwards({}).ok());
  ASSERT_TRUE(s().UpsertAwards({MakeAward("legend", "ada", 2000, 7.5)}).ok());
  auto got = s().Awards({});
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->size(), 1u);
  const badges::Award& a = (*got)[0];
  EXPECT_EQ(a.badge, "legend");
  EXPECT_EQ(a.entity, "user");
  EXPECT_EQ(a.subject, "ada");
  EXPECT_EQ(a.period, "2026-03-10");
  EXPECT_EQ(a.awarded_at, 1000);
  EXPECT_EQ(a.updated_at, 2000);
  EXPECT_DOUBLE_EQ(a.value, 7.5);
  EXPECT_EQ(a.evidence, MakeAward("legend", "ada", 0, 7.5).evidence);
  badges::Award other_period = MakeAward("legend", "ada", 3000, 1);
  other_period.period = "2026-03-11";
  ASSERT_TRUE(s().UpsertAwards({other_period}).ok());
  EXPECT_EQ(s().Awards({})->size(), 2u);
}

inline badges::AwardQuery AwardsOf(std::string subject, std::string badge, size_t limit = 200) {
  badges::AwardQuery q;
  q.subject = std::move(subject), q.badge = std::move(badge), q.limit = limit;
  return q;
}

TEST_P(BadgeStoreConformance, AwardsFilterOrderAndLimit) {
  ASSERT_TRUE(s().UpsertAwards({MakeAward("a", "ada", 1000, 1), MakeAward("b", "ada", 3000, 1),
                                MakeAward("a", "bob", 2000, 1), MakeAward("a", "cy", 3000, 1)})
                  .ok());
  auto all = s().Awards({});
  ASSERT_EQ(all->size(), 4u);
  // Newest first, then badge, then subject.
  EXPECT_EQ((*all)[0].badge + (*all)[0].subject, "acy");
  EXPECT_EQ((*all)[1].badge + (*all)[1].subject, "bada");
  EXPECT_EQ((*all)[2].subject, "bob");
  EXPECT_EQ((*all)[3].awarded_at, 1000);
  EXPECT_EQ(s().Awards(AwardsOf("ada", ""))->size(), 2u);
  EXPECT_EQ(s().Awards(AwardsOf("", "a"))->size(), 3u);
  EXPECT_EQ(s().Awards(AwardsOf("ada", "a"))->size(), 1u);
  EXPECT_EQ(s().Awards(AwardsOf("", "", 2))->size(), 2u);
  std::map<std::string, double> seen;
  ASSERT_TRUE(
      s().ForEachAward([&](const badges::Award& a) { seen[a.badge + a.subject] = a.value; }).ok());
  EXPECT_EQ(seen.size(), 4u);
}

TEST_P(BadgeStoreConformance, RankHistoryReplacesByKeyAndReadsFromADay) {
  ASSERT_TRUE(s().PutRanks({{"2026-03-09", "user", "ada", "tokens", 3, 10, 100},
                            {"2026-03-10", "user", "ada", "tokens", 2, 10, 200},
                            {"2026-03-10", "user", "ada", "value", 1, 10, 9.5},
                            {"2026-03-10", "team", "ada", "tokens", 1, 2, 1}})
                  .ok());
  ASSERT_TRUE(s().PutRanks({{"2026-03-10", "user", "ada", "tokens", 1, 11, 250}}).ok());
  auto h = s().RankHistory("user", "ada", "2026-03-10");
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  ASSERT_EQ(h->size(), 2u);
  EXPECT_EQ((*h)[0].metric, "tokens");
  EXPECT_EQ((*h)[0].rank, 1);
  EXPECT_EQ((*h)[0].of, 11);
  EXPECT_DOUBLE_EQ((*h)[0].value, 250);
  EXPECT_EQ((*h)[1].metric, "value");
  auto from9 = s().RankHistory("user", "ada", "2026-03-09");
  ASSERT_EQ(from9->size(), 3u);
  EXPECT_EQ((*from9)[0].day, "2026-03-09");
  EXPECT_TRUE(s().RankHistory("user", "nobody", "2000-01-01")->empty());
}

TEST_P(BadgeStoreConformance, AwardsAndRanksSurviveReopening) {
  if (!persistent()) GTEST_SKIP() << "not persistent";
  ASSERT_TRUE(s().UpsertAwards({MakeAward("legend", "ada", 1000, 5)}).ok());
  ASSERT_TRUE(s().PutRanks({{"2026-03-10", "user", "ada", "tokens", 1, 1, 5}}).ok());
  Reopen();
  EXPECT_EQ(s().Awards({})->size(), 1u);
  EXPECT_EQ(s().RankHistory("user", "ada", "2026-03-10")->size(), 1u);
}

}  // namespace burnrate::store::conformance
