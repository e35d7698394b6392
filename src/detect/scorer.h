// Scorer: scores one day of user features as a whole. It computes the peer
// baselines (per team, and the org as the fallback for small teams), runs the
// cross-account template clustering, then Evaluate() per user.
// Thread-safety: stateless apart from the config reference; thread-safe.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "detect/detect_config.h"
#include "detect/detectors.h"
#include "detect/user_day_stats.h"

namespace burnrate::detect {

struct ScoredUser {
  const UserDayFeatures* features = nullptr;
  PeerBaseline peers;
  Verdict verdict;
};

class Scorer {
 public:
  explicit Scorer(const DetectConfig& cfg) : cfg_(cfg) {}

  // Fills cluster fields of `users` and returns one ScoredUser per user (in
  // the same order; pointers refer into `users`).
  std::vector<ScoredUser> Score(std::vector<UserDayFeatures>& users) const;

  // Exposed for tests.
  PeerBaseline Baseline(const std::vector<const UserDayFeatures*>& group) const;
  // `productive[i]` says whether users[i] is productive against its peers.
  void AssignClusters(std::vector<UserDayFeatures>& users,
                      const std::vector<char>& productive) const;
  // Fills sync_accounts: clusters of unproductive accounts active in the
  // same minutes far beyond chance.
  void AssignSyncClusters(std::vector<UserDayFeatures>& users,
                          const std::vector<char>& productive) const;

 private:
  const DetectConfig& cfg_;
};

}  // namespace burnrate::detect
