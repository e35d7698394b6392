// The portable build of the line parser (see line_parser.h).
#include <simdjson.h>

#include <cmath>

#include "claude/line_parser.h"

namespace burnrate::claude {
namespace {
#include "claude/line_parser-inl.h"
}  // namespace

std::unique_ptr<LineParser> NewFallbackLineParser() {
  return std::make_unique<OnDemandLineParser>();
}

std::unique_ptr<LineParser> NewLineParser() {
  if (auto fast = NewHaswellLineParser()) return fast;
  return NewFallbackLineParser();
}

}  // namespace burnrate::claude
