// Prompt features in two cheap scans, without a compressor.
//
// Budget. These run on the ingest path for every event that carries prompt
// text, so they must cost well under a microsecond for a typical few-hundred-
// byte prompt (docs/PERFORMANCE.md, Detection). zstd level 1 spent several
// times that per short prompt on frame and table setup alone (the same
// section has the figures), so it was replaced by an estimate; nothing
// allocates (per-thread scratch of fixed size) and huge
// prompts are sampled.
//
// Near-duplicate sketch + exact hash, one pass. The (sampled) text is
// copied into a padded buffer and, 64 bytes at a time (AVX-512BW; 32 with
// AVX2, 16 with SSE2 where the CPU lacks them), case-folded and classified
// into bitmaps of word bytes, punctuation bytes and line feeds; other white
// space only separates. Walking the set bits in order visits each token and
// line feed once: a word (a run of word bytes) is hashed once (WordHash)
// and that hash feeds both fingerprints; a punctuation byte feeds the exact
// hash only; a line feed ends the line's shingles.
//   The near-duplicate fingerprint (the `simhash` field, named for what it
// was) is a 1-bit one-permutation MinHash (Li, Owen & Zhang 2012; Li &
// Koenig 2010 for b-bit) of the text's set of word 2-shingles, taken within
// lines: a line feed ends a shingle chain and a one-word line is its own
// shingle. Two texts agree on each of the 64 bits with probability
// (1 + J) / 2, J the Jaccard overlap of their shingle sets, so the Hamming
// distance estimates 32 (1 - J): 0 for copies, about 32 for unrelated text.
// Why not SimHash (which this replaced): a SimHash bit is the majority vote
// of all shingles, so two long texts that share vocabulary (two design
// documents on one topic, two licence notices, two headers of one library)
// converge to similar votes although their shingle sets barely overlap;
// researchers who pasted a different long document each time were judged
// near-duplicates. A MinHash bit is decided by one shingle, the set's
// minimum, so only shared shingles make bits agree; shingles within lines
// make reordered lines (a log pasted in another order, a list re-sorted)
// the same set. Measured on real Debian text (src/cli/near_duplicate_test.cc,
// RealText*): distinct documents under one shared instruction sit at a
// median of 31 bits, edited copies at 0-8; docs/detection.md has the table.
//   The exact hash chains the token hashes (multiply-add, mixed at the end),
// so it ignores case and white space, and is equal exactly when the token
// sequences are.
//
// Compressibility without a compressor. An LZ parse like LZ4's fast path,
// searched from anchors: about a quarter of the word starts and punctuation
// bytes (from the fingerprints' classification of the same bytes, picked by
// bit 0 of the 4 bytes that are hashed, so content decides them and a
// repeated string has the same anchors in every copy); all of them in a
// 32-byte half-block where none was picked (so filler made of words that
// are never picked is searched as densely as before); and the first
// position of each 16-byte lane without a word start or punctuation byte
// (so no text, a long run without spaces included, can avoid anchors by its
// choice of bytes). An anchor hashes its next 4 bytes and looks up an
// earlier anchor with that hash in a small table; if the bytes really
// match, the match is extended back over the bytes before the anchor and
// forward, and skipped. What is left are literals. A table entry keeps its
// older position when its bytes matched: with few anchors, the most recent
// copy of a short string ("token token token farm" repeated) would give
// only short matches, where the older one finds the period. Searching a
// fraction of the positions instead of all finds the same long repeats and
// misses some of the shortest, which zstd gains little from anyway
// (docs/PERFORMANCE.md, Detection, "2026-12-06 late evening"). The
// estimated compressed size is
//   header + matches x sequence cost + literals x their order-0 entropy
// plus a Huffman table charge, i.e. what an LZ77 + entropy coder such as
// zstd spends, and the ratio is that over the input size. The entropy is
// that of the literals at even positions, a systematic half sample: the
// histogram is a load and a dependent increment per byte, the costliest
// loop here, and half of a few hundred bytes of text gives the same
// distribution. A smaller sample reads lower entropy (the plug-in estimate
// is biased low by about (distinct - 1) / (2 N ln 2) bits), so the
// difference of that bias between N = sampled and N = all literals is
// added back (Miller-Madow), keeping the estimate where the constants were
// fitted. The constants were
// fitted to zstd level 1 on a varied corpus (prose, code, JSON, logs, stack
// traces, repeated phrases, filler, random text and bytes);
// compress_estimate_test.cc checks that the estimate ranks texts as zstd
// does (Spearman 0.99) and agrees with it on which long texts are low
// entropy (ratio <= 0.2).
//
// Sampling. Prompts over 8 KB are sketched from their first and last
// 4 KB (the estimate: over 4 KB, first and last 2 KB); the exact hash also
// covers the unread middle (raw xxh3, far faster than the sketch), so texts that differ
// anywhere still differ.
//
// Two builds. All of the above is compiled twice: for baseline x86-64, and
// (ComputeBmi2) for CPUs with AVX2 and BMI1/BMI2, where every bitmap walk
// clears and isolates bits in one instruction each and shifts by a register
// count directly; a quarter fewer instructions per prompt than before the
// two builds and the other 2026-12-06 changes (docs/PERFORMANCE.md,
// Detection). The values are the same bit for bit (no FMA, the same
// integer code), which PromptFeatures.FastPathsEqualThePreviousCodeOnManyTexts
// and the fuzz target hold the two builds to.
#include "model/prompt_features.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <numbers>
#include <string>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "common/hash.h"
#include "common/json_writer.h"

namespace burnrate::model {
namespace {

constexpr size_t kSampleBytes = 8192;              // fingerprints read head + tail of this much
constexpr size_t kEstimateBytes = 4096;            // the estimate reads head + tail of this much
constexpr int kTableBits = 10;                     // LZ match table: 1024 last positions
constexpr size_t kBlocks = kSampleBytes / 64 + 1;  // + one block of padding

struct Scratch {
  // The (sampled) text as sent, and folded to lower case, padded with spaces
  // to whole 64-byte blocks plus one.
  std::array<char, kBlocks * 64> text{}, lower{};
  // Bit i: byte i is a word byte / a punctuation byte / a line feed / has
  // bit 0 set (the last picks LZ anchors, see ParseMatches).
  std::array<uint64_t, kBlocks> word_bits{}, punct_bits{}, nl_bits{}, low_bits{};
  // The estimate's own sample when the text is longer than kEstimateBytes.
  std::array<char, kEstimateBytes + 64> sample{};
  std::array<uint64_t, kEstimateBytes / 64 + 1> sample_word_bits{}, sample_punct_bits{},
      sample_nl_bits{}, sample_low_bits{};
  std::array<uint32_t, 1u << kTableBits> table{};  // LZ positions, see EstimateCompressedSize
  uint32_t table_stamp = 0;
  std::array<uint16_t, 256> histogram{};  // the estimate leaves it all zero
};

Scratch& ThreadScratch() {
  thread_local Scratch s;
  return s;
}

inline uint32_t Load32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
inline uint64_t Mix(uint64_t x) {  // splitmix64 finaliser
  x ^= x >> 30, x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27, x *= 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// Byte classes. Word bytes: ASCII letters and digits, '_', and every byte of
// a UTF-8 sequence (>= 0x80). Space: ' ', \t \n \v \f \r. Everything else is
// punctuation, which counts for the exact hash but not the SimHash.
#ifdef __SSE2__
inline __m128i InRange(__m128i v, char lo, int count) {  // lo <= v < lo + count, unsigned
  __m128i t = _mm_add_epi8(v, _mm_set1_epi8(static_cast<char>(128 - lo)));
  return _mm_cmplt_epi8(t, _mm_set1_epi8(static_cast<char>(-128 + count)));
}
// 16 bytes -> word mask and space mask, one bit per byte, and the 16 bytes
// with ASCII capitals folded to lower case.
inline void Classify16(const char* p, char* lower, uint32_t* word, uint32_t* space, uint32_t* nl,
                       uint32_t* low) {
  __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  __m128i upper = InRange(x, 'A', 26);
  __m128i alpha = _mm_or_si128(upper, InRange(x, 'a', 26));
  __m128i digit = InRange(x, '0', 10);
  __m128i under = _mm_cmpeq_epi8(x, _mm_set1_epi8('_'));
  __m128i sp = _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8(' ')), InRange(x, '\t', 5));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(lower),
                   _mm_or_si128(x, _mm_and_si128(upper, _mm_set1_epi8(0x20))));
  *word = static_cast<uint32_t>(_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(alpha, digit), under)) |
                                _mm_movemask_epi8(x));
  *space = static_cast<uint32_t>(_mm_movemask_epi8(sp));
  *nl = static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('\n'))));
  // A 16-bit shift by 7 moves each byte's bit 0 to its bit 7, what movemask reads.
  *low = static_cast<uint32_t>(_mm_movemask_epi8(_mm_slli_epi16(x, 7)));
}
#else
inline void Classify16(const char* p, char* lower, uint32_t* word, uint32_t* space, uint32_t* nl,
                       uint32_t* low) {
  *word = *space = *nl = *low = 0;
  for (int i = 0; i < 16; ++i) {
    unsigned c = static_cast<unsigned char>(p[i]);
    bool w = (c | 0x20) - 'a' < 26 || c - '0' < 10 || c == '_' || c >= 0x80;
    bool s = c == ' ' || c - '\t' < 5;
    lower[i] = static_cast<char>(c - 'A' < 26 ? c | 0x20 : c);
    *word |= uint32_t(w) << i, *space |= uint32_t(s) << i, *nl |= uint32_t(c == '\n') << i;
    *low |= (c & 1) << i;
  }
}
#endif

// The bitmaps of a classification, one word per 64-byte block each.
struct ClassBits {
  uint64_t* word;   // bit i: byte i is a word byte
  uint64_t* punct;  // punctuation: neither a word byte nor white space
  uint64_t* nl;     // a line feed (white space)
  uint64_t* low;    // bit 0 of the byte (for the LZ anchors' choice, ParseMatches)
};

// Classifies `blocks` 64-byte blocks of padded text into the bitmaps,
// writing the text folded to lower case to `lower`. 16 bytes at a time
// (SSE2, or the scalar loop above without it).
void ClassifyBlocksPortable(const char* text, size_t blocks, char* lower, ClassBits out) {
  for (size_t b = 0; b < blocks; ++b) {
    uint64_t word = 0, space = 0, nl = 0, low = 0;
    for (int q = 0; q < 4; ++q) {
      uint32_t w, sp, n, lo;
      size_t at = b * 64 + size_t(q) * 16;
      Classify16(text + at, lower + at, &w, &sp, &n, &lo);
      word |= uint64_t(w) << (16 * q), space |= uint64_t(sp) << (16 * q);
      nl |= uint64_t(n) << (16 * q), low |= uint64_t(lo) << (16 * q);
    }
    out.word[b] = word;
    out.punct[b] = ~(word | space);
    out.nl[b] = nl;
    out.low[b] = low;
  }
}

#if defined(__x86_64__)
// The same, a whole block at a time with AVX-512BW: the byte-range tests
// give 64-bit masks directly, the bitmaps themselves, where SSE2 needs four
// 16-byte passes and their movemasks (a sixth of the instructions).
[[gnu::target("avx512bw")]] inline __mmask64 InRange64(__m512i v, char lo,
                                                       int count) {  // lo <= v < lo + count
  return _mm512_cmplt_epu8_mask(_mm512_sub_epi8(v, _mm512_set1_epi8(lo)),
                                _mm512_set1_epi8(static_cast<char>(count)));
}
[[gnu::target("avx512bw")]] void ClassifyBlocksAvx512(const char* text, size_t blocks, char* lower,
                                                      ClassBits out) {
  for (size_t b = 0; b < blocks; ++b) {
    __m512i x = _mm512_loadu_si512(text + b * 64);
    __mmask64 upper = InRange64(x, 'A', 26);
    __mmask64 word = upper | InRange64(x, 'a', 26) | InRange64(x, '0', 10) |
                     _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8('_')) | _mm512_movepi8_mask(x);
    __mmask64 space = _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8(' ')) | InRange64(x, '\t', 5);
    _mm512_storeu_si512(lower + b * 64, _mm512_mask_add_epi8(x, upper, x, _mm512_set1_epi8(0x20)));
    out.word[b] = word;
    out.punct[b] = ~(word | space);
    out.nl[b] = _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8('\n'));
    out.low[b] = _mm512_test_epi8_mask(x, _mm512_set1_epi8(1));
  }
}
// The same with AVX2, 32 bytes at a time: half the SSE2 path's compares,
// stores and movemasks, for CPUs without AVX-512BW. Letters are one range
// test of the byte with bit 5 set (which maps A-Z onto a-z and nothing else
// into it), and folding sets that bit on them; white space is the bytes
// equal to a table entry picked by their low 4 bits (' ' for 0, \t..\r for
// 9..13, for other values an entry of another low nibble, which no byte
// matches; bytes >= 0x80 pick 0).
[[gnu::target("avx2")]] inline __m256i InRange32(__m256i v, char lo,
                                                 int count) {  // lo <= v < lo + count
  __m256i t = _mm256_add_epi8(v, _mm256_set1_epi8(static_cast<char>(128 - lo)));
  return _mm256_cmpgt_epi8(_mm256_set1_epi8(static_cast<char>(-128 + count)), t);
}
[[gnu::target("avx2")]] void ClassifyBlocksAvx2(const char* text, size_t blocks, char* lower,
                                                ClassBits out) {
  const __m256i bit5 = _mm256_set1_epi8(0x20);
  const __m256i spaces =
      _mm256_setr_epi8(' ', 0, 0, 0, 0, 0, 0, 0, 0, '\t', '\n', '\v', '\f', '\r', 0, 0, ' ', 0, 0,
                       0, 0, 0, 0, 0, 0, '\t', '\n', '\v', '\f', '\r', 0, 0);
  for (size_t b = 0; b < blocks; ++b) {
    uint32_t word[2], space[2], nl[2], low[2];
    for (int h = 0; h < 2; ++h) {
      __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(text + b * 64 + 32 * h));
      __m256i alpha = InRange32(_mm256_or_si256(x, bit5), 'a', 26);
      __m256i w = _mm256_or_si256(
          _mm256_or_si256(alpha, InRange32(x, '0', 10)),
          _mm256_or_si256(_mm256_cmpeq_epi8(x, _mm256_set1_epi8('_')), x));  // x: bytes >= 0x80
      __m256i sp = _mm256_cmpeq_epi8(_mm256_shuffle_epi8(spaces, x), x);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(lower + b * 64 + 32 * h),
                          _mm256_or_si256(x, _mm256_and_si256(alpha, bit5)));
      word[h] = uint32_t(_mm256_movemask_epi8(w));
      space[h] = uint32_t(_mm256_movemask_epi8(sp));
      nl[h] = uint32_t(_mm256_movemask_epi8(_mm256_cmpeq_epi8(x, _mm256_set1_epi8('\n'))));
      low[h] = uint32_t(_mm256_movemask_epi8(_mm256_slli_epi16(x, 7)));  // bit 0 to bit 7
    }
    uint64_t wb = word[0] | uint64_t(word[1]) << 32, sb = space[0] | uint64_t(space[1]) << 32;
    out.word[b] = wb;
    out.punct[b] = ~(wb | sb);
    out.nl[b] = nl[0] | uint64_t(nl[1]) << 32;
    out.low[b] = low[0] | uint64_t(low[1]) << 32;
  }
}
#endif

// The best vector path this CPU (and OS) runs: __builtin_cpu_supports
// checks that the OS saves the vector state too.
internal::Simd CpuSimd() {
#if defined(__x86_64__)
  static const internal::Simd best = __builtin_cpu_supports("avx512bw") ? internal::Simd::kAvx512
                                     : __builtin_cpu_supports("avx2")   ? internal::Simd::kAvx2
                                                                        : internal::Simd::kNone;
  return best;
#else
  return internal::Simd::kNone;
#endif
}

void ClassifyBlocksOn(internal::Simd simd, const char* text, size_t blocks, char* lower,
                      ClassBits out) {
#if defined(__x86_64__)
  internal::Simd best = std::min(simd, CpuSimd());
  if (best == internal::Simd::kAvx512) return ClassifyBlocksAvx512(text, blocks, lower, out);
  if (best == internal::Simd::kAvx2) return ClassifyBlocksAvx2(text, blocks, lower, out);
#endif
  ClassifyBlocksPortable(text, blocks, lower, out);
}

void ClassifyBlocks(const char* text, size_t blocks, char* lower, ClassBits out) {
  ClassifyBlocksOn(internal::Simd::kAvx512, text, blocks, lower, out);
}

// Hash of a word of the (already lower-cased, padded) buffer. A word of up
// to 16 bytes, nearly every word, is read as two 8-byte halves masked to its
// length and folded by one 128-bit multiply (the fold of XXH3's 9-16 byte
// path): no branch depends on the length, where xxh3's three short-length
// paths mispredicted on every change of word length (a large share of the
// features' time on prose with varied word lengths; docs/PERFORMANCE.md,
// "Cost of prompt features on the ingest path"). Longer words: xxh3.
// Unrelated prompts still differ in 32 of 64 SimHash bits on average
// (docs/PERFORMANCE.md, Detection); SimHashes differ from those before
// 2026-11-26, which used xxh3 for every word.
// The halves' masks come from a table by length (two loads, where the
// shifts and selects took six instructions).
struct WordMasks {
  std::array<uint64_t, 17> lo{}, hi{};
  constexpr WordMasks() {
    for (unsigned len = 1; len <= 16; ++len) {
      unsigned bits = len * 8;
      lo[len] = bits >= 64 ? ~0ull : (1ull << bits) - 1;
      hi[len] = bits <= 64 ? 0 : (~0ull >> (128 - bits));
    }
  }
};
constexpr WordMasks kWordMasks;

inline uint64_t WordHash(const char* p, size_t len) {
  if (len > 16) [[unlikely]]
    return XXH3_64bits(p, len);
  uint64_t lo, hi;
  std::memcpy(&lo, p, 8);
  std::memcpy(&hi, p + 8, 8);
  lo &= kWordMasks.lo[len];
  hi &= kWordMasks.hi[len];
  __uint128_t m =
      static_cast<__uint128_t>(lo ^ 0x243F6A8885A308D3ull) * (hi ^ 0x13198A2E03707344ull ^ len);
  return static_cast<uint64_t>(m) ^ static_cast<uint64_t>(m >> 64);
}

// End of the word starting at pos: its first non-word byte (the padding
// block guarantees one).
inline size_t WordEnd(const Scratch& s, size_t pos) {
  size_t b = pos / 64;
  uint64_t rest = ~s.word_bits[b] >> (pos % 64);
  if (rest != 0) return pos + static_cast<size_t>(__builtin_ctzll(rest));
  while (s.word_bits[++b] == ~0ull) {
  }
  return b * 64 + static_cast<size_t>(__builtin_ctzll(~s.word_bits[b]));
}

// Bit i: bit 0 of v[i], for 64 values. SSE2 (x86-64's baseline): two
// values per shift and movemask, a quarter of the scalar loop's work.
inline uint64_t LowBits64(const uint64_t* v) {
  uint64_t bits = 0;
#if defined(__SSE2__)
  for (int k = 0; k < 32; ++k) {
    __m128i x = _mm_slli_epi64(_mm_loadu_si128(reinterpret_cast<const __m128i*>(v + 2 * k)), 63);
    bits |= uint64_t(unsigned(_mm_movemask_pd(_mm_castsi128_pd(x)))) << (2 * k);
  }
#else
  for (int i = 0; i < 64; ++i) bits |= (v[i] & 1) << i;
#endif
  return bits;
}

// Bit i of the result is bit 63 - i of x.
inline uint64_t Reverse64(uint64_t x) {
  x = __builtin_bswap64(x);
  x = ((x >> 4) & 0x0F0F0F0F0F0F0F0Full) | ((x & 0x0F0F0F0F0F0F0F0Full) << 4);
  x = ((x >> 2) & 0x3333333333333333ull) | ((x & 0x3333333333333333ull) << 2);
  return ((x >> 1) & 0x5555555555555555ull) | ((x & 0x5555555555555555ull) << 1);
}

// The near-duplicate sketch: a 1-bit one-permutation MinHash (see the
// essay). A shingle's hash, multiplied by an odd constant (a bijection whose
// top bits depend on every bit), picks one of 64 bins by its top 6 bits and
// the bin keeps the smallest product it was given; each bin yields bit 0 of
// its minimum. An empty bin borrows the minimum of the next filled bin to its
// right, d bins away (rotation densification), and yields its bit d (d - 40
// past 40: bits below the bin index, far from the top bits a minimum
// biases towards 0), so empty bins borrowing one donor still give different
// bits. No multiply per bin: the bits loop costs less than the shingles.
//   How Bits() computes that without a step per empty bin: in mirrored
// order (position q = 63 - bin) a donor at q and the empty bins it serves,
// q + 1 up to the next filled position, form one run, and the bin d places
// past the donor wants the donor's bit d, which is where rotl(minimum, q)
// puts it. So each filled bin costs one rotate and a masked OR for its whole
// run, and one bit reversal at the end restores bin order. Runs longer than
// 41 (bit d - 40 past d = 40) exist only with fewer than 24 filled bins and
// take a second rotate. All bins filled (long texts): the bit-0 gather
// alone. The bits are those of the scan per empty bin it replaced
// (PromptFeatures.FastPathsEqualThePreviousCodeOnManyTexts).
constexpr uint64_t kSpread = 0x9E3779B97F4A7C15ull;

class MinSketch {
 public:
  MinSketch() {
#pragma GCC unroll 64
    for (uint64_t& m : min_) m = UINT64_MAX;  // a few vector stores, no loop
  }
  void Add(uint64_t shingle) {
    uint64_t m = shingle * kSpread;
    unsigned bin = unsigned(m >> 58);
    min_[bin] = std::min(min_[bin], m);
    filled_ |= uint64_t{1} << bin;
  }
  uint64_t Bits() const {
    if (filled_ == ~0ull) return LowBits64(min_.data());
    if (filled_ == 0) return 0;  // no words
    uint64_t mirrored = Reverse64(filled_);
    return Reverse64(__builtin_popcountll(filled_) >= 24 ? MirroredBits<false>(mirrored)
                                                         : MirroredBits<true>(mirrored));
  }

 private:
  // The bits in mirrored order (see above); `mirrored`: the filled bins so.
  template <bool kLongRuns>
  uint64_t MirroredBits(uint64_t mirrored) const {
    // The donor at position q fills `run`, q and the empty positions after it.
    auto place = [this](uint64_t donor, uint64_t run) {
      int q = __builtin_ctzll(donor);
      uint64_t m = min_[size_t(63 - q)];
      if constexpr (kLongRuns) {
        uint64_t near = std::rotl(uint64_t{(1ull << 41) - 1}, q);  // d = 0..40
        return (std::rotl(m, q) & run & near) | (std::rotl(m, q + 40) & run & ~near);
      } else {
        return std::rotl(m, q) & run;
      }
    };
    const uint64_t first = mirrored & -mirrored;
    uint64_t out = 0, donor = first;
    for (uint64_t rest = mirrored ^ first; rest != 0; rest ^= donor) {
      uint64_t next = rest & -rest;
      out |= place(donor, next - donor);
      donor = next;
    }
    return out | place(donor, -donor | (first - 1));  // the last run wraps around
  }

  std::array<uint64_t, 64> min_;
  uint64_t filled_ = 0;  // bit i: bin i holds a minimum
};

// Copies the text (head and tail when long) into the padded buffer; returns
// its length.
size_t CopySample(std::string_view text, Scratch& s) {
  size_t n = std::min(text.size(), kSampleBytes);
  if (text.size() <= kSampleBytes) {
    std::memcpy(s.text.data(), text.data(), n);
  } else {
    std::memcpy(s.text.data(), text.data(), kSampleBytes / 2);
    std::memcpy(s.text.data() + kSampleBytes / 2, text.data() + text.size() - kSampleBytes / 2,
                kSampleBytes / 2);
  }
  size_t padded = (n / 64 + 1) * 64;
  std::memset(s.text.data() + n, ' ', padded - n);
  return n;
}

// Near-duplicate sketch and exact hash in one pass over the tokens (see the
// essay).
void Fingerprints(std::string_view text, Scratch& s, model::PromptFeatures* f) {
  size_t n = CopySample(text, s);
  size_t blocks = n / 64 + 1;
  ClassifyBlocks(s.text.data(), blocks, s.lower.data(),
                 {s.word_bits.data(), s.punct_bits.data(), s.nl_bits.data(), s.low_bits.data()});
  MinSketch sketch;
  uint64_t prev = 0, exact = 0x2545F4914F6CDD1Dull, carry = 0;
  size_t line_words = 0;  // words on this line so far
  for (size_t b = 0; b < blocks; ++b) {
    uint64_t word = s.word_bits[b], punct = s.punct_bits[b];
    uint64_t starts = word & ~((word << 1) | carry);
    carry = word >> 63;
    // Tokens and line feeds in text order: a line feed ends the line, so
    // shingles do not cross it.
    for (uint64_t events = starts | punct | s.nl_bits[b]; events != 0; events &= events - 1) {
      size_t i = static_cast<size_t>(__builtin_ctzll(events)), pos = b * 64 + i;
      if (((starts >> i) & 1) == 0) [[unlikely]] {
        if ((punct >> i) & 1) {
          exact = exact * 0x100000001B3ull + static_cast<unsigned char>(s.lower[pos]);
        } else if (line_words > 0) {              // a line feed after words
          if (line_words == 1) sketch.Add(prev);  // a one-word line is its own shingle
          line_words = 0;
        }
        continue;
      }
      uint64_t rest = ~word >> i;  // the word's end, usually in this block
      size_t end = __builtin_expect(rest != 0, 1) ? pos + static_cast<size_t>(__builtin_ctzll(rest))
                                                  : WordEnd(s, pos);
      uint64_t w = WordHash(s.lower.data() + pos, end - pos);
      exact = exact * 0x100000001B3ull + w;
      if (line_words > 0) [[likely]]
        sketch.Add(prev * 0x9E3779B97F4A7C15ull ^ w);
      prev = w;
      ++line_words;
    }
  }
  if (line_words == 1) sketch.Add(prev);
  f->simhash = sketch.Bits();
  f->exact_hash = Mix(exact);
  if (text.size() > kSampleBytes) {
    std::string_view middle = text.substr(kSampleBytes / 2, text.size() - kSampleBytes);
    f->exact_hash = Mix(f->exact_hash ^ Hash64(middle, text.size()));
  }
}

// c * log2(c) for the entropy sum, c <= kEstimateBytes: float precision
// (the constants were fitted with it), held as doubles so that the sum
// needs no conversion per term.
const std::array<double, kEstimateBytes + 1>& CLogC() {
  static const std::array<double, kEstimateBytes + 1> t = [] {
    std::array<double, kEstimateBytes + 1> a{};
    for (size_t c = 1; c <= kEstimateBytes; ++c)
      a[c] = static_cast<float>(double(c) * std::log2(double(c)));
    return a;
  }();
  return t;
}

// Fitted to zstd level 1 (see the essay and the calibration test).
constexpr double kHeaderBytes = 12;         // frame + block headers
constexpr double kSequenceBytes = 2.5;      // one match: literal length, match length, offset
constexpr double kSymbolBytes = 0.5;        // Huffman table, per distinct literal byte
constexpr size_t kMinHuffmanLiterals = 64;  // fewer literals are stored raw
constexpr size_t kMinMatch = 5;             // zstd level 1's minimum match for inputs up to 16 KB

// Equal bytes at a and b, at most max, 8 at a time.
inline size_t MatchLength(const char* a, const char* b, size_t max) {
  size_t len = 0;
  for (; len + 8 <= max; len += 8) {
    uint64_t x, y;
    std::memcpy(&x, a + len, 8);
    std::memcpy(&y, b + len, 8);
    if (x != y) return len + static_cast<size_t>(__builtin_ctzll(x ^ y)) / 8;
  }
  while (len < max && a[len] == b[len]) ++len;
  return len;
}

// Bit k: counts[k] != 0, for 64 counts (each at most kEstimateBytes, so
// positive as signed 16-bit values and still non-zero when packed to bytes
// with unsigned saturation: one pack, compare and movemask per 16 counts).
inline uint64_t NonZero64(const uint16_t* counts) {
  uint64_t zero_bits = 0;
#if defined(__SSE2__)
  const __m128i zero = _mm_setzero_si128();
  for (int k = 0; k < 4; ++k) {
    __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(counts + 16 * k));
    __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(counts + 16 * k + 8));
    __m128i is_zero = _mm_cmpeq_epi8(_mm_packus_epi16(a, b), zero);
    zero_bits |= uint64_t(static_cast<uint32_t>(_mm_movemask_epi8(is_zero))) << (16 * k);
  }
#else
  for (int k = 0; k < 64; ++k) zero_bits |= uint64_t(counts[k] == 0) << k;
#endif
  return ~zero_bits;
}

// Equal bytes before a and b (a[-1] == b[-1], ...), at most max, 8 at a
// time: with thinned anchors a match is often found a word or more after
// its start.
inline size_t MatchLengthBack(const char* a, const char* b, size_t max) {
  size_t len = 0;
  for (; len + 8 <= max; len += 8) {
    uint64_t x, y;
    std::memcpy(&x, a - len - 8, 8);
    std::memcpy(&y, b - len - 8, 8);
    if (x != y) return len + static_cast<size_t>(__builtin_clzll(x ^ y)) / 8;
  }
  while (len < max && a[-1 - static_cast<ptrdiff_t>(len)] == b[-1 - static_cast<ptrdiff_t>(len)])
    ++len;
  return len;
}

// The LZ anchors of a 64-byte block (see the essay). Of the word starts and
// punctuation bytes (`tokens`), those whose bytes 0 and 1 differ in bit 0
// and whose bytes 2 and 3 do too (`low`: bit 0 of each byte, `next_low` the
// next block's): about a quarter, picked by the 4 bytes the table hashes,
// so every copy of a repeated string has the same anchors. All tokens of a
// 32-byte half with none picked, so words chosen never to be picked are
// searched as before. And the first position of every 16-byte lane without
// a token, so no text escapes the lookups by its choice of bytes. The bytes
// read are all below n for every position that has 4 bytes, so the next
// block's bits are classified where they matter.
constexpr uint64_t kEvery16 = 0x0001000100010001ull;
constexpr uint64_t kLaneLow15 = 0x7FFF7FFF7FFF7FFFull;
// Bit 15 of each 16-bit lane: the lane of x is not zero (no carry crosses
// lanes).
inline uint64_t NonZeroLanes(uint64_t x) {
  return (((x & kLaneLow15) + kLaneLow15) | x) & ~kLaneLow15;
}
inline uint64_t ThinAnchors(uint64_t tokens, uint64_t low, uint64_t next_low) {
  // Bit i: bytes i and i + 1 differ in bit 0.
  uint64_t pair = low ^ ((low >> 1) | (next_low << 63));
  uint64_t next_pair = next_low ^ (next_low >> 1);
  uint64_t picked = tokens & pair & ((pair >> 2) | (next_pair << 62));
  // Bit 0 of a half: the half has no picked anchor; of a lane: no token.
  constexpr uint64_t kHalfLow31 = 0x7FFFFFFF7FFFFFFFull;
  uint64_t picked_halves = (((picked & kHalfLow31) + kHalfLow31) | picked) & ~kHalfLow31;
  uint64_t unpicked = (~picked_halves >> 31) & 0x0000000100000001ull;
  uint64_t empty = (~NonZeroLanes(tokens) >> 15) & kEvery16;
  return picked | (tokens & (unpicked * 0xFFFFFFFFull)) | empty;
}

// The literals' order-0 histogram, of the bytes at even positions (see the
// essay); four counts per step, the loop's own instructions shared.
struct Literals {
  uint16_t* hist;  // all zero between calls: Entropy() clears what was counted
  size_t literals = 0, sampled = 0;
  void Take(const char* p, size_t from, size_t to) {
    const size_t even = from + (from & 1);
    const size_t count = to > even ? (to - even + 1) / 2 : 0;  // even positions in [from, to)
    const unsigned char* q = reinterpret_cast<const unsigned char*>(p) + even;
    for (size_t j = count / 4; j != 0; --j, q += 8)
      ++hist[q[0]], ++hist[q[2]], ++hist[q[4]], ++hist[q[6]];
    switch (count % 4) {  // the last 0-3
      case 3:
        ++hist[q[4]];
        [[fallthrough]];
      case 2:
        ++hist[q[2]];
        [[fallthrough]];
      case 1:
        ++hist[q[0]];
    }
    sampled += count;
    literals += to - from;
  }
};

// The LZ parse from anchors (see the essay): the literals' histogram, and
// the number of matches.
size_t ParseMatches(const char* p, size_t n, const uint64_t* word_bits, const uint64_t* punct_bits,
                    const uint64_t* low_bits, Scratch& s, Literals& lit) {
  // Entries are stamp + position + 1 and only those above this call's stamp
  // are valid, so the table is cleared once per ~2^32 bytes, not per call.
  if (s.table_stamp > UINT32_MAX - 2 * kEstimateBytes) {
    s.table.fill(0);
    s.table_stamp = 0;
  }
  const uint32_t stamp = s.table_stamp;
  s.table_stamp += static_cast<uint32_t>(n) + 1;
  uint32_t* table = s.table.data();
  size_t matches = 0, anchor = 0;  // anchor: the literals from here on are not yet taken
  // Bits of the anchors at or past `anchor` (the end of the last match) in
  // block `base`, when anchor > base: anchors inside a match are not
  // looked up.
  auto from_anchor = [&anchor](size_t base) {
    size_t skip = anchor - base;
    return skip >= 64 ? 0 : ~0ull << skip;
  };
  const size_t positions = n >= 4 ? n - 3 : 0;  // those with 4 bytes
  uint64_t carry = 0;
  for (size_t base = 0, b = 0; base < positions; base += 64, ++b) {
    uint64_t word = word_bits[b];
    // Only positions with 4 bytes take part, before the thinning too: a
    // token past them must not decide whether a half-block falls back to
    // all of its tokens. Their bytes are all below n, so the next block's
    // bits are read only when it was classified (below n); past n the
    // bitmaps hold an earlier text's bits.
    const uint64_t valid = positions - base < 64 ? (1ull << (positions - base)) - 1 : ~0ull;
    const uint64_t tokens = ((word & ~((word << 1) | carry)) | punct_bits[b]) & valid;
    uint64_t anchors = ThinAnchors(tokens, low_bits[b], base + 64 <= n ? low_bits[b + 1] : 0);
    carry = word >> 63;
    anchors &= valid;
    if (anchor > base) anchors &= from_anchor(base);
    while (anchors != 0) {
      size_t q = base + static_cast<unsigned>(__builtin_ctzll(anchors));
      anchors &= anchors - 1;
      uint32_t v = Load32(p + q);
      uint32_t& e = table[(v * 2654435761u) >> (32 - kTableBits)];
      uint32_t cand = e;
      if (cand <= stamp || Load32(p + (cand - stamp - 1)) != v) {
        e = stamp + static_cast<uint32_t>(q) + 1;  // a hit keeps the older position (essay)
        continue;
      }
      // A match: extend it forward (the 4 bytes at q are known equal), then
      // back over the bytes before the anchor; zstd level 1 takes none
      // shorter than kMinMatch.
      size_t from = cand - stamp - 1;
      size_t end = q + 4 + MatchLength(p + from + 4, p + q + 4, n - q - 4);
      size_t start = q - MatchLengthBack(p + from, p + q, std::min(q - anchor, from));
      if (end - start < kMinMatch) continue;
      lit.Take(p, anchor, start);
      ++matches;
      anchor = end;
      anchors &= from_anchor(base);
    }
  }
  lit.Take(p, anchor, n);
  return matches;
}

// `sum` minus c log2 c of each of the histogram's counts, which it clears:
// only the byte values present are visited (text uses a few dozen of 256),
// which leaves the histogram zero for the next call without clearing all
// 512 bytes. `distinct`: how many there were.
double MinusCLogC(double sum, uint16_t* hist, int* distinct) {
  const auto& clogc = CLogC();
  for (size_t w = 0; w < 4; ++w) {
    uint16_t* h = hist + 64 * w;
    uint64_t present = NonZero64(h);
    *distinct += __builtin_popcountll(present);
    for (; present != 0; present &= present - 1) {
      uint16_t& count = h[static_cast<unsigned>(__builtin_ctzll(present))];
      sum -= clogc[count];
      count = 0;
    }
  }
  return sum;
}

// p: n bytes (nothing past them is read); word_bits / punct_bits: their
// classification.
double EstimateCompressedSize(const char* p, size_t n, const uint64_t* word_bits,
                              const uint64_t* punct_bits, const uint64_t* low_bits, Scratch& s) {
  Literals lit{s.histogram.data()};
  size_t matches = ParseMatches(p, n, word_bits, punct_bits, low_bits, s, lit);
  int distinct = 0;
  double sum = MinusCLogC(CLogC()[lit.sampled], s.histogram.data(), &distinct);
  double literal_bytes = double(lit.literals);
  if (lit.literals >= kMinHuffmanLiterals) {
    double sampled = double(lit.sampled), literals = double(lit.literals);
    double per_byte = sum / sampled +
                      double(distinct - 1) / (2 * std::numbers::ln2) * (1 / sampled - 1 / literals);
    literal_bytes = std::min(literal_bytes, per_byte * literals / 8 + distinct * kSymbolBytes);
  }
  return kHeaderBytes + double(matches) * kSequenceBytes + literal_bytes;
}

// Capped at 10, the wire format's bound: only tiny texts (header-bound) reach it.
float Ratio(double compressed, size_t n) {
  return static_cast<float>(std::min(10.0, compressed / double(n)));
}

// The estimate on its own sample (head and tail when long), classified here.
float CompressRatioEstimate(std::string_view text, Scratch& s) {
  if (text.empty()) return 1.0f;
  size_t n = std::min(text.size(), kEstimateBytes);
  char* p = s.sample.data();
  if (text.size() <= kEstimateBytes) {
    std::memcpy(p, text.data(), n);
  } else {
    std::memcpy(p, text.data(), kEstimateBytes / 2);
    std::memcpy(p + kEstimateBytes / 2, text.data() + text.size() - kEstimateBytes / 2,
                kEstimateBytes / 2);
  }
  size_t blocks = n / 64 + 1;
  std::memset(p + n, ' ', blocks * 64 - n);
  ClassifyBlocks(p, blocks, s.lower.data(),
                 {s.sample_word_bits.data(), s.sample_punct_bits.data(), s.sample_nl_bits.data(),
                  s.sample_low_bits.data()});
  return Ratio(EstimateCompressedSize(p, n, s.sample_word_bits.data(), s.sample_punct_bits.data(),
                                      s.sample_low_bits.data(), s),
               n);
}

}  // namespace

internal::Simd internal::BestSimd() { return CpuSimd(); }

internal::Classification internal::Classify(std::string_view block64, Simd simd) {
  Classification c;
  char in[64], out[64];
  std::memset(in, ' ', 64);
  std::memcpy(in, block64.data(), std::min<size_t>(block64.size(), 64));
  ClassifyBlocksOn(simd, in, 1, out, {&c.word_bits, &c.punct_bits, &c.nl_bits, &c.low_bits});
  c.lower.assign(out, 64);
  return c;
}

float EstimateCompressRatio(std::string_view text) {
  return CompressRatioEstimate(text, ThreadScratch());
}

namespace {

model::PromptFeatures Compute(std::string_view text) {
  Scratch& s = ThreadScratch();
  model::PromptFeatures f;
  f.present = true;
  f.length = static_cast<uint32_t>(std::min<size_t>(text.size(), UINT32_MAX));
  Fingerprints(text, s, &f);
  if (text.empty()) {
    f.compress_ratio = 1.0f;
  } else if (text.size() <= kEstimateBytes) {  // the fingerprints' copy is the estimate's sample
    f.compress_ratio = Ratio(EstimateCompressedSize(s.text.data(), text.size(), s.word_bits.data(),
                                                    s.punct_bits.data(), s.low_bits.data(), s),
                             text.size());
  } else {
    f.compress_ratio = CompressRatioEstimate(text, s);
  }
  return f;
}

// The same code compiled for CPUs with BMI1/BMI2 and AVX2 (every x86-64 CPU
// with AVX2 has both): single-instruction bit clears and extractions
// (blsr, blsi, tzcnt without a dependency breaker, shifts by a register
// without moving the count to cl) in every bitmap walk, and the AVX2
// classification inlined. flatten inlines the whole computation into this
// function, so all of it is compiled for that target; no FMA, so every
// value is bit for bit that of Compute.
#if defined(__x86_64__)
[[gnu::target("avx2,bmi,bmi2,popcnt"), gnu::flatten]] model::PromptFeatures ComputeBmi2(
    std::string_view text) {
  return Compute(text);
}
#endif

}  // namespace

model::PromptFeatures internal::ComputePromptFeaturesOn(std::string_view text, Simd simd) {
#if defined(__x86_64__)
  static const bool bmi2 = __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2");
  if (bmi2 && std::min(simd, CpuSimd()) >= Simd::kAvx2) return ComputeBmi2(text);
#endif
  return Compute(text);
}

model::PromptFeatures ComputePromptFeatures(std::string_view text) {
  return internal::ComputePromptFeaturesOn(text, internal::Simd::kAvx512);
}

Result<uint64_t> ParseFingerprintHex(std::string_view s) {
  if (s.size() != 16) return Status::InvalidArgument("fingerprint must be 16 hex digits");
  uint64_t v = 0;
  for (char c : s) {
    int d;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if (c >= 'a' && c <= 'f')
      d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      d = c - 'A' + 10;
    else
      return Status::InvalidArgument("fingerprint must be 16 hex digits");
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  return v;
}

void WritePromptFeatures(JsonWriter& w, const model::PromptFeatures& p) {
  w.Key("prompt").BeginObject();
  w.Key("length").Uint(p.length).Key("compress_ratio").Double(p.compress_ratio);
  w.Key("simhash")
      .String(FingerprintHex(p.simhash))
      .Key("exact_hash")
      .String(FingerprintHex(p.exact_hash));
  w.EndObject();
}

std::string FingerprintHex(uint64_t v) {
  std::string s;
  AppendHex64(s, v);
  return s;
}

}  // namespace burnrate::model
