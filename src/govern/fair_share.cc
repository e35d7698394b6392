// Water-filling, weighted.
//
// Think of each project as a vessel whose floor area is its weight and whose
// height is demand/weight. Pouring the capacity in raises the water level L
// equally everywhere; a project holds weight*L until it is full (demand
// reached). The fair level is the L at which sum(min(demand, weight*L))
// equals the capacity. We find it by sorting projects by demand/weight and
// filling the smallest first: while the next project's full level fits in
// what is left, it is satisfied and removed; otherwise every remaining
// project gets weight * (left / remaining weight). O(n log n); n is the
// number of projects in one organisation, so tens at most.
#include "govern/fair_share.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace burnrate::govern {

namespace {

// Splits `amount` by weight over the indices in `who`, exactly (largest
// remainders get the leftover units).
void SplitByWeight(int64_t amount, const std::vector<size_t>& who, const std::vector<ShareClaim>& c,
                   std::vector<int64_t>& out) {
  double total = 0;
  for (size_t i : who) total += c[i].weight;
  if (who.empty() || total <= 0 || amount <= 0) return;
  int64_t given = 0;
  for (size_t i : who) {
    int64_t part = static_cast<int64_t>(std::floor(amount * (c[i].weight / total)));
    out[i] += part;
    given += part;
  }
  for (size_t k = 0; given < amount; k = (k + 1) % who.size(), ++given) out[who[k]] += 1;
}

}  // namespace

std::vector<ShareResult> WeightedMaxMin(int64_t capacity, const std::vector<ShareClaim>& claims) {
  const size_t n = claims.size();
  std::vector<ShareResult> out(n);
  std::vector<int64_t> fair(n, 0), spare(n, 0);
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  auto level = [&](size_t i) { return claims[i].demand / std::max(claims[i].weight, 1e-9); };
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return level(a) < level(b); });

  int64_t left = std::max<int64_t>(capacity, 0);
  double weight_left = 0;
  for (const auto& c : claims) weight_left += std::max(c.weight, 1e-9);
  size_t k = 0;
  for (; k < n; ++k) {
    size_t i = order[k];
    double w = std::max(claims[i].weight, 1e-9);
    // Would every remaining project at project i's full level fit?
    if (level(i) * weight_left > static_cast<double>(left) + 1e-6) break;
    fair[i] = std::max<int64_t>(claims[i].demand, 0);
    left -= fair[i];
    weight_left -= w;
  }
  std::vector<size_t> unsatisfied(order.begin() + k, order.end());
  SplitByWeight(left, unsatisfied, claims, fair);
  if (k == n) {  // all satisfied: the rest is headroom for everyone
    std::vector<size_t> all(n);
    std::iota(all.begin(), all.end(), 0);
    SplitByWeight(left, all, claims, spare);
  }
  for (size_t i = 0; i < n; ++i) {
    ShareResult& r = out[i];
    r.name = claims[i].name;
    r.fair_share = fair[i];
    r.allowance = fair[i] + spare[i];
    r.satisfied = fair[i] >= claims[i].demand;
    r.why = r.satisfied
                ? fmt::format("demand {} fully granted; plus {} of idle headroom by weight {}",
                              claims[i].demand, spare[i], claims[i].weight)
                : fmt::format("demand {} exceeds the fair level: capped at weight {} x water level",
                              claims[i].demand, claims[i].weight);
  }
  return out;
}

}  // namespace burnrate::govern
