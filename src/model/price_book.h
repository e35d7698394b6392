// The prices a running process uses: a price table that can be replaced
// while the process runs (SIGHUP, POST /v1/prices/reload), with the answer
// for each model name cached.
//
// Readers take Current(), a shared snapshot: a request prices all its
// events against one table even when a reload lands meanwhile, and the old
// table lives until its last reader lets go. A snapshot resolves each
// distinct model name once (exact price, family estimate or unpriced; see
// price_table.h) and caches the answer, so pricing an event is a hash probe
// under a shared lock, with no normalisation and no allocation.
// Thread-safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/status.h"
#include "model/event.h"
#include "model/price_table.h"

namespace burnrate::model {

// The cost of one usage and how it was found.
struct Priced {
  int64_t cost_nanos = 0;
  CostBasis basis = CostBasis::kPriced;
};

// One loaded table, immutable but for its cache.
class PriceSnapshot {
 public:
  // `file`: the price file overlaid on the built-in prices, "" for none.
  PriceSnapshot(PriceTable table, std::string file, uint64_t generation);

  const PriceTable& table() const { return table_; }
  const std::string& file() const { return file_; }
  uint64_t generation() const { return generation_; }  // 1 for the first load, +1 per reload

  // The cached resolution of `model`; the pointer in it lives as long as
  // this snapshot.
  PriceResolution Resolve(std::string_view model) const;
  // Cost and basis of `t` tokens of `model`.
  Priced Price(std::string_view model, const TokenCounts& t) const;

  // Distinct names cached at most; names past it are resolved on every
  // call, so a client inventing model names cannot grow memory.
  static constexpr size_t kMaxCached = 10000;

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  PriceTable table_;
  std::string file_;
  uint64_t generation_;
  mutable std::shared_mutex mu_;  // guards cache_
  mutable std::unordered_map<std::string, PriceResolution, Hash, std::equal_to<>> cache_;
};

class PriceBook {
 public:
  // The built-in prices.
  PriceBook();
  // A fixed table (tests, tools) until Load().
  explicit PriceBook(PriceTable table);
  PriceBook(const PriceBook&) = delete;
  PriceBook& operator=(const PriceBook&) = delete;

  // Loads the built-in prices overlaid with `file` (LiteLLM or models.dev
  // format), which later reloads read again. On error nothing changes and
  // the message names the file and the problem.
  Status Load(std::string file);
  // Reads the price file again and swaps the new table in atomically. On
  // error the current table stays and the message names the file and the
  // problem. Without a file (or for a fixed table) it is an
  // InvalidArgument error and the table stays.
  Status Reload();

  std::shared_ptr<const PriceSnapshot> Current() const {
    return current_.load(std::memory_order_acquire);
  }
  // Current()->Price(), for a single event.
  Priced Price(std::string_view model, const TokenCounts& t) const {
    return Current()->Price(model, t);
  }

 private:
  std::mutex reload_mu_;  // serialises Load and Reload; guards file_
  std::string file_;
  bool fixed_ = false;
  std::atomic<std::shared_ptr<const PriceSnapshot>> current_;
};

}  // namespace burnrate::model
