#include "detect/prompt_features.h"

#include <gtest/gtest.h>

#include <string>

namespace burnrate::detect {
namespace {

TEST(PromptFeatures, ExactHashIgnoresCaseAndWhitespace) {
  auto a = ComputePromptFeatures("Fix the  failing test\n in parser.cc");
  auto b = ComputePromptFeatures("  fix THE failing test in parser.cc  ");
  auto c = ComputePromptFeatures("fix the failing test in lexer.cc");
  EXPECT_TRUE(a.present);
  EXPECT_EQ(a.exact_hash, b.exact_hash);
  EXPECT_NE(a.exact_hash, c.exact_hash);
  EXPECT_EQ(a.length, 35u);
}

TEST(PromptFeatures, SimHashSeparatesNearFromUnrelated) {
  std::string base =
      "Please refactor the request handler so that it validates the user id before "
      "looking up the session, returns a 400 with the field name when the id is "
      "missing, and logs the latency of the store lookup in milliseconds.";
  std::string near = base;
  near.replace(near.find("milliseconds"), 12, "microseconds");
  std::string other =
      "Write a haiku about autumn leaves falling on a quiet pond while a heron "
      "watches the ripples spread across the cold grey water at dawn today.";
  auto fb = ComputePromptFeatures(base), fn = ComputePromptFeatures(near),
       fo = ComputePromptFeatures(other);
  EXPECT_LE(HammingDistance(fb.simhash, fn.simhash), 8);
  EXPECT_GE(HammingDistance(fb.simhash, fo.simhash), 16);
}

TEST(PromptFeatures, CompressRatioLowForFiller) {
  std::string filler;
  while (filler.size() < 2000) filler += "token token token farm ";
  std::string prose;
  const char* words[] = {"parser", "handles", "unicode", "escapes", "when", "reading",
                         "the", "config", "file", "so", "we", "should", "add", "tests",
                         "for", "surrogate", "pairs", "and", "invalid", "bytes"};
  uint64_t x = 12345;
  while (prose.size() < 2000) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    prose += words[(x >> 33) % 20];
    prose += ' ';
  }
  auto ff = ComputePromptFeatures(filler), fp = ComputePromptFeatures(prose);
  EXPECT_LT(ff.compress_ratio, 0.1f);
  EXPECT_GT(fp.compress_ratio, 0.25f);
}

TEST(PromptFeatures, EmptyAndSingleWord) {
  auto e = ComputePromptFeatures("");
  EXPECT_TRUE(e.present);
  EXPECT_EQ(e.length, 0u);
  EXPECT_EQ(e.simhash, 0u);
  auto w = ComputePromptFeatures("continue");
  EXPECT_NE(w.simhash, 0u);
  EXPECT_EQ(w.exact_hash, ComputePromptFeatures("CONTINUE\n").exact_hash);
}

TEST(PromptFeatures, FingerprintHexRoundTrip) {
  auto v = ParseFingerprintHex("00ff00FF12345678");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, 0x00ff00ff12345678ull);
  EXPECT_EQ(FingerprintHex(*v), "00ff00ff12345678");
  EXPECT_FALSE(ParseFingerprintHex("123").ok());
  EXPECT_FALSE(ParseFingerprintHex("00ff00ff1234567g").ok());
}

}  // namespace
}  // namespace burnrate::detect
