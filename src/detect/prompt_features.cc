// Prompt features in two cheap scans, without a compressor.
//
// Budget. These run on the ingest path for every event that carries prompt
// text, so they must cost well under a microsecond for a typical few-hundred-
// byte prompt (docs/PERFORMANCE.md, Detection). zstd level 1 spent ~3 us per
// short prompt on frame and table setup alone, so it was replaced by an
// estimate; nothing allocates (per-thread scratch of fixed size) and huge
// prompts are sampled.
//
// SimHash + exact hash, one pass. The (sampled) text is copied into a
// padded buffer, case-folded 8 bytes at a time (SWAR), and classified 16
// bytes at a time (SSE2) into bitmaps of word bytes and punctuation bytes;
// white space only separates. Walking the set bits in order visits each
// token once: a word (a run of word bytes) is hashed once (xxh3, inlined)
// and that hash feeds both fingerprints; a punctuation byte feeds the exact
// hash only.
//   SimHash (Charikar 2002) over word 2-shingles: each shingle hash votes on
// the 64 bit positions; the fingerprint bit is set when more than half of the
// votes had it set, so texts that share most shingles differ in few bits and
// unrelated texts in about 32. Votes are counted bit-sliced (see Votes).
//   The exact hash chains the token hashes (multiply-add, mixed at the end),
// so it ignores case and white space, and is equal exactly when the token
// sequences are.
//
// Compressibility without a compressor. A greedy LZ parse like LZ4's fast
// path: each position hashes its next 4 bytes into a small table of last
// positions; a hit whose bytes really match starts a match, extended forward
// and skipped. What is left are literals. The estimated compressed size is
//   header + matches x sequence cost + literals x their order-0 entropy
// plus a Huffman table charge, i.e. what an LZ77 + entropy coder such as
// zstd spends, and the ratio is that over the input size. The constants were
// fitted to zstd level 1 on a varied corpus (prose, code, JSON, logs, stack
// traces, repeated phrases, filler, random text and bytes);
// compress_estimate_test.cc checks that the estimate ranks texts as zstd
// does (Spearman 0.99) and agrees with it on which long texts are low
// entropy (ratio <= 0.2).
//
// Sampling. Prompts over 8 KB are fingerprinted from their first and last
// 4 KB (the estimate: over 4 KB, first and last 2 KB); the exact hash also
// covers the unread middle (raw xxh3, ~10 GB/s), so texts that differ
// anywhere still differ.
#include "detect/prompt_features.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <string>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "common/hash.h"

namespace burnrate::detect {
namespace {

constexpr size_t kSampleBytes = 8192;    // fingerprints read head + tail of this much
constexpr size_t kEstimateBytes = 4096;  // the estimate reads head + tail of this much
constexpr int kTableBits = 10;           // LZ match table: 1024 last positions
constexpr size_t kBlocks = kSampleBytes / 64 + 1;  // + one block of padding

struct Scratch {
  // The (sampled) text, padded with spaces to whole 64-byte blocks plus one.
  std::array<char, kBlocks * 64> text{};
  std::array<uint64_t, kBlocks> word_bits{}, punct_bits{};  // bit i: byte i is a word / punctuation byte
  std::array<char, kEstimateBytes> sample{};
  std::array<uint16_t, 1u << kTableBits> table{};
  std::array<uint16_t, 256> histogram{};
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
// 16 bytes -> word mask and space mask, one bit per byte.
inline void Classify16(const char* p, uint32_t* word, uint32_t* space) {
  __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  __m128i alpha = InRange(_mm_or_si128(x, _mm_set1_epi8(0x20)), 'a', 26);
  __m128i digit = InRange(x, '0', 10);
  __m128i under = _mm_cmpeq_epi8(x, _mm_set1_epi8('_'));
  __m128i sp = _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8(' ')), InRange(x, '\t', 5));
  *word = static_cast<uint32_t>(_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(alpha, digit), under)) |
                                _mm_movemask_epi8(x));
  *space = static_cast<uint32_t>(_mm_movemask_epi8(sp));
}
#else
inline void Classify16(const char* p, uint32_t* word, uint32_t* space) {
  *word = *space = 0;
  for (int i = 0; i < 16; ++i) {
    unsigned c = static_cast<unsigned char>(p[i]);
    bool w = (c | 0x20) - 'a' < 26 || c - '0' < 10 || c == '_' || c >= 0x80;
    bool s = c == ' ' || c - '\t' < 5;
    *word |= uint32_t(w) << i, *space |= uint32_t(s) << i;
  }
}
#endif

void ClassifyBlocks(Scratch& s, size_t blocks) {
  for (size_t b = 0; b < blocks; ++b) {
    uint64_t word = 0, space = 0;
    for (int q = 0; q < 4; ++q) {
      uint32_t w, sp;
      Classify16(s.text.data() + b * 64 + q * 16, &w, &sp);
      word |= uint64_t(w) << (16 * q), space |= uint64_t(sp) << (16 * q);
    }
    s.word_bits[b] = word;
    s.punct_bits[b] = ~(word | space);
  }
}

// ASCII 'A'-'Z' to lower case in 8 bytes at once; other bytes unchanged.
inline uint64_t Lower8(uint64_t x) {
  constexpr uint64_t kHigh = 0x8080808080808080ull;
  uint64_t h = x & ~kHigh;
  uint64_t ge_a = h + 0x3f3f3f3f3f3f3f3full;  // high bit: byte >= 'A'
  uint64_t gt_z = h + 0x2525252525252525ull;  // high bit: byte >  'Z'
  uint64_t upper = ge_a & ~gt_z & ~x & kHigh;
  return x | (upper >> 2);
}

// Hash of a word of the (already lower-cased) buffer: xxh3, inlined, the
// same word hash as before the rewrite, so SimHashes are unchanged.
inline uint64_t WordHash(const char* p, size_t len) { return XXH3_64bits(p, len); }

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

// Bit-sliced vote counting: byte v of a hash is spread to 8 one-byte lanes
// (lane i = bit i of v) and added to a 64-bit SWAR accumulator, so a shingle
// costs 8 table lookups and 8 adds. Lanes are flushed to 32-bit counters
// before they can overflow (every 255 shingles).
constexpr std::array<uint64_t, 256> MakeSpread() {
  std::array<uint64_t, 256> t{};
  for (int v = 0; v < 256; ++v)
    for (int i = 0; i < 8; ++i) t[v] |= static_cast<uint64_t>((v >> i) & 1) << (8 * i);
  return t;
}
constexpr std::array<uint64_t, 256> kSpread = MakeSpread();

class Votes {
 public:
  [[gnu::always_inline]] void Add(uint64_t h) {
    a0_ += kSpread[h & 255], a1_ += kSpread[(h >> 8) & 255];
    a2_ += kSpread[(h >> 16) & 255], a3_ += kSpread[(h >> 24) & 255];
    a4_ += kSpread[(h >> 32) & 255], a5_ += kSpread[(h >> 40) & 255];
    a6_ += kSpread[(h >> 48) & 255], a7_ += kSpread[h >> 56];
    ++total_;
    if (++pending_ == 255) Flush();
  }
  // Bit k is set when more than half of the shingles had bit k set.
  uint64_t Fingerprint() {
    Flush();
    uint64_t sh = 0;
    for (int k = 0; k < 64; ++k) sh |= static_cast<uint64_t>(2 * ones_[k] > total_) << k;
    return sh;
  }

 private:
  void Flush() {
    const uint64_t acc[8] = {a0_, a1_, a2_, a3_, a4_, a5_, a6_, a7_};
    for (int b = 0; b < 8; ++b)
      for (int i = 0; i < 8; ++i) ones_[8 * b + i] += static_cast<uint32_t>((acc[b] >> (8 * i)) & 255);
    a0_ = a1_ = a2_ = a3_ = a4_ = a5_ = a6_ = a7_ = 0;
    pending_ = 0;
  }
  uint64_t a0_ = 0, a1_ = 0, a2_ = 0, a3_ = 0, a4_ = 0, a5_ = 0, a6_ = 0, a7_ = 0;  // 8 one-byte lanes each
  std::array<uint32_t, 64> ones_{};
  uint32_t total_ = 0;
  int pending_ = 0;
};

// Copies the text (head and tail when long) into the padded buffer; returns
// its length.
size_t CopySample(std::string_view text, Scratch& s) {
  size_t n = std::min(text.size(), kSampleBytes);
  if (text.size() <= kSampleBytes) {
    std::memcpy(s.text.data(), text.data(), n);
  } else {
    std::memcpy(s.text.data(), text.data(), kSampleBytes / 2);
    std::memcpy(s.text.data() + kSampleBytes / 2, text.data() + text.size() - kSampleBytes / 2, kSampleBytes / 2);
  }
  size_t padded = (n / 64 + 1) * 64;
  std::memset(s.text.data() + n, ' ', padded - n);
  for (size_t i = 0; i < padded; i += 8) {  // fold case once, 8 bytes at a time
    uint64_t v;
    std::memcpy(&v, s.text.data() + i, 8);
    v = Lower8(v);
    std::memcpy(s.text.data() + i, &v, 8);
  }
  return n;
}

// SimHash and exact hash in one pass over the tokens (see the essay).
void Fingerprints(std::string_view text, Scratch& s, model::PromptFeatures* f) {
  size_t n = CopySample(text, s);
  size_t blocks = n / 64 + 1;
  ClassifyBlocks(s, blocks);
  Votes votes;
  uint64_t prev = 0, exact = 0x2545F4914F6CDD1Dull, carry = 0;
  int words = 0;
  for (size_t b = 0; b < blocks; ++b) {
    uint64_t word = s.word_bits[b], punct = s.punct_bits[b];
    uint64_t starts = word & ~((word << 1) | carry);
    carry = word >> 63;
    for (uint64_t events = starts | punct; events != 0; events &= events - 1) {
      size_t i = static_cast<size_t>(__builtin_ctzll(events)), pos = b * 64 + i;
      if ((punct >> i) & 1) {
        exact = exact * 0x100000001B3ull + static_cast<unsigned char>(s.text[pos]);
        continue;
      }
      uint64_t w = WordHash(s.text.data() + pos, WordEnd(s, pos) - pos);
      exact = exact * 0x100000001B3ull + w;
      if (words > 0) votes.Add(prev * 0x9E3779B97F4A7C15ull ^ w);
      prev = w;
      ++words;
    }
  }
  if (words == 1) votes.Add(prev);
  f->simhash = votes.Fingerprint();
  f->exact_hash = Mix(exact);
  if (text.size() > kSampleBytes) {
    std::string_view middle = text.substr(kSampleBytes / 2, text.size() - kSampleBytes);
    f->exact_hash = Mix(f->exact_hash ^ Hash64(middle, text.size()));
  }
}

// c * log2(c) for the entropy sum, c <= kEstimateBytes.
const std::array<float, kEstimateBytes + 1>& CLogC() {
  static const std::array<float, kEstimateBytes + 1> t = [] {
    std::array<float, kEstimateBytes + 1> a{};
    for (size_t c = 1; c <= kEstimateBytes; ++c) a[c] = static_cast<float>(double(c) * std::log2(double(c)));
    return a;
  }();
  return t;
}

// Fitted to zstd level 1 (see the essay and the calibration test).
constexpr double kHeaderBytes = 12;      // frame + block headers
constexpr double kSequenceBytes = 2.5;   // one match: literal length, match length, offset
constexpr double kSymbolBytes = 0.5;     // Huffman table, per distinct literal byte
constexpr size_t kMinHuffmanLiterals = 64;  // fewer literals are stored raw

double EstimateCompressedSize(const char* p, size_t n, Scratch& s) {
  auto& table = s.table;
  auto& hist = s.histogram;
  table.fill(0);
  hist.fill(0);
  size_t matches = 0, literals = 0, i = 0, anchor = 0;
  auto take_literals = [&](size_t to) {
    for (size_t k = anchor; k < to; ++k) ++hist[static_cast<unsigned char>(p[k])];
    literals += to - anchor;
  };
  while (i + 4 <= n) {
    uint32_t v = Load32(p + i);
    uint32_t h = (v * 2654435761u) >> (32 - kTableBits);
    size_t cand = table[h];  // position + 1, 0 = empty
    table[h] = static_cast<uint16_t>(i + 1);
    if (cand == 0 || Load32(p + cand - 1) != v) {
      ++i;
      continue;
    }
    take_literals(i);
    size_t len = 4, from = cand - 1;
    while (i + len < n && p[from + len] == p[i + len]) ++len;
    ++matches;
    i += len;
    anchor = i;
  }
  take_literals(n);
  double literal_bytes = double(literals);
  if (literals >= kMinHuffmanLiterals) {
    const auto& clogc = CLogC();
    double bits = clogc[literals], distinct = 0;
    for (size_t q = 0; q < hist.size(); q += 4) {  // text uses few byte values: skip empty quads
      uint64_t quad;
      std::memcpy(&quad, &hist[q], 8);
      if (quad == 0) continue;
      for (size_t k = q; k < q + 4; ++k) {
        bits -= clogc[hist[k]];
        distinct += hist[k] != 0;
      }
    }
    literal_bytes = std::min(literal_bytes, bits / 8 + distinct * kSymbolBytes);
  }
  return kHeaderBytes + double(matches) * kSequenceBytes + literal_bytes;
}

float CompressRatioEstimate(std::string_view text, Scratch& s) {
  if (text.empty()) return 1.0f;
  const char* p = text.data();
  size_t n = text.size();
  if (n > kEstimateBytes) {
    std::memcpy(s.sample.data(), p, kEstimateBytes / 2);
    std::memcpy(s.sample.data() + kEstimateBytes / 2, p + n - kEstimateBytes / 2, kEstimateBytes / 2);
    p = s.sample.data();
    n = kEstimateBytes;
  }
  // Capped at 10, the wire format's bound: only tiny texts (header-bound) reach it.
  return static_cast<float>(std::min(10.0, EstimateCompressedSize(p, n, s) / double(n)));
}

}  // namespace

float EstimateCompressRatio(std::string_view text) { return CompressRatioEstimate(text, ThreadScratch()); }

model::PromptFeatures ComputePromptFeatures(std::string_view text) {
  Scratch& s = ThreadScratch();
  model::PromptFeatures f;
  f.present = true;
  f.length = static_cast<uint32_t>(std::min<size_t>(text.size(), UINT32_MAX));
  Fingerprints(text, s, &f);
  f.compress_ratio = CompressRatioEstimate(text, s);
  return f;
}

Result<uint64_t> ParseFingerprintHex(std::string_view s) {
  if (s.size() != 16) return Status::InvalidArgument("fingerprint must be 16 hex digits");
  uint64_t v = 0;
  for (char c : s) {
    int d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    else return Status::InvalidArgument("fingerprint must be 16 hex digits");
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  return v;
}

std::string FingerprintHex(uint64_t v) {
  static const char kHex[] = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) s[i] = kHex[v & 15];
  return s;
}

}  // namespace burnrate::detect
