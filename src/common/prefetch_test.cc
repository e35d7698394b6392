#include "common/prefetch.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace burnrate {
namespace {

// A prefetch is a hint: it changes nothing and never faults, for any
// address (null and far past a vector's end included).
TEST(Prefetch, IsAHintOnly) {
  std::vector<uint64_t> v(1024, 7);
  for (size_t i = 0; i < v.size(); ++i) Prefetch(&v[(i * 0x9E3779B97F4A7C15ULL) & 1023]);
  Prefetch(nullptr);
  Prefetch(v.data() + (uint64_t{1} << 40));
  for (uint64_t x : v) EXPECT_EQ(x, 7u);
}

}  // namespace
}  // namespace burnrate
