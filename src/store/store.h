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
  std::string id;         // public key id, "k_<hex>"; printed in audit logs
  std::string hash;       // sha256 hex of the secret; the secret is never stored
  std::string role;       // admin, viewer, ingest, self, gateway
  std::string user;       // role self: the user it may see; gateway: whose usage it is
  std::string label;
  TimeMs created = 0;
  bool revoked = false;
  std::string team, project;  // role gateway: where its usage is counted ("" = from identity)
};

class Store {
 public:
  virtual ~Store() = default;

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

  virtual Status PutKey(const ApiKey& key) = 0;
  virtual Result<ApiKey> FindKeyByHash(const std::string& hash) = 0;
  virtual Result<std::vector<ApiKey>> ListKeys() = 0;
  virtual Status RevokeKey(const std::string& id) = 0;

  // Small named values (e.g. schema version, agent checkpoints).
  virtual Status PutMeta(const std::string& key, const std::string& value) = 0;
  virtual Result<std::string> GetMeta(const std::string& key) = 0;
};

struct SqliteOptions {
  bool synchronous_full = true;  // fsync at every commit; off only in benchmarks
  // Opens an existing file without writing to it (no schema, no pragmas):
  // scans and counts work beside a running server; writes fail.
  bool read_only = false;
};

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path, SqliteOptions opts = {});

}  // namespace burnrate::store
