// Flags and the review queue's store.
//
// A Flag is one user's scored day: score, reasons with evidence, estimated
// wasted tokens, and the review state. Its id is stable for (user, day), so
// re-scoring a day replaces the scores but keeps the review.
//
// Life of a flag: Put() by scoring (state open) -> Review() by an admin
// (confirmed / dismissed, with a note) or Retract() by a later scoring of
// the same day that no longer crosses the threshold (state retracted, with
// the new score and why). Only an open flag is retracted; a reviewed flag
// keeps its review. A retracted flag that crosses the threshold again is
// reopened by Put().
//
// FlagStore is the storage interface: every implementation passes the
// conformance suite of src/store/conformance/ and is thread-safe; its
// writes are durable on return. InMemoryFlagStore is for tests and tools;
// the SQLite one (store/sqlite/sqlite_stores.h, table detect_flags) keeps
// flags in the burnrate database file so reviews survive restarts. The
// detect layer never opens a database itself.
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

enum class ReviewState : uint8_t { kOpen = 0, kConfirmed = 1, kDismissed = 2, kRetracted = 3 };
const char* ReviewStateName(ReviewState s);
// "open", "confirmed", "dismissed", "retracted"; nullopt otherwise.
std::optional<ReviewState> ParseReviewState(std::string_view s);

struct Flag {
  std::string id;  // 16 hex digits, stable for (user, day)
  std::string user, team;
  int64_t day = 0;   // local day number in the detector's zone
  std::string date;  // "2026-03-21"
  double score = 0;
  bool flagged = false;          // score >= flag_score (false once retracted)
  bool high_confidence = false;  // score >= high_confidence_score
  int64_t tokens = 0;
  int64_t wasted_tokens = 0;
  std::vector<Reason> reasons;
  ReviewState state = ReviewState::kOpen;
  std::string note, reviewer;
  TimeMs reviewed_at = 0;
  std::string retraction;  // why it was retracted ("" unless retracted)
  TimeMs retracted_at = 0;

  // Whether the waste counts against the user: confirmed, or high
  // confidence and still open (not dismissed, not retracted).
  bool CountsAsWaste() const {
    return state == ReviewState::kConfirmed || (high_confidence && state == ReviewState::kOpen);
  }
  // Governance's throttle level this flag asks for: 2 confirmed, 1 counting
  // as waste without review, 0 otherwise.
  int ThrottleLevel() const {
    return state == ReviewState::kConfirmed ? 2 : CountsAsWaste() ? 1 : 0;
  }
};

std::string FlagId(std::string_view user, int64_t day);

// What Put() did to the stored flag.
enum class PutOutcome : uint8_t {
  kInserted,   // a new flag
  kReopened,   // a retracted flag crossed the threshold again (now open)
  kUpdated,    // scores, reasons or tokens changed; review kept
  kUnchanged,  // identical scores
};

class FlagStore {
 public:
  virtual ~FlagStore() = default;
  // Inserts or replaces the scores of a flag, keeping its review state (a
  // retracted flag is reopened). The review fields of `f` are ignored.
  // `stored` (optional) receives the flag as stored.
  virtual Result<PutOutcome> Put(const Flag& f, Flag* stored = nullptr) = 0;
  virtual std::optional<Flag> Get(const std::string& id) const = 0;
  virtual std::optional<Flag> Find(const std::string& user, int64_t day) const = 0;
  // Flags with from_day <= day <= to_day, highest score first. Reading
  // errors give an empty list (the SQLite store has no others in practice).
  virtual std::vector<Flag> List(int64_t from_day, int64_t to_day) const = 0;
  // Sets the review (kConfirmed / kDismissed) of any flag, retracted ones
  // included. NotFound when the id is unknown.
  virtual Result<Flag> Review(const std::string& id, ReviewState s, std::string note,
                              std::string reviewer, TimeMs at) = 0;
  // Withdraws the flag `id` if it is open: state retracted, flagged and
  // high_confidence false, wasted_tokens 0, the new score and reasons, and
  // `why`. Returns the retracted flag, or nullopt when there was no open
  // flag (none, reviewed, or already retracted): nothing changes then.
  virtual Result<std::optional<Flag>> Retract(const std::string& id, double score,
                                              std::vector<Reason> reasons, std::string why,
                                              TimeMs at) = 0;
};

// Shared by the stores: applies Put's rule to `stored` (nullptr = absent).
PutOutcome MergePut(const Flag* stored, const Flag& scored, Flag* out);
// Shared by the stores: applies Retract's rule; false when `f` is not open.
bool ApplyRetract(Flag& f, double score, std::vector<Reason> reasons, std::string why, TimeMs at);
// Highest score first, then id.
void SortFlags(std::vector<Flag>& flags);
// How the stores keep reasons: a JSON array of {detector, summary, score,
// evidence: [[name, value]...]}, and back (a damaged text gives no reasons).
std::string ReasonsToJson(const std::vector<Reason>& reasons);
std::vector<Reason> ReasonsFromJson(std::string_view json);

class InMemoryFlagStore final : public FlagStore {
 public:
  Result<PutOutcome> Put(const Flag& f, Flag* stored = nullptr) override;
  std::optional<Flag> Get(const std::string& id) const override;
  std::optional<Flag> Find(const std::string& user, int64_t day) const override;
  std::vector<Flag> List(int64_t from_day, int64_t to_day) const override;
  Result<Flag> Review(const std::string& id, ReviewState s, std::string note, std::string reviewer,
                      TimeMs at) override;
  Result<std::optional<Flag>> Retract(const std::string& id, double score,
                                      std::vector<Reason> reasons, std::string why,
                                      TimeMs at) override;

 private:
  mutable std::mutex mu_;
  std::map<std::string, Flag> flags_;  // by id; guarded by mu_
};

}  // namespace burnrate::detect
