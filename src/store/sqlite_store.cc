// SQLite implementation of the store.
//
// Events are kept in blocks: each Append() (one group commit) becomes one
// row of `event_blocks` (seq, received_min, received_max, n, data), whose
// blob is the commit's events in the columnar, zstd-compressed encoding of
// event_block.cc; an append larger than kBlockEvents events is split into
// several rows of the same transaction. A row per event made SQLite's work
// per event the committer's largest cost; a row per commit pays it once per
// commit, plus the encoder's cost per event, and stores several times fewer
// bytes per event (docs/PERFORMANCE.md, "End-to-end ingest over HTTP vs
// raw SQLite appends", item 1, has the figures). Every query burnrate
// makes of raw events is a scan in arrival order (recovery, retention,
// `burnrate events`), which blocks serve whole, so nothing needs per-event
// rows: de-duplication happens in memory (ingest/dedup_index.cc) and is
// rebuilt from the ids on start.
//
// Retention (Purge) decodes the blocks with received_min before the cut,
// folds their events into daily rollups in C++ (daily_rollups.h, the same
// grouping the SQL GROUP BY used to do), and deletes them; a block that
// straddles the cut (possible only when a caller appends events with
// different received times in one Append) is re-encoded with its younger
// events.
//
// Databases written before blocks have a row-per-event `events` table. It
// is read as it is, never migrated: scans return its rows first (they
// arrived before any block), CountEvents and Purge include it, and new
// events go to blocks only, so the old table drains as retention purges it.
// Fresh databases do not have it.
//
// Durability: the connection is opened by SqliteDb::Open (WAL,
// synchronous=FULL), so a committed transaction has reached the disk before
// Append returns.
#include <algorithm>
#include <climits>
#include <cstring>
#include <mutex>

#include "common/clock.h"
#include "store/daily_rollups.h"
#include "store/event_block.h"
#include "store/sqlite_db.h"
#include "store/store.h"

namespace burnrate::store {
namespace {

// The blob is the last column so that scans filtering on received_max
// never read the overflow pages of blocks they skip.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS event_blocks (
  seq INTEGER PRIMARY KEY,
  received_min INTEGER NOT NULL, received_max INTEGER NOT NULL, n INTEGER NOT NULL,
  data BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS rollups (
  day INTEGER NOT NULL, type INTEGER NOT NULL,
  user TEXT, team TEXT, org TEXT, project TEXT, source TEXT, model TEXT, outcome_kind TEXT,
  input INTEGER, output INTEGER, cache_read INTEGER, cache_write INTEGER, cost_nanos INTEGER,
  requests INTEGER, outcome_value REAL
);
CREATE TABLE IF NOT EXISTS api_keys (
  id TEXT PRIMARY KEY, hash TEXT UNIQUE NOT NULL, role TEXT NOT NULL, user TEXT, label TEXT,
  created INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0, team TEXT, project TEXT
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
)sql";

// A block holds at most this many events (or raw bytes): bounds the memory
// of one decoded block and the work of re-encoding a straddling block.
constexpr size_t kBlockEvents = 65536;
constexpr size_t kBlockRawBytes = size_t(32) << 20;

constexpr const char* kInsertBlock =
    "INSERT INTO event_blocks (received_min, received_max, n, data) VALUES (?,?,?,?)";
constexpr const char* kSelectBlocks =
    "SELECT seq, received_min, received_max, data FROM event_blocks WHERE received_max >= ? ORDER "
    "BY seq";

// Recovery from a checkpoint: the blocks after it, and older ones that
// listeners or the de-duplication index still need.
constexpr const char* kSelectBlocksAfter =
    "SELECT seq, received_min, received_max, data FROM event_blocks WHERE seq > ?1 OR received_max "
    ">= ?2 "
    "ORDER BY seq";

// The row-per-event table of databases written before blocks (read only).
constexpr const char* kSelectLegacy =
    "SELECT id, type, ts, received, user, team, org, project, source, session, client, model, "
    "input, output, cache_read, cache_write, cache_write_1h, cost_nanos, requests, outcome_kind, "
    "outcome_value, p_len, p_ratio, p_simhash, p_exact FROM events WHERE received >= ? ORDER BY "
    "seq";

std::string SqliteText(sqlite3_stmt* s, int col) {
  const unsigned char* t = sqlite3_column_text(s, col);
  return t ? std::string(reinterpret_cast<const char*>(t), sqlite3_column_bytes(s, col))
           : std::string();
}

// Assigns in place, reusing the string's buffer across rows.
void SqliteAssign(sqlite3_stmt* s, int col, std::string* out) {
  const unsigned char* t = sqlite3_column_text(s, col);
  if (t == nullptr) return out->clear();
  out->assign(reinterpret_cast<const char*>(t), size_t(sqlite3_column_bytes(s, col)));
}

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(std::unique_ptr<SqliteDb> conn)
      : conn_(std::move(conn)), db_(conn_->get()) {}

  // SqliteDb::Open has set the durability pragmas (none when read-only).
  Status Init(const SqliteOptions& opts) {
    has_legacy_ = HasTable("events");
    if (opts.read_only) {
      has_blocks_ = HasTable("event_blocks");
      if (!has_blocks_ && !has_legacy_)
        return Status::InvalidArgument("not a burnrate database (no event tables)");
      return Status::OK();
    }
    BR_RETURN_IF_ERROR(Exec("PRAGMA cache_size=-65536"));
    BR_RETURN_IF_ERROR(Exec("PRAGMA wal_autocheckpoint=10000"));
    BR_RETURN_IF_ERROR(Exec(kSchema));
    // Files made before gateway keys have no team and project columns.
    if (!HasColumn("api_keys", "team")) {
      BR_RETURN_IF_ERROR(
          Exec("ALTER TABLE api_keys ADD COLUMN team TEXT; ALTER TABLE api_keys ADD COLUMN project "
               "TEXT"));
    }
    has_blocks_ = true;
    return Prepare(kInsertBlock, insert_);
  }

  Status Append(std::span<const model::Event> events) override {
    std::span<const model::Event> runs[] = {events};
    return AppendRuns(runs);
  }

  Status AppendRuns(std::span<const std::span<const model::Event>> runs) override {
    std::lock_guard lock(mu_);
    if (insert_.get() == nullptr) return Status::IOError("the database is open read-only");
    size_t n = 0;
    for (const auto& r : runs) n += r.size();
    if (n == 0) return Status::OK();
    BR_RETURN_IF_ERROR(Exec("BEGIN"));
    Status st = AppendBlocks(runs);
    if (!st.ok()) {
      writer_.Clear();
      (void)Exec("ROLLBACK");
      return st;
    }
    return Exec("COMMIT");
  }

  Status ScanEvents(TimeMs from, const std::function<Status(const model::Event&)>& fn) override {
    return ScanEventBatches(from, [&](std::span<const model::Event> events) {
      for (const model::Event& e : events) BR_RETURN_IF_ERROR(fn(e));
      return Status::OK();
    });
  }

  Status ScanEventBatches(TimeMs from,
                          const std::function<Status(std::span<const model::Event>)>& fn) override {
    return ScanEventBlocks(from, [&](std::vector<model::Event>& block) { return fn(block); });
  }

  // ScanEventBatches with the decoded block handed over mutable (the caller
  // may swap it out; Decode overwrites whatever vector is left in block_).
  Status ScanEventBlocks(TimeMs from,
                         const std::function<Status(std::vector<model::Event>&)>& fn) override {
    std::vector<model::Event> copy;
    auto copied = [&](std::span<const model::Event> events) {
      copy.assign(events.begin(), events.end());
      return fn(copy);
    };
    std::lock_guard lock(mu_);
    if (has_legacy_) BR_RETURN_IF_ERROR(ScanLegacy(from, copied));
    if (!has_blocks_) return Status::OK();
    SqliteStmt st;
    BR_RETURN_IF_ERROR(Prepare(kSelectBlocks, st));
    sqlite3_stmt* s = st.get();
    sqlite3_bind_int64(s, 1, from);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      BR_RETURN_IF_ERROR(DecodeRow(s, 3, &block_));
      if (sqlite3_column_int64(s, 1) >= from) {
        BR_RETURN_IF_ERROR(fn(block_));
        continue;
      }
      copy.clear();
      for (const model::Event& e : block_)
        if (e.received >= from) copy.push_back(e);
      if (!copy.empty()) BR_RETURN_IF_ERROR(fn(copy));
    }
    return rc == SQLITE_DONE ? Status::OK() : Error("scan event blocks");
  }

  Status ScanEventBlocksAfter(
      int64_t after_seq, TimeMs from,
      const std::function<Status(int64_t, std::vector<model::Event>&)>& fn) override {
    if (after_seq < 0) from = INT64_MIN;  // no checkpoint: everything
    std::vector<model::Event> copy;
    std::lock_guard lock(mu_);
    if (has_legacy_) {
      BR_RETURN_IF_ERROR(ScanLegacy(from, [&](std::span<const model::Event> events) {
        copy.assign(events.begin(), events.end());
        return fn(0, copy);
      }));
    }
    if (!has_blocks_) return Status::OK();
    SqliteStmt st;
    BR_RETURN_IF_ERROR(Prepare(kSelectBlocksAfter, st));
    sqlite3_stmt* s = st.get();
    sqlite3_bind_int64(s, 1, after_seq);
    sqlite3_bind_int64(s, 2, from);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      int64_t seq = sqlite3_column_int64(s, 0);
      BR_RETURN_IF_ERROR(DecodeRow(s, 3, &block_));
      if (seq > after_seq || sqlite3_column_int64(s, 1) >= from) {
        BR_RETURN_IF_ERROR(fn(seq, block_));
        continue;
      }
      copy.clear();
      for (const model::Event& e : block_)
        if (e.received >= from) copy.push_back(e);
      if (!copy.empty()) BR_RETURN_IF_ERROR(fn(seq, copy));
    }
    return rc == SQLITE_DONE ? Status::OK() : Error("scan event blocks");
  }

  Result<BlockMark> LastBlock() override {
    std::lock_guard lock(mu_);
    if (!has_blocks_) return BlockMark{};
    Result<BlockMark> b = QueryBlock("ORDER BY seq DESC LIMIT 1", -1);
    if (!b.ok() && b.status().code() == Status::Code::kNotFound) return BlockMark{};
    return b;
  }

  Result<BlockMark> FindBlock(int64_t seq) override {
    std::lock_guard lock(mu_);
    if (!has_blocks_) return Status::NotFound("no block " + std::to_string(seq));
    return QueryBlock("WHERE seq = ?", seq);
  }

  Result<int64_t> PurgedThrough() override {
    std::lock_guard lock(mu_);
    SqliteStmt st;
    BR_RETURN_IF_ERROR(Prepare("SELECT value FROM meta WHERE key = 'purged_through_seq'", st));
    if (sqlite3_step(st.get()) != SQLITE_ROW) return int64_t{0};
    return int64_t(sqlite3_column_int64(st.get(), 0));
  }

  Status ScanRollups(const std::function<Status(const model::Event&)>& fn) override {
    std::lock_guard lock(mu_);
    SqliteStmt st;
    BR_RETURN_IF_ERROR(Prepare(
        "SELECT day, type, user, team, org, project, source, model, outcome_kind, input, output, "
        "cache_read, cache_write, cost_nanos, requests, outcome_value FROM rollups ORDER BY day",
        st));
    sqlite3_stmt* s = st.get();
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      model::Event e;
      e.ts = sqlite3_column_int64(s, 0) * kDayMs;
      e.received = e.ts;
      e.type = model::EventType(sqlite3_column_int(s, 1));
      int i = 2;
      for (std::string* f :
           {&e.user, &e.team, &e.org, &e.project, &e.source, &e.model, &e.outcome_kind})
        *f = SqliteText(s, i++);
      for (int64_t* f : {&e.tokens.input, &e.tokens.output, &e.tokens.cache_read,
                         &e.tokens.cache_write, &e.cost_nanos, &e.requests})
        *f = sqlite3_column_int64(s, i++);
      e.outcome_value = sqlite3_column_double(s, i++);
      BR_RETURN_IF_ERROR(fn(e));
    }
    return rc == SQLITE_DONE ? Status::OK() : Error("scan rollups");
  }

  Result<int64_t> Purge(TimeMs before) override {
    std::lock_guard lock(mu_);
    BR_RETURN_IF_ERROR(Exec("BEGIN"));
    Result<int64_t> n = PurgeInTransaction(before);
    if (!n.ok()) {
      (void)Exec("ROLLBACK");
      return n.status();
    }
    BR_RETURN_IF_ERROR(Exec("COMMIT"));
    return n;
  }

  Result<int64_t> CountEvents() override {
    std::lock_guard lock(mu_);
    SqliteStmt st;
    std::string legacy = has_legacy_ ? "(SELECT COUNT(*) FROM events)" : "0";
    std::string blocks = has_blocks_ ? "(SELECT IFNULL(SUM(n), 0) FROM event_blocks)" : "0";
    BR_RETURN_IF_ERROR(Prepare("SELECT " + legacy + " + " + blocks, st));
    if (sqlite3_step(st.get()) != SQLITE_ROW) return Error("count events");
    return int64_t(sqlite3_column_int64(st.get(), 0));
  }

  Status PutKey(const ApiKey& k) override {
    std::lock_guard lock(mu_);
    SqliteStmt st;
    BR_RETURN_IF_ERROR(
        Prepare("INSERT OR REPLACE INTO api_keys (id, hash, role, user, label, created, revoked, "
                "team, project) "
                "VALUES (?,?,?,?,?,?,?,?,?)",
                st));
    sqlite3_stmt* s = st.get();
    sqlite3_bind_text(s, 1, k.id.c_str(), -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, k.hash.c_str(), -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, k.role.c_str(), -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, k.user.c_str(), -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, k.label.c_str(), -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 6, k.created);
    sqlite3_bind_int(s, 7, k.revoked ? 1 : 0);
    sqlite3_bind_text(s, 8, k.team.c_str(), -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 9, k.project.c_str(), -1, SQLITE_STATIC);
    return sqlite3_step(s) == SQLITE_DONE ? Status::OK() : Error("store key");
  }

  Result<ApiKey> FindKeyByHash(const std::string& hash) override {
    std::lock_guard lock(mu_);
    auto keys = QueryKeys("WHERE hash = ?", hash);
    if (!keys.ok()) return keys.status();
    if (keys->empty()) return Status::NotFound("no such key");
    return keys->front();
  }

  Result<std::vector<ApiKey>> ListKeys() override {
    std::lock_guard lock(mu_);
    return QueryKeys("", "");
  }

  Status RevokeKey(const std::string& id) override {
    std::lock_guard lock(mu_);
    SqliteStmt st;
    BR_RETURN_IF_ERROR(Prepare("UPDATE api_keys SET revoked = 1 WHERE id = ?", st));
    sqlite3_bind_text(st.get(), 1, id.c_str(), -1, SQLITE_STATIC);
    if (sqlite3_step(st.get()) != SQLITE_DONE) return Error("revoke key");
    return sqlite3_changes(db_) ? Status::OK() : Status::NotFound("no key with id " + id);
  }

  Status PutMeta(const std::string& key, const std::string& value) override {
    std::lock_guard lock(mu_);
    SqliteStmt st;
    BR_RETURN_IF_ERROR(Prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", st));
    sqlite3_bind_text(st.get(), 1, key.c_str(), -1, SQLITE_STATIC);
    sqlite3_bind_text(st.get(), 2, value.c_str(), -1, SQLITE_STATIC);
    return sqlite3_step(st.get()) == SQLITE_DONE ? Status::OK() : Error("put meta");
  }

  Result<std::string> GetMeta(const std::string& key) override {
    std::lock_guard lock(mu_);
    SqliteStmt st;
    BR_RETURN_IF_ERROR(Prepare("SELECT value FROM meta WHERE key = ?", st));
    sqlite3_bind_text(st.get(), 1, key.c_str(), -1, SQLITE_STATIC);
    if (sqlite3_step(st.get()) != SQLITE_ROW) return Status::NotFound("no meta " + key);
    return st.Col(0);
  }

 private:
  bool HasTable(const char* name) { return conn_->HasTable(name); }
  bool HasColumn(const char* table, const char* column) { return conn_->HasColumn(table, column); }

  // Writes the runs as blocks of at most kBlockEvents events / kBlockRawBytes.
  Status AppendBlocks(std::span<const std::span<const model::Event>> runs) {
    TimeMs lo = INT64_MAX, hi = INT64_MIN;
    for (const auto& run : runs) {
      for (const model::Event& e : run) {
        writer_.Add(e);
        lo = std::min(lo, e.received), hi = std::max(hi, e.received);
        if (writer_.size() >= kBlockEvents || writer_.raw_bytes() >= kBlockRawBytes) {
          BR_RETURN_IF_ERROR(InsertBlock(lo, hi));
          lo = INT64_MAX, hi = INT64_MIN;
        }
      }
    }
    return writer_.size() ? InsertBlock(lo, hi) : Status::OK();
  }

  Status InsertBlock(TimeMs lo, TimeMs hi) {
    int64_t n = int64_t(writer_.size());
    BR_RETURN_IF_ERROR(writer_.Finish(&blob_));
    sqlite3_stmt* s = insert_.get();
    sqlite3_bind_int64(s, 1, lo);
    sqlite3_bind_int64(s, 2, hi);
    sqlite3_bind_int64(s, 3, n);
    sqlite3_bind_blob(s, 4, blob_.data(), int(blob_.size()), SQLITE_STATIC);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? Status::OK() : Error("insert event block");
  }

  Status DecodeRow(sqlite3_stmt* s, int col, std::vector<model::Event>* out) {
    const void* p = sqlite3_column_blob(s, col);
    std::string_view blob(static_cast<const char*>(p),
                          p ? size_t(sqlite3_column_bytes(s, col)) : 0);
    Status st = reader_.Decode(blob, out);
    if (!st.ok())
      return Status::IOError("event block " + std::to_string(sqlite3_column_int64(s, 0)) + ": " +
                             st.message());
    return st;
  }

  // Legacy rows, in batches, before any block.
  Status ScanLegacy(TimeMs from, const std::function<Status(std::span<const model::Event>)>& fn) {
    constexpr size_t kBatch = 8192;
    SqliteStmt st;
    BR_RETURN_IF_ERROR(Prepare(kSelectLegacy, st));
    sqlite3_stmt* s = st.get();
    sqlite3_bind_int64(s, 1, from);
    std::vector<model::Event> batch(kBatch);
    size_t n = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      ReadLegacyRow(s, &batch[n]);
      if (++n < kBatch) continue;
      BR_RETURN_IF_ERROR(fn(std::span<const model::Event>(batch.data(), n)));
      n = 0;
    }
    if (rc != SQLITE_DONE) return Error("scan events");
    return n ? fn(std::span<const model::Event>(batch.data(), n)) : Status::OK();
  }

  static void ReadLegacyRow(sqlite3_stmt* s, model::Event* out) {
    model::Event& e = *out;
    int i = 0;
    SqliteAssign(s, i++, &e.id);
    e.type = model::EventType(sqlite3_column_int(s, i++));
    e.ts = sqlite3_column_int64(s, i++);
    e.received = sqlite3_column_int64(s, i++);
    for (std::string* f :
         {&e.user, &e.team, &e.org, &e.project, &e.source, &e.session, &e.client, &e.model})
      SqliteAssign(s, i++, f);
    for (int64_t* f : {&e.tokens.input, &e.tokens.output, &e.tokens.cache_read,
                       &e.tokens.cache_write, &e.tokens.cache_write_1h, &e.cost_nanos, &e.requests})
      *f = sqlite3_column_int64(s, i++);
    SqliteAssign(s, i++, &e.outcome_kind);
    e.outcome_value = sqlite3_column_double(s, i++);
    int64_t plen = sqlite3_column_int64(s, i++);
    e.prompt.present = plen >= 0;
    e.prompt.length = uint32_t(std::max<int64_t>(plen, 0));
    e.prompt.compress_ratio = float(sqlite3_column_double(s, i++));
    e.prompt.simhash = uint64_t(sqlite3_column_int64(s, i++));
    e.prompt.exact_hash = uint64_t(sqlite3_column_int64(s, i++));
  }

  Result<int64_t> PurgeInTransaction(TimeMs before) {
    if (insert_.get() == nullptr) return Status::IOError("the database is open read-only");
    int64_t folded = 0;
    std::string b = std::to_string(before);
    if (has_legacy_) {
      // Outcome rows keep their kind; usage rows their model. Days are UTC.
      BR_RETURN_IF_ERROR(Exec(
          "INSERT INTO rollups SELECT ts / 86400000, type, user, team, org, project, source, "
          "model, "
          "outcome_kind, SUM(input), SUM(output), SUM(cache_read), SUM(cache_write), "
          "SUM(cost_nanos), "
          "SUM(requests), SUM(outcome_value) FROM events WHERE received < " +
          b +
          " GROUP BY ts / 86400000, type, user, team, org, project, source, model, outcome_kind"));
      BR_RETURN_IF_ERROR(Exec("DELETE FROM events WHERE received < " + b));
      folded += sqlite3_changes64(db_);
    }
    DailyRollups rollups;
    std::vector<int64_t> deleted;
    std::vector<std::pair<int64_t, std::vector<model::Event>>>
        kept;  // straddling blocks: seq, younger events
    {
      SqliteStmt st;
      BR_RETURN_IF_ERROR(
          Prepare("SELECT seq, received_min, received_max, data FROM event_blocks "
                  "WHERE received_min < ? ORDER BY seq",
                  st));
      sqlite3_stmt* s = st.get();
      sqlite3_bind_int64(s, 1, before);
      int rc;
      while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        BR_RETURN_IF_ERROR(DecodeRow(s, 3, &block_));
        std::vector<model::Event> younger;
        for (const model::Event& e : block_) {
          if (e.received >= before) {
            younger.push_back(e);
            continue;
          }
          rollups.Add(e);
          ++folded;
        }
        int64_t seq = sqlite3_column_int64(s, 0);
        if (younger.empty()) {
          deleted.push_back(seq);
        } else {
          kept.emplace_back(seq, std::move(younger));
        }
      }
      if (rc != SQLITE_DONE) return Error("scan event blocks");
    }
    BR_RETURN_IF_ERROR(DeleteBlocks(deleted));
    for (auto& [seq, events] : kept) BR_RETURN_IF_ERROR(RewriteBlock(seq, events));
    BR_RETURN_IF_ERROR(InsertRollups(rollups.TakeRows()));
    int64_t touched = deleted.empty() ? 0 : *std::max_element(deleted.begin(), deleted.end());
    for (const auto& k : kept) touched = std::max(touched, k.first);
    if (touched > 0) BR_RETURN_IF_ERROR(RaisePurgedThrough(touched));
    return folded;
  }

  // Checkpoints through a block at or below this seq may have counted
  // events that are rollups now; see EventStore::PurgedThrough.
  Status RaisePurgedThrough(int64_t seq) {
    return Exec("INSERT INTO meta (key, value) VALUES ('purged_through_seq', " +
                std::to_string(seq) +
                ") ON CONFLICT (key) DO UPDATE SET value = max(CAST(value AS INTEGER), "
                "CAST(excluded.value AS INTEGER))");
  }

  Result<BlockMark> QueryBlock(const std::string& tail, int64_t arg) {
    SqliteStmt st;
    BR_RETURN_IF_ERROR(Prepare("SELECT seq, received_max, n FROM event_blocks " + tail, st));
    if (arg >= 0) sqlite3_bind_int64(st.get(), 1, arg);
    int rc = sqlite3_step(st.get());
    if (rc == SQLITE_DONE) return Status::NotFound("no block " + std::to_string(arg));
    if (rc != SQLITE_ROW) return Error("read block position");
    return BlockMark{sqlite3_column_int64(st.get(), 0), sqlite3_column_int64(st.get(), 1),
                     sqlite3_column_int64(st.get(), 2)};
  }

  Status DeleteBlocks(const std::vector<int64_t>& seqs) {
    SqliteStmt st;
    BR_RETURN_IF_ERROR(Prepare("DELETE FROM event_blocks WHERE seq = ?", st));
    for (int64_t seq : seqs) {
      sqlite3_bind_int64(st.get(), 1, seq);
      int rc = sqlite3_step(st.get());
      sqlite3_reset(st.get());
      if (rc != SQLITE_DONE) return Error("delete event block");
    }
    return Status::OK();
  }

  Status RewriteBlock(int64_t seq, const std::vector<model::Event>& events) {
    TimeMs lo = INT64_MAX;
    for (const model::Event& e : events) writer_.Add(e), lo = std::min(lo, e.received);
    int64_t n = int64_t(writer_.size());
    BR_RETURN_IF_ERROR(writer_.Finish(&blob_));
    SqliteStmt st;
    BR_RETURN_IF_ERROR(
        Prepare("UPDATE event_blocks SET received_min = ?, n = ?, data = ? WHERE seq = ?", st));
    sqlite3_bind_int64(st.get(), 1, lo);
    sqlite3_bind_int64(st.get(), 2, n);
    sqlite3_bind_blob(st.get(), 3, blob_.data(), int(blob_.size()), SQLITE_STATIC);
    sqlite3_bind_int64(st.get(), 4, seq);
    return sqlite3_step(st.get()) == SQLITE_DONE ? Status::OK() : Error("rewrite event block");
  }

  Status InsertRollups(const std::vector<model::Event>& rows) {
    SqliteStmt st;
    BR_RETURN_IF_ERROR(
        Prepare("INSERT INTO rollups (day, type, user, team, org, project, source, model, "
                "outcome_kind, input, output, cache_read, cache_write, cost_nanos, requests, "
                "outcome_value) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                st));
    sqlite3_stmt* s = st.get();
    for (const model::Event& r : rows) {
      int i = 1;
      sqlite3_bind_int64(s, i++, r.ts / kDayMs);
      sqlite3_bind_int(s, i++, int(r.type));
      for (const std::string* f :
           {&r.user, &r.team, &r.org, &r.project, &r.source, &r.model, &r.outcome_kind})
        sqlite3_bind_text(s, i++, f->data(), int(f->size()), SQLITE_STATIC);
      for (int64_t v : {r.tokens.input, r.tokens.output, r.tokens.cache_read, r.tokens.cache_write,
                        r.cost_nanos, r.requests})
        sqlite3_bind_int64(s, i++, v);
      sqlite3_bind_double(s, i++, r.outcome_value);
      int rc = sqlite3_step(s);
      sqlite3_reset(s);
      if (rc != SQLITE_DONE) return Error("insert rollup");
    }
    return Status::OK();
  }

  Result<std::vector<ApiKey>> QueryKeys(const std::string& where, const std::string& arg) {
    SqliteStmt st;
    BR_RETURN_IF_ERROR(Prepare(
        "SELECT id, hash, role, user, label, created, revoked, team, project FROM api_keys " +
            where + " ORDER BY created",
        st));
    if (!where.empty()) sqlite3_bind_text(st.get(), 1, arg.c_str(), -1, SQLITE_STATIC);
    std::vector<ApiKey> out;
    int rc;
    while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
      sqlite3_stmt* s = st.get();
      out.push_back({SqliteText(s, 0), SqliteText(s, 1), SqliteText(s, 2), SqliteText(s, 3),
                     SqliteText(s, 4), sqlite3_column_int64(s, 5), sqlite3_column_int(s, 6) != 0,
                     SqliteText(s, 7), SqliteText(s, 8)});
    }
    if (rc != SQLITE_DONE) return Error("list keys");
    return out;
  }

  Status Exec(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string m = err ? err : "unknown error";
      sqlite3_free(err);
      return Status::IOError("sqlite: " + m);
    }
    return Status::OK();
  }

  Status Prepare(const std::string& sql, SqliteStmt& st) {
    if (!st.Prepare(db_, sql).ok()) return Error("prepare");
    return Status::OK();
  }

  Status Error(const char* what) {
    return Status::IOError(std::string("sqlite ") + what + ": " + sqlite3_errmsg(db_));
  }

  // Guards db_ and insert_: the connection is opened without SQLite's own
  // mutex (which would be taken on every column read), so every use of it
  // holds this lock instead.
  std::mutex mu_;
  std::unique_ptr<SqliteDb> conn_;  // opened kCallerLocks: every use holds mu_
  sqlite3* db_;                     // conn_'s handle
  bool has_legacy_ = false;         // the database has the pre-block `events` table
  bool has_blocks_ = false;         // ... and `event_blocks` (only a read-only open may lack it)
  SqliteStmt insert_;               // guarded by mu_, as are the four below
  EventBlockWriter writer_;
  EventBlockReader reader_;
  std::string blob_;
  std::vector<model::Event> block_;  // the last decoded block (reused buffers)
};

}  // namespace

Status EventStore::AppendRuns(std::span<const std::span<const model::Event>> runs) {
  std::vector<model::Event> all;
  for (const auto& r : runs) all.insert(all.end(), r.begin(), r.end());
  return Append(all);
}

Status EventStore::AppendRunsReporting(std::span<const std::span<const model::Event>> runs,
                                       std::vector<const model::Event*>* lost) {
  lost->clear();
  return AppendRuns(runs);
}

Status EventStore::ScanEventBatches(
    TimeMs from, const std::function<Status(std::span<const model::Event>)>& fn) {
  constexpr size_t kBatch = 8192;
  std::vector<model::Event> batch;
  batch.reserve(kBatch);
  BR_RETURN_IF_ERROR(ScanEvents(from, [&](const model::Event& e) {
    batch.push_back(e);
    if (batch.size() < kBatch) return Status::OK();
    Status st = fn(batch);
    batch.clear();
    return st;
  }));
  return batch.empty() ? Status::OK() : fn(batch);
}

Status EventStore::ScanEventBlocks(TimeMs from,
                                   const std::function<Status(std::vector<model::Event>&)>& fn) {
  std::vector<model::Event> batch;
  return ScanEventBatches(from, [&](std::span<const model::Event> events) {
    batch.assign(events.begin(), events.end());
    return fn(batch);
  });
}

Status EventStore::ScanEventBlocksAfter(
    int64_t after_seq, TimeMs,
    const std::function<Status(int64_t, std::vector<model::Event>&)>& fn) {
  if (after_seq >= 0) return Status::Unsupported("this store cannot resume from a checkpoint");
  return ScanEventBlocks(INT64_MIN,
                         [&](std::vector<model::Event>& events) { return fn(0, events); });
}

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path, SqliteOptions opts) {
  BR_ASSIGN_OR_RETURN(
      auto conn, SqliteDb::Open(path, opts, "database " + path, SqliteDb::Threading::kCallerLocks));
  auto store = std::make_unique<SqliteStore>(std::move(conn));
  Status st = store->Init(opts);
  if (!st.ok()) return Status::IOError(path + ": " + st.message());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace burnrate::store
