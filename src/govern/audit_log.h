// AuditLog: the append-only record of governance decisions and changes.
//
// Append() is cheap and never touches the disk on the caller's thread: it
// queues the entry, and a writer thread commits queued entries in batches
// (one SQLite transaction per batch), so a storm of denials costs one fsync
// per batch, not per denial. The queue is bounded (kMaxQueued); when it is
// full, further entries are counted in dropped() rather than blocking the
// check path. Without a database (db == nullptr) entries are kept in memory
// (for tests and `--no-db` runs), newest kMaxQueued.
//
// Other layers record their own decisions here, e.g.
//   audit.Append({.actor = admin, .action = "key.revoke", .subject = "key:k1",
//                 .reason = "left the company"});
// Thread-safety: all methods are thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "govern/govern_stores.h"

namespace burnrate::govern {

class AuditLog {
 public:
  static constexpr size_t kMaxQueued = 100000;

  // `db` (may be null) and `clock` must outlive the log.
  AuditLog(AuditStore* db, const Clock& clock);
  ~AuditLog();  // writes what is queued, then stops the writer
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Queues an entry; `ts` is set from the clock when 0.
  void Append(AuditEntry e);
  // Returns once everything appended before the call is written.
  Status Flush();
  // Appends and waits until the entry is on disk: for changes a person
  // makes and is answered about (keys, policies, reviews), which must be as
  // durable as an acknowledged event. Decisions on the check path use
  // Append.
  Status AppendDurable(AuditEntry e);
  // Flushes, then reads newest first.
  Result<std::vector<AuditEntry>> Query(const AuditFilter& f);
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
  uint64_t appended() const { return appended_.load(std::memory_order_relaxed); }

 private:
  void WriterLoop();

  AuditStore* db_;
  const Clock& clock_;
  std::mutex mu_;
  std::condition_variable cv_;       // wakes the writer
  std::condition_variable done_cv_;  // wakes Flush() waiters
  std::deque<AuditEntry> queue_;     // guarded by mu_
  std::vector<AuditEntry> memory_;   // guarded by mu_; db_ == nullptr only
  uint64_t enqueued_seq_ = 0;        // guarded by mu_
  uint64_t written_seq_ = 0;         // guarded by mu_
  Status last_error_;                // guarded by mu_
  bool stop_ = false;                // guarded by mu_
  std::atomic<uint64_t> dropped_{0}, appended_{0};
  int64_t next_memory_id_ = 1;  // guarded by mu_
  std::thread writer_;
};

}  // namespace burnrate::govern
