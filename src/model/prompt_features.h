// Prompt features: what the detectors keep of a prompt's text.
//
// ComputePromptFeatures() turns prompt text into model::PromptFeatures on the
// ingest path; the text itself is then discarded. It is cheap (well under a
// microsecond for a few-hundred-byte prompt; bounded for huge ones, which are
// sampled): one scan to normalise, hash words and sketch their shingles, one
// LZ-style scan of at most 4 KB for the compressibility estimate. No
// allocation after a thread's first call.
//
//   length          bytes of text
//   compress_ratio  estimated zstd(level 1) compressed size / original size
//                   (EstimateCompressRatio; of head + tail 2 KB each when
//                   longer than 4 KB); low means repetitive, low-entropy text
//   simhash         near-duplicate fingerprint: a 64-bit 1-bit MinHash of
//                   the word 2-shingles within lines (lower-cased words);
//                   the Hamming distance of two estimates 32 x (1 - Jaccard
//                   overlap of their shingle sets), so copies with small
//                   edits differ in few bits and distinct texts in ~32
//                   however much vocabulary they share. Texts over 8 KB:
//                   of the first and last 4 KB
//   exact_hash      the tokens' hashes chained (lower-cased words and
//                   punctuation bytes; white space ignored), so equal for
//                   exact duplicates up to case and spacing (over 8 KB: the
//                   middle counts byte for byte)
//
// Thread-safety: thread-safe (per-thread scratch buffers).
// Errors: none; empty text gives present=true, length=0, ratio 1, hashes of "".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "model/event.h"

namespace burnrate {
class JsonWriter;
}

namespace burnrate::model {

model::PromptFeatures ComputePromptFeatures(std::string_view text);

// The compressibility estimate alone: an LZ parse with a 4-byte hash table
// plus the order-0 entropy of the literals, fitted to zstd level 1's ratio
// (near 1 or above for short or random text, 0.3-0.6 for prose and code,
// below 0.2 for repeated phrases and filler).
float EstimateCompressRatio(std::string_view text);

// Fingerprints on the wire (precomputed "simhash"/"exact_hash" fields): exactly
// 16 hex digits, either case. The error names no field; the caller adds it.
Result<uint64_t> ParseFingerprintHex(std::string_view s);
std::string FingerprintHex(uint64_t v);  // 16 lower-case hex digits

namespace internal {
// The vector paths, exposed so tests can hold them to each other. A path
// the CPU lacks falls back to the best one below it; BestSimd() is what
// ComputePromptFeatures uses here.
enum class Simd { kNone, kAvx2, kAvx512 };
Simd BestSimd();
// The byte classification of one 64-byte block (shorter input is padded
// with spaces): bit i of word_bits / punct_bits is byte i's class (nl_bits:
// byte i is a line feed, which is white space), lower the
// block with ASCII capitals folded (kAvx512 with AVX-512BW, kAvx2 32 bytes
// at a time with AVX2; kNone 16 bytes at a time with SSE2).
struct Classification {
  uint64_t word_bits = 0, punct_bits = 0, nl_bits = 0, low_bits = 0;  // low: bit 0 of byte i
  std::string lower;
};
Classification Classify(std::string_view block64, Simd simd);
// ComputePromptFeatures on the build for at most `simd`: kNone the
// baseline x86-64 build (whose byte classification still picks the best
// vector path), kAvx2 and above the one compiled for AVX2 + BMI2 when the
// CPU has them (ComputePromptFeatures' choice). The values are the same.
model::PromptFeatures ComputePromptFeaturesOn(std::string_view text, Simd simd);
}  // namespace internal

// Writes "prompt": {length, compress_ratio, simhash, exact_hash} (hex
// fingerprints), the precomputed form ingest reads back, into an open object.
void WritePromptFeatures(JsonWriter& w, const model::PromptFeatures& p);

// Number of differing bits between two fingerprints (0..64).
inline int HammingDistance(uint64_t a, uint64_t b) { return __builtin_popcountll(a ^ b); }

}  // namespace burnrate::model
