#include "model/price_book.h"

namespace burnrate::model {

PriceSnapshot::PriceSnapshot(PriceTable table, std::string file, uint64_t generation)
    : table_(std::move(table)), file_(std::move(file)), generation_(generation) {}

PriceResolution PriceSnapshot::Resolve(std::string_view model) const {
  {
    std::shared_lock lock(mu_);
    if (auto it = cache_.find(model); it != cache_.end()) return it->second;
  }
  PriceResolution r = table_.Resolve(model);
  std::unique_lock lock(mu_);
  if (cache_.size() < kMaxCached) cache_.try_emplace(std::string(model), r);
  return r;
}

Priced PriceSnapshot::Price(std::string_view model, const TokenCounts& t) const {
  const ModelPrice* price = nullptr;
  PriceMatch match = PriceMatch::kNone;
  bool cached = false;
  {
    // The common case: a name seen before, answered without copying the
    // resolution's string.
    std::shared_lock lock(mu_);
    if (auto it = cache_.find(model); it != cache_.end()) {
      price = it->second.price;
      match = it->second.match;
      cached = true;
    }
  }
  if (!cached) {
    PriceResolution r = Resolve(model);
    price = r.price;
    match = r.match;
  }
  if (price == nullptr) return {0, CostBasis::kUnpriced};
  return {CostAt(*price, t),
          match == PriceMatch::kExact ? CostBasis::kPriced : CostBasis::kEstimated};
}

PriceBook::PriceBook() : PriceBook(PriceTable::Builtin()) {}

PriceBook::PriceBook(PriceTable table)
    : fixed_(true), current_(std::make_shared<const PriceSnapshot>(std::move(table), "", 1)) {}

Status PriceBook::Load(std::string file) {
  std::lock_guard lock(reload_mu_);
  PriceTable t = PriceTable::Builtin();
  if (!file.empty()) BR_RETURN_IF_ERROR(t.LoadPriceFile(file));
  file_ = std::move(file);
  fixed_ = false;
  uint64_t gen = Current()->generation() + 1;
  current_.store(std::make_shared<const PriceSnapshot>(std::move(t), file_, gen),
                 std::memory_order_release);
  return Status::OK();
}

Status PriceBook::Reload() {
  std::string file;
  {
    std::lock_guard lock(reload_mu_);
    if (fixed_ || file_.empty())
      return Status::InvalidArgument(
          "no price file to reload: start the server with --prices FILE (or prices.file)");
    file = file_;
  }
  return Load(std::move(file));
}

}  // namespace burnrate::model
