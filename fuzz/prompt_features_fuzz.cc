// Fuzzes the prompt feature extractor (bounds, the estimate paths, the
// baseline and AVX2 + BMI2 builds and the classification paths agree, case and trailing space
// change neither the exact hash nor the sketch) the fingerprint hex parser and the --legit-prompts
// line parser.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "cli/eval_command.h"
#include "model/prompt_features.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto f = burnrate::model::ComputePromptFeatures(text);
  if (f.length != size) __builtin_trap();
  // The ratio stays within the wire format's bounds (ndjson_parser: [0, 10]).
  if (!(f.compress_ratio > 0 && f.compress_ratio <= 10)) __builtin_trap();
  // The baseline build gives what the AVX2 + BMI2 one gives.
  auto base = burnrate::model::internal::ComputePromptFeaturesOn(
      text, burnrate::model::internal::Simd::kNone);
  if (base.simhash != f.simhash || base.exact_hash != f.exact_hash ||
      base.compress_ratio != f.compress_ratio)
    __builtin_trap();
  // Reusing the fingerprints' copy gives the standalone estimate.
  if (burnrate::model::EstimateCompressRatio(text) != f.compress_ratio) __builtin_trap();
  // The vector and portable byte classifications agree on any block.
  using burnrate::model::internal::Simd;
  auto a = burnrate::model::internal::Classify(text.substr(0, 64), Simd::kNone);
  auto b = burnrate::model::internal::Classify(text.substr(0, 64), Simd::kAvx512);
  if (a.word_bits != b.word_bits || a.punct_bits != b.punct_bits || a.nl_bits != b.nl_bits ||
      a.low_bits != b.low_bits || a.lower != b.lower)
    __builtin_trap();
  // Case and trailing white space change neither the exact hash nor the
  // near-duplicate sketch (texts read whole).
  if (size + 3 <= 8192) {
    std::string upper(text);
    for (char& c : upper) c = (c >= 'a' && c <= 'z') ? char(c - 32) : c;
    upper += "  \n";
    auto u = burnrate::model::ComputePromptFeatures(upper);
    if (u.exact_hash != f.exact_hash || u.simhash != f.simhash) __builtin_trap();
  }
  // The --legit-prompts file parser: every prompt is a non-empty line's text.
  for (const auto& p : burnrate::cli::ParsePromptLines(text))
    if (p.empty() || p[0] == '#' || p.size() > size) __builtin_trap();
  auto h = burnrate::model::ParseFingerprintHex(text);
  if (h.ok() &&
      burnrate::model::ParseFingerprintHex(burnrate::model::FingerprintHex(*h)).value() != *h)
    __builtin_trap();
  return 0;
}
