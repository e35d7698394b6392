// Fuzzes the prompt feature extractor and the fingerprint hex parser.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "detect/prompt_features.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto f = burnrate::detect::ComputePromptFeatures(text);
  if (f.length != size) __builtin_trap();
  auto h = burnrate::detect::ParseFingerprintHex(text);
  if (h.ok() && burnrate::detect::ParseFingerprintHex(burnrate::detect::FingerprintHex(*h)).value() != *h)
    __builtin_trap();
  return 0;
}
