// Test helpers for the agents layer: fixture paths and token sums.
#pragma once

#include <cstdlib>
#include <string>

#include "claude/claude.h"

namespace burnrate::agents::testing {

// tests/data/agents/<name> in the source tree (BURNRATE_SOURCE_DIR from ctest).
inline std::string Fixture(const std::string& name) {
  const char* src = std::getenv("BURNRATE_SOURCE_DIR");
  return std::string(src ? src : ".") + "/tests/data/agents/" + name;
}

inline model::TokenCounts Sum(const claude::ScanResult& r) {
  model::TokenCounts t;
  for (const auto& e : r.entries) t += e.tokens;
  return t;
}

}  // namespace burnrate::agents::testing
