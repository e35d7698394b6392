// UserDayStats: the running aggregate of one user's events in one day, and
// UserDayFeatures, the flat feature vector the detectors read.
//
// Memory is bounded per user-day (about 700 bytes for a user without
// prompt text, 1.1 KB with): counters, 24 hourly counters, Welford moments
// of inter-arrival gaps, per-session 15-minute activity bitmaps (capped at
// kMaxSessions) and, only once the user-day has a prompt, a ring of recent
// SimHashes, an adaptive distinct-count sample of exact prompt hashes and a
// Misra-Gries summary of prompt fingerprints (for cross-account clusters).
// The many light users of a large organisation are the common case, so a
// new user-day allocates as little as it can: the prompt state lazily, the
// sessions in one small vector (a hash index only past kIndexedSessions).
// Thread-safety: none; FeatureStore serialises access.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "detect/detect_config.h"
#include "detect/plausibility.h"
#include "model/event.h"

namespace burnrate::detect {

// Estimates the number of distinct 64-bit values seen (adaptive sampling):
// keeps values whose low `level` bits are zero, raising the level when more
// than kCapacity are kept. Relative error about 1/sqrt(kCapacity).
class DistinctSampler {
 public:
  static constexpr size_t kCapacity = 64;
  void Add(uint64_t h);
  double Estimate() const { return static_cast<double>(kept_.size()) * (1ull << level_); }

 private:
  std::vector<uint64_t> kept_;
  uint8_t level_ = 0;
};

// Prompt templates: Misra-Gries heavy hitters over SimHashes where "equal"
// means within `bits` Hamming distance of a slot's prototype. Any template
// used by more than n/17 of n prompts keeps a slot; a slot's count
// underestimates its template's frequency by at most n/17.
class TemplateSummary {
 public:
  static constexpr int kSlots = 16;
  void Add(uint64_t simhash, int bits);
  struct Item {
    uint64_t simhash = 0;
    uint32_t count = 0;
  };
  std::array<Item, kSlots> items() const;

 private:
  // Prototypes and counts apart, so Add compares all slots in one
  // branch-free pass and a decrement touches one cache line.
  std::array<uint64_t, kSlots> simhash_{};
  std::array<uint32_t, kSlots> count_{};
};

struct UserDayFeatures {
  std::string user, team;
  std::string source;  // the source of most of the day's requests ("claude_code", "otlp", ...)
  int64_t day = 0;
  int64_t requests = 0, tokens = 0, input_side = 0, output = 0, cache_read = 0;
  int64_t outcomes = 0, outcome_free_tokens = 0;
  int hours_active = 0, sessions = 0, clients = 0, max_concurrency = 0;
  int64_t gaps = 0;
  double gap_cv = 0;
  int64_t prompts = 0, low_entropy_prompts = 0;
  int64_t repeat_prompts = 0;  // prompts of at least repeat_min_len bytes: the dup rates' base
  double exact_dup_rate = 0, near_dup_rate = 0;
  // Derived ratios.
  double outcomes_per_mtok = 0, output_ratio = 0, output_per_request = 0;
  double cache_read_share = 0, cache_read_per_request = 0, outcome_free_share = 0;
  // Prompt templates (SimHash prototypes) that cover at least
  // cluster_key_share of the user's long prompts.
  std::vector<std::pair<uint64_t, double>> templates;  // simhash, share
  // Active minutes of the day (bit m of word m/64); empty below sync_min_minutes.
  std::vector<uint64_t> minutes;
  int sync_accounts = 0;     // accounts in this one's synchronised-timing cluster
  int cluster_accounts = 0;  // filled by the cross-account pass
  double cluster_share = 0;
  double cluster_productive = 0;  // share of the cluster's accounts that are productive
  ImplausibleTally implausible;   // plausibility checks (plausibility.h)
};

class UserDayStats {
 public:
  static constexpr size_t kMaxSessions = 4096;
  static constexpr int kSlots = 96;  // 15-minute slots per day

  // `ts` is the event's (trusted) time, `day_start` the UTC instant the
  // user-day begins (for hour and slot indices). `prices` (may be null) is
  // what the plausibility checks compare costs and models with.
  void AddUsage(const model::Event& e, TimeMs ts, TimeMs day_start, const DetectConfig& cfg,
                const model::PriceSnapshot* prices = nullptr);
  void AddOutcome(const model::Event& e);
  UserDayFeatures Finish(const DetectConfig& cfg) const;

  const std::string& team() const { return team_; }
  // Requests and tokens in hour `h` (0..23) of this user-day.
  uint32_t hour_requests(int h) const { return hour_requests_[h]; }
  int64_t hour_tokens(int h) const { return hour_tokens_[h]; }
  size_t ApproxBytes() const;

 private:
  struct Session {
    uint64_t key = 0;                 // hash of the session id
    std::array<uint32_t, 3> slots{};  // 96-bit activity bitmap
    int64_t tokens = 0;
    bool has_outcome = false;
    bool named = false;  // a session id was given (the rate check needs one)
    TimeMs first_ts = -1, last_ts = -1;
    int64_t later_output = 0;  // output of the requests after the first
  };
  // What prompts add; allocated with the user-day's first prompt.
  struct PromptStats {
    int64_t prompts = 0, repeat_prompts = 0, near_dups = 0, low_entropy = 0, long_prompts = 0;
    std::array<uint64_t, 16> recent_sim{};
    uint8_t recent_n = 0, recent_pos = 0;
    DistinctSampler distinct;
    TemplateSummary templates;
  };
  static constexpr size_t kIndexedSessions = 16;
  // The session of hash `key`, created if there is room (else null).
  Session* FindSession(uint64_t key);
  void AddPrompt(const model::PromptFeatures& p, const DetectConfig& cfg);
  void AddGap(TimeMs ts, const DetectConfig& cfg);
  // The session's time span and output (rate check), and reordering.
  void AddSessionTime(Session& s, const model::Event& e, TimeMs ts, const DetectConfig& cfg);

  // Fields in the order an event touches them: the counters, the gap
  // moments and the session, client and source lists share the first lines
  // (a user-day of the long tail is out of cache, and each line is a miss).
  // What few user-days need (the prompt state, a session index past
  // kIndexedSessions, plausibility findings) is allocated when first needed,
  // so a new user-day is ~700 bytes to construct instead of ~950.
  int64_t requests_ = 0, tokens_ = 0, input_side_ = 0, output_ = 0, cache_read_ = 0;
  TimeMs last_ts_ = -1;
  int64_t gap_n_ = 0;
  double gap_mean_ = 0, gap_m2_ = 0;
  uint32_t last_session_ = 0;  // position of the session touched last
  bool sessionless_outcome_ = false;
  std::vector<Session> sessions_;                         // in order of first event
  std::vector<uint64_t> clients_;                         // distinct client hashes, capped at 64
  std::vector<std::pair<std::string, int64_t>> sources_;  // requests per source, the first 4 seen
  std::string team_;
  int64_t outcomes_ = 0;
  int64_t overflow_tokens_ = 0;
  std::unique_ptr<PromptStats> prompt_;  // null until the first prompt
  // Session key -> position in sessions_, once there are more than
  // kIndexedSessions (a user-day usually has a few: a scan is cheaper).
  std::unique_ptr<std::unordered_map<uint64_t, uint32_t>> session_index_;
  std::unique_ptr<ImplausibleTally> implausible_;  // null until the first finding
  std::array<uint32_t, 24> hour_requests_{};
  std::array<int64_t, 24> hour_tokens_{};
  std::array<uint64_t, 23> minutes_{};  // 1440 bits of active minutes
};

}  // namespace burnrate::detect
