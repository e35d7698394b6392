// Weighted max-min fair division of an organisation's budget across
// projects (water-filling). See docs/governance.md for a worked example.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace burnrate::govern {

struct ShareClaim {
  std::string name;    // project
  double weight = 1;   // priority weight, > 0
  int64_t demand = 0;  // what the project is expected to need this period
};

struct ShareResult {
  std::string name;
  int64_t fair_share = 0;  // max-min fair share, never above demand
  int64_t allowance = 0;   // fair_share plus its weighted part of the spare
  bool satisfied = false;  // fair_share == demand
  std::string why;         // one line for humans
};

// Divides `capacity` among `claims`: every claim gets at most its demand;
// capacity no claim asks for is divided again among the unsatisfied ones by
// weight, until all are satisfied or nothing is left. Capacity left over
// after every demand is met (idle headroom) is then divided among all claims
// by weight and added to their allowance, so that a project that starts
// working between recomputations is not starved. Sum of allowances equals
// capacity (up to rounding, which favours earlier claims by at most 1 each).
std::vector<ShareResult> WeightedMaxMin(int64_t capacity, const std::vector<ShareClaim>& claims);

}  // namespace burnrate::govern
