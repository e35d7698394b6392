// The AVX2 build of the line parser (see line_parser.h). This file alone is
// compiled for Haswell-class CPUs; NewHaswellLineParser() checks the CPU
// before handing it out.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#pragma GCC target("avx2,bmi,pclmul,lzcnt")
#define SIMDJSON_BUILTIN_IMPLEMENTATION haswell
#define BURNRATE_HASWELL_PARSER 1
#endif
#include <simdjson.h>

#include <cmath>

#include "claude/line_parser.h"

namespace burnrate::claude {
#if BURNRATE_HASWELL_PARSER
namespace {
#include "claude/line_parser-inl.h"
}  // namespace

std::unique_ptr<LineParser> NewHaswellLineParser() {
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("bmi") ||
      !__builtin_cpu_supports("pclmul"))
    return nullptr;
  return std::make_unique<OnDemandLineParser>();
}
#else
std::unique_ptr<LineParser> NewHaswellLineParser() { return nullptr; }
#endif

}  // namespace burnrate::claude
