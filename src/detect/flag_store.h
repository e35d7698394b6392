// Flags and the review queue's store.
//
// A Flag is one user's scored day: score, reasons with evidence, estimated
// wasted tokens, and the review state. Its id is stable for (user, day), so
// re-scoring a day replaces the scores but keeps the review.
// FlagStore is the interface (a SQLite-backed one can follow);
// InMemoryFlagStore is thread-safe (one mutex) and the default.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "detect/detectors.h"

namespace burnrate::detect {

enum class ReviewState : uint8_t { kOpen = 0, kConfirmed = 1, kDismissed = 2 };
const char* ReviewStateName(ReviewState s);

struct Flag {
  std::string id;       // 16 hex digits, stable for (user, day)
  std::string user, team;
  int64_t day = 0;      // local day number in the detector's zone
  std::string date;     // "2026-03-21"
  double score = 0;
  bool flagged = false;         // score >= flag_score
  bool high_confidence = false; // score >= high_confidence_score
  int64_t tokens = 0;
  int64_t wasted_tokens = 0;
  std::vector<Reason> reasons;
  ReviewState state = ReviewState::kOpen;
  std::string note, reviewer;
  TimeMs reviewed_at = 0;

  // Whether the waste counts against the user: confirmed, or high
  // confidence and not dismissed.
  bool CountsAsWaste() const {
    return state == ReviewState::kConfirmed || (high_confidence && state != ReviewState::kDismissed);
  }
};

std::string FlagId(std::string_view user, int64_t day);

class FlagStore {
 public:
  virtual ~FlagStore() = default;
  // Inserts or replaces the scores of a flag, keeping its review state.
  virtual void Put(const Flag& f) = 0;
  virtual std::optional<Flag> Get(const std::string& id) const = 0;
  virtual std::optional<Flag> Find(const std::string& user, int64_t day) const = 0;
  // Flags with from_day <= day <= to_day, highest score first.
  virtual std::vector<Flag> List(int64_t from_day, int64_t to_day) const = 0;
  // NotFound when the id is unknown.
  virtual Result<Flag> Review(const std::string& id, ReviewState s, std::string note,
                              std::string reviewer, TimeMs at) = 0;
};

class InMemoryFlagStore final : public FlagStore {
 public:
  void Put(const Flag& f) override;
  std::optional<Flag> Get(const std::string& id) const override;
  std::optional<Flag> Find(const std::string& user, int64_t day) const override;
  std::vector<Flag> List(int64_t from_day, int64_t to_day) const override;
  Result<Flag> Review(const std::string& id, ReviewState s, std::string note, std::string reviewer,
                      TimeMs at) override;

 private:
  mutable std::mutex mu_;
  std::map<std::string, Flag> flags_;  // by id; guarded by mu_
};

}  // namespace burnrate::detect
