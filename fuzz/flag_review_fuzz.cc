// Fuzzes the review-queue body parser ({"note": "..."}).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "detect/detection_engine.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto r = burnrate::detect::ParseReviewNote(
      std::string_view(reinterpret_cast<const char*>(data), size));
  if (r.ok() && r->size() > 4096) __builtin_trap();
  return 0;
}
