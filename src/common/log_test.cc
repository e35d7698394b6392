#include "common/log.h"

#include <gtest/gtest.h>

namespace burnrate::log {
namespace {

TEST(LogTest, OneLogfmtLinePerEvent) {
  std::string line = Format(0, Level::kError, "commit.failed",
                            {{"error", "disk I/O error"}, {"events", int64_t(10)}});
  EXPECT_EQ(line,
            "ts=1970-01-01T00:00:00.000Z level=error event=commit.failed error=\"disk I/O error\" "
            "events=10");
}

TEST(LogTest, ValuesCannotBreakTheLine) {
  std::string line =
      Format(0, Level::kInfo, "x", {{"path", "/a\nlevel=error \"b\"\\"}, {"empty", ""}});
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_NE(line.find(R"(path="/a\nlevel=error \"b\"\\")"), std::string::npos) << line;
  EXPECT_NE(line.find("empty=\"\""), std::string::npos) << line;
  EXPECT_NE(Format(0, Level::kInfo, "x", {{"c", std::string_view("\x01", 1)}}).find("\\x01"),
            std::string::npos);
}

TEST(LogTest, LevelsParse) {
  Level l = Level::kInfo;
  EXPECT_TRUE(ParseLevel("warn", &l));
  EXPECT_EQ(l, Level::kWarn);
  EXPECT_FALSE(ParseLevel("loud", &l));
  EXPECT_EQ(l, Level::kWarn);
}

TEST(LogTest, BelowTheLevelNothingIsWritten) {
  Level before = GetLevel();
  SetLevel(Level::kError);
  testing::internal::CaptureStderr();
  Info("quiet");
  Error("loud");
  std::string out = testing::internal::GetCapturedStderr();
  SetLevel(before);
  EXPECT_EQ(out.find("quiet"), std::string::npos);
  EXPECT_NE(out.find("event=loud"), std::string::npos);
}

TEST(LogTest, EachEventIsRateLimitedAndCountsWhatItHeldBack) {
  testing::internal::CaptureStderr();
  for (int i = 0; i < 1000; ++i) Warn("flood", {{"i", i}});
  std::string out = testing::internal::GetCapturedStderr();
  size_t lines = std::count(out.begin(), out.end(), '\n');
  // Usually exactly kBurst; a second boundary in the loop allows twice that.
  EXPECT_GE(lines, size_t(kBurst));
  EXPECT_LE(lines, size_t(2 * kBurst + 1));
}

}  // namespace
}  // namespace burnrate::log
