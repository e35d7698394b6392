// The farming detectors: pure functions of one user-day's features, the
// user's peer baseline (team, or the org when the team is small) and the
// config. Each returns a Reason (one sentence + the evidence behind it) when
// it fires, or nothing. Evaluate() runs them all and combines them into a
// 0-100 score and an estimate of wasted tokens. See docs/detection.md.
// Thread-safety: pure functions, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "detect/detect_config.h"
#include "detect/user_day_stats.h"

namespace burnrate::detect {

// Medians over the peer group's users with at least min_requests requests.
struct PeerBaseline {
  int peers = 0;
  double tokens = 0, requests = 0;
  double outcomes_per_mtok = 0;  // over peers with at least one outcome
  double output_per_request = 0, cache_read_per_request = 0, concurrency = 0;
};

struct Evidence {
  std::string name;
  double value = 0;
  bool operator==(const Evidence&) const = default;
};

struct Reason {
  std::string detector;  // "idle_loop", "repetitive_prompts", ...
  std::string summary;   // one sentence
  std::vector<Evidence> evidence;
  double score = 0;      // 50..100
  bool operator==(const Reason&) const = default;
};

struct Verdict {
  double score = 0;
  bool exempt = false;
  int64_t wasted_tokens = 0;
  std::vector<Reason> reasons;
};

// Outcomes per Mtok relative to the peer median (1 = typical efficiency).
double OutcomeRatio(const UserDayFeatures& f, const PeerBaseline& p);
// Whether outcomes justify the volume: ratio >= cfg.productive_ratio.
bool Productive(const UserDayFeatures& f, const PeerBaseline& p, const DetectConfig& cfg);

std::optional<Reason> DetectIdleLoop(const UserDayFeatures& f, const PeerBaseline& p, const DetectConfig& cfg);
std::optional<Reason> DetectRepetitivePrompts(const UserDayFeatures& f, const PeerBaseline& p, const DetectConfig& cfg);
std::optional<Reason> DetectOutputFarming(const UserDayFeatures& f, const PeerBaseline& p, const DetectConfig& cfg);
std::optional<Reason> DetectParallelFarm(const UserDayFeatures& f, const PeerBaseline& p, const DetectConfig& cfg);
std::optional<Reason> DetectBotFarm(const UserDayFeatures& f, const PeerBaseline& p, const DetectConfig& cfg);
std::optional<Reason> DetectCacheReplay(const UserDayFeatures& f, const PeerBaseline& p, const DetectConfig& cfg);
std::optional<Reason> DetectOutcomeFreeBurn(const UserDayFeatures& f, const PeerBaseline& p, const DetectConfig& cfg);

Verdict Evaluate(const UserDayFeatures& f, const PeerBaseline& p, const DetectConfig& cfg);

}  // namespace burnrate::detect
