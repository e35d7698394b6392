// LimitStore: where governance counters live (budgets, token buckets,
// concurrency slots), behind a small interface.
//
// The Governor decides *what* to check (which keys, limits and windows) as a
// pure function of policies, request and time; the store does the
// arithmetic atomically. One Admit() call checks every counter a request
// touches and reserves on all of them or on none, so concurrent checks can
// never both pass on the last unit of a budget (no check-then-spend race).
// Two implementations: in-process (NewInMemoryLimitStore) for one node, and
// Redis (NewRedisLimitStore) for several nodes sharing their limits: there
// the same all-or-nothing step is one Lua script, keyed by the same strings
// (see redis_limit_store.cc).
//
// Keys: "b|<policy>|<subject>" budgets, "rq|" / "rt|" request and token
// buckets, "c|" concurrency slots, "ur|<subject>" unsettled reservations,
// "thr|<user>" throttle buckets, "qo|" / "qp|" / "qd|" quota org, project
// and demand counters.
//
// Thread-safety: all methods are thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/toml_fwd.h"
#include "govern/period.h"

namespace burnrate::govern {

struct BudgetOp {
  std::string key;
  WindowSpec window;
  int64_t limit = -1;  // hard limit; < 0 = count only (soft budget)
  int64_t amount = 0;  // reserved on admission
};

// A token bucket holding up to `per_min` units, refilled at per_min/minute.
// A request needs min(amount, per_min) units present and then takes
// `amount` (the bucket may go into debt, so big requests still pass once).
struct BucketOp {
  std::string key;
  double per_min = 0;
  double amount = 0;
};

struct SlotOp {
  std::string key;
  int64_t max = 0;  // concurrent holders allowed
};

struct AdmitRequest {
  TimeMs now = 0;
  // When the reservation expires. A shared store forgets the reservation by
  // itself after this (plus a few seconds), so a node that dies with
  // reservations outstanding cannot leak budget or slots.
  TimeMs expires = 0;
  std::vector<BudgetOp> budgets;
  std::vector<BucketOp> buckets;
  std::vector<SlotOp> slots;
};

struct AdmitResult {
  // kUnavailable: the store could not be reached; nothing was reserved.
  enum class Failure { kNone, kBudget, kBucket, kSlot, kUnavailable };
  Failure failure = Failure::kNone;
  size_t index = 0;           // the failing op, in its vector
  TimeMs retry_after_ms = 0;  // buckets: time until enough refill
  // Per budget op, used + reserved in the window *before* this request.
  std::vector<int64_t> committed;
  std::string error;  // kUnavailable: why
  bool admitted() const { return failure == Failure::kNone; }
};

struct SettleOp {
  std::string key;
  WindowSpec window;
  int64_t reserved = 0;  // released from the reservation
  int64_t actual = 0;    // added to used in the window at `now`
};

struct BudgetState {
  int64_t used = 0;
  int64_t reserved = 0;
};

class LimitStore {
 public:
  virtual ~LimitStore() = default;
  // Checks all ops; if every one passes, applies all of them.
  virtual AdmitResult Admit(const AdmitRequest& r) = 0;
  // Releases reservations and records actual use; bucket ops adjust the
  // buckets by `amount` (negative refunds); slots are released by key.
  // `expires` is the reservation's AdmitRequest::expires (0 for usage that
  // had no reservation); a shared store that already forgot the reservation
  // releases nothing. `used_after` (optional) receives each budget's used
  // after the update. Unavailable when the store could not be reached (then
  // nothing was recorded).
  virtual Status Settle(TimeMs now, TimeMs expires, const std::vector<SettleOp>& budgets,
                        const std::vector<BucketOp>& bucket_adjust,
                        const std::vector<std::string>& slot_release,
                        std::vector<int64_t>* used_after) = 0;
  // The budget's state now; zeros when the store cannot be reached.
  virtual BudgetState Read(const std::string& key, const WindowSpec& w, TimeMs now) = 0;
  // Whether the counters outlive this process (a shared store): a restarted
  // node must then not replay stored usage into them, or it would count the
  // usage twice.
  virtual bool Durable() const { return false; }
};

// In-process store: 64 mutex-guarded shards by key hash; a request locks the
// shards of its keys in index order (no global lock, no deadlock). Memory:
// one small entry per (policy, subject) ever touched, kept for the process
// lifetime (a budget's counter must outlive idle spells within its period).
std::unique_ptr<LimitStore> NewInMemoryLimitStore();

// Redis store shared by several nodes: `url` is redis://HOST:PORT[/DB].
// Connects lazily (a pool of connections, one per concurrent caller); when
// Redis cannot be reached, calls fail fast for one second before trying
// again. Errors: InvalidArgument for a malformed url (nothing is connected
// here, so a Redis that is down at startup is not an error).
Result<std::unique_ptr<LimitStore>> NewRedisLimitStore(const std::string& url);

// The store named by [governance] limit_store in `root` ("memory", the
// default, or a redis:// url). `root` may be null.
Result<std::unique_ptr<LimitStore>> LimitStoreFromConfig(const toml::table* root);

}  // namespace burnrate::govern
