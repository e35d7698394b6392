// Contract tests for common/json_writer.h.
#include "common/json_writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace burnrate {
namespace {

TEST(JsonWriter, CommasAndNesting) {
  JsonWriter w;
  w.BeginObject();
  w.Key("a").Int(1);
  w.Key("b").BeginArray().Int(1).String("x").Bool(true).Null().BeginObject().EndObject().EndArray();
  w.Key("c").BeginObject().Key("d").Uint(18446744073709551615ULL).EndObject();
  w.Key("e").Raw("[1,2]");
  w.EndObject();
  EXPECT_EQ(w.str(),
            R"({"a":1,"b":[1,"x",true,null,{}],"c":{"d":18446744073709551615},"e":[1,2]})");
}

TEST(JsonWriter, EmptyContainersAndTopLevelArray) {
  JsonWriter w;
  w.BeginArray().BeginArray().EndArray().BeginObject().EndObject().EndArray();
  EXPECT_EQ(w.Take(), "[[],{}]");
}

TEST(JsonWriter, EscapesStringsAndKeys) {
  JsonWriter w;
  w.BeginObject()
      .Key("q\"k")
      .String(std::string("a\"b\\c\nd\re\tf\x01g\x1f") + "h\x7f" + "\xc3\xa9")
      .EndObject();
  EXPECT_EQ(w.str(), "{\"q\\\"k\":\"a\\\"b\\\\c\\nd\\re\\tf\\u0001g\\u001fh\x7f\xc3\xa9\"}");
  std::string out;
  JsonWriter::AppendEscaped(out, std::string_view("\0x", 2));
  EXPECT_EQ(out, "\\u0000x");
}

TEST(JsonWriter, IntegersAtTheLimits) {
  JsonWriter w;
  w.BeginArray()
      .Int(std::numeric_limits<int64_t>::min())
      .Int(std::numeric_limits<int64_t>::max())
      .Int(0)
      .EndArray();
  EXPECT_EQ(w.str(), "[-9223372036854775808,9223372036854775807,0]");
}

TEST(JsonWriter, DoublesRoundTripAndNonFiniteIsNull) {
  JsonWriter w;
  w.BeginArray()
      .Double(0.1)
      .Double(-2.5)
      .Double(1e300)
      .Double(NAN)
      .Double(INFINITY)
      .Double(-INFINITY)
      .EndArray();
  EXPECT_EQ(w.str(), "[0.1,-2.5,1e+300,null,null,null]");
}

TEST(JsonWriter, NanoUsdIsExactDecimalDollars) {
  auto f = [](int64_t n) {
    JsonWriter w;
    w.NanoUsd(n);
    return w.Take();
  };
  EXPECT_EQ(f(0), "0.00");
  EXPECT_EQ(f(1), "0.000000001");
  EXPECT_EQ(f(123000), "0.000123");
  EXPECT_EQ(f(1'500'000'000), "1.50");
  EXPECT_EQ(f(12'345'678'901), "12.345678901");
  EXPECT_EQ(f(100'000'000'000), "100.00");
  EXPECT_EQ(f(-1'500'000'000), "-1.50");
  EXPECT_EQ(f(-1), "-0.000000001");
  EXPECT_EQ(f(std::numeric_limits<int64_t>::max()), "9223372036.854775807");
  EXPECT_EQ(f(std::numeric_limits<int64_t>::min()), "-9223372036.854775808");
  JsonWriter w;
  w.BeginObject().Key("a").NanoUsd(10).Key("b").NanoUsd(20).EndObject();
  EXPECT_EQ(w.str(), R"({"a":0.00000001,"b":0.00000002})");
}

}  // namespace
}  // namespace burnrate
