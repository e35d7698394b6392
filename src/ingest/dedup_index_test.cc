// Contract tests for ingest/dedup_index.h: exact, windowed by arrival day,
// bounded in memory.
#include "ingest/dedup_index.h"

#include <gtest/gtest.h>

#include "common/hash.h"
#include "model/event.h"

namespace burnrate::ingest {
namespace {

constexpr TimeMs kDay0 = 20'000 * kDayMs;  // 2024-10-04

uint64_t Fp(int64_t i) { return Hash64(std::to_string(i), 42); }

TEST(DedupIndex, SeenOrInsert) {
  DedupIndex d;
  EXPECT_FALSE(d.SeenOrInsert(Fp(1), kDay0));
  EXPECT_TRUE(d.SeenOrInsert(Fp(1), kDay0 + 1));
  EXPECT_FALSE(d.SeenOrInsert(Fp(2), kDay0));
  EXPECT_EQ(d.size(), 2u);
  // Fingerprint 0 is an ordinary value.
  EXPECT_FALSE(d.SeenOrInsert(0, kDay0));
  EXPECT_TRUE(d.SeenOrInsert(0, kDay0));
}

// Reports of one id from two different sources that burnrate writes are
// never compared, whatever their usage: no two such sources share a code.
TEST(DedupIndex, UsageOfTwoKnownSourcesNeverConflicts) {
  const char* sources[] = {"",      "api",        "gateway",  "otlp",  "copilot", "claude_code",
                           "codex", "gemini_cli", "opencode", "proxy", "sim",     "ndjson"};
  for (const char* a : sources) {
    for (const char* b : sources) {
      if (std::string_view(a) == b) continue;
      model::Event x, y;
      x.source = a, y.source = b;
      x.tokens.input = 10, y.tokens.input = 11;
      EXPECT_FALSE(model::UsageConflicts(model::UsageDigest(x), model::UsageDigest(y)))
          << a << " vs " << b;
    }
  }
}

TEST(DedupIndex, TellsRetriesFromConflictingUsageOfOneSource) {
  using Seen = DedupIndex::Seen;
  model::Event e;
  e.id = "req-1", e.source = "claude_code", e.tokens.input = 10, e.tokens.output = 5;
  uint32_t first = model::UsageDigest(e);
  model::Event edited = e, other_source = e, outcome = e;
  edited.tokens.output = 6;
  other_source.source = "proxy", other_source.tokens.output = 6;
  outcome.type = model::EventType::kOutcome;
  EXPECT_NE(first, 0u);
  EXPECT_EQ(model::UsageDigest(outcome), 0u);
  DedupIndex d;
  EXPECT_EQ(d.Check(Fp(1), first, kDay0), Seen::kNew);
  EXPECT_EQ(d.Check(Fp(1), first, kDay0), Seen::kDuplicate);
  EXPECT_EQ(d.Check(Fp(1), model::UsageDigest(edited), kDay0), Seen::kConflict);
  EXPECT_EQ(d.Check(Fp(1), model::UsageDigest(other_source), kDay0), Seen::kDuplicate);
  EXPECT_EQ(d.Check(Fp(1), 0, kDay0), Seen::kDuplicate);  // no digest: not compared
  // Digests move with their ids when the table grows and rebuilds.
  for (int i = 2; i < 200'000; ++i) ASSERT_EQ(d.Check(Fp(i), uint32_t(i), kDay0), Seen::kNew);
  EXPECT_EQ(d.Check(Fp(1), model::UsageDigest(edited), kDay0), Seen::kConflict);
  EXPECT_EQ(d.Check(Fp(77), 77, kDay0), Seen::kDuplicate);
  // Restored in bulk (recovery) with their digests.
  DedupIndex r;
  std::vector<uint64_t> fps = {Fp(1), Fp(2)};
  std::vector<TimeMs> at = {kDay0, kDay0};
  std::vector<uint32_t> digests = {first, 0};
  r.RestoreBatch(fps, at, digests);
  EXPECT_EQ(r.Check(Fp(1), model::UsageDigest(edited), kDay0), Seen::kConflict);
  EXPECT_EQ(r.Check(Fp(2), model::UsageDigest(edited), kDay0), Seen::kDuplicate);
  EXPECT_EQ(r.memory_bytes(), r.capacity() * 14);
}

TEST(DedupIndex, RemembersAtLeastSevenFullDays) {
  DedupIndex d(8);
  ASSERT_FALSE(d.SeenOrInsert(Fp(1), kDay0 + kDayMs - 1));  // the last ms of day 0
  for (int day = 1; day <= 7; ++day) {
    EXPECT_TRUE(d.SeenOrInsert(Fp(1), kDay0 + day * kDayMs + kDayMs - 1)) << day;
  }
  // Seven full days after the arrival the id is still known; on day 8 it expires.
  EXPECT_FALSE(d.SeenOrInsert(Fp(1), kDay0 + 8 * kDayMs));
  EXPECT_TRUE(d.SeenOrInsert(Fp(1), kDay0 + 8 * kDayMs));  // and is now new again
}

TEST(DedupIndex, EraseForgets) {
  DedupIndex d;
  for (int i = 0; i < 50'000; ++i) ASSERT_FALSE(d.SeenOrInsert(Fp(i), kDay0));
  for (int i = 0; i < 50'000; i += 2) d.Erase(Fp(i));
  d.Erase(Fp(-1));  // absent: no effect
  // Erased ids are new again; probe chains through erased slots still work.
  for (int i = 1; i < 50'000; i += 2) EXPECT_TRUE(d.SeenOrInsert(Fp(i), kDay0)) << i;
  for (int i = 0; i < 50'000; i += 2) EXPECT_FALSE(d.SeenOrInsert(Fp(i), kDay0)) << i;
}

TEST(DedupIndex, RestoreThenSee) {
  DedupIndex d;
  for (int i = 0; i < 1000; ++i) d.Restore(Fp(i), kDay0 - kDayMs * (i % 5));
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(d.SeenOrInsert(Fp(i), kDay0)) << i;
}

TEST(DedupIndex, RestoreBatchMatchesRestore) {
  // Batches of recovery, one growing the table many times over at once;
  // the result answers exactly as ids restored one by one.
  DedupIndex one(8), bulk(8);
  std::vector<uint64_t> fps;
  std::vector<TimeMs> arrivals;
  for (int i = 0; i < 400'000; ++i) {
    fps.push_back(Fp(i));
    arrivals.push_back(kDay0 - 9 * kDayMs + i * 4000);  // ~18.5 days, the oldest expire
    one.Restore(fps.back(), arrivals.back());
  }
  size_t cap0 = bulk.capacity();
  bulk.RestoreBatch(std::span(fps).first(1000), std::span(arrivals).first(1000));
  bulk.RestoreBatch(std::span(fps).subspan(1000), std::span(arrivals).subspan(1000));
  EXPECT_GT(bulk.capacity(), cap0);
  TimeMs now = arrivals.back();
  for (int i = 0; i < 400'000; i += 7) {
    ASSERT_EQ(one.SeenOrInsert(Fp(i), now), bulk.SeenOrInsert(Fp(i), now)) << i;
  }
  // Ids of the last seven days are remembered; the first ones expired.
  EXPECT_TRUE(bulk.SeenOrInsert(Fp(399'990), now));
  EXPECT_FALSE(bulk.SeenOrInsert(Fp(1), now));
}

TEST(DedupIndex, GrowsPastInitialCapacityWithoutLosingIds) {
  DedupIndex d;
  size_t cap0 = d.capacity();
  const int n = 300'000;
  for (int i = 0; i < n; ++i) ASSERT_FALSE(d.SeenOrInsert(Fp(i), kDay0 + i));
  EXPECT_GT(d.capacity(), cap0);
  EXPECT_EQ(d.size(), size_t(n));
  for (int i = 0; i < n; ++i) ASSERT_TRUE(d.SeenOrInsert(Fp(i), kDay0 + n)) << i;
  EXPECT_EQ(d.memory_bytes(), d.capacity() * 14);  // id, day, usage digest
}

TEST(DedupIndex, SlidingWindowKeepsMemoryFlat) {
  // 60 days at 20,000 ids a day: only the window's ids stay live, so the
  // table stops growing once it holds about eight days.
  DedupIndex d(8);
  size_t cap_at_day_20 = 0;
  for (int day = 0; day < 60; ++day) {
    for (int i = 0; i < 20'000; ++i) {
      ASSERT_FALSE(d.SeenOrInsert(Fp(int64_t(day) * 1'000'000 + i), kDay0 + day * kDayMs + i));
    }
    if (day == 20) cap_at_day_20 = d.capacity();
    // Yesterday's ids are still duplicates.
    if (day > 0) {
      ASSERT_TRUE(
          d.SeenOrInsert(Fp(int64_t(day - 1) * 1'000'000 + 7), kDay0 + day * kDayMs + kHourMs));
    }
  }
  EXPECT_EQ(d.capacity(), cap_at_day_20);
  EXPECT_EQ(d.evicted_days(), 0);
}

TEST(DedupIndex, MaxEntriesShrinksTheWindowInsteadOfGrowing) {
  DedupIndex d(8, /*max_entries=*/1000);
  size_t cap0 = d.capacity();
  for (int day = 0; day < 10; ++day) {
    for (int i = 0; i < 10'000; ++i)
      d.SeenOrInsert(Fp(int64_t(day) * 1'000'000 + i), kDay0 + day * kDayMs);
  }
  EXPECT_GT(d.evicted_days(), 0);
  EXPECT_EQ(d.capacity(), cap0);  // bounded
  // Today's ids are still exact duplicates.
  for (int i = 0; i < 10'000; i += 97)
    EXPECT_TRUE(d.SeenOrInsert(Fp(9'000'000 + i), kDay0 + 9 * kDayMs));
}

TEST(DedupIndex, DayNumbersWrapSafely) {
  // Days are stored modulo 32768; crossing the wrap must not expire or
  // resurrect anything (day 32768 is in 2059).
  DedupIndex d(8);
  TimeMs before = 32'765 * kDayMs;
  ASSERT_FALSE(d.SeenOrInsert(Fp(1), before));
  EXPECT_TRUE(d.SeenOrInsert(Fp(1), before + 5 * kDayMs));
  EXPECT_FALSE(d.SeenOrInsert(Fp(1), before + 9 * kDayMs));
}

}  // namespace
}  // namespace burnrate::ingest
