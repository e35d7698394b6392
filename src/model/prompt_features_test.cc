#include "model/prompt_features.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "common/hash.h"

namespace burnrate::model {
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

TEST(PromptFeatures, SketchSeparatesNearFromUnrelated) {
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
  const char* words[] = {"parser", "handles",   "unicode", "escapes", "when",    "reading", "the",
                         "config", "file",      "so",      "we",      "should",  "add",     "tests",
                         "for",    "surrogate", "pairs",   "and",     "invalid", "bytes"};
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

// The word hash, written plainly: up to 16 bytes, the little-endian halves
// (zero-filled) folded by a 128-bit multiply; longer words, xxh3.
uint64_t ReferenceWordHash(const std::string& w) {
  if (w.size() > 16) return Hash64(w);
  uint64_t half[2] = {0, 0};
  for (size_t i = 0; i < w.size(); ++i)
    half[i / 8] |= uint64_t(static_cast<unsigned char>(w[i])) << (8 * (i % 8));
  unsigned __int128 m = static_cast<unsigned __int128>(half[0] ^ 0x243F6A8885A308D3ull) *
                        (half[1] ^ 0x13198A2E03707344ull ^ w.size());
  return uint64_t(m) ^ uint64_t(m >> 64);
}

// The near-duplicate sketch written plainly: lower-cased words of each
// line, 2-shingles within a line (prev * phi ^ word; a one-word line is the
// word), each times phi, the minimum per bin (top 6 bits) and its bit 0;
// an empty bin takes bit d (d - 40 past 40) of the next filled bin to its
// right, d bins away. The fast path must give the same bits.
uint64_t ReferenceMix(uint64_t x) { return x * 0x9E3779B97F4A7C15ull; }

uint64_t ReferenceSketch(std::string_view text) {
  std::vector<uint64_t> shingles;
  std::vector<uint64_t> line;  // word hashes of the current line
  std::string w;
  auto word_byte = [](unsigned char c) { return std::isalnum(c) || c == '_' || c >= 0x80; };
  auto end_line = [&] {
    for (size_t i = 1; i < line.size(); ++i)
      shingles.push_back(line[i - 1] * 0x9E3779B97F4A7C15ull ^ line[i]);
    if (line.size() == 1) shingles.push_back(line[0]);
    line.clear();
  };
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i < text.size() && word_byte(static_cast<unsigned char>(text[i]))) {
      w += static_cast<char>(std::tolower(static_cast<unsigned char>(text[i])));
      continue;
    }
    if (!w.empty()) line.push_back(ReferenceWordHash(w)), w.clear();
    if (i == text.size() || text[i] == '\n') end_line();
  }
  if (shingles.empty()) return 0;
  std::vector<uint64_t> min(64, UINT64_MAX);
  for (uint64_t s : shingles) {
    uint64_t m = ReferenceMix(s);
    min[m >> 58] = std::min(min[m >> 58], m);
  }
  uint64_t bits = 0;
  for (int i = 0; i < 64; ++i) {
    int d = 0;
    while (min[(i + d) % 64] == UINT64_MAX) ++d;
    bits |= ((min[(i + d) % 64] >> (d <= 40 ? d : d - 40)) & 1) << i;
  }
  return bits;
}

TEST(PromptFeatures, SketchMatchesTheReferenceDefinition) {
  const char* pieces[] = {"Refactor",
                          "the",
                          "PARSER",
                          "so",
                          "unicode",
                          "caf\xc3\xa9",
                          "escapes",
                          "are",
                          "validated",
                          "x",
                          "a_very_long_identifier_name_that_spans_blocks",
                          "42",
                          "(see",
                          "server.cc)",
                          "--",
                          "\n",
                          "\t",
                          "  ",
                          "don't",
                          "UTF-8:",
                          "\xe2\x9c\x93",
                          "\n\n",
                          ".\n"};
  std::mt19937_64 r(5);
  for (size_t size : {0, 1, 7, 63, 64, 65, 127, 128, 129, 200, 1000, 5000, 8192}) {
    for (int rep = 0; rep < 4; ++rep) {
      std::string t;
      while (t.size() < size) {
        t += pieces[r() % (sizeof(pieces) / sizeof(pieces[0]))];
        if (r() % 3) t += ' ';
      }
      t.resize(size);
      EXPECT_EQ(ComputePromptFeatures(t).simhash, ReferenceSketch(t)) << size;
    }
  }
  // Line feeds at block edges, and words that span a block.
  for (size_t at : {62, 63, 64, 65, 126, 127, 128}) {
    std::string t(300, 'a');
    for (size_t i = 5; i < 100; i += 6) t[i] = ' ';
    t[at] = '\n';
    EXPECT_EQ(ComputePromptFeatures(t).simhash, ReferenceSketch(t)) << at;
  }
}

TEST(PromptFeatures, ReorderedLinesKeepTheSketch) {
  std::string a =
      "error: build failed in step compile\nwarning: unused variable x in foo.cc\nnote: see bar.h "
      "line 3\n";
  std::string b =
      "note: see bar.h line 3\nerror: build failed in step compile\nwarning: unused variable x in "
      "foo.cc\n";
  EXPECT_EQ(ComputePromptFeatures(a).simhash, ComputePromptFeatures(b).simhash);
  EXPECT_NE(ComputePromptFeatures(a).exact_hash, ComputePromptFeatures(b).exact_hash);
}

// The AVX-512 and portable classifications agree on every byte value, in
// every lane, and on random text.
TEST(PromptFeatures, ClassifyPathsAgree) {
  std::mt19937_64 r(13);
  std::vector<std::string> blocks;
  for (int start = 0; start < 256; start += 64) {
    std::string b;
    for (int i = 0; i < 64; ++i) b += char(start + i);
    blocks.push_back(b);
    std::reverse(b.begin(), b.end());
    blocks.push_back(b);
  }
  for (int i = 0; i < 200; ++i) {
    std::string b;
    const std::string_view common = "aZ_9 \t\n.,({-";  // mostly these, a quarter any byte
    for (int k = 0; k < 64; ++k) b += r() % 4 ? common[r() % common.size()] : char(r());
    blocks.push_back(b);
  }
  blocks.push_back("short, padded");
  for (const auto& b : blocks) {
    auto portable = internal::Classify(b, internal::Simd::kNone);
    for (auto path : {internal::Simd::kAvx2, internal::Simd::kAvx512}) {
      auto simd = internal::Classify(b, path);
      EXPECT_EQ(simd.word_bits, portable.word_bits);
      EXPECT_EQ(simd.punct_bits, portable.punct_bits);
      EXPECT_EQ(simd.nl_bits, portable.nl_bits);
      EXPECT_EQ(simd.low_bits, portable.low_bits);
      EXPECT_EQ(simd.lower, portable.lower);
    }
  }
  auto c = internal::Classify("Ab_9 .\x80\n\r", internal::Simd::kNone);
  EXPECT_EQ(c.word_bits, 0b1001111u);      // A b _ 9, then the 0x80 byte
  EXPECT_EQ(c.punct_bits, 0b0000100000u);  // '.'
  EXPECT_EQ(c.nl_bits, 0b10000000u);       // the line feed, not the carriage return
  // Bit 0 of each byte: A(41) b(62) _(5f) 9(39) ' '(20) .(2e) 80 \n(0a) \r(0d), then
  // the padding spaces.
  EXPECT_EQ(c.low_bits, 0b100001101u);
  EXPECT_EQ(c.lower.substr(0, 4), "ab_9");
}

// ComputePromptFeatures reuses its fingerprint copy for the estimate up to
// 4 KB; it must give what EstimateCompressRatio gives on its own sample.
TEST(PromptFeatures, RatioEqualsTheStandaloneEstimate) {
  std::mt19937_64 r(3);
  const char* words[] = {"Refactor", "the",  "parser",     "so", "that", "unicode",
                         "escapes",  "(see", "server.cc)", "--", "\n"};
  for (size_t size : {0, 1, 3, 4, 5, 63, 64, 65, 300, 4095, 4096, 4097, 5000, 9000, 20000}) {
    std::string t;
    while (t.size() < size) t += std::string(words[r() % 11]) + (r() % 4 ? " " : "");
    t.resize(size);
    EXPECT_EQ(ComputePromptFeatures(t).compress_ratio, EstimateCompressRatio(t)) << size;
  }
}

TEST(PromptFeatures, LongPromptsAreSampledButExactHashSeesTheMiddle) {
  std::string a(20000, 'x');
  for (size_t i = 0; i < a.size(); i += 10) a[i] = ' ';
  std::string b = a;
  b[10001] = 'y';  // in the unread middle
  auto fa = ComputePromptFeatures(a), fb = ComputePromptFeatures(b);
  EXPECT_EQ(fa.simhash, fb.simhash);
  EXPECT_NE(fa.exact_hash, fb.exact_hash);
  EXPECT_EQ(fa.length, 20000u);
  EXPECT_LT(fa.compress_ratio, 0.05f);
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
}  // namespace burnrate::model

namespace burnrate::model {
namespace {

// Many texts of every shape (lengths across the block, sample and estimate
// edges; prose, code-like punctuation, line feeds, UTF-8, long words, runs,
// repeats), each one's features folded into a digest. The digest is what the
// code measured in docs/detection.md ("Cost of the MinHash fingerprint")
// computed before it was made faster (commit 41c0185): the fast paths must
// not change any fingerprint or ratio, bit for bit.
uint64_t FeaturesDigest(int texts, internal::Simd simd) {
  const char* pieces[] = {"Refactor",
                          "the",
                          "PARSER",
                          "so",
                          "caf\xc3\xa9",
                          "escapes",
                          "x",
                          "validated",
                          "42",
                          "(see",
                          "server.cc);",
                          "--",
                          "\n",
                          "\t",
                          "  ",
                          "don't",
                          "\xe2\x9c\x93",
                          "\n\n",
                          ".\n",
                          "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                          "{\"k\":1}",
                          "retry",
                          "timeout",
                          "0x7f3a",
                          "ERROR:",
                          "at com.example.Foo(Foo.java:42)"};
  std::mt19937_64 r(20261205);
  uint64_t digest = 0;
  for (int k = 0; k < texts; ++k) {
    size_t size;
    switch (r() % 4) {
      case 0:
        size = r() % 64;
        break;
      case 1:
        size = r() % 600;
        break;
      case 2:
        size = r() % 5000;
        break;
      default:
        size = r() % 20000;
        break;
    }
    std::string t;
    int vocab = 1 + int(r() % (sizeof(pieces) / sizeof(pieces[0])));
    while (t.size() < size) {
      if (r() % 50 == 0) {
        t += std::string(1 + r() % 100, char('a' + r() % 26));  // a run
      } else {
        t += pieces[r() % size_t(vocab)];
      }
      if (r() % 3) t += ' ';
    }
    t.resize(size);
    PromptFeatures f = internal::ComputePromptFeaturesOn(t, simd);
    uint32_t ratio_bits;
    std::memcpy(&ratio_bits, &f.compress_ratio, 4);
    for (uint64_t v : {uint64_t(f.length), f.simhash, f.exact_hash, uint64_t(ratio_bits)})
      digest = (digest ^ v) * 0x100000001B3ull + 0x9E3779B97F4A7C15ull;
  }
  return digest;
}

// Both builds of the computation (baseline, and AVX2 + BMI2 where the CPU
// has them), bit for bit. The digest changed on 2026-12-06 (late evening)
// with the thinned LZ anchors: every compress_ratio may differ from the
// previous code's (0x61bfdc77f21967c7), the fingerprints do not
// (docs/PERFORMANCE.md, Detection). It changed again the same evening
// (0x617fcb1c224155ff): the thinning read the bits of positions past the
// text's last 4-byte position, left there by an earlier text, so a ratio
// could depend on what was computed before it (the fuzz target caught it).
// A text's features do not depend on what was computed before it on the
// thread: the scratch bitmaps past a text's end hold an earlier text's bits.
TEST(PromptFeatures, ValuesDoNotDependOnThePreviousText) {
  // Texts ending near a 64-byte block's end, of words and punctuation,
  // each computed after a long text of bytes with bit 0 set and after one
  // of bytes with it clear (what the thinning of LZ anchors reads).
  const std::string ones(300, '\x01'), zeros(300, '\x02');
  uint64_t x = 88172645463325252ull;
  auto next = [&x] { return x ^= x << 13, x ^= x >> 7, x ^= x << 17; };
  const char kBytes[] = "abcdefghijklmnopqrstuvwxyz.,;:!?-()[]{}  \n\xff";
  // Texts the fuzz target found (each makes the old code's two paths
  // disagree after some earlier text), then generated ones.
  const std::string_view found[] = {
      {"\x74\x74\x74\x74\x74\x74\x74\x74\x74\x74\x74\x74\x74\x74\x74\x74\x74\x74\x74\x74\x74\x74"
       "\x74\x74\x74\x74\x74\x74\x74\x74\x74\x74\x74\x74\x74\xff\xff\xff\xff\xff\xff\xff\x03\x74"
       "\x74\x74\x74\x74\x74\x74\x74\x74\x74\x74\x74\x74\x74\x74\x74\x74\x74\x1a\x01",
       63},
      {"\x23\xbf\x7e\x7e\x7e\x7e\x7e\x7e\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
       "\x00\x00\x00\x00\x46\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
       "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7e\x7e\x81",
       63},
      {"\x70\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
       "\xff\x0a\x4c\x0a\xff\x0a\xfd\x3d\x02\x4c\x02\x05\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
       "\xff\xff\xff\xff\xff\xff\xff\x0a\x4c\x0a\xff\x0a\xfd\x3d\x02\x4c\x02\x05",
       62},
  };
  for (std::string_view t : found) {
    for (const std::string* before : {&ones, &zeros}) {
      for (const std::string* sample_before : {&ones, &zeros}) {
        (void)ComputePromptFeatures(*before);         // the fingerprints' bitmaps
        (void)EstimateCompressRatio(*sample_before);  // the standalone estimate's
        float ratio = ComputePromptFeatures(t).compress_ratio;
        EXPECT_EQ(EstimateCompressRatio(t), ratio);
        (void)ComputePromptFeatures(zeros);
        EXPECT_EQ(ComputePromptFeatures(t).compress_ratio, ratio);
      }
    }
  }
  for (int k = 0; k < 3000; ++k) {
    size_t n = 56 + next() % 16 + 64 * (next() % 3);
    std::string unit, t;  // a repeated unit: which anchors are looked up decides the matches
    for (size_t i = 0, u = 3 + next() % 12; i < u; ++i)
      unit += kBytes[next() % (sizeof kBytes - 1)];
    while (t.size() < n) t += unit;
    t.resize(n);
    (void)ComputePromptFeatures(ones);
    (void)EstimateCompressRatio(ones);
    model::PromptFeatures after_ones = ComputePromptFeatures(t);
    float est_after_ones = EstimateCompressRatio(t);
    (void)ComputePromptFeatures(zeros);
    (void)EstimateCompressRatio(zeros);
    model::PromptFeatures after_zeros = ComputePromptFeatures(t);
    ASSERT_EQ(after_ones.compress_ratio, after_zeros.compress_ratio) << k;
    ASSERT_EQ(est_after_ones, EstimateCompressRatio(t)) << k;
    ASSERT_EQ(after_zeros.compress_ratio, est_after_ones) << k;
  }
}

TEST(PromptFeatures, FastPathsEqualThePreviousCodeOnManyTexts) {
  EXPECT_EQ(FeaturesDigest(6000, internal::Simd::kNone), 0x9a98af48531d7694ull);
  EXPECT_EQ(FeaturesDigest(6000, internal::Simd::kAvx2), 0x9a98af48531d7694ull);
}

}  // namespace
}  // namespace burnrate::model
