// The engine's state as bytes, for checkpoints.
//
// A restart used to rebuild the engine from every stored event (about
// 0.2 µs each, so minutes at hundreds of millions). The engine's state is
// bounded by entities × active hours, not by events, so saving it and
// applying only the events after it makes restart time independent of the
// history. The file around these bytes (position, checksum, compression,
// atomic replace) is the store's (store/checkpoint_file.cc); this file only
// says what the engine's state is.
//
// Encoding (version kCheckpointVersion, host byte order, no padding):
// lengths are u64, strings a u64 length and the bytes, Counters their
// fields in declaration order with the two pricing marks in one byte.
//   for each entity table (user, team, org, project, model):
//     count, then per entity: name, team u32, org u32, usage buckets (count,
//     then the 48-byte Buckets as they are in memory: 29-bit hour and
//     3-bit source class in the first word), outcome buckets (count, then
//     the 20-byte OutcomeBuckets as they are in memory), estimated and
//     unpriced hour spans (first, last: i32 each), all-time Counters,
//     all-time Counters per source slot (count, then slot u8 + Counters),
//     per-model Counters (count, then model id u32 + Counters), outcome
//     kinds (count, then kind, events, amount), closed session runs
//     (count, then session, start, end), sessions seen, keys of its open
//     sessions (count, then key)
//   max_hour, last_prune_hour (i32), events_applied (i64)
//   unpriced models: count, then model id, estimated tokens, estimated
//     cost, unpriced tokens
//   open sessions: count, then key (user \x1f session), user id, start, end
//   open_after_close (u64)
//
// Version 4 (written since) holds the same records in independent sections,
// so that a restart decodes them on several threads at once, each straight
// into its entities' vectors (the file gives each section its own zstd
// frame, store/checkpoint_file.cc):
//   section 0: entity count of each table (u64 × 5); parts: count, then per
//     part its table (u32), first entity and number of entities (u64 each);
//     then everything after the tables above (max_hour ... open_after_close)
//   section 1 + p: the entity records of part p, as above
// Parts run through each table in order, each table's parts end to end, and
// hold about SaveSections' part_bytes of records (32 MiB: a zstd frame that
// size compresses as well as one large frame); one section per part.
// Version 3 (one stream) is still read, so a checkpoint written before
// loads; the next checkpoint is then written as version 4.
// Entity indexes are rebuilt from the names. Every id is checked against its
// table on the way in, so a payload that passed the file's checksum but
// came from a buggy writer fails to load instead of crashing later.
#include <algorithm>
#include <atomic>
#include <cstring>
#include <map>
#include <thread>
#include <type_traits>

#include "common/hash.h"
#include "engine/engine_state.h"

namespace burnrate::engine {
namespace {

static_assert(std::is_trivially_copyable_v<Bucket> && sizeof(Bucket) == 48,
              "the checkpoint stores buckets as bytes");
static_assert(std::is_trivially_copyable_v<OutcomeBucket> && sizeof(OutcomeBucket) == 20,
              "the checkpoint stores outcome buckets as bytes");

class Writer {
 public:
  explicit Writer(std::string* out) : out_(out) {}
  template <typename T>
  void Put(T v) {
    static_assert(std::is_arithmetic_v<T>);
    out_->append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  void Str(std::string_view s) { Put<uint64_t>(s.size()), out_->append(s); }
  void Raw(const void* p, size_t n) { out_->append(static_cast<const char*>(p), n); }
  void Count(const Counters& c) {
    for (int64_t v :
         {c.input, c.output, c.cache_read, c.cache_write, c.requests, c.cost_nanos, c.outcomes})
      Put(v);
    Put(c.value), Put(c.edits_accepted), Put(c.edits_rejected);
    Put<uint8_t>(uint8_t(c.cost_estimated) | uint8_t(c.cost_unpriced) << 1);
  }

 private:
  std::string* out_;
};

// Every read is bounds-checked against the payload's size; after the first
// failure all reads return zeros and ok() is false, so the decoder is
// written straight through. Bytes come from a ByteSource through a small
// buffer; a large array is read straight into its destination.
class Reader {
 public:
  Reader(uint64_t size, const Engine::ByteSource& src) : size_(size), src_(src) {}
  template <typename T>
  T Get() {
    T v{};
    Raw(&v, sizeof v);
    return v;
  }
  void Raw(void* p, size_t n) {
    if (!ok_ || size_ - pos_ < n) {
      ok_ = false;
      return;
    }
    if (n == 0) return;  // an empty vector's data() may be null
    char* d = static_cast<char*>(p);
    pos_ += n;
    size_t k = std::min(n, buf_len_ - buf_pos_);
    if (k > 0) std::memcpy(d, buf_.data() + buf_pos_, k);
    buf_pos_ += k;
    d += k;
    n -= k;
    if (n == 0) return;
    if (n >= kBuffer / 2) return Fill(d, n);  // large: no copy through the buffer
    size_t want = size_t(std::min<uint64_t>(kBuffer, size_ - pulled_));
    Fill(buf_.data(), want);
    buf_pos_ = n, buf_len_ = want;
    if (ok_) std::memcpy(d, buf_.data(), n);
  }
  // A count of items of at least `min_bytes` each: no more than the bytes left.
  size_t Count(size_t min_bytes) {
    uint64_t n = Get<uint64_t>();
    if (n > (size_ - pos_) / min_bytes) ok_ = false;
    return ok_ ? size_t(n) : 0;
  }
  std::string Str() {
    size_t n = Count(1);
    std::string s(n, '\0');
    Raw(s.data(), n);
    return s;
  }
  Counters Counts() {
    Counters c;
    for (int64_t* v : {&c.input, &c.output, &c.cache_read, &c.cache_write, &c.requests,
                       &c.cost_nanos, &c.outcomes})
      *v = Get<int64_t>();
    c.value = Get<double>();
    c.edits_accepted = Get<int64_t>(), c.edits_rejected = Get<int64_t>();
    uint8_t marks = Get<uint8_t>();
    c.cost_estimated = marks & 1, c.cost_unpriced = marks & 2;
    return c;
  }
  bool ok() const { return ok_; }
  bool done() const { return pos_ == size_; }
  void Fail() { ok_ = false; }

 private:
  static constexpr size_t kBuffer = 1 << 16;
  // Exactly n bytes from the source, or a failure.
  void Fill(char* d, size_t n) {
    while (ok_ && n > 0) {
      Result<size_t> got = src_(d, n);
      if (!got.ok() || *got == 0 || *got > n) return void(ok_ = false);
      d += *got, n -= *got, pulled_ += *got;
    }
  }
  uint64_t size_;
  const Engine::ByteSource& src_;
  uint64_t pos_ = 0;     // bytes handed to the decoder
  uint64_t pulled_ = 0;  // bytes taken from the source
  std::vector<char> buf_ = std::vector<char>(kBuffer);
  size_t buf_pos_ = 0, buf_len_ = 0;
  bool ok_ = true;
};

void SaveEntity(Writer& w, const EntityState& e) {
  w.Str(e.name);
  w.Put(e.team), w.Put(e.org);
  w.Put<uint64_t>(e.hours.size());
  w.Raw(e.hours.data(), e.hours.size() * sizeof(Bucket));
  w.Put<uint64_t>(e.outcome_hours.size());
  w.Raw(e.outcome_hours.data(), e.outcome_hours.size() * sizeof(OutcomeBucket));
  w.Put(e.estimated.first), w.Put(e.estimated.last), w.Put(e.unpriced.first),
      w.Put(e.unpriced.last);
  w.Count(e.all);
  w.Put<uint64_t>(e.all_sources.size());
  for (const auto& [slot, c] : e.all_sources) w.Put(slot), w.Count(c);
  w.Put<uint64_t>(e.models.size());
  for (const auto& [m, c] : e.models) w.Put(m), w.Count(c);
  w.Put<uint64_t>(e.outcome_kinds.size());
  for (const auto& k : e.outcome_kinds) w.Str(k.kind), w.Put(k.events), w.Put(k.amount);
  w.Put<uint64_t>(e.runs.size());
  for (const auto& r : e.runs) w.Str(r.session), w.Put(r.start), w.Put(r.end);
  w.Put(e.sessions);
  w.Put<uint64_t>(e.open.size());
  for (const OpenEntry* o : e.open) w.Str(o->first);
}

// `open`: how many open sessions the file lists for the entity.
void LoadEntity(Reader& r, EntityState& e, size_t* open) {
  e.name = r.Str();
  e.team = r.Get<uint32_t>(), e.org = r.Get<uint32_t>();
  // Sized exactly and not zeroed (BucketAlloc): each page is touched once,
  // by the read.
  e.hours.resize(r.Count(sizeof(Bucket)));
  r.Raw(e.hours.data(), e.hours.size() * sizeof(Bucket));
  for (size_t i = 0; r.ok() && i < e.hours.size(); ++i)  // not read on failure: uninitialised
    if (e.hours[i].source >= kSourceClasses) r.Fail();   // indexes per-class arrays
  e.outcome_hours.resize(r.Count(sizeof(OutcomeBucket)));
  r.Raw(e.outcome_hours.data(), e.outcome_hours.size() * sizeof(OutcomeBucket));
  e.estimated.first = r.Get<int32_t>(), e.estimated.last = r.Get<int32_t>();
  e.unpriced.first = r.Get<int32_t>(), e.unpriced.last = r.Get<int32_t>();
  e.all = r.Counts();
  for (size_t i = 0, n = r.Count(1); i < n; ++i) {
    uint8_t slot = r.Get<uint8_t>();
    if (slot > kOutcomeSlot) r.Fail();
    e.all_sources.emplace_back(slot, r.Counts());
  }
  for (size_t i = 0, n = r.Count(4); i < n; ++i) {
    uint32_t m = r.Get<uint32_t>();
    e.models.emplace_back(m, r.Counts());
  }
  e.outcome_kinds.resize(r.Count(24));
  for (auto& k : e.outcome_kinds)
    k.kind = r.Str(), k.events = r.Get<int64_t>(), k.amount = r.Get<double>();
  e.runs.resize(r.Count(24));
  for (auto& run : e.runs)
    run.session = r.Str(), run.start = r.Get<TimeMs>(), run.end = r.Get<TimeMs>();
  e.sessions = r.Get<int64_t>();
  // The user's open sessions are linked from State::open_sessions once it
  // is read (LinkOpenSessions); here only their number is kept, to check.
  *open = r.Count(8);
  for (size_t i = 0; i < *open; ++i) (void)r.Str();
}

// About how many bytes an entity's record takes (reserving once: growing
// gigabytes by doubling copies them several times and faults in fresh
// pages each time).
size_t Estimate(const EntityState& e) {
  return 256 + e.name.size() + e.hours.size() * sizeof(Bucket) +
         e.outcome_hours.size() * sizeof(OutcomeBucket) +
         (e.models.size() + e.all_sources.size() + e.outcome_kinds.size()) * 96 +
         (e.runs.size() + e.open.size()) * 64;
}

struct Part {
  uint32_t table = 0;
  uint64_t first = 0, count = 0;
};

// Everything of the state after the entity tables (both versions). S:
// Engine::State, private to the engine.
template <typename S>
void SaveTail(Writer& w, const S& s) {
  w.Put(s.max_hour), w.Put(s.last_prune_hour), w.Put(s.events_applied);
  w.Put<uint64_t>(s.unpriced_models.size());
  for (const auto& [m, u] : s.unpriced_models)
    w.Put(m), w.Put(u.estimated_tokens), w.Put(u.estimated_cost_nanos), w.Put(u.unpriced_tokens);
  w.Put<uint64_t>(s.open_sessions.size());
  for (const auto& [key, o] : s.open_sessions)
    w.Str(key), w.Put(o.user), w.Put(o.start), w.Put(o.end);
  w.Put<uint64_t>(s.open_after_close);
}

template <typename S>
void LoadTail(Reader& r, S& s) {
  s.max_hour = r.Get<int32_t>(), s.last_prune_hour = r.Get<int32_t>(),
  s.events_applied = r.Get<int64_t>();
  for (size_t i = 0, n = r.Count(28); i < n; ++i) {
    UnpricedModel& u = s.unpriced_models[r.Get<uint32_t>()];
    u.estimated_tokens = r.Get<int64_t>(), u.estimated_cost_nanos = r.Get<int64_t>();
    u.unpriced_tokens = r.Get<int64_t>();
  }
  for (size_t i = 0, n = r.Count(28); i < n; ++i) {
    std::string key = r.Str();
    OpenSession o;
    o.user = r.Get<uint32_t>(), o.start = r.Get<TimeMs>(), o.end = r.Get<TimeMs>();
    s.open_sessions.emplace(std::move(key), o);
  }
  s.open_after_close = r.Get<uint64_t>();
}

// Version 4's section 0 up to the tail: the tables' sizes and the parts,
// checked to cover each table end to end in order, one section per part.
bool LoadLayout(Reader& r, const std::vector<uint64_t>& sizes, uint64_t (&counts)[kEntityCount],
                std::vector<Part>* parts) {
  uint64_t total = 0;
  for (uint64_t n : sizes) total += n;
  for (uint64_t& n : counts) {
    n = r.Get<uint64_t>();
    if (n > total / 64) return false;  // a record takes at least 64 bytes
  }
  size_t n = r.Count(20);
  if (!r.ok() || n + 1 != sizes.size()) return false;
  uint64_t covered[kEntityCount] = {};
  uint32_t table = 0;
  for (size_t p = 0; p < n; ++p) {
    Part part{r.Get<uint32_t>(), r.Get<uint64_t>(), r.Get<uint64_t>()};
    if (part.table < table || part.table >= kEntityCount || part.first != covered[part.table] ||
        part.count > sizes[p + 1] / 64 || part.count > counts[part.table] - part.first)
      return false;
    table = part.table;
    covered[part.table] += part.count;
    parts->push_back(part);
  }
  for (int t = 0; t < kEntityCount; ++t)
    if (covered[t] != counts[t]) return false;
  return r.ok();
}

}  // namespace

// Ids that index other tables must be in range (kNoEntity allowed).
static bool IdsInRange(
    const EntityTable (&tables)[kEntityCount],
    const std::unordered_map<uint32_t, UnpricedModel>& unpriced,
    const std::unordered_map<std::string, OpenSession, StringHash, std::equal_to<>>& open,
    const std::vector<size_t>& open_per_user) {
  auto in = [&](uint32_t id, Entity e) {
    return id == kNoEntity || id < tables[int(e)].entities.size();
  };
  size_t models = tables[int(Entity::kModel)].entities.size();
  for (const auto& table : tables) {
    for (const auto& e : table.entities) {
      if (!in(e.team, Entity::kTeam) || !in(e.org, Entity::kOrg)) return false;
      for (const auto& [m, c] : e.models)
        if (m >= models) return false;
    }
  }
  for (const auto& [m, u] : unpriced)
    if (m >= models) return false;
  const auto& users = tables[int(Entity::kUser)].entities;
  for (const auto& [key, o] : open)
    if (o.user >= users.size()) return false;
  std::vector<size_t> linked(users.size());
  for (const auto& [key, o] : open) linked[o.user]++;
  return linked == open_per_user;  // each user listed exactly its open sessions
}

// Points each user's `open` at its entries of State::open_sessions.
static void LinkOpenSessions(
    EntityTable& users,
    std::unordered_map<std::string, OpenSession, StringHash, std::equal_to<>>& open) {
  for (auto& u : users.entities) u.open.clear();
  for (auto& entry : open) users.entities[entry.second.user].open.push_back(&entry);
}

std::string Engine::SaveState() const {
  std::string out;
  Writer w(&out);
  std::shared_lock lock(state_->mu);
  const State& s = *state_;
  size_t estimate = 4096 + s.open_sessions.size() * 64;
  for (const auto& table : s.tables)
    for (const auto& e : table.entities) estimate += Estimate(e);
  out.reserve(estimate);
  for (const auto& table : s.tables) {
    w.Put<uint64_t>(table.entities.size());
    for (const auto& e : table.entities) SaveEntity(w, e);
  }
  SaveTail(w, s);
  return out;
}

std::vector<std::string> Engine::SaveSections(size_t part_bytes) const {
  std::shared_lock lock(state_->mu);
  const State& s = *state_;
  std::vector<Part> parts;
  std::vector<size_t> reserve;
  for (uint32_t t = 0; t < kEntityCount; ++t) {
    const auto& entities = s.tables[t].entities;
    for (size_t i = 0; i < entities.size(); ++i) {
      if (i == 0 || reserve.back() >= part_bytes) parts.push_back({t, i, 0}), reserve.push_back(0);
      parts.back().count++;
      reserve.back() += Estimate(entities[i]);
    }
  }
  std::vector<std::string> out(1 + parts.size());
  Writer head(&out[0]);
  for (const auto& table : s.tables) head.Put<uint64_t>(table.entities.size());
  head.Put<uint64_t>(parts.size());
  for (const Part& p : parts) head.Put(p.table), head.Put(p.first), head.Put(p.count);
  SaveTail(head, s);
  for (size_t p = 0; p < parts.size(); ++p) {
    out[p + 1].reserve(reserve[p]);
    Writer w(&out[p + 1]);
    const auto& entities = s.tables[parts[p].table].entities;
    for (uint64_t i = parts[p].first; i < parts[p].first + parts[p].count; ++i)
      SaveEntity(w, entities[i]);
  }
  return out;
}

Status Engine::RestoreState(std::string_view data) {
  size_t at = 0;
  ByteSource read = [&](char* p, size_t n) -> Result<size_t> {
    size_t k = std::min(n, data.size() - at);
    if (k > 0) std::memcpy(p, data.data() + at, k);
    at += k;
    return k;
  };
  return RestoreState(data.size(), read, [] { return Status::OK(); });
}

// Version 3: one decoder for the whole state, in the order SaveState writes it.
Status Engine::RestoreState(uint64_t size, const ByteSource& read,
                            const std::function<Status()>& verify) {
  auto fresh = std::make_unique<State>();
  State& s = *fresh;
  Reader r(size, read);
  std::vector<size_t> open_per_user;  // as the file lists them
  for (auto& table : s.tables) {
    table.entities.resize(r.Count(64));
    bool users = &table == &s.tables[int(Entity::kUser)];
    for (auto& e : table.entities) {
      size_t open = 0;
      LoadEntity(r, e, &open);
      if (users) open_per_user.push_back(open);
    }
  }
  LoadTail(r, s);
  if (!r.ok() || !r.done())
    return Status::InvalidArgument("engine checkpoint: truncated or malformed state");
  return Adopt(s, open_per_user, verify);
}

Status Engine::RestoreSections(const std::vector<std::string>& sections, int threads) {
  SectionSource src;
  std::vector<size_t> at(sections.size());
  for (const std::string& sec : sections) src.sizes.push_back(sec.size());
  src.read = [&](size_t i, char* p, size_t n) -> Result<size_t> {
    size_t k = std::min(n, sections[i].size() - at[i]);
    if (k > 0) std::memcpy(p, sections[i].data() + at[i], k);
    at[i] += k;
    return k;
  };
  src.finish = [](size_t) { return Status::OK(); };
  return RestoreSections(src, threads);
}

// Version 4: section 0 first, then the parts on `threads` threads (this one
// among them), each decoding its entities in place.
Status Engine::RestoreSections(const SectionSource& src, int threads) {
  auto bad = [] {
    return Status::InvalidArgument("engine checkpoint: truncated or malformed state");
  };
  if (src.sizes.empty()) return bad();
  auto fresh = std::make_unique<State>();
  State& s = *fresh;
  ByteSource head_read = [&](char* p, size_t n) { return src.read(0, p, n); };
  Reader head(src.sizes[0], head_read);
  uint64_t counts[kEntityCount];
  std::vector<Part> parts;
  if (!LoadLayout(head, src.sizes, counts, &parts)) return bad();
  LoadTail(head, s);
  if (!head.ok() || !head.done()) return bad();
  BR_RETURN_IF_ERROR(src.finish(0));
  for (int t = 0; t < kEntityCount; ++t) s.tables[t].entities.resize(counts[t]);
  std::vector<size_t> open_per_user(counts[int(Entity::kUser)]);
  std::vector<Status> done(parts.size());
  std::atomic<size_t> next{0};
  auto decode = [&] {
    for (size_t p; (p = next.fetch_add(1)) < parts.size();) {
      ByteSource read = [&](char* q, size_t n) { return src.read(p + 1, q, n); };
      Reader r(src.sizes[p + 1], read);
      auto& entities = s.tables[parts[p].table].entities;
      bool users = parts[p].table == uint32_t(Entity::kUser);
      for (uint64_t i = parts[p].first; r.ok() && i < parts[p].first + parts[p].count; ++i) {
        size_t open = 0;
        LoadEntity(r, entities[i], &open);
        if (users) open_per_user[i] = open;
      }
      done[p] = r.ok() && r.done() ? src.finish(p + 1) : bad();
      if (!done[p].ok()) next.store(parts.size());  // the others stop after their part
    }
  };
  std::vector<std::thread> helpers;
  for (int i = 1; i < std::min<int>(threads, int(parts.size())); ++i) helpers.emplace_back(decode);
  decode();
  for (auto& t : helpers) t.join();
  for (const Status& st : done) BR_RETURN_IF_ERROR(st);
  return Adopt(s, open_per_user, [] { return Status::OK(); });
}

// Checks a decoded state and swaps it in; on any error nothing changes.
Status Engine::Adopt(State& s, const std::vector<size_t>& open_per_user,
                     const std::function<Status()>& verify) {
  for (auto& table : s.tables) {
    for (uint32_t i = 0; i < table.entities.size(); ++i) {
      if (!table.index.emplace(table.entities[i].name, i).second)  // names are unique
        return Status::InvalidArgument("engine checkpoint: truncated or malformed state");
    }
  }
  if (!IdsInRange(s.tables, s.unpriced_models, s.open_sessions, open_per_user))
    return Status::InvalidArgument("engine checkpoint: an entity id is out of range");
  BR_RETURN_IF_ERROR(verify());
  LinkOpenSessions(s.tables[int(Entity::kUser)], s.open_sessions);

  std::unique_lock lock(state_->mu);
  State& to = *state_;
  for (int i = 0; i < kEntityCount; ++i) std::swap(to.tables[i], s.tables[i]);
  to.max_hour = s.max_hour, to.last_prune_hour = s.last_prune_hour,
  to.events_applied = s.events_applied;
  std::swap(to.unpriced_models, s.unpriced_models);
  std::swap(to.open_sessions, s.open_sessions);
  to.open_after_close = s.open_after_close;
  to.version.fetch_add(1, std::memory_order_release);
  lock.unlock();
  std::lock_guard snap_lock(to.snap_mu);  // snapshots of the old state hold old ids
  for (auto& by_window : to.snaps)
    for (auto& by_mask : by_window)
      for (auto& snap : by_mask) snap.reset();
  return Status::OK();
}

uint64_t Engine::OptionsHash(uint32_t version) const {
  // What Apply does with an event depends on these; the time zone, board
  // refresh and efficiency settings only shape queries.
  std::string key = std::to_string(opts_.keep_hours) + "/" + std::to_string(opts_.session_gap_ms) +
                    "/" + std::to_string(opts_.max_runs_per_user);
  std::map<std::string, double> weights(opts_.outcome_weights.begin(), opts_.outcome_weights.end());
  for (const auto& [kind, w] : weights) key += "/" + kind + "=" + std::to_string(w);
  return Hash64(key, version);
}

}  // namespace burnrate::engine
