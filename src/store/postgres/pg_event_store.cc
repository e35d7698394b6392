// store::Store (events, keys, meta) on PostgreSQL, for several nodes
// sharing one database.
//
// Events: one row of `event_blocks` per block, as in SQLite
// (sqlite_store.cc): seq, received_min, received_max, n and the block's
// events in the encoding of event_block.cc (bytea, sent and read in binary).
// The table is partitioned by day (received_min's UTC day), a partition
// created on first use (event_blocks_d<day>).
//
// Global order: seq comes from one sequence, and each append takes a
// transaction-level advisory lock just before its block INSERT, held to
// COMMIT, so blocks become visible in seq order on every node (a reader
// that saw seq N has seen every block below N). The price: appends from
// different nodes commit one after the other.
//
// Idempotency across nodes: every event id goes to `event_ids` (id PRIMARY
// KEY) in the same transaction as its block; the block holds only the
// events whose id was inserted. The ids go by one binary COPY, which a
// single id held already fails whole; the append is then redone with
// INSERT ... ON CONFLICT DO NOTHING RETURNING id (InsertIds says why two
// paths). Two nodes posting the same id at once: the second waits on the
// first's uncommitted key, then drops the event. Ids are inserted sorted,
// so two appends with overlapping ids cannot deadlock each other; a
// deadlock or a partition dropped under the append is retried.
// Events with an empty id are always stored.
//
// Append-only hot path: an append is a COPY (ids) and INSERTs (blocks); no
// counter is updated per event.
//
// Retention (Purge): under an advisory lock (one purge at a time over all
// nodes), the blocks with received_min before the cut are decoded and
// folded into `rollups` (daily_rollups.h); a block straddling the cut is
// re-inserted, with its younger events and its seq, in the partition of
// their day. Then each partition whose whole day is before the cut is
// dropped (DROP TABLE: no dead rows, nothing for VACUUM); only the
// partition of the cut's own day has rows deleted. `event_ids` rows of the
// folded events are deleted (a narrow table; autovacuum reclaims it),
// found by a BRIN index on received.
#include <endian.h>

#include <algorithm>
#include <climits>
#include <mutex>
#include <set>
#include <unordered_set>

#include "common/clock.h"
#include "store/daily_rollups.h"
#include "store/event_block.h"
#include "store/postgres/pg_db.h"
#include "store/postgres/pg_stores.h"

namespace burnrate::store {
namespace {

constexpr const char* kSchema = R"sql(
CREATE SEQUENCE IF NOT EXISTS event_blocks_seq;
CREATE TABLE IF NOT EXISTS event_blocks (
  seq BIGINT NOT NULL, day BIGINT NOT NULL,
  received_min BIGINT NOT NULL, received_max BIGINT NOT NULL, n BIGINT NOT NULL,
  data BYTEA NOT NULL) PARTITION BY RANGE (day);
CREATE INDEX IF NOT EXISTS event_blocks_by_seq ON event_blocks (seq);
-- A block is zstd already: PostgreSQL's own compression (pglz) of it only
-- costs CPU (8% of the server's time per append, measured). Out of line,
-- uncompressed; partitions, existing and new, take it from the parent.
DO $$ BEGIN
  IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'event_blocks'::regclass
             AND attname = 'data' AND attstorage <> 'e') THEN
    ALTER TABLE event_blocks ALTER COLUMN data SET STORAGE EXTERNAL;
  END IF;
END $$;
-- Ids compare as bytes (COLLATE "C"): no locale in the per-id key
-- comparisons. A database made before 2026-12-06 keeps its column's
-- collation (the same equality, slower comparisons; docs/scale-out.md,
-- "Upgrading the event_ids table").
CREATE TABLE IF NOT EXISTS event_ids (id TEXT COLLATE "C" PRIMARY KEY, received BIGINT NOT NULL);
-- Purge deletes the ids of folded events by arrival. Rows go in in
-- arrival order, so a BRIN index (a min/max per 128 pages, next to free to
-- keep up) finds them; it replaced a B-tree, whose insert per id cost
-- PostgreSQL about a fifth of the id's whole cost.
CREATE INDEX IF NOT EXISTS event_ids_received_brin ON event_ids USING brin (received);
DROP INDEX IF EXISTS event_ids_received;
CREATE TABLE IF NOT EXISTS rollups (
  day BIGINT NOT NULL, type INTEGER NOT NULL,
  "user" TEXT NOT NULL, team TEXT NOT NULL, org TEXT NOT NULL, project TEXT NOT NULL,
  source TEXT NOT NULL, model TEXT NOT NULL, outcome_kind TEXT NOT NULL,
  input BIGINT NOT NULL, output BIGINT NOT NULL, cache_read BIGINT NOT NULL,
  cache_write BIGINT NOT NULL, cost_nanos BIGINT NOT NULL, requests BIGINT NOT NULL,
  outcome_value DOUBLE PRECISION NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
)sql";

constexpr size_t kBlockEvents = 65536;  // as in SQLite: bounds a decoded block
constexpr size_t kBlockRawBytes = size_t(32) << 20;
constexpr int kScanPage = 16;            // blocks per round trip of a scan
constexpr int kSlowAppends = 16;         // appends on the slow id path after a conflict
constexpr int64_t kOrderLock = 4242002;  // advisory lock: block order
constexpr int64_t kPurgeLock = 4242003;  // advisory lock: one purge at a time

constexpr const char* kBlockColumns =
    "SELECT seq, received_min, received_max, data FROM event_blocks ";

int64_t DayOf(TimeMs t) { return t >= 0 ? t / kDayMs : -((-t + kDayMs - 1) / kDayMs); }

std::string PartitionName(int64_t day) {
  return "event_blocks_d" + (day < 0 ? "m" + std::to_string(-day) : std::to_string(day));
}

// A PostgreSQL array literal of text values: {"a","b\"c"}.
std::string TextArray(const std::vector<std::string_view>& v) {
  std::string out = "{";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char c : v[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

std::string IntArray(const std::vector<int64_t>& v) {
  std::string out = "{";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? "," : "") + std::to_string(v[i]);
  return out + "}";
}

// The binary COPY stream of (id text, received bigint) rows: signature,
// flags and header extension, then per row the field count and each field
// as length + bytes (integers in network order), then -1.
void EncodeIdCopy(const std::vector<const model::Event*>& events, std::string* out) {
  auto put16 = [out](uint16_t v) {
    v = htobe16(v);
    out->append(reinterpret_cast<const char*>(&v), 2);
  };
  auto put32 = [out](uint32_t v) {
    v = htobe32(v);
    out->append(reinterpret_cast<const char*>(&v), 4);
  };
  out->assign("PGCOPY\n\xff\r\n\0", 11);
  put32(0), put32(0);
  for (const model::Event* e : events) {
    put16(2);
    put32(uint32_t(e->id.size()));
    out->append(e->id);
    put32(8);
    uint64_t r = htobe64(uint64_t(e->received));
    out->append(reinterpret_cast<const char*>(&r), 8);
  }
  put16(0xffff);
}

class PgStore final : public Store {
 public:
  PgStore(std::unique_ptr<PgDb> db, std::unique_ptr<KeyStore> keys, std::string conninfo)
      : db_(std::move(db)), keys_(std::move(keys)), conninfo_(std::move(conninfo)) {}

  Status Append(std::span<const model::Event> events) override {
    std::span<const model::Event> runs[] = {events};
    return AppendRuns(runs);
  }

  Status AppendRuns(std::span<const std::span<const model::Event>> runs) override {
    std::vector<const model::Event*> lost;
    return AppendRunsReporting(runs, &lost);
  }

  bool shared_log() const override { return true; }

  Status AppendRunsReporting(std::span<const std::span<const model::Event>> runs,
                             std::vector<const model::Event*>* lost) override {
    std::lock_guard lock(mu_);
    lost->clear();
    size_t n = 0;
    for (const auto& r : runs) n += r.size();
    if (n == 0) return Status::OK();
    Status st;
    for (int attempt = 0; attempt < 5; ++attempt) {
      lost->clear();
      st = EnsurePartitions(runs);
      if (st.ok()) st = db_->Transaction([&] { return AppendInTransaction(runs, lost); });
      writer_.Clear();
      ForgetUncommitted(st.ok());
      if (st.ok()) return st;
      const std::string& code = db_->last_sqlstate();
      if (code == "23505") {
        slow_appends_ = kSlowAppends;  // an id held already: the slow path (InsertIds)
      } else if (code == "23514" || code == "42P01") {
        partitions_.clear();  // a purge dropped a partition we thought we had
      } else if (code != "40P01" && code != "40001") {
        return st;
      }
    }
    return st;
  }

  Status ScanEvents(TimeMs from, const std::function<Status(const model::Event&)>& fn) override {
    return ScanEventBlocks(from, [&](std::vector<model::Event>& events) {
      for (const model::Event& e : events) BR_RETURN_IF_ERROR(fn(e));
      return Status::OK();
    });
  }

  Status ScanEventBatches(TimeMs from,
                          const std::function<Status(std::span<const model::Event>)>& fn) override {
    return ScanEventBlocks(from, [&](std::vector<model::Event>& events) { return fn(events); });
  }

  Status ScanEventBlocks(TimeMs from,
                         const std::function<Status(std::vector<model::Event>&)>& fn) override {
    return ScanEventBlocksAfter(INT64_MAX, from,
                                [&](int64_t, std::vector<model::Event>& b) { return fn(b); });
  }

  // Pages through the blocks by seq (kScanPage a round trip), so a scan of
  // the whole log never holds more than one page in memory.
  Status ScanEventBlocksAfter(
      int64_t after_seq, TimeMs from,
      const std::function<Status(int64_t, std::vector<model::Event>&)>& fn) override {
    if (after_seq < 0) from = INT64_MIN;  // no checkpoint: everything
    std::lock_guard lock(mu_);
    std::vector<model::Event> copy;
    int64_t cursor = INT64_MIN;
    std::string after = PgInt(after_seq), since = PgInt(from), page = PgInt(kScanPage);
    for (;;) {
      std::string c = PgInt(cursor);
      BR_ASSIGN_OR_RETURN(
          PgResult r, db_->QueryFormats(std::string(kBlockColumns) +
                                            "WHERE seq > $1 AND (seq > $2 OR received_max >= $3) "
                                            "ORDER BY seq LIMIT $4",
                                        {c, after, since, page}, {0, 0, 0, 0}, true));
      for (int i = 0; i < r.rows(); ++i) {
        int64_t seq = r.BinInt64(i, 0);
        cursor = seq;
        BR_RETURN_IF_ERROR(Decode(r, i, &block_));
        if (seq > after_seq || r.BinInt64(i, 1) >= from) {
          BR_RETURN_IF_ERROR(fn(seq, block_));
          continue;
        }
        copy.clear();
        for (const model::Event& e : block_)
          if (e.received >= from) copy.push_back(e);
        if (!copy.empty()) BR_RETURN_IF_ERROR(fn(seq, copy));
      }
      if (r.rows() < kScanPage) return Status::OK();
    }
  }

  Status ScanRollups(const std::function<Status(const model::Event&)>& fn) override {
    std::lock_guard lock(mu_);
    BR_ASSIGN_OR_RETURN(
        PgResult r,
        db_->Query(R"(SELECT day, type, "user", team, org, project, source, model, outcome_kind,
                      input, output, cache_read, cache_write, cost_nanos, requests, outcome_value
                      FROM rollups ORDER BY day)"));
    for (int row = 0; row < r.rows(); ++row) {
      model::Event e;
      e.ts = r.Int64(row, 0) * kDayMs;
      e.received = e.ts;
      e.type = model::EventType(r.Int64(row, 1));
      int i = 2;
      for (std::string* f :
           {&e.user, &e.team, &e.org, &e.project, &e.source, &e.model, &e.outcome_kind})
        *f = r.Str(row, i++);
      for (int64_t* f : {&e.tokens.input, &e.tokens.output, &e.tokens.cache_read,
                         &e.tokens.cache_write, &e.cost_nanos, &e.requests})
        *f = r.Int64(row, i++);
      e.outcome_value = r.Double(row, i++);
      BR_RETURN_IF_ERROR(fn(e));
    }
    return Status::OK();
  }

  Result<int64_t> Purge(TimeMs before) override {
    std::lock_guard lock(mu_);
    int64_t folded = 0;
    BR_RETURN_IF_ERROR(db_->Transaction([&]() -> Status {
      BR_ASSIGN_OR_RETURN(folded, PurgeInTransaction(before));
      return Status::OK();
    }));
    partitions_.clear();  // some may be gone
    return folded;
  }

  Result<int64_t> CountEvents() override {
    std::lock_guard lock(mu_);
    BR_ASSIGN_OR_RETURN(PgResult r, db_->Query("SELECT COALESCE(SUM(n), 0) FROM event_blocks"));
    return r.Int64(0, 0);
  }

  // A connection of its own (opened on first use), so a poll never waits
  // behind an append that waits for another node's order lock.
  // Own blocks: the list sent with the query saves reading their data, but
  // a block of this node's committed between that list and the query's
  // snapshot comes back with its data; so each row is checked again after
  // the query (a seq is noted before its COMMIT, so by then it is known).
  // Without that check a node counted such a block twice (committer and
  // tail).
  Result<int64_t> TailBlocks(
      int64_t after_seq, int max_blocks,
      const std::function<Status(int64_t, std::vector<model::Event>&)>& fn) override {
    std::lock_guard lock(tail_mu_);
    if (!tail_db_) {
      BR_ASSIGN_OR_RETURN(tail_db_, PgDb::Open(conninfo_, "postgres tail"));
    }
    std::string own;
    {
      std::lock_guard own_lock(own_mu_);
      own_.erase(own_.begin(), own_.upper_bound(after_seq));
      own = IntArray(std::vector<int64_t>(own_.begin(), own_.end()));
    }
    BR_ASSIGN_OR_RETURN(
        PgResult r,
        tail_db_->QueryFormats("SELECT seq, received_min, received_max, CASE WHEN seq = "
                               "ANY($2::bigint[]) THEN NULL ELSE data END FROM event_blocks "
                               "WHERE seq > $1 ORDER BY seq LIMIT $3",
                               {PgInt(after_seq), own, PgInt(max_blocks)}, {0, 0, 0}, true));
    int64_t through = after_seq;
    for (int i = 0; i < r.rows(); ++i) {
      through = r.BinInt64(i, 0);
      if (PQgetisnull(r.get(), i, 3) || IsOwn(through)) continue;  // this node's own block
      Status st = tail_reader_.Decode(r.Bytes(i, 3), &tail_block_);
      if (!st.ok()) return Status::IOError("event block " + PgInt(through) + ": " + st.message());
      BR_RETURN_IF_ERROR(fn(through, tail_block_));
    }
    return through;
  }

  bool IsOwn(int64_t seq) {
    std::lock_guard own_lock(own_mu_);
    return own_.count(seq) > 0;
  }

  Result<BlockMark> LastBlock() override {
    std::lock_guard lock(mu_);
    Result<BlockMark> b = QueryBlock("ORDER BY seq DESC LIMIT 1", {});
    if (!b.ok() && b.status().code() == Status::Code::kNotFound) return BlockMark{};
    return b;
  }

  Result<BlockMark> FindBlock(int64_t seq) override {
    std::lock_guard lock(mu_);
    return QueryBlock("WHERE seq = $1", {PgInt(seq)});
  }

  Result<int64_t> PurgedThrough() override {
    std::lock_guard lock(mu_);
    BR_ASSIGN_OR_RETURN(PgResult r,
                        db_->Query("SELECT value FROM meta WHERE key = 'purged_through_seq'"));
    return r.rows() ? r.Int64(0, 0) : int64_t{0};
  }

  Status PutKey(const ApiKey& key) override { return keys_->PutKey(key); }
  Result<ApiKey> FindKeyByHash(const std::string& hash) override {
    return keys_->FindKeyByHash(hash);
  }
  Result<std::vector<ApiKey>> ListKeys() override { return keys_->ListKeys(); }
  Status RevokeKey(const std::string& id) override { return keys_->RevokeKey(id); }

  Status PutMeta(const std::string& key, const std::string& value) override {
    std::lock_guard lock(mu_);
    return db_
        ->Query(
            "INSERT INTO meta (key, value) VALUES ($1, $2) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            {key, value})
        .status();
  }

  Result<std::string> GetMeta(const std::string& key) override {
    std::lock_guard lock(mu_);
    BR_ASSIGN_OR_RETURN(PgResult r, db_->Query("SELECT value FROM meta WHERE key = $1", {key}));
    if (r.rows() == 0) return Status::NotFound("no meta " + key);
    return r.Str(0, 0);
  }

 private:
  // Creates the partitions of the days these events' blocks will go to
  // (each in its own short transaction, under the schema lock, so nodes
  // creating the same day do not race). mu_ held.
  Status EnsurePartitions(std::span<const std::span<const model::Event>> runs) {
    for (const auto& run : runs) {
      for (const model::Event& e : run) {
        int64_t day = DayOf(e.received);
        if (partitions_.count(day)) continue;
        BR_RETURN_IF_ERROR(CreatePartition(day));
      }
    }
    return Status::OK();
  }

  Status CreatePartition(int64_t day) {
    BR_RETURN_IF_ERROR(db_->EnsureSchema("CREATE TABLE IF NOT EXISTS " + PartitionName(day) +
                                         " PARTITION OF event_blocks FOR VALUES FROM (" +
                                         std::to_string(day) + ") TO (" + std::to_string(day + 1) +
                                         ")"));
    partitions_.insert(day);
    return Status::OK();
  }

  // Inside the append's transaction: the ids that win, then the blocks of
  // their events under the order lock. mu_ held.
  Status AppendInTransaction(std::span<const std::span<const model::Event>> runs,
                             std::vector<const model::Event*>* lost) {
    std::vector<const model::Event*> with_id;
    for (const auto& run : runs)
      for (const model::Event& e : run)
        if (!e.id.empty()) with_id.push_back(&e);
    std::sort(with_id.begin(), with_id.end(),
              [](const model::Event* a, const model::Event* b) { return a->id < b->id; });
    with_id.erase(
        std::unique(with_id.begin(), with_id.end(),
                    [](const model::Event* a, const model::Event* b) { return a->id == b->id; }),
        with_id.end());
    std::unordered_set<std::string_view> won;
    if (!with_id.empty()) BR_RETURN_IF_ERROR(InsertIds(with_id, &won));
    BR_RETURN_IF_ERROR(db_->Exec("SELECT pg_advisory_xact_lock(" + PgInt(kOrderLock) + ")"));
    TimeMs lo = INT64_MAX, hi = INT64_MIN;
    int64_t day = 0;
    for (const auto& run : runs) {
      for (const model::Event& e : run) {
        // A duplicate of a stored id (or of an earlier event of this append).
        if (!e.id.empty() && won.erase(e.id) == 0) {
          lost->push_back(&e);
          continue;
        }
        int64_t d = DayOf(e.received);
        if (writer_.size() &&
            (d != day || writer_.size() >= kBlockEvents || writer_.raw_bytes() >= kBlockRawBytes)) {
          BR_RETURN_IF_ERROR(InsertBlock(day, lo, hi, "nextval('event_blocks_seq')", true));
          lo = INT64_MAX, hi = INT64_MIN;
        }
        day = d;
        writer_.Add(e);
        lo = std::min(lo, e.received), hi = std::max(hi, e.received);
      }
    }
    return writer_.size() ? InsertBlock(day, lo, hi, "nextval('event_blocks_seq')", true)
                          : Status::OK();
  }

  // The distinct ids of an append (sorted) into event_ids; `won`: those
  // that were new (views of the events' ids). Fast path: one binary COPY of
  // them all, which fails whole (23505, unique_violation) if any is held
  // already, committed or not (it waits for an uncommitted holder). The
  // append is then retried on the slow path, INSERT ... ON CONFLICT DO
  // NOTHING RETURNING id, and so are the next kSlowAppends appends (a
  // client re-posting through another node). Why not always the slow path:
  // ON CONFLICT is a speculative insertion, a conflict probe and then the
  // insertion's own unique check per row, and the ids travel as a text
  // array literal; the COPY costs PostgreSQL a third to a half the CPU
  // (docs/PERFORMANCE.md, "Two nodes on one PostgreSQL", 2026-12-06).
  Status InsertIds(const std::vector<const model::Event*>& with_id,
                   std::unordered_set<std::string_view>* won) {
    won->reserve(with_id.size());
    if (slow_appends_ == 0) {
      EncodeIdCopy(with_id, &copy_);
      BR_RETURN_IF_ERROR(
          db_->CopyIn("COPY event_ids (id, received) FROM STDIN (FORMAT binary)", copy_));
      for (const model::Event* e : with_id) won->insert(e->id);
      return Status::OK();
    }
    --slow_appends_;
    std::vector<std::string_view> ids;
    std::vector<int64_t> received;
    for (const model::Event* e : with_id) ids.push_back(e->id), received.push_back(e->received);
    BR_ASSIGN_OR_RETURN(PgResult r,
                        db_->Query("INSERT INTO event_ids (id, received) SELECT * FROM "
                                   "unnest($1::text[], $2::bigint[]) ON CONFLICT DO NOTHING "
                                   "RETURNING id",
                                   {TextArray(ids), IntArray(received)}));
    for (int i = 0; i < r.rows(); ++i) {
      std::string_view id = r.Bytes(i, 0);
      auto it =
          std::lower_bound(with_id.begin(), with_id.end(), id,
                           [](const model::Event* e, std::string_view v) { return e->id < v; });
      if (it != with_id.end() && (*it)->id == id) won->insert((*it)->id);
    }
    return Status::OK();
  }

  // Writes writer_'s events as one block; `seq` is SQL (nextval, or a kept
  // seq when retention rewrites a block).
  // `own`: a new block of this node's, which its tail must skip; noted
  // before COMMIT (no reader sees it earlier) and forgotten again if the
  // transaction fails (ForgetUncommitted).
  Status InsertBlock(int64_t day, TimeMs lo, TimeMs hi, const std::string& seq, bool own = false) {
    std::string n = PgInt(int64_t(writer_.size()));
    BR_RETURN_IF_ERROR(writer_.Finish(&blob_));
    std::string d = PgInt(day), l = PgInt(lo), h = PgInt(hi);
    BR_ASSIGN_OR_RETURN(
        PgResult r,
        db_->QueryFormats("INSERT INTO event_blocks (seq, day, received_min, received_max, n, "
                          "data) VALUES (" +
                              seq + ", $1, $2, $3, $4, $5) RETURNING seq",
                          {d, l, h, n, blob_}, {0, 0, 0, 0, 1}, false));
    if (own) {
      int64_t s = r.Int64(0, 0);
      uncommitted_.push_back(s);
      std::lock_guard own_lock(own_mu_);
      own_.insert(s);
    }
    return Status::OK();
  }

  // After an append's transaction: its blocks stay this node's own if it
  // committed; otherwise their seqs never become visible. mu_ held.
  void ForgetUncommitted(bool committed) {
    if (!committed) {
      std::lock_guard own_lock(own_mu_);
      for (int64_t s : uncommitted_) own_.erase(s);
    }
    uncommitted_.clear();
  }

  Status Decode(const PgResult& r, int row, std::vector<model::Event>* out) {
    Status st = reader_.Decode(r.Bytes(row, 3), out);
    if (!st.ok())
      return Status::IOError("event block " + std::to_string(r.BinInt64(row, 0)) + ": " +
                             st.message());
    return st;
  }

  Result<BlockMark> QueryBlock(const std::string& tail, const std::vector<std::string>& p) {
    BR_ASSIGN_OR_RETURN(PgResult r,
                        db_->Query("SELECT seq, received_max, n FROM event_blocks " + tail, p));
    if (r.rows() == 0) return Status::NotFound("no block " + (p.empty() ? "" : p[0]));
    return BlockMark{r.Int64(0, 0), r.Int64(0, 1), r.Int64(0, 2)};
  }

  // long: one retention pass in one transaction: fold, re-insert the
  // straddling blocks, drop whole-day partitions, delete the rest, rollups,
  // ids and the purged-through mark, each a few lines.
  Result<int64_t> PurgeInTransaction(TimeMs before) {
    BR_RETURN_IF_ERROR(db_->Exec("SELECT pg_advisory_xact_lock(" + PgInt(kPurgeLock) + ")"));
    DailyRollups rollups;
    int64_t folded = 0, touched = 0;
    std::vector<std::pair<int64_t, std::vector<model::Event>>> kept;  // seq, younger events
    int64_t cursor = INT64_MIN;
    std::string b = PgInt(before), page = PgInt(kScanPage);
    for (;;) {
      std::string c = PgInt(cursor);
      BR_ASSIGN_OR_RETURN(PgResult r, db_->QueryFormats(std::string(kBlockColumns) +
                                                            "WHERE seq > $1 AND received_min < $2 "
                                                            "ORDER BY seq LIMIT $3",
                                                        {c, b, page}, {0, 0, 0}, true));
      for (int i = 0; i < r.rows(); ++i) {
        int64_t seq = r.BinInt64(i, 0);
        cursor = seq, touched = std::max(touched, seq);
        BR_RETURN_IF_ERROR(Decode(r, i, &block_));
        std::vector<model::Event> younger;
        for (const model::Event& e : block_) {
          if (e.received >= before) {
            younger.push_back(e);
            continue;
          }
          rollups.Add(e);
          ++folded;
        }
        if (!younger.empty()) kept.emplace_back(seq, std::move(younger));
      }
      if (r.rows() < kScanPage) break;
    }
    // The straddling blocks' younger events, with their seq, in their day's
    // partition (received_min >= before: never a partition dropped below).
    for (auto& [seq, events] : kept) {
      TimeMs lo = INT64_MAX, hi = INT64_MIN;
      for (const model::Event& e : events)
        writer_.Add(e), lo = std::min(lo, e.received), hi = std::max(hi, e.received);
      BR_RETURN_IF_ERROR(CreatePartitionInTransaction(DayOf(lo)));
      Status st = InsertBlock(DayOf(lo), lo, hi, PgInt(seq));
      writer_.Clear();
      BR_RETURN_IF_ERROR(st);
    }
    BR_RETURN_IF_ERROR(DropOrDelete(before));
    BR_RETURN_IF_ERROR(InsertRollups(rollups.TakeRows()));
    BR_RETURN_IF_ERROR(db_->Query("DELETE FROM event_ids WHERE received < $1", {b}).status());
    if (touched > 0) {
      BR_RETURN_IF_ERROR(
          db_->Query("INSERT INTO meta (key, value) VALUES ('purged_through_seq', $1) ON CONFLICT "
                     "(key) DO UPDATE SET value = GREATEST(meta.value::bigint, "
                     "excluded.value::bigint)::text",
                     {PgInt(touched)})
              .status());
    }
    return folded;
  }

  Status CreatePartitionInTransaction(int64_t day) {
    return db_->Exec("CREATE TABLE IF NOT EXISTS " + PartitionName(day) +
                     " PARTITION OF event_blocks FOR VALUES FROM (" + std::to_string(day) +
                     ") TO (" + std::to_string(day + 1) + ")");
  }

  // Partitions whose whole day is before the cut are dropped; in the others
  // only the folded rows (received_min before the cut) are deleted.
  Status DropOrDelete(TimeMs before) {
    BR_ASSIGN_OR_RETURN(PgResult parts,
                        db_->Query("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid "
                                   "= i.inhrelid WHERE i.inhparent = 'event_blocks'::regclass"));
    for (int i = 0; i < parts.rows(); ++i) {
      std::string name = parts.Str(i, 0);
      std::string num = name.substr(std::string("event_blocks_d").size());
      int64_t day = num.starts_with("m") ? -std::stoll(num.substr(1)) : std::stoll(num);
      if ((day + 1) * kDayMs <= before) BR_RETURN_IF_ERROR(db_->Exec("DROP TABLE " + name));
    }
    return db_->Query("DELETE FROM event_blocks WHERE received_min < $1", {PgInt(before)}).status();
  }

  Status InsertRollups(const std::vector<model::Event>& rows) {
    for (const model::Event& r : rows) {
      BR_RETURN_IF_ERROR(
          db_->Query(
                 R"(INSERT INTO rollups (day, type, "user", team, org, project, source, model,
                        outcome_kind, input, output, cache_read, cache_write, cost_nanos, requests,
                        outcome_value) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,
                        $13, $14, $15, $16))",
                 {PgInt(r.ts / kDayMs), PgInt(int64_t(r.type)), r.user, r.team, r.org, r.project,
                  r.source, r.model, r.outcome_kind, PgInt(r.tokens.input), PgInt(r.tokens.output),
                  PgInt(r.tokens.cache_read), PgInt(r.tokens.cache_write), PgInt(r.cost_nanos),
                  PgInt(r.requests), PgDouble(r.outcome_value)})
              .status());
    }
    return Status::OK();
  }

  std::mutex mu_;
  std::unique_ptr<PgDb> db_;        // guarded by mu_, as are the members below
  std::unique_ptr<KeyStore> keys_;  // its own connection and lock
  std::set<int64_t> partitions_;    // days whose partition exists (as far as we know)
  EventBlockWriter writer_;
  EventBlockReader reader_;
  std::string blob_;
  std::vector<model::Event> block_;
  std::vector<int64_t> uncommitted_;  // seqs of the append in progress
  std::string copy_;                  // the binary COPY of an append's ids
  int slow_appends_ = 0;              // appends left on InsertIds' slow path

  const std::string conninfo_;
  std::mutex own_mu_;
  std::set<int64_t>
      own_;  // guarded by own_mu_: seqs this node appended, not yet passed by its tail
  std::mutex tail_mu_;
  std::unique_ptr<PgDb> tail_db_;  // guarded by tail_mu_, as are the members below
  EventBlockReader tail_reader_;
  std::vector<model::Event> tail_block_;
};

}  // namespace

Result<std::unique_ptr<Store>> OpenPgStore(const std::string& conninfo) {
  BR_ASSIGN_OR_RETURN(auto db, PgDb::Open(conninfo, "postgres events"));
  BR_RETURN_IF_ERROR(db->EnsureSchema(kSchema));
  BR_ASSIGN_OR_RETURN(auto keys, OpenPgKeyStore(conninfo));
  return std::unique_ptr<Store>(new PgStore(std::move(db), std::move(keys), conninfo));
}

}  // namespace burnrate::store
