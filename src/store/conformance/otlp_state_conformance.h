// Conformance suite for otlp::StateStore: series move only forward, a
// session keeps its first source, silent entries expire on Load, and all
// of it persists. See conformance.h.
#pragma once

#include <map>
#include <utility>
#include <vector>

#include "otlp/otlp.h"
#include "store/conformance/conformance.h"

namespace burnrate::store::conformance {

using OtlpStateConformance = ConformanceTest<otlp::StateStore>;

struct LoadedOtlpState {
  std::map<uint64_t, otlp::SeriesState> series;
  std::vector<uint64_t> series_order;
  std::map<uint64_t, uint8_t> sessions;
};

inline LoadedOtlpState LoadAll(otlp::StateStore& s, TimeMs before) {
  LoadedOtlpState out;
  Status st = s.Load(
      before,
      [&](uint64_t key, const otlp::SeriesState& v) {
        out.series[key] = v;
        out.series_order.push_back(key);
      },
      [&](uint64_t key, uint8_t source) { out.sessions[key] = source; });
  EXPECT_TRUE(st.ok()) << st.ToString();
  return out;
}

TEST_P(OtlpStateConformance, SavesAndLoadsEveryBitOfTheState) {
  // Keys and nanosecond times use all 64 bits.
  uint64_t big = 0xfedcba9876543210ULL;
  otlp::SeriesState a{1'700'000'000'000'000'000ULL, 1'700'000'001'000'000'000ULL, -5, true};
  otlp::SeriesState b{big, big + 1, int64_t(1) << 62, false};
  ASSERT_TRUE(s().Save({{1, a}, {big, b}}, {{7, 1}, {big, 2}}, 1000).ok());
  LoadedOtlpState got = LoadAll(s(), 0);
  ASSERT_EQ(got.series.size(), 2u);
  EXPECT_EQ(got.series[1], a);
  EXPECT_EQ(got.series[big], b);
  EXPECT_EQ(got.sessions, (std::map<uint64_t, uint8_t>{{7, 1}, {big, 2}}));
  EXPECT_TRUE(s().Save({}, {}, 2000).ok());  // nothing to do
}

TEST_P(OtlpStateConformance, ASeriesOnlyMovesForwardAndASessionKeepsItsFirstSource) {
  otlp::SeriesState newer{10, 500, 100, true}, older{10, 400, 80, true};
  ASSERT_TRUE(s().Save({{1, newer}}, {{9, 1}}, 1000).ok());
  ASSERT_TRUE(s().Save({{1, older}}, {{9, 2}}, 1100).ok());  // out of order: ignored
  LoadedOtlpState got = LoadAll(s(), 0);
  EXPECT_EQ(got.series[1], newer);
  EXPECT_EQ(got.sessions[9], 1);
  otlp::SeriesState reset{600, 700, 3, true};  // a new run, later in time
  ASSERT_TRUE(s().Save({{1, reset}}, {}, 1200).ok());
  EXPECT_EQ(LoadAll(s(), 0).series[1], reset);
}

TEST_P(OtlpStateConformance, LoadDropsSilentEntriesAndOrdersByUpdate) {
  ASSERT_TRUE(s().Save({{1, {0, 10, 1, true}}}, {{1, 1}}, 1000).ok());
  ASSERT_TRUE(s().Save({{2, {0, 10, 1, true}}}, {{2, 1}}, 3000).ok());
  ASSERT_TRUE(s().Save({{3, {0, 10, 1, true}}}, {}, 2000).ok());
  LoadedOtlpState got = LoadAll(s(), 1500);  // entries updated before 1500 go
  EXPECT_EQ(got.series_order, (std::vector<uint64_t>{3, 2}));
  EXPECT_EQ(got.sessions, (std::map<uint64_t, uint8_t>{{2, 1}}));
  EXPECT_EQ(LoadAll(s(), 0).series.size(), 2u);  // deleted, not only skipped
}

TEST_P(OtlpStateConformance, StateSurvivesReopening) {
  if (!persistent()) GTEST_SKIP() << "not persistent";
  otlp::SeriesState v{5, 6, 7, false};
  ASSERT_TRUE(s().Save({{42, v}}, {{43, 2}}, 1000).ok());
  Reopen();
  LoadedOtlpState got = LoadAll(s(), 0);
  EXPECT_EQ(got.series[42], v);
  EXPECT_EQ(got.sessions[43], 2);
}

}  // namespace burnrate::store::conformance
