// The store layer's front door: durable state behind a small interface.
//
// The default implementation is an embedded SQLite file in WAL mode
// (sqlite_store.cc); PostgreSQL joins behind the same interface when several
// nodes share one organisation. The store is synchronous; the ingest
// layer's committer groups requests into one Append()/AppendRuns() per
// commit, and the SQLite store keeps each such call as one row: an event
// block (event_block.h), the commit's events compressed together. Raw
// events are only ever read back in arrival order (recovery, retention,
// `burnrate events`), a block at a time.
//
// Storage interfaces, one per domain, each small enough for a second
// implementation (PostgreSQL) to pass the same conformance suite
// (src/store/conformance/): EventStore (event blocks, rollups, positions),
// KeyStore (API keys), MetaStore (small named values) here, and in their
// own layers' front doors the governance stores (govern/govern_stores.h:
// AuditStore, PolicyStore, DeliveryStore), detect::FlagStore,
// otlp::StateStore and badges::BadgeStore. Those layers never see SQLite:
// the SQLite implementations live under src/store (sqlite_store.cc here,
// the others in src/store/sqlite/), every connection opened by
// SqliteDb::Open (sqlite_db.h), which owns the durability setting; App
// constructs them and hands each component its interface.
//
// Thread-safety: implementations are thread-safe; writes are serialised
// internally. Errors are Status::IOError with the database's message.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"
#include "model/event.h"

namespace burnrate::store {

struct ApiKey {
  std::string id;    // public key id, "k_<hex>"; printed in audit logs
  std::string hash;  // sha256 hex of the secret; the secret is never stored
  std::string role;  // admin, viewer, ingest, self, gateway
  std::string user;  // role self: the user it may see; gateway: whose usage it is
  std::string label;
  TimeMs created = 0;
  bool revoked = false;
  std::string team, project;  // role gateway: where its usage is counted ("" = from identity)
};

// Where a block of events sits in the store: its sequence number (ascending
// in arrival order) and what it holds, so a checkpoint taken "through seq"
// can later check that the block it names is still the same block.
struct BlockMark {
  int64_t seq = 0;  // 0: no block
  TimeMs received_max = 0;
  int64_t n = 0;
  bool operator==(const BlockMark&) const = default;
};

// A checkpoint of in-memory state derived from every event through a block
// (checkpoint_file.cc). `payload` is the owner's own encoding (the engine's),
// with its own version; the file adds the position, a checksum and zstd.
struct Checkpoint {
  uint32_t payload_version = 0;
  uint64_t options_hash = 0;  // the owner's settings the payload depends on
  BlockMark through;          // every event of blocks with seq <= through.seq
  TimeMs written_at = 0;
  // The payload as one stream, or in independent sections (`sections`
  // non-empty; the file then holds one zstd frame per section, so that a
  // reader can decompress them in parallel). WriteCheckpointFile writes
  // `sections` when there are any, else `payload` as one section.
  std::string payload;
  std::vector<std::string> sections;
};

// Events: appended durably (one call per group commit), read back in
// arrival order, folded into rollups by retention.
class EventStore {
 public:
  virtual ~EventStore() = default;

  // Appends events in one transaction; they are durable (synced) on return.
  virtual Status Append(std::span<const model::Event> events) = 0;
  // The same for several runs of events (the requests of one group commit),
  // in order, as one transaction, so the caller need not copy them into one
  // array. The default concatenates and calls Append.
  virtual Status AppendRuns(std::span<const std::span<const model::Event>> runs);
  // Calls fn for every stored event with received >= from, in arrival order.
  // fn returning an error stops the scan with that error.
  virtual Status ScanEvents(TimeMs received_from,
                            const std::function<Status(const model::Event&)>& fn) = 0;
  // The same scan in batches (arrival order; a batch's events are valid only
  // during the call). Recovery uses it: a store that keeps events in blocks
  // hands out whole decoded blocks. The default batches ScanEvents.
  virtual Status ScanEventBatches(TimeMs received_from,
                                  const std::function<Status(std::span<const model::Event>)>& fn);
  // The same batches for a caller that keeps them past the call (recovery's
  // pipeline hands each block to other threads): fn may swap the vector with
  // one of its own, of any size, whose events the store then overwrites; so
  // no event is copied. The default copies ScanEventBatches' batches.
  virtual Status ScanEventBlocks(TimeMs received_from,
                                 const std::function<Status(std::vector<model::Event>&)>& fn);
  // Calls fn for every daily rollup (events folded by Purge); the event
  // carries totals and `requests`; id is empty.
  virtual Status ScanRollups(const std::function<Status(const model::Event&)>& fn) = 0;
  // Folds events received before `before` into daily rollups and deletes
  // them. Returns the number of events folded.
  virtual Result<int64_t> Purge(TimeMs before) = 0;
  virtual Result<int64_t> CountEvents() = 0;

  // Positions, for checkpoints (store.h's BlockMark). The last block
  // appended (seq 0 when there is none).
  virtual Result<BlockMark> LastBlock() { return BlockMark{}; }
  // The block with this seq; NotFound when it is gone (purged) or never was.
  virtual Result<BlockMark> FindBlock(int64_t seq) {
    return Status::NotFound("no block " + std::to_string(seq));
  }
  // The highest seq that retention (Purge) ever deleted or rewrote; 0 when
  // none. A checkpoint through an older block stays valid: Purge only
  // folds what it already counted into rollups.
  virtual Result<int64_t> PurgedThrough() { return int64_t{0}; }
  // Recovery from a checkpoint through block `after_seq`: every block with
  // a higher seq whole, and of the older blocks (and of the pre-block rows,
  // seq 0) only the events received at or after `received_from`, each batch
  // with the seq of its block; arrival order. The batch may be swapped as
  // in ScanEventBlocks. The default supports after_seq < 0 only (no
  // checkpoint: every event, seq 0).
  virtual Status ScanEventBlocksAfter(
      int64_t after_seq, TimeMs received_from,
      const std::function<Status(int64_t seq, std::vector<model::Event>&)>& fn);

  // A shared log: several nodes (store objects) append to it, each tailing
  // the others' blocks (PostgreSQL). False for SQLite (one node per file).
  virtual bool shared_log() const { return false; }
  // AppendRuns, telling which events were not stored because their id was
  // stored already by another writer of a shared log (or earlier in this
  // append): `lost` gets pointers into `runs` (cleared first). Those must
  // not be counted by the caller; tailing brings the stored copy. The
  // default stores every event (lost stays empty).
  virtual Status AppendRunsReporting(std::span<const std::span<const model::Event>> runs,
                                     std::vector<const model::Event*>* lost);
  // Tailing a shared log: calls fn, in seq order, for every block with seq
  // > after_seq that other writers appended (this object's own appends are
  // skipped), at most `max_blocks` blocks read (own ones included). Returns
  // the highest seq read, own blocks included (after_seq when none): every
  // block at or below it has been seen, since blocks become visible in seq
  // order. The batch may be swapped as in ScanEventBlocks. The default (not
  // a shared log) reads nothing.
  virtual Result<int64_t> TailBlocks(
      int64_t after_seq, int max_blocks,
      const std::function<Status(int64_t seq, std::vector<model::Event>&)>& fn) {
    (void)max_blocks, (void)fn;
    return after_seq;
  }
};

// API keys (hashed; the secret is never stored). Every write is durable
// on return.
class KeyStore {
 public:
  virtual ~KeyStore() = default;
  // Inserts, or replaces the key with the same id.
  virtual Status PutKey(const ApiKey& key) = 0;
  // NotFound when no key has this hash; revoked keys are returned (revoked).
  virtual Result<ApiKey> FindKeyByHash(const std::string& hash) = 0;
  // Oldest first (by created).
  virtual Result<std::vector<ApiKey>> ListKeys() = 0;
  // NotFound when no key has this id.
  virtual Status RevokeKey(const std::string& id) = 0;
};

// Small named values (e.g. the pseudonym secret, `purged_through_seq`).
class MetaStore {
 public:
  virtual ~MetaStore() = default;
  // Inserts or replaces; durable on return.
  virtual Status PutMeta(const std::string& key, const std::string& value) = 0;
  // NotFound when the key was never put.
  virtual Result<std::string> GetMeta(const std::string& key) = 0;
};

// Events, keys and meta of one database: the SQLite file keeps them on one
// connection (sqlite_store.cc); callers that need only one part take that
// interface.
class Store : public EventStore, public KeyStore, public MetaStore {};

// Writes the checkpoint atomically: a temporary file beside `path`, fsync,
// rename over `path`, fsync of the directory. A crash at any point leaves
// either the previous file or the new one, never a mix. `format`: the
// file's framing (checkpoint_file.cc), kCheckpointFileFormat; 1 (one
// frame, `payload` only) is still written for tests of reading old files.
inline constexpr uint32_t kCheckpointFileFormat = 2;
Status WriteCheckpointFile(const std::string& path, const Checkpoint& c,
                           uint32_t format = kCheckpointFileFormat);
// Reads and verifies a checkpoint: NotFound when there is none; IOError
// saying what is wrong for a bad magic, format version, length or checksum.
// The caller checks payload_version and options_hash. A file of sections
// fills `sections` and, joined, `payload`.
Result<Checkpoint> ReadCheckpointFile(const std::string& path);

// The same read as a stream, so a payload of gigabytes is decompressed
// straight into its owner's structures, never held whole beside them (nor
// the compressed file). Open() checks the header (NotFound when there is
// no file; magic, format version and lengths) and fills header(), whose
// payload is empty; Read() hands out the next payload bytes (fewer than
// asked only at the end); Finish() then checks that the payload ended
// where the header said and that the checksum matches. Nothing read may be
// trusted before Finish() returns OK.
class CheckpointReader {
 public:
  static Result<std::unique_ptr<CheckpointReader>> Open(const std::string& path);
  ~CheckpointReader();
  const Checkpoint& header() const;
  uint64_t payload_size() const;
  Result<size_t> Read(char* p, size_t n);
  Status Finish();

  // A file of sections (format 2) can also be read section by section, on
  // several threads at once (one thread per section at a time): sections()
  // says how many (0 for a format-1 file, which only Read() serves) and
  // section_size(i) their payload lengths; ReadSection(i) hands out the
  // next bytes of section i, FinishSection(i) checks that it ended where
  // the index said and that its frame's hash matches. Open() has checked
  // the header and the index of sections against the file's checksum; a
  // section is trusted only once its FinishSection returned OK. Do not mix
  // with Read().
  size_t sections() const;
  uint64_t section_size(size_t i) const;
  Result<size_t> ReadSection(size_t i, char* p, size_t n);
  Status FinishSection(size_t i);

 private:
  CheckpointReader();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct SqliteOptions {
  bool synchronous_full = true;  // fsync at every commit; off only in benchmarks
  // Opens an existing file without writing to it (no schema, no pragmas):
  // scans and counts work beside a running server; writes fail.
  bool read_only = false;
};

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path, SqliteOptions opts = {});

}  // namespace burnrate::store
