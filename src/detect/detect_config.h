// DetectConfig: thresholds and exemptions of the farming detectors.
//
// A plain struct; the app fills it from the [detect] section of the TOML
// config. Most thresholds are scale-free (shares, coefficients of variation,
// multiples of the team-peer median) so that they hold for organisations of
// any size and usage level; the few absolute floors are minimum-evidence
// guards. docs/detection.md explains each one.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "common/time_util.h"
#include "common/toml_fwd.h"

namespace burnrate::detect {

struct DetectConfig {
  TimeZone tz = TimeZone::Utc();           // defines the "day" of ScoreDay
  std::unordered_set<std::string> exempt;  // users never flagged (declared batch jobs, ...)
  int retain_days = 3;                     // days of per-user state kept in memory
  // 1: prompt text on ingest is turned into features (prompt_features.h);
  // 0: the text is dropped keeping only its length (no repetition or
  // low-entropy evidence from text; precomputed features still count).
  int prompt_features = 1;
  // Every day that receives events is scored: a day older than yesterday
  // that receives events (late, imported, replayed) is rescored from the
  // stored events once none has arrived for it for rescore_settle_seconds,
  // at most rescore_chunk_days days per pass, back to rescore_max_age_days.
  int rescore_settle_seconds = 120;
  int rescore_chunk_days = 7;
  int rescore_max_age_days = 400;

  // Scoring.
  double flag_score = 50;             // score >= this: flagged for review
  double high_confidence_score = 80;  // >= this: counts as waste without review
  // An open flag is retracted only when its day re-scores below
  // flag_score - retract_margin, so a score hovering at the threshold does
  // not flag, retract and flag again every minute.
  double retract_margin = 10;
  int min_requests = 20;           // less evidence than this: not scored
  int min_peers = 8;               // team smaller than this: compare to the org
  double productive_ratio = 0.25;  // outcomes/Mtok >= this x peer median: productive
  // Evidence policy (docs/detection.md). A day reaches high_confidence_score
  // only with two detectors on independent evidence, or one whose own
  // evidence is conclusive (the *_conclusive_* bars below, far past the
  // firing thresholds); otherwise its score stops just below it.
  // A missing outcome counts as evidence (outcome_free_burn) only when at
  // least this share of the user's team, and of the users of the user's
  // main source, report outcomes that day.
  double min_outcome_coverage = 0.25;

  // Idle loop.
  int idle_min_hours = 16;           // hours of 24 with activity
  double idle_max_gap_cv = 0.6;      // coefficient of variation of gaps
  TimeMs idle_max_gap_ms = kHourMs;  // longer gaps are breaks, not loop ticks
  int idle_min_gaps = 50;
  int idle_conclusive_hours = 22;        // a timer: this many hours ...
  double idle_conclusive_gap_cv = 0.15;  // ... at this regularity

  // Repetitive / low-entropy prompts.
  int min_prompts = 20;
  // Prompts shorter than this ("continue", "yes", "run the tests") are not
  // judged for repetition: people send them all day, and a loop of them is
  // the idle-loop and outcome-free-burn detectors' evidence.
  uint32_t repeat_min_len = 32;
  double dup_rate = 0.5;               // share of exact repeats
  double near_dup_rate = 0.6;          // share with a near twin among recent prompts
  int near_dup_bits = 10;              // SimHash Hamming distance for "near"
  uint32_t low_entropy_min_len = 256;  // only long prompts are judged on entropy
  double low_entropy_ratio = 0.2;      // zstd ratio at or below: low entropy
  double low_entropy_share = 0.5;
  // Exact repeats (or filler) this common are conclusive; near-duplicates
  // never are on their own (a similarity estimate of a 64-bit sketch).
  double repeat_conclusive_rate = 0.9;

  // Output farming.
  double output_ratio_min = 1.0;       // output / input-side tokens
  double output_peer_multiple = 4;     // x peer median output per request
  double output_conclusive_ratio = 5;  // output per input token, with 2x output_peer_multiple

  // Parallel-session farm.
  int parallel_min_sessions = 8;            // concurrent sessions in one 15-minute slot
  double parallel_peer_multiple = 4;        // x peer median concurrency
  double parallel_conclusive_multiple = 4;  // x the firing threshold

  // Cross-account bot farm.
  int cluster_min_accounts = 5;
  double cluster_key_share = 0.2;  // share of a user's prompts on the shared fingerprint
  uint32_t cluster_min_prompt_len = 48;
  int cluster_bits = 14;                // SimHash distance between accounts' templates
  double cluster_max_productive = 0.5;  // clusters mostly of productive users are shared tooling
  // Synchronised timing: accounts active in the same minutes far beyond chance.
  int sync_min_minutes = 30;        // active minutes needed to compare timing
  double sync_min_jaccard = 0.5;    // overlap of active minutes in the shared span
  double sync_chance_multiple = 3;  // x the overlap independent users would show

  // Cache replay.
  double cache_peer_multiple = 2;       // cache read per request vs peers
  double cache_output_fraction = 0.25;  // output per request vs peers, at most

  // Outcome-free burn.
  double burn_peer_multiple = 3;  // tokens vs peer median
  double burn_outcome_free_share = 0.8;
  double burn_max_outcome_ratio = 0.1;  // outcomes/Mtok vs peer median, at most

  // Implausible usage (plausibility.h): facts no real model request has.
  // Limits are per request, so a rollup of N requests is judged by its mean.
  double implausible_max_output = 128'000;       // output tokens of one response
  double implausible_max_context = 2'000'000;    // input + cache tokens of one request
  double implausible_output_per_second = 1000;   // a session's output over its time span
  double implausible_rate_min_output = 20'000;   // output needed to judge a session's rate
  int implausible_future_seconds = 3600;         // ts after its arrival by more than this
  int implausible_reorder_seconds = 3600;        // ts before its session's latest by more
  double implausible_cost_band = 3;              // given cost vs our price, either way
  double implausible_min_input_per_request = 1;  // prompt tokens every request sends, at least
  // Clock skew, unknown models and reordering are weak on their own: they
  // count when at least this share of the day's requests (and 3) show them.
  double implausible_min_share = 0.1;
};

// Sets one numeric option by its config name (the field name; the gap cap is
// "idle_max_gap_seconds"), so the app can copy a TOML [detect] table key by
// key. InvalidArgument names the key for an unknown key, a value out of range
// or a fraction where an integer is needed. `exempt` and `tz` are set directly.
Status SetDetectOption(DetectConfig& cfg, std::string_view key, double value);
std::vector<std::string> DetectOptionNames();

// Copies the [detection] table of a parsed configuration file into *cfg:
// `exempt` (a list of user ids) and every numeric threshold by name
// (SetDetectOption). `score_interval_seconds`, the app's scoring schedule,
// is skipped. No [detection] table: *cfg unchanged. InvalidArgument names
// `origin` and the key (an exempt entry that is not a string, its index).
Status ApplyDetectionToml(const toml::table& root, const std::string& origin, DetectConfig* cfg);

}  // namespace burnrate::detect
