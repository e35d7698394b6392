// Contract tests for common/strings.h, UTF-8 validation above all.
#include "common/strings.h"

#include <gtest/gtest.h>

namespace burnrate {
namespace {

TEST(Utf8, AcceptsWellFormed) {
  for (std::string_view s :
       {"", "ascii", "caf\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x94\xa5", "\xef\xbf\xbf",
        "\xf4\x8f\xbf\xbf", "\xed\x9f\xbf", "\xee\x80\x80", "\xc2\x80"}) {
    EXPECT_TRUE(IsValidUtf8(s)) << s;
  }
  EXPECT_TRUE(IsValidUtf8(std::string_view("a\0b", 3)));
}

TEST(Utf8, RejectsMalformed) {
  for (std::string_view s : {
           "\x80",              // lone continuation
           "\xbf",              // lone continuation
           "\xc3",              // truncated 2-byte
           "caf\xc3",           // truncated at end
           "\xe2\x82",          // truncated 3-byte
           "\xf0\x9f\x94",      // truncated 4-byte
           "\xc0\xaf",          // overlong '/'
           "\xc1\xbf",          // overlong
           "\xe0\x80\xaf",      // overlong 3-byte
           "\xf0\x80\x80\xaf",  // overlong 4-byte
           "\xed\xa0\x80",      // surrogate U+D800
           "\xed\xbf\xbf",      // surrogate U+DFFF
           "\xf4\x90\x80\x80",  // U+110000
           "\xf5\x80\x80\x80",  // invalid lead
           "\xf8\x88\x80\x80\x80",
           "\xff",
           "\xc3\x28",  // bad continuation
           "\xe2\x28\xa1",
       }) {
    EXPECT_FALSE(IsValidUtf8(s)) << testing::PrintToString(s);
  }
}

TEST(Split, KeepsEmptyFields) {
  auto v = Split("a,,b,", ',');
  ASSERT_EQ(v.size(), 4u);
  EXPECT_EQ(v[0], "a");
  EXPECT_EQ(v[1], "");
  EXPECT_EQ(v[2], "b");
  EXPECT_EQ(v[3], "");
  EXPECT_EQ(Split("", ',').size(), 1u);
}

TEST(Trim, StripsWhitespaceBothEnds) {
  EXPECT_EQ(Trim("  a b \t\r\n"), "a b");
  EXPECT_EQ(Trim(" \t "), "");
  EXPECT_EQ(Trim(""), "");
}

TEST(Humanize, Units) {
  EXPECT_EQ(Humanize(0), "0");
  EXPECT_EQ(Humanize(999), "999");
  EXPECT_EQ(Humanize(1200), "1.20 k");
  EXPECT_EQ(Humanize(34'500'000), "34.5 M");
  EXPECT_EQ(Humanize(2.1e12), "2.10 T");
  EXPECT_EQ(Humanize(-1500), "-1.50 k");
}

}  // namespace
}  // namespace burnrate
