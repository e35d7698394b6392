// The engine's state: entity tables with sparse hourly buckets.
//
// Each entity keeps a vector of hourly buckets sorted by hour. Events arrive
// almost in time order, so the common case touches the last bucket; a late
// event binary-searches and inserts. Buckets older than keep_hours are
// dropped on the hour (the all-time total keeps their sum), which bounds
// memory by active hours, not by events. A usage bucket is 48 bytes (outcome
// events have their own 20-byte buckets, engine_state.h); 100,000 users
// active 8 hours a day for 64 days is about 2.5 GB in the worst case.
#include "engine/engine.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <mutex>
#include <shared_mutex>
#include <span>

#include "common/prefetch.h"
#include "engine/engine_state.h"

namespace burnrate::engine {

Result<Entity> ParseEntity(std::string_view s) {
  if (s == "user") return Entity::kUser;
  if (s == "team") return Entity::kTeam;
  if (s == "org") return Entity::kOrg;
  if (s == "project") return Entity::kProject;
  if (s == "model") return Entity::kModel;
  return Status::InvalidArgument("entity must be one of user, team, org, project, model");
}

const char* EntityName(Entity e) {
  static const char* kNames[] = {"user", "team", "org", "project", "model"};
  return kNames[int(e)];
}

Result<Metric> ParseMetric(std::string_view s) {
  if (s == "tokens") return Metric::kTokens;
  if (s == "cost") return Metric::kCost;
  if (s == "requests") return Metric::kRequests;
  if (s == "value") return Metric::kValue;
  if (s == "efficiency") return Metric::kEfficiency;
  if (s == "honest") return Metric::kHonest;
  return Status::InvalidArgument(
      "metric must be one of tokens, cost, requests, value, efficiency, honest");
}

SourceClass SourceClassOf(std::string_view source) {
  if (source == "gateway") return SourceClass::kGateway;
  if (source == "otlp" || source == "copilot") return SourceClass::kOtlp;
  if (source == "claude_code" || source == "codex" || source == "gemini_cli" ||
      source == "opencode")
    return SourceClass::kLogs;
  return SourceClass::kNdjson;
}

const char* SourceClassName(SourceClass c) {
  static const char* kNames[] = {"gateway", "otlp", "logs", "ndjson"};
  return kNames[int(c)];
}

bool ReservedSourceName(std::string_view source) {
  return source == "gateway" || source == "otlp" || source == "copilot";
}

Result<SourceMask> ParseSources(std::string_view list) {
  if (list.empty()) return kAllSources;
  SourceMask mask = 0;
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view name = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    int i = 0;
    while (i < kSourceClasses && name != SourceClassName(SourceClass(i))) ++i;
    if (i == kSourceClasses) {
      return Status::InvalidArgument(
          "sources must be gateway, otlp, logs or ndjson, comma-separated "
          "(not '" +
          std::string(name) + "')");
    }
    mask |= SourceMask(1u << i);
  }
  return mask;
}

const char* MetricName(Metric m) {
  static const char* kNames[] = {"tokens", "cost", "requests", "value", "efficiency", "honest"};
  return kNames[int(m)];
}

void Bucket::Add(const Counters& c) {
  input += c.input, output += c.output, cache_read += c.cache_read, cache_write += c.cache_write;
  cost_nanos += c.cost_nanos;
  requests += int32_t(c.requests);
}

void Bucket::AddTo(Counters& c) const {
  c.input += input, c.output += output, c.cache_read += cache_read, c.cache_write += cache_write;
  c.cost_nanos += cost_nanos, c.requests += requests;
}

void OutcomeBucket::Add(const Counters& c) {
  outcomes += int32_t(c.outcomes);
  value += float(c.value);
  edits_accepted += int32_t(c.edits_accepted);
  edits_rejected += int32_t(c.edits_rejected);
}

void OutcomeBucket::AddTo(Counters& c) const {
  c.outcomes += outcomes, c.value += value;
  c.edits_accepted += edits_accepted, c.edits_rejected += edits_rejected;
}

// Room for one more bucket, growing by a quarter (at least 16) instead of
// the vector's doubling: the buckets are most of the engine's memory, an
// entity gains one every active hour for months, and doubling left 28% of
// their capacity unused on average after a full replay (3.0 GB RSS against
// 2.4 GB restored from a checkpoint, whose vectors are exact; docs/
// PERFORMANCE.md). A quarter keeps the slack under 20% and copies each
// bucket about five times over its life (once per hour at most).
template <typename V>
static void MakeRoomForOne(V& v) {
  if (v.size() == v.capacity()) v.reserve(BucketCapacityAfterGrowth(v.size()));
}

// The bucket of `key` in `v`, which is sorted by key_of; a missing one is
// made by `make` and inserted in order. Events arrive almost in time order,
// so the last bucket is tried first and a late event binary-searches.
template <typename V, typename Key, typename KeyOf, typename Make>
static auto& BucketFor(V& v, Key key, KeyOf key_of, Make make) {
  if (v.empty() || key_of(v.back()) < key) {
    MakeRoomForOne(v);
    return v.emplace_back(make());
  }
  if (key_of(v.back()) == key) return v.back();
  auto it = std::lower_bound(v.begin(), v.end(), key,
                             [&](const auto& b, const Key& k) { return key_of(b) < k; });
  if (it == v.end() || key_of(*it) != key) {
    size_t at = size_t(it - v.begin());
    MakeRoomForOne(v);
    it = v.insert(v.begin() + ptrdiff_t(at), make());
  }
  return *it;
}

template <typename V>
static auto FirstAtOrAfter(V& v, int64_t hour) {
  return std::lower_bound(v.begin(), v.end(), hour,
                          [](const auto& b, int64_t h) { return b.hour < h; });
}

void EntityState::Add(int32_t hour, uint32_t slot, const Counters& c) {
  all += c;
  auto src = std::find_if(all_sources.begin(), all_sources.end(),
                          [slot](const auto& p) { return p.first == slot; });
  if (src == all_sources.end()) src = all_sources.insert(src, {uint8_t(slot), Counters{}});
  src->second += c;
  if (c.cost_estimated) estimated.Add(hour);
  if (c.cost_unpriced) unpriced.Add(hour);
  // Apply puts outcome fields only in the outcome slot and usage fields
  // only in the usage slots, so each slot adds to its own kind of bucket.
  if (slot == kOutcomeSlot) {
    auto hour_of = [](const OutcomeBucket& b) { return b.hour; };
    BucketFor(outcome_hours, hour, hour_of, [hour] {
      OutcomeBucket b{};
      b.hour = hour;
      return b;
    }).Add(c);
    return;
  }
  using Key = std::pair<int32_t, uint32_t>;  // (hour, source slot)
  auto key_of = [](const Bucket& b) { return Key{b.hour, b.source}; };
  BucketFor(hours, Key{hour, slot}, key_of, [hour, slot] {
    Bucket b{};
    b.hour = hour;
    b.source = slot;
    return b;
  }).Add(c);
}

Counters EntityState::Sum(TimeRange r, uint32_t slots,
                          std::array<int64_t, kSourceClasses>* split) const {
  Counters c;
  int64_t from = FloorDiv(r.from, kHourMs), to = FloorDiv(r.to + kHourMs - 1, kHourMs);
  for (auto it = FirstAtOrAfter(hours, from); it != hours.end() && it->hour < to; ++it) {
    if (slots >> it->source & 1) it->AddTo(c);
    if (split) (*split)[it->source] += it->Tokens();
  }
  if (slots >> kOutcomeSlot & 1) {
    for (auto it = FirstAtOrAfter(outcome_hours, from); it != outcome_hours.end() && it->hour < to;
         ++it)
      it->AddTo(c);
  }
  c.cost_estimated = estimated.Overlaps(from, to);
  c.cost_unpriced = unpriced.Overlaps(from, to);
  return c;
}

Counters EntityState::SumAll(uint32_t slots) const {
  Counters c;
  for (const auto& [slot, sc] : all_sources)
    if (slots >> slot & 1) c += sc;
  return c;
}

std::array<int64_t, kSourceClasses> EntityState::SourceTokens(TimeRange r, bool all_time) const {
  std::array<int64_t, kSourceClasses> out{};
  if (all_time) {
    for (const auto& [slot, c] : all_sources)
      if (slot < kSourceClasses) out[slot] += c.Total();
    return out;
  }
  int64_t from = FloorDiv(r.from, kHourMs), to = FloorDiv(r.to + kHourMs - 1, kHourMs);
  for (auto it = FirstAtOrAfter(hours, from); it != hours.end() && it->hour < to; ++it)
    out[it->source] += it->Tokens();
  return out;
}

void EntityState::Prune(int32_t min_hour) {
  auto it = FirstAtOrAfter(hours, min_hour);
  if (it != hours.begin()) hours.erase(hours.begin(), it);
  auto o = FirstAtOrAfter(outcome_hours, min_hour);
  if (o != outcome_hours.begin()) outcome_hours.erase(outcome_hours.begin(), o);
}

Counters& EntityState::ModelTotals(uint32_t model) {
  for (auto& [m, c] : models)
    if (m == model) return c;
  return models.emplace_back(model, Counters{}).second;
}

uint32_t EntityTable::Intern(std::string_view name, uint64_t hash) {
  if (last != kNoEntity && entities[last].name == name) return last;
  uint32_t id = index.Find(name, hash);
  if (id != NameIndex::kNotFound) return last = id;
  id = last = uint32_t(entities.size());
  EntityState& e = entities.emplace_back();
  e.name = std::string(name);
  index.Insert(e.name, hash, id);  // a view of the name, which never moves
  return id;
}

const EntityState* EntityTable::Find(std::string_view name) const {
  uint32_t id = index.Find(name);
  return id == NameIndex::kNotFound ? nullptr : &entities[id];
}

static double OutcomeWeight(const EngineOptions& o, const std::string& kind) {
  auto it = o.outcome_weights.find(kind);
  return it == o.outcome_weights.end() ? 1.0 : it->second;
}

namespace {

void PrefetchLines(const void* p, size_t bytes) {
  for (size_t off = 0; off < bytes; off += 64)
    burnrate::Prefetch(static_cast<const char*>(p) + off);
}

// Memory-level parallelism for the users of one Apply. In an organisation's
// stream consecutive events are almost always different users, each of
// whose state (the index slot, the 280-byte EntityState, its last bucket,
// its per-source and per-model totals, its open session) is out of every
// cache; applied one after the other, each event waits for five or six
// loads from memory in turn. The names are known in advance, so the loads
// are started some events ahead, in stages that each need the previous
// one's line: the index slot (kSlotAhead), then the entity whose slot hash
// matches (kEntityAhead; a guess, Intern still decides), then the heap
// blocks the entity points at (kHeapAhead). Prefetches are hints: a wrong
// guess costs a wasted load, never a wrong answer.
class UserPrefetch {
 public:
  static constexpr size_t kSlotAhead = 8, kEntityAhead = 4, kHeapAhead = 2;

  UserPrefetch(const EntityTable& users, std::span<const uint64_t> hashes)
      : users_(users), hashes_(hashes) {
    guess_.fill(NameIndex::kNotFound);
  }

  // Called before event i is applied.
  void Before(size_t i) {
    size_t n = hashes_.size();
    if (i + kSlotAhead < n) users_.index.Prefetch(hashes_[i + kSlotAhead]);
    if (i + kEntityAhead < n) {
      uint32_t id = users_.index.Probable(hashes_[i + kEntityAhead]);
      guess_[(i + kEntityAhead) % kRing] = id;
      if (id != NameIndex::kNotFound) PrefetchLines(&users_.entities[id], sizeof(EntityState));
    }
    if (i + kHeapAhead < n) {
      uint32_t id = guess_[(i + kHeapAhead) % kRing];
      if (id == NameIndex::kNotFound) return;
      const EntityState& u = users_.entities[id];
      if (!u.hours.empty()) burnrate::Prefetch(&u.hours.back());
      burnrate::Prefetch(u.all_sources.data());
      burnrate::Prefetch(u.models.data());
      if (u.last_session != nullptr) burnrate::Prefetch(u.last_session);
    }
  }

 private:
  static constexpr size_t kRing = 8;  // > kEntityAhead - kHeapAhead
  const EntityTable& users_;
  std::span<const uint64_t> hashes_;
  std::array<uint32_t, kRing> guess_;
};

}  // namespace

static Counters CountersOf(const model::Event& e, const EngineOptions& o) {
  Counters c;
  if (e.type == model::EventType::kUsage) {
    c.input = e.tokens.input, c.output = e.tokens.output;
    c.cache_read = e.tokens.cache_read, c.cache_write = e.tokens.cache_write;
    c.requests = e.requests;
    c.cost_nanos = std::max<int64_t>(e.cost_nanos, 0);
    c.cost_estimated = e.cost_basis == model::CostBasis::kEstimated;
    c.cost_unpriced = e.cost_basis == model::CostBasis::kUnpriced;
  } else {
    // A rollup (Store::Purge) stands for `requests` outcome events.
    c.outcomes = std::max<int64_t>(e.requests, 1);
    c.value = e.outcome_value * OutcomeWeight(o, e.outcome_kind);
    int64_t n = std::max<int64_t>(1, std::llround(e.outcome_value));
    if (e.outcome_kind == "edit_accepted") c.edits_accepted = n;
    if (e.outcome_kind == "edit_rejected") c.edits_rejected = n;
  }
  return c;
}

Engine::Engine(EngineOptions opts, const Clock& clock)
    : opts_(std::move(opts)), clock_(clock), state_(std::make_unique<State>()) {}

Engine::~Engine() = default;

void Engine::Apply(std::span<const model::Event> events) {
  if (events.empty()) return;
  TimeMs now = clock_.NowMs();
  std::unique_lock lock(state_->mu);
  State& s = *state_;
  uint64_t next = s.version.load(std::memory_order_relaxed) + 1;  // the version after this Apply
  s.user_hashes.resize(events.size());
  for (size_t i = 0; i < events.size(); ++i) s.user_hashes[i] = NameIndex::HashOf(events[i].user);
  UserPrefetch prefetch(s.tables[int(Entity::kUser)], s.user_hashes);
  for (size_t i = 0; i < events.size(); ++i) {
    const model::Event& e = events[i];
    prefetch.Before(i);
    Counters c = CountersOf(e, opts_);
    int32_t hour = int32_t(FloorDiv(e.ts, kHourMs));
    uint32_t slot =
        e.type == model::EventType::kUsage ? uint32_t(SourceClassOf(e.source)) : kOutcomeSlot;
    uint32_t team = s.tables[int(Entity::kTeam)].Intern(e.team);
    uint32_t org = s.tables[int(Entity::kOrg)].Intern(e.org);
    uint32_t user = s.tables[int(Entity::kUser)].Intern(e.user, s.user_hashes[i]);
    s.tables[int(Entity::kTeam)].Touch(team, next);
    s.tables[int(Entity::kOrg)].Touch(org, next);
    s.tables[int(Entity::kUser)].Touch(user, next);
    EntityState& u = s.tables[int(Entity::kUser)].entities[user];
    u.team = team, u.org = org;
    u.Add(hour, slot, c);
    EntityState& t = s.tables[int(Entity::kTeam)].entities[team];
    t.org = org;
    t.Add(hour, slot, c);
    s.tables[int(Entity::kOrg)].entities[org].Add(hour, slot, c);
    if (!e.project.empty()) {
      EntityTable& projects = s.tables[int(Entity::kProject)];
      uint32_t p = projects.Intern(e.project);
      projects.Touch(p, next);
      projects.entities[p].Add(hour, slot, c);
    }
    if (!e.session.empty()) s.TrackSession(user, e.session, e.ts, now, opts_);
    if (e.type == model::EventType::kOutcome) {
      s.AddOutcomeKind(u, e.outcome_kind, e.outcome_value);
      s.AddOutcomeKind(s.tables[int(Entity::kTeam)].entities[team], e.outcome_kind,
                       e.outcome_value);
    }
    if (e.type == model::EventType::kUsage) {
      uint32_t m = s.tables[int(Entity::kModel)].Intern(e.model);
      s.tables[int(Entity::kModel)].Touch(m, next);
      s.tables[int(Entity::kModel)].entities[m].Add(hour, slot, c);
      u.ModelTotals(m) += c;
      if (e.cost_basis != model::CostBasis::kPriced) {
        UnpricedModel& um = s.unpriced_models[m];
        (c.cost_estimated ? um.estimated_tokens : um.unpriced_tokens) += c.Total();
        if (c.cost_estimated) um.estimated_cost_nanos += c.cost_nanos;
      }
    }
    s.max_hour = std::max(s.max_hour, hour);
  }
  s.events_applied += int64_t(events.size());
  // Drop buckets that no window can reach any more, once an hour.
  int32_t now_hour = int32_t(FloorDiv(clock_.NowMs(), kHourMs));
  if (now_hour > s.last_prune_hour) {
    s.last_prune_hour = now_hour;
    s.pruned_at = next;
    for (auto& table : s.tables)
      for (auto& ent : table.entities) ent.Prune(now_hour - opts_.keep_hours);
    s.CloseIdleSessions(clock_.NowMs(), opts_);
  }
  s.version.fetch_add(1, std::memory_order_release);
}

uint64_t Engine::version() const { return state_->version.load(std::memory_order_acquire); }

size_t Engine::entity_count(Entity e) const {
  std::shared_lock lock(state_->mu);
  return state_->tables[int(e)].entities.size();
}

int64_t Engine::events_applied() const {
  std::shared_lock lock(state_->mu);
  return state_->events_applied;
}

void Engine::SetWasteFn(WasteFn fn) {
  std::unique_lock lock(state_->mu);
  state_->waste = std::move(fn);
}

Result<UsageSeries> Engine::Usage(Entity e, std::string_view id, TimeRange r, Granularity g) const {
  std::shared_lock lock(state_->mu);
  const EntityTable& table = state_->tables[int(e)];
  const EntityState* ent = table.Find(id);
  if (ent == nullptr)
    return Status::NotFound(std::string(EntityName(e)) + " '" + std::string(id) + "' has no usage");
  UsageSeries out;
  if (ent->team != kNoEntity)
    out.team = state_->tables[int(Entity::kTeam)].entities[ent->team].name;
  if (ent->org != kNoEntity) out.org = state_->tables[int(Entity::kOrg)].entities[ent->org].name;
  int64_t from_h = FloorDiv(r.from, kHourMs), to_h = FloorDiv(r.to + kHourMs - 1, kHourMs);
  // Usage and outcome buckets, both sorted by hour, merged in time order.
  auto point = [&](int32_t hour) -> Counters& {
    TimeMs t = TimeMs(hour) * kHourMs;
    if (g == Granularity::kDay) t = opts_.tz.DayStart(t);
    if (out.points.empty() || out.points.back().t != t) out.points.push_back({t, {}});
    return out.points.back().c;
  };
  auto it = FirstAtOrAfter(ent->hours, from_h);
  auto ot = FirstAtOrAfter(ent->outcome_hours, from_h);
  for (;;) {
    bool usage = it != ent->hours.end() && it->hour < to_h;
    bool outcome = ot != ent->outcome_hours.end() && ot->hour < to_h;
    if (usage && (!outcome || it->hour <= ot->hour)) {
      it->AddTo(point(it->hour));
      it->AddTo(out.totals);
      ++it;
    } else if (outcome) {
      ot->AddTo(point(ot->hour));
      ot->AddTo(out.totals);
      ++ot;
    } else {
      break;
    }
  }
  out.totals.cost_estimated = ent->estimated.Overlaps(from_h, to_h);
  out.totals.cost_unpriced = ent->unpriced.Overlaps(from_h, to_h);
  // Per-model split is kept all-time per user; scale is exact for "all".
  for (const auto& [m, c] : ent->models) {
    out.by_model.emplace_back(state_->tables[int(Entity::kModel)].entities[m].name, c);
  }
  std::sort(out.by_model.begin(), out.by_model.end(),
            [](const auto& a, const auto& b) { return a.second.Total() > b.second.Total(); });
  return out;
}

std::vector<DayTotals> Engine::Daily(int days) const {
  std::shared_lock lock(state_->mu);
  const TimeZone& tz = opts_.tz;
  TimeMs today = tz.DayStart(clock_.NowMs());
  TimeMs first = tz.AddDays(today, -(days - 1));
  std::vector<DayTotals> out;
  for (int i = 0; i < days; ++i) out.push_back({tz.AddDays(first, i), {}, 0});
  auto index_of = [&](TimeMs t) -> int {
    // Days are at most 25 hours long; find the slot by search.
    auto it = std::upper_bound(out.begin(), out.end(), t,
                               [](TimeMs v, const DayTotals& d) { return v < d.day; });
    return int(it - out.begin()) - 1;
  };
  for (const auto& u : state_->tables[int(Entity::kUser)].entities) {
    int last = -1;
    for (auto it = FirstAtOrAfter(u.hours, FloorDiv(first, kHourMs)); it != u.hours.end(); ++it) {
      int i = index_of(TimeMs(it->hour) * kHourMs);
      if (i < 0 || i >= days) continue;
      it->AddTo(out[i].c);
      if (i != last && it->requests > 0) out[i].active_users++, last = i;
    }
    for (auto it = FirstAtOrAfter(u.outcome_hours, FloorDiv(first, kHourMs));
         it != u.outcome_hours.end(); ++it) {
      int i = index_of(TimeMs(it->hour) * kHourMs);
      if (i >= 0 && i < days) it->AddTo(out[i].c);
    }
  }
  return out;
}

std::vector<UnpricedModel> Engine::UnpricedModels() const {
  std::shared_lock lock(state_->mu);
  std::vector<std::pair<uint32_t, UnpricedModel>> by_id(state_->unpriced_models.begin(),
                                                        state_->unpriced_models.end());
  std::sort(by_id.begin(), by_id.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<UnpricedModel> out;
  out.reserve(by_id.size());
  for (auto& [m, totals] : by_id) {
    out.push_back(std::move(totals));
    out.back().model = state_->tables[int(Entity::kModel)].entities[m].name;
  }
  return out;
}

std::vector<std::pair<std::string, Counters>> Engine::TopModels(TimeRange r, size_t n) const {
  std::shared_lock lock(state_->mu);
  std::vector<std::pair<std::string, Counters>> out;
  for (const auto& m : state_->tables[int(Entity::kModel)].entities)
    out.emplace_back(m.name, m.Sum(r));
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.second.Total() > b.second.Total(); });
  if (out.size() > n) out.resize(n);
  return out;
}

}  // namespace burnrate::engine
