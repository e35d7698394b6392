// Internal to the engine: the entity tables and snapshot types. Not part of
// the engine's front door; include engine/engine.h instead.
#pragma once

#include <algorithm>
#include <atomic>
#include <limits>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/chunked_vector.h"
#include "common/name_index.h"
#include "engine/engine.h"

namespace burnrate::engine {

inline constexpr uint32_t kNoEntity = std::numeric_limits<uint32_t>::max();

struct OpenSession;
using OpenEntry = std::pair<const std::string, OpenSession>;  // an entry of State::open_sessions

// A board snapshot's refresh period: board_refresh_ms, or ten times what its
// last refresh cost (the build and the ticker's sort) when that is longer,
// so keeping a board of many users fresh takes at most about a tenth of a
// core (leaderboard.cc).
inline TimeMs BoardRefreshAfter(TimeMs board_refresh_ms, TimeMs refresh_ms) {
  return std::max(board_refresh_ms, 10 * refresh_ms);
}

// Buckets of one hour are kept apart by source class (SourceClass, or
// kOutcomeSlot for outcome events, which every board counts), so a board
// can be restricted to trusted sources. A user with one source has one
// bucket an hour, as before; one with two has two in the hours both
// sent usage.
inline constexpr uint32_t kOutcomeSlot = kSourceClasses;
// The slots a board of `sources` sums: those classes and outcomes.
inline uint32_t SlotMask(SourceMask sources) { return uint32_t(sources) | 1u << kOutcomeSlot; }

// One hour of one entity and usage source slot (a SourceClass); 48 bytes.
// No default member initialisers: a checkpoint restore sizes the vectors
// without zeroing them (BucketAlloc) and reads the buckets straight in;
// everything else creates buckets by aggregate initialisation, which zeroes
// the fields not named.
struct Bucket {
  int32_t hour : 29;    // hours since the epoch (+-30,000 years)
  uint32_t source : 3;  // SourceClass
  int32_t requests;
  int64_t input, output, cache_read, cache_write, cost_nanos;
  void Add(const Counters& c);
  void AddTo(Counters& c) const;
  int64_t Tokens() const { return input + output + cache_read + cache_write; }
};

// One hour of one entity's outcome events (the outcome slot, kOutcomeSlot),
// kept apart from the usage buckets: most entity-hours have usage and no
// outcome, and the outcome fields would make every usage bucket 16 bytes
// larger (64 instead of 48). 20 bytes.
struct OutcomeBucket {
  int32_t hour;
  int32_t outcomes;
  float value;
  int32_t edits_accepted, edits_rejected;
  void Add(const Counters& c);
  void AddTo(Counters& c) const;
};

// Default-initialises on resize (no zeroing) for the trivial bucket types,
// so a restore touches each page of a bucket vector once, while reading.
template <typename T>
struct BucketAlloc : std::allocator<T> {
  template <typename U>
  struct rebind {
    using other = BucketAlloc<U>;
  };
  BucketAlloc() = default;
  template <typename U>
  BucketAlloc(const BucketAlloc<U>&) noexcept {}
  template <typename U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};
using Buckets = std::vector<Bucket, BucketAlloc<Bucket>>;
// The capacity a full bucket vector of `size` grows to: a quarter more, at
// least 16 (EntityState::Add; see MakeRoomForOne in engine.cc).
constexpr size_t BucketCapacityAfterGrowth(size_t size) {
  return size + std::max<size_t>(size / 4, 16);
}
using OutcomeBuckets = std::vector<OutcomeBucket, BucketAlloc<OutcomeBucket>>;

// The hours an entity had usage without an exact price, so a window's
// pricing marks cost 16 bytes per entity instead of a field per bucket: a
// window [from, to) is marked when it overlaps [first, last]. That is exact
// for windows ending now and may mark a past range with a gap in it.
struct HourSpan {
  int32_t first = std::numeric_limits<int32_t>::max();
  int32_t last = std::numeric_limits<int32_t>::min();
  void Add(int32_t hour) { first = std::min(first, hour), last = std::max(last, hour); }
  bool Overlaps(int64_t from_hour, int64_t to_hour) const {
    return last >= from_hour && first < to_hour;
  }
};

struct EntityState {
  std::string name;
  uint32_t team = kNoEntity;     // users
  uint32_t org = kNoEntity;      // users and teams
  Buckets hours;                 // usage, sorted by (hour, source)
  OutcomeBuckets outcome_hours;  // outcome events, sorted by hour
  HourSpan estimated, unpriced;  // hours with Counters::cost_estimated / cost_unpriced usage
  Counters all;
  // Users: per model, all time. A user has a handful of models, so a
  // vector scanned linearly (one allocation) instead of a hash map (three).
  std::vector<std::pair<uint32_t, Counters>> models;
  std::vector<OutcomeKindTotal> outcome_kinds;  // users and teams, all time
  std::vector<SessionSpan> runs;                // users: longest closed runs (user field empty)
  int64_t sessions = 0;                         // users: sessions seen
  // Users: their entries in State::open_sessions (whose elements do not
  // move; erased from here before there).
  std::vector<OpenEntry*> open;
  // Users: the open session touched last, so a run of events of one
  // session skips the hash lookup. Reset when the entry is erased.
  OpenEntry* last_session = nullptr;

  // all_sources[slot]: all-time Counters of a source slot, for the slots
  // this entity used (restricted all-time boards).
  std::vector<std::pair<uint8_t, Counters>> all_sources;

  void Add(int32_t hour, uint32_t slot, const Counters& c);
  // The slots of `slots` (bit i: slot i) within r; with `split`, also the
  // tokens of every source class within r (one pass for both).
  Counters Sum(TimeRange r, uint32_t slots = ~0u,
               std::array<int64_t, kSourceClasses>* split = nullptr) const;
  // All time, the slots of `slots`.
  Counters SumAll(uint32_t slots) const;
  // Tokens by source class within r (w == kAll: all time).
  std::array<int64_t, kSourceClasses> SourceTokens(TimeRange r, bool all_time) const;
  Counters& ModelTotals(uint32_t model);
  void Prune(int32_t min_hour);
};

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// Entities by dense id. They never move (chunked storage), so the index
// keys are views of the entities' own names, and a new entity costs no
// copy of the others. The index is a flat table (common/name_index.h): a
// lookup of one of 80,000 interleaved users is one slot load, not a
// node-based map's three cache misses.
struct EntityTable {
  NameIndex index;
  ChunkedVector<EntityState> entities;
  uint32_t last = kNoEntity;  // the last name interned: events come in runs of one team, org, model
  // changed[id]: the engine version after the Apply that last changed the
  // entity's usage, team or org (kChangedAlways: not tracked, e.g. restored
  // and not touched since). Board builds copy the rows of entities unchanged
  // since the snapshot they replace instead of summing their buckets again.
  static constexpr uint64_t kChangedAlways = ~uint64_t{0};
  std::vector<uint64_t> changed;
  uint32_t Intern(std::string_view name) { return Intern(name, NameIndex::HashOf(name)); }
  uint32_t Intern(std::string_view name, uint64_t hash);  // hash: NameIndex::HashOf(name)
  const EntityState* Find(std::string_view name) const;
  void Touch(uint32_t id, uint64_t version) {
    if (id >= changed.size()) changed.resize(entities.size(), kChangedAlways);
    changed[id] = version;
  }
  bool ChangedSince(uint32_t id, uint64_t version) const {
    return id >= changed.size() || changed[id] > version;
  }
};

struct Engine::Snapshot {
  Entity entity;
  Window window;
  TimeRange range, prev_range;
  TimeMs built_at = 0;
  TimeMs build_ms = 0;  // how long Build took (engine clock)
  TimeMs sort_ms = 0;   // how long the ticker's sort before publishing took (SortAsReadBefore)
  TimeMs RefreshMs() const { return build_ms + sort_ms; }
  uint64_t version = 0;
  SourceMask sources = kAllSources;
  std::vector<uint32_t> ids;  // entity index, parallel to cur/prev
  std::vector<Counters> cur, prev;
  std::vector<std::array<int64_t, kSourceClasses>> source_tokens;  // tokens by class in range
  std::vector<int64_t> wasted;     // tokens flagged as waste in range
  std::vector<double> efficiency;  // shrunk value per million tokens
  std::vector<std::string> names;
  // Per row: the entity's team and org (kNoEntity: none), named by tables of
  // all team and org names that successive snapshots share while no team or
  // org is added, instead of two string copies per row and build.
  std::vector<uint32_t> team_ids, org_ids;
  std::shared_ptr<const std::vector<std::string>> team_names, org_names;
  const std::string& Team(size_t i) const { return NameOf(*team_names, team_ids[i]); }
  const std::string& Org(size_t i) const { return NameOf(*org_names, org_ids[i]); }
  static const std::string& NameOf(const std::vector<std::string>& names, uint32_t id) {
    static const std::string kNone;
    return id == kNoEntity ? kNone : names[id];
  }
  std::vector<uint32_t> groups;  // per row: team (users), org (teams), else kNoEntity
  // Orders are sorted lazily per metric; guarded by order_mu.
  mutable std::mutex order_mu;
  mutable std::vector<uint32_t> order[kMetricCount];     // positions, best first
  mutable std::vector<int64_t> prev_rank[kMetricCount];  // by position; 0 = unranked
  mutable std::vector<int64_t> ranked_count;             // per metric

  double Score(Metric m, size_t i, bool previous) const;
  bool Eligible(Metric m, size_t i, bool previous) const;
  void EnsureOrder(Metric m) const;  // caller holds order_mu
};

// A session with activity in the last session_gap_ms.
struct OpenSession {
  uint32_t user = 0;
  TimeMs start = 0, end = 0;
};

struct Engine::State {
  mutable std::shared_mutex mu;  // guards tables, max_hour, events_applied, waste
  EntityTable tables[kEntityCount];
  int32_t max_hour = 0;
  int32_t last_prune_hour = 0;
  int64_t events_applied = 0;
  WasteFn waste;
  std::unordered_map<uint32_t, UnpricedModel> unpriced_models;  // model entity -> totals
  std::atomic<uint64_t> version{0};
  uint64_t pruned_at = 0;  // version after the last Prune; guarded by mu
  // key: user + '\x1f' + session; guarded by mu
  std::unordered_map<std::string, OpenSession, StringHash, std::equal_to<>> open_sessions;
  size_t open_after_close = 0;  // open_sessions.size() after the last close
  std::string session_key;      // TrackSession's lookup buffer; guarded by mu
  // Apply's scratch: the users' name hashes and the prefetch stages' guesses
  // (engine.cc, UserPrefetch); guarded by mu.
  std::vector<uint64_t> user_hashes;

  // sessions.cc; callers hold mu (writer side).
  void TrackSession(uint32_t user, const std::string& session, TimeMs ts, TimeMs now,
                    const EngineOptions& o);
  void CloseIdleSessions(TimeMs now, const EngineOptions& o);
  void AddOutcomeKind(EntityState& ent, const std::string& kind, double amount);

  // leaderboard.cc: ranks `fresh` (not yet published) by the metrics read
  // on the snapshot it replaces. Takes snap_mu, then the snapshots' order_mu.
  void SortAsReadBefore(const Snapshot& fresh);

  std::mutex snap_mu;  // guards snaps and last_read; [entity][window][SourceMask]
  std::shared_ptr<const Snapshot> snaps[kEntityCount][7][kAllSources + 1];
  TimeMs last_read[kEntityCount][7][kAllSources + 1] = {};
};

}  // namespace burnrate::engine
