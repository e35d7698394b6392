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
  // Outcome coverage: the share of the user's team, and of the users whose
  // main source is the user's, that reported an outcome that day (over users
  // with min_requests). Below min_outcome_coverage a missing outcome is no
  // evidence: the team or source has no outcome integration.
  double team_outcome_coverage = 1, source_outcome_coverage = 1;
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
  double score = 0;  // 50..100
  bool operator==(const Reason&) const = default;
};

struct Verdict {
  // Highest detector score + 5 per additional detector, at most 100; held
  // just below high_confidence_score unless the evidence policy is met
  // (EvidenceSuffices).
  double score = 0;
  bool held_below_high_confidence = false;
  bool exempt = false;
  int64_t wasted_tokens = 0;
  std::vector<Reason> reasons;
};

// Outcomes per Mtok relative to the peer median (1 = typical efficiency).
double OutcomeRatio(const UserDayFeatures& f, const PeerBaseline& p);
// Whether outcomes justify the volume: ratio >= cfg.productive_ratio.
bool Productive(const UserDayFeatures& f, const PeerBaseline& p, const DetectConfig& cfg);

std::optional<Reason> DetectIdleLoop(const UserDayFeatures& f, const PeerBaseline& p,
                                     const DetectConfig& cfg);
std::optional<Reason> DetectRepetitivePrompts(const UserDayFeatures& f, const PeerBaseline& p,
                                              const DetectConfig& cfg);
std::optional<Reason> DetectOutputFarming(const UserDayFeatures& f, const PeerBaseline& p,
                                          const DetectConfig& cfg);
std::optional<Reason> DetectParallelFarm(const UserDayFeatures& f, const PeerBaseline& p,
                                         const DetectConfig& cfg);
std::optional<Reason> DetectBotFarm(const UserDayFeatures& f, const PeerBaseline& p,
                                    const DetectConfig& cfg);
std::optional<Reason> DetectCacheReplay(const UserDayFeatures& f, const PeerBaseline& p,
                                        const DetectConfig& cfg);
std::optional<Reason> DetectOutcomeFreeBurn(const UserDayFeatures& f, const PeerBaseline& p,
                                            const DetectConfig& cfg);
// Usage no real request has (plausibility.h): not judged against peers or
// outcomes, and with no minimum of requests (a few fabricated events are
// enough). Conclusive at twice a physical limit or ten times the cost band.
std::optional<Reason> DetectImplausibleUsage(const UserDayFeatures& f, const PeerBaseline& p,
                                             const DetectConfig& cfg);

// A reason whose own evidence is conclusive carries {"conclusive", 1}.
bool Conclusive(const Reason& r);
// What a reason's evidence rests on: "timing", "prompts", "output",
// "sessions", "cache", "volume" or "plausibility". Two reasons are independent when their
// bases differ (bot_farm rests on prompts or timing, whichever linked it).
std::string EvidenceBasis(const Reason& r, const DetectConfig& cfg);
// The evidence policy: high confidence needs a conclusive reason, or two
// reasons on independent bases.
bool EvidenceSuffices(const std::vector<Reason>& reasons, const DetectConfig& cfg);

Verdict Evaluate(const UserDayFeatures& f, const PeerBaseline& p, const DetectConfig& cfg);

}  // namespace burnrate::detect
