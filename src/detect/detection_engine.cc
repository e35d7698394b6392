#include "detect/detection_engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <unordered_map>

namespace burnrate::detect {

const char* FlagEventName(FlagEvent e) {
  switch (e) {
    case FlagEvent::kFlagged:
      return "flagged";
    case FlagEvent::kConfirmed:
      return "confirmed";
    case FlagEvent::kDismissed:
      return "dismissed";
    case FlagEvent::kRetracted:
      return "retracted";
    case FlagEvent::kUpdated:
      return "updated";
  }
  return "flagged";
}

DetectionEngine::DetectionEngine(DetectConfig cfg, const Clock& clock,
                                 std::unique_ptr<FlagStore> store)
    : cfg_(std::move(cfg)),
      clock_(clock),
      features_(cfg_),
      scorer_(cfg_),
      store_(store ? std::move(store) : std::make_unique<InMemoryFlagStore>()) {}

void DetectionEngine::ObserveBatch(std::span<const model::Event> events) {
  std::shared_ptr<const model::PriceSnapshot> snap = prices_ ? prices_->Current() : nullptr;
  for (const auto& e : events) Observe(e, snap.get());
}

void DetectionEngine::Observe(const model::Event& e, const model::PriceSnapshot* prices) {
  std::shared_ptr<const model::PriceSnapshot> snap;
  if (prices == nullptr && prices_ != nullptr) prices = (snap = prices_->Current()).get();
  features_.Observe(e, prices);
  NotePending(e);
}

void DetectionEngine::NotePending(const model::Event& e) {
  if (e.user.empty()) return;
  // A day older than yesterday (by the event's arrival) is not scored live:
  // note it for a rescore once its data settles.
  TimeMs arrival = e.received > 0 ? e.received : clock_.NowMs();
  int64_t day = features_.EventDay(e), arrival_day = DayOf(arrival);
  if (day >= arrival_day - 1 || day < arrival_day - cfg_.rescore_max_age_days) return;
  std::lock_guard<std::mutex> lock(pending_mu_);
  TimeMs& last = pending_[day];
  last = std::max(last, arrival);
}

void DetectionEngine::ObserveConflicts(std::span<const model::Event> events) {
  for (const model::Event& e : events) {
    if (e.user.empty()) continue;
    {
      std::lock_guard<std::mutex> lock(conflicts_mu_);
      ConflictNote& note = conflicts_[{features_.EventDay(e), e.user}];
      uint64_t fp = model::EventFingerprint(e);
      if (std::find(note.seen.begin(), note.seen.end(), fp) != note.seen.end()) continue;
      if (note.seen.size() < ConflictNote::kDistinctIds) note.seen.push_back(fp);
      ++note.events;
      if (note.ids.size() < ImplausibleTally::kMaxConflictIds &&
          std::find(note.ids.begin(), note.ids.end(), e.id) == note.ids.end())
        note.ids.push_back(e.id);
      while (conflicts_.size() > kMaxConflictUserDays) conflicts_.erase(conflicts_.begin());
    }
    NotePending(e);
  }
}

void DetectionEngine::AddConflicts(int64_t day, std::vector<UserDayFeatures>* users) const {
  std::lock_guard<std::mutex> lock(conflicts_mu_);
  auto it = conflicts_.lower_bound({day, std::string()});
  if (it == conflicts_.end() || it->first.first != day) return;
  std::unordered_map<std::string_view, size_t> at;
  for (size_t i = 0; i < users->size(); ++i) at.emplace((*users)[i].user, i);
  std::vector<UserDayFeatures> added;  // users with no usage that day left
  for (; it != conflicts_.end() && it->first.first == day; ++it) {
    auto u = at.find(it->first.second);
    UserDayFeatures* f = nullptr;
    if (u != at.end()) {
      f = &(*users)[u->second];
    } else {
      f = &added.emplace_back();
      f->user = it->first.second, f->day = day;
    }
    f->implausible.AddConflicts(it->second.events, it->second.ids);
  }
  for (auto& f : added) users->push_back(std::move(f));
}

void DetectionEngine::SetEventScan(EventScan scan) {
  std::lock_guard<std::mutex> lock(mu_);
  scan_ = std::move(scan);
}

size_t DetectionEngine::PendingDays() const {
  std::lock_guard<std::mutex> lock(pending_mu_);
  return pending_.size();
}

Result<std::vector<ScoreDayStats>> DetectionEngine::Rescore(int64_t from_day, int64_t to_day) {
  if (from_day > to_day) return Status::InvalidArgument("from must not be after to");
  EventScan scan;
  {
    std::lock_guard<std::mutex> lock(mu_);
    scan = scan_;
  }
  if (!scan) return Status::Unsupported("no stored events to rescore from");
  std::vector<ScoreDayStats> out;
  for (int64_t a = from_day; a <= to_day; a += cfg_.rescore_chunk_days) {
    int64_t b = std::min(to_day, a + cfg_.rescore_chunk_days - 1);
    FeatureStore days(cfg_);
    std::shared_ptr<const model::PriceSnapshot> prices = prices_ ? prices_->Current() : nullptr;
    // An event counts for its own time, at most an hour after its arrival
    // (a client clock ahead), so nothing of local day a (which starts within
    // a day of UTC midnight of day a) arrived before this.
    TimeMs from = (a - 1) * kDayMs - 2 * kHourMs;
    BR_RETURN_IF_ERROR(scan(from, [&](std::span<const model::Event> batch) {
      for (const model::Event& e : batch) days.ObserveHistorical(e, a, b, prices.get());
      return Status::OK();
    }));
    for (int64_t d = a; d <= b; ++d) {
      ScoreUsers(d, days.Collect(d));
      out.push_back(last_stats());
    }
  }
  return out;
}

std::vector<ScoreDayStats> DetectionEngine::RescoreSettled(TimeMs now) {
  int64_t from = 0, to = 0;
  std::vector<int64_t> taken;
  {
    std::lock_guard<std::mutex> lock(pending_mu_);
    TimeMs settled_before = now - TimeMs(cfg_.rescore_settle_seconds) * kSecondMs;
    for (const auto& [day, last] : pending_) {
      if (last > settled_before) continue;
      if (taken.empty()) from = day;
      if (day >= from + cfg_.rescore_chunk_days) break;
      taken.push_back(day);
      to = day;
    }
    for (int64_t d : taken) pending_.erase(d);
  }
  if (taken.empty()) return {};
  auto r = Rescore(from, to);
  if (r.ok()) return std::move(*r);
  std::lock_guard<std::mutex> lock(pending_mu_);
  for (int64_t d : taken) pending_.emplace(d, now);  // try again after the next settle
  return {};
}

TimeMs DetectionEngine::ReplayHorizon(TimeMs now) const {
  // Observe() files an event under the local day of its time, which is at
  // most an hour after its arrival, and keeps the newest retain_days days.
  return cfg_.tz.AddDays(cfg_.tz.DayStart(now), 1 - cfg_.retain_days) - kHourMs;
}

Flag DetectionEngine::MakeFlag(const ScoredUser& s, int64_t day, const std::string& date) const {
  const Verdict& v = s.verdict;
  Flag f;
  f.user = s.features->user;
  f.team = s.features->team;
  f.day = day;
  f.id = FlagId(f.user, day);
  f.date = date;
  f.score = v.score;
  f.flagged = true;
  f.high_confidence = v.score >= cfg_.high_confidence_score;
  f.tokens = s.features->tokens;
  f.wasted_tokens = v.wasted_tokens;
  f.reasons = v.reasons;
  return f;
}

std::vector<Flag> DetectionEngine::ScoreDay(int64_t day) {
  return ScoreUsers(day, features_.Collect(day));
}

std::vector<Flag> DetectionEngine::ScoreUsers(int64_t day, std::vector<UserDayFeatures> users) {
  auto t0 = std::chrono::steady_clock::now();  // timing for stats only, not logic
  AddConflicts(day, &users);
  std::vector<ScoredUser> scored = scorer_.Score(users);
  std::vector<Flag> flags;
  std::string date = FormatDate(day * kDayMs);
  for (const ScoredUser& s : scored) {
    if (s.verdict.exempt || s.verdict.score < cfg_.flag_score) continue;
    flags.push_back(MakeFlag(s, day, date));
  }
  SortFlags(flags);
  ScoreDayStats stats{day, users.size(), flags.size(), 0, 0, 0};
  std::vector<std::pair<Flag, FlagEvent>> events;
  for (const Flag& f : flags) {
    Flag stored;
    auto o = store_->Put(f, &stored);
    if (!o.ok()) {
      ++stats.store_errors;
      continue;
    }
    if (*o == PutOutcome::kInserted || *o == PutOutcome::kReopened)
      events.emplace_back(std::move(stored), FlagEvent::kFlagged);
    else if (*o == PutOutcome::kUpdated)
      events.emplace_back(std::move(stored), FlagEvent::kUpdated);
  }
  RetractBelow(day, scored, &events, &stats);
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  {
    std::lock_guard<std::mutex> lock(mu_);
    last_ = stats;
  }
  for (const auto& [f, e] : events) Notify(f, e);
  return flags;
}

void DetectionEngine::RetractBelow(int64_t day, const std::vector<ScoredUser>& scored,
                                   std::vector<std::pair<Flag, FlagEvent>>* events,
                                   ScoreDayStats* stats) {
  std::unordered_map<std::string, const ScoredUser*> by_user;
  for (const Flag& f : store_->List(day, day)) {
    if (f.state == ReviewState::kOpen) by_user.emplace(f.user, nullptr);
  }
  if (by_user.empty()) return;
  for (const ScoredUser& s : scored) {
    auto it = by_user.find(s.features->user);
    if (it != by_user.end()) it->second = &s;
  }
  const double retract_below = cfg_.flag_score - cfg_.retract_margin;
  for (const auto& [user, s] : by_user) {
    // Not scored this time (no features kept for that day): nothing to judge.
    // Between retract_below and flag_score the open flag stands as it was.
    if (s == nullptr || (!s->verdict.exempt && s->verdict.score >= retract_below)) continue;
    std::string why =
        s->verdict.exempt
            ? "user is exempt from detection"
            : fmt::format("re-scored {:.1f}, below the flag score {:.0f} less the margin {:.0f}",
                          s->verdict.score, cfg_.flag_score, cfg_.retract_margin);
    auto r = store_->Retract(FlagId(user, day), s->verdict.score, s->verdict.reasons,
                             std::move(why), clock_.NowMs());
    if (!r.ok()) {
      ++stats->store_errors;
    } else if (r->has_value()) {
      ++stats->retracted;
      events->emplace_back(std::move(**r), FlagEvent::kRetracted);
    }
  }
}

int64_t DetectionEngine::WastedTokens(const std::string& user, int64_t day) const {
  auto f = store_->Find(user, day);
  return f && f->CountsAsWaste() ? f->wasted_tokens : 0;
}

Result<Flag> DetectionEngine::Review(const std::string& id, ReviewState state, std::string note,
                                     std::string reviewer) {
  if (state == ReviewState::kOpen) return Status::InvalidArgument("review must confirm or dismiss");
  BR_ASSIGN_OR_RETURN(
      Flag f, store_->Review(id, state, std::move(note), std::move(reviewer), clock_.NowMs()));
  Notify(f, state == ReviewState::kConfirmed ? FlagEvent::kConfirmed : FlagEvent::kDismissed);
  return f;
}

void DetectionEngine::Subscribe(Listener l) {
  std::lock_guard<std::mutex> lock(mu_);
  listeners_.push_back(std::move(l));
}

void DetectionEngine::Notify(const Flag& f, FlagEvent e) {
  std::vector<Listener> ls;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ls = listeners_;
  }
  for (auto& l : ls) l(f, e);
}

ScoreDayStats DetectionEngine::last_stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_;
}

}  // namespace burnrate::detect
