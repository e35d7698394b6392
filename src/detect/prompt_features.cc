// SimHash (Charikar 2002) over word 2-shingles: each shingle hash votes +1/-1
// on each of 64 bit positions; the sign of the sum is the fingerprint bit
// (counted as: bit set in more than half of the shingle hashes).
// Texts that share most shingles share most votes, so their fingerprints
// differ in few bits, while unrelated texts differ in about 32 of 64.
// Shingles are built from per-word hashes (combined, not rehashed) so the
// text is scanned once. Votes are counted bit-sliced (see Votes).
//
// Compressibility uses zstd level 1 with a per-thread context: on natural
// language and code it gives about 0.4-0.7, on pasted filler or repeated
// phrases below 0.2. Very short texts carry the frame header overhead and
// come out near or above 1; detectors only trust the ratio on long prompts.
// zstd dominates the cost (about 6 us per 2 KB here), so only the first
// 4 KB are compressed.
#include "detect/prompt_features.h"

#include <zstd.h>

#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "common/hash.h"

namespace burnrate::detect {
namespace {

struct Scratch {
  std::string normalised;
  std::string compressed;
  ZSTD_CCtx* cctx = nullptr;
  Scratch() : cctx(ZSTD_createCCtx()) {}
  ~Scratch() { ZSTD_freeCCtx(cctx); }
};

Scratch& ThreadScratch() {
  thread_local Scratch s;
  return s;
}

// Byte classes: 0 other (punctuation, kept as is), 1 white space, 2 word byte
// (ASCII letters and digits, '_', and every byte of a UTF-8 sequence).
constexpr std::array<uint8_t, 256> MakeClasses() {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c >= 0x80;
    bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
    t[c] = word ? 2 : space ? 1 : 0;
  }
  return t;
}
constexpr std::array<uint8_t, 256> kClass = MakeClasses();
inline bool IsWordByte(char c) { return kClass[static_cast<unsigned char>(c)] == 2; }
inline bool IsSpace(char c) { return kClass[static_cast<unsigned char>(c)] == 1; }
inline char Lower(char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; }

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
  void Add(uint64_t h) {
    for (int b = 0; b < 8; ++b) acc_[b] += kSpread[(h >> (8 * b)) & 255];
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
    for (int b = 0; b < 8; ++b) {
      for (int i = 0; i < 8; ++i) ones_[8 * b + i] += static_cast<uint32_t>((acc_[b] >> (8 * i)) & 255);
      acc_[b] = 0;
    }
    pending_ = 0;
  }
  std::array<uint64_t, 8> acc_{};
  std::array<uint32_t, 64> ones_{};
  uint32_t total_ = 0;
  int pending_ = 0;
};

// Normalises into s.normalised (lower case, single spaces, trimmed) and
// returns the SimHash of the word 2-shingles (1-shingles for one word).
uint64_t NormaliseAndSimHash(std::string_view text, Scratch& s) {
  std::string& out = s.normalised;
  out.clear();
  out.reserve(text.size());
  Votes votes;
  uint64_t prev = 0;
  int words = 0;
  size_t i = 0, n = text.size();
  bool pending_space = false;
  while (i < n) {
    char c = text[i];
    if (IsSpace(c)) {
      pending_space = !out.empty();
      ++i;
      continue;
    }
    if (pending_space) out.push_back(' '), pending_space = false;
    if (!IsWordByte(c)) {
      out.push_back(c);
      ++i;
      continue;
    }
    size_t start = out.size();
    while (i < n && IsWordByte(text[i])) out.push_back(Lower(text[i++]));
    uint64_t w = Hash64(std::string_view(out).substr(start));
    if (words > 0) votes.Add(prev * 0x9E3779B97F4A7C15ull ^ w);
    prev = w;
    ++words;
  }
  if (words == 1) votes.Add(prev);
  return votes.Fingerprint();
}

// Only a prefix is compressed: the ratio of the first 4 KB represents the
// text well and bounds the cost for huge (stuffed) prompts.
constexpr size_t kMaxCompressBytes = 4096;

float CompressRatio(std::string_view text, Scratch& s) {
  if (text.empty()) return 1.0f;
  text = text.substr(0, kMaxCompressBytes);
  size_t bound = ZSTD_compressBound(text.size());
  if (s.compressed.size() < bound) s.compressed.resize(bound);
  size_t r = ZSTD_compressCCtx(s.cctx, s.compressed.data(), bound, text.data(), text.size(), 1);
  if (ZSTD_isError(r)) return 1.0f;
  return static_cast<float>(r) / static_cast<float>(text.size());
}

}  // namespace

model::PromptFeatures ComputePromptFeatures(std::string_view text) {
  Scratch& s = ThreadScratch();
  model::PromptFeatures f;
  f.present = true;
  f.length = static_cast<uint32_t>(std::min<size_t>(text.size(), UINT32_MAX));
  f.simhash = NormaliseAndSimHash(text, s);
  f.exact_hash = Hash64(s.normalised);
  f.compress_ratio = CompressRatio(text, s);
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
