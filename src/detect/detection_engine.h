// DetectionEngine: the detect layer's one object. It owns the feature store,
// the scorer and the flag store, and is what the app wires:
//
//   ingest path   engine.Observe(event) / ObserveBatch(span)  after commit
//   daily job     engine.ScoreDay(engine.DayOf(now) - 1), engine.RescoreSettled(now)
//   stored events engine.SetEventScan(scan)   what Rescore reads old days from
//   HTTP          engine.RegisterRoutes(router)    GET /v1/flags, POST review
//   governance    engine.Subscribe(listener)       flagged/updated/retracted/confirmed/dismissed
//   queries       engine.WastedTokens(user, day)   a stored flag's waste (the app's
//                                                  honest volume follows Subscribe)
//
// Thread-safety: all methods are thread-safe. Listeners are called without
// internal locks held, on the thread that scored or reviewed.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "common/clock.h"
#include "detect/detect_config.h"
#include "detect/feature_store.h"
#include "detect/flag_store.h"
#include "detect/scorer.h"
#include "http/http.h"
#include "model/event.h"
#include "model/price_book.h"

namespace burnrate::detect {

// What happened to a flag. kFlagged: first crossing of the threshold for
// its user-day (or again after a retraction); kUpdated: a later scoring
// changed its score, tokens or reasons (not an event for the audit log);
// kRetracted: a later scoring no longer crosses the threshold and the flag
// was open; kConfirmed / kDismissed: a review.
enum class FlagEvent : uint8_t {
  kFlagged = 0,
  kConfirmed = 1,
  kDismissed = 2,
  kRetracted = 3,
  kUpdated = 4
};
const char* FlagEventName(FlagEvent e);

struct ScoreDayStats {
  int64_t day = 0;
  size_t users = 0, flagged = 0, retracted = 0;
  size_t store_errors = 0;  // flags the store failed to write (kept for the next scoring)
  double seconds = 0;
};

class DetectionEngine {
 public:
  using Listener = std::function<void(const Flag&, FlagEvent)>;
  // Reads stored events received at or after `received_from`, in batches
  // (the store's ScanEventBatches); fn's error stops the scan.
  using EventScan = std::function<Status(
      TimeMs received_from, const std::function<Status(std::span<const model::Event>)>& fn)>;

  // `store` defaults to an InMemoryFlagStore (the server passes the SQLite
  // one, store/sqlite/sqlite_stores.h). `clock` must outlive the engine.
  DetectionEngine(DetectConfig cfg, const Clock& clock, std::unique_ptr<FlagStore> store = nullptr);

  // `prices`: the snapshot to check costs and models against (plausibility);
  // null takes the price book's current one (SetPrices), if any.
  void Observe(const model::Event& e, const model::PriceSnapshot* prices = nullptr);
  // For Ingestor::EventsListener: engine.ObserveBatch(span), one price
  // snapshot for the batch.
  void ObserveBatch(std::span<const model::Event> events);
  // For ingest::Listener::on_conflicts: reports of ids their source had
  // reported with other usage (dropped by the ingest layer). Each counts as
  // a `conflicting_duplicate` for implausible_usage on its user's local day,
  // with its id in the explanation; an old day is rescored as for Observe.
  // Kept in memory for at most kMaxConflictUserDays user-days (the oldest
  // days go first) and not across restarts; a stored flag keeps them.
  static constexpr size_t kMaxConflictUserDays = 100'000;
  void ObserveConflicts(std::span<const model::Event> events);
  // The price table plausibility checks compare given costs and model names
  // with (docs/detection.md, "Implausible usage"); without it costs are not
  // compared. `prices` must outlive the engine. Call before events arrive.
  void SetPrices(const model::PriceBook* prices) { prices_ = prices; }
  // Scores every user active on local day `day`; stores and returns the
  // flags with score >= flag_score (highest first). Exempt users are never
  // flagged. An open flag of that day whose user now scores below the
  // threshold (or is exempt) is retracted. Listeners hear kFlagged,
  // kUpdated and kRetracted only for flags that changed.
  std::vector<Flag> ScoreDay(int64_t day);
  // Scores days [from_day, to_day] from the stored events (SetEventScan),
  // as ScoreDay does from the live aggregates: one scan of the events
  // received since the start of each chunk of rescore_chunk_days days.
  // Unsupported without a scan; InvalidArgument for a reversed range.
  Result<std::vector<ScoreDayStats>> Rescore(int64_t from_day, int64_t to_day);
  // Rescores the days older than yesterday that received events (Observe)
  // and have had none for rescore_settle_seconds: the oldest such day and
  // the settled ones within rescore_chunk_days after it, one pass per call.
  // Days whose rescore fails stay pending. Returns what was scored.
  std::vector<ScoreDayStats> RescoreSettled(TimeMs now);
  void SetEventScan(EventScan scan);
  // Days waiting for a rescore (for tests and metrics).
  size_t PendingDays() const;
  int64_t DayOf(TimeMs t) const { return features_.DayOf(t); }
  // Recovery (ingest::Listener): the earliest arrival time of an event that
  // can still reach a day the feature store keeps as of `now` (the last
  // retain_days local days); older events need not be replayed to Observe().
  TimeMs ReplayHorizon(TimeMs now) const;
  // Rolling-hour usage of a user (for live views and governance).
  FeatureStore::HourWindow RollingHour(const std::string& user) const {
    return features_.RollingHour(user, clock_.NowMs());
  }

  // Tokens of (user, day) counted as waste: from flags that are confirmed,
  // or high-confidence and not dismissed. 0 otherwise.
  int64_t WastedTokens(const std::string& user, int64_t day) const;
  // Confirms or dismisses a flag (kConfirmed / kDismissed), notifies
  // listeners. NotFound for an unknown id.
  Result<Flag> Review(const std::string& id, ReviewState state, std::string note,
                      std::string reviewer);

  void Subscribe(Listener l);
  // GET /v1/flags?date=YYYY-MM-DD|window=Nd[&state=open|confirmed|dismissed][&user=u] (viewer)
  // POST /v1/flags/rescore?from=YYYY-MM-DD&to=YYYY-MM-DD (admin, at most 62 days)
  // POST /v1/flags/{id}/confirm, POST /v1/flags/{id}/dismiss, body {"note": "..."} (admin)
  void RegisterRoutes(http::Router& router);

  FlagStore& flags() { return *store_; }
  const DetectConfig& config() const { return cfg_; }
  const FeatureStore& features() const { return features_; }
  ScoreDayStats last_stats() const;

 private:
  void Notify(const Flag& f, FlagEvent e);
  // Notes an event's day for a rescore when it is older than yesterday.
  void NotePending(const model::Event& e);
  // Adds the conflicting reports of `day` to its users' tallies.
  void AddConflicts(int64_t day, std::vector<UserDayFeatures>* users) const;
  Flag MakeFlag(const ScoredUser& s, int64_t day, const std::string& date) const;
  std::vector<Flag> ScoreUsers(int64_t day, std::vector<UserDayFeatures> users);
  // Retracts the open flags of `day` whose users scored below the threshold.
  void RetractBelow(int64_t day, const std::vector<ScoredUser>& scored,
                    std::vector<std::pair<Flag, FlagEvent>>* events, ScoreDayStats* stats);

  const DetectConfig cfg_;
  const Clock& clock_;
  const model::PriceBook* prices_ = nullptr;
  FeatureStore features_;
  Scorer scorer_;
  std::unique_ptr<FlagStore> store_;
  mutable std::mutex mu_;
  std::vector<Listener> listeners_;  // guarded by mu_
  ScoreDayStats last_;               // guarded by mu_
  EventScan scan_;                   // guarded by mu_
  // Days older than yesterday that received events -> the last arrival.
  mutable std::mutex pending_mu_;
  std::map<int64_t, TimeMs> pending_;  // guarded by pending_mu_
  struct ConflictNote {
    // Distinct conflicting ids (a client retrying one edited report sends
    // it again and again; that is one edit). Exact up to kDistinctIds,
    // beyond which the evidence is at full strength anyway.
    static constexpr size_t kDistinctIds = 16;
    int64_t events = 0;
    std::vector<uint64_t> seen;    // fingerprints of the counted ids, up to kDistinctIds
    std::vector<std::string> ids;  // the first ImplausibleTally::kMaxConflictIds
  };
  mutable std::mutex conflicts_mu_;
  std::map<std::pair<int64_t, std::string>, ConflictNote> conflicts_;  // (day, user)
};

// Parses a review body {"note": "..."}; an empty body means no note.
// Errors name the field.
Result<std::string> ParseReviewNote(std::string_view body);

}  // namespace burnrate::detect
