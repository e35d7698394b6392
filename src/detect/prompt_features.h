// Prompt features: what the detectors keep of a prompt's text.
//
// ComputePromptFeatures() turns prompt text into model::PromptFeatures on the
// ingest path; the text itself is then discarded. It is cheap (a few
// microseconds for a 2 KB prompt, bounded for huge ones): one pass to normalise and tokenise, one
// zstd level-1 compression for the compressibility ratio.
//
//   length          bytes of text
//   compress_ratio  zstd(level 1) compressed size / original size of the
//                   first 4 KB; low means repetitive, low-entropy text
//   simhash         64-bit SimHash over word 2-shingles (lower-cased words,
//                   xxh3); near-duplicate prompts differ in few bits
//   exact_hash      xxh3 of the text with case folded and whitespace runs
//                   collapsed; equal for exact duplicates up to formatting
//
// Thread-safety: thread-safe (per-thread scratch buffers and zstd context).
// Errors: none; empty text gives present=true, length=0, ratio 1, hashes of "".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

#include "model/event.h"

namespace burnrate::detect {

model::PromptFeatures ComputePromptFeatures(std::string_view text);

// Fingerprints on the wire (precomputed "simhash"/"exact_hash" fields): exactly
// 16 hex digits, either case. The error names no field; the caller adds it.
Result<uint64_t> ParseFingerprintHex(std::string_view s);
std::string FingerprintHex(uint64_t v);  // 16 lower-case hex digits

// Number of differing bits between two SimHashes (0..64).
inline int HammingDistance(uint64_t a, uint64_t b) { return __builtin_popcountll(a ^ b); }

}  // namespace burnrate::detect
