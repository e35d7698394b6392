// Google Benchmark for pricing an event: the price book's cached answer per
// model name (what ingestion, checks and settles use) against resolving the
// name on every call (what PriceTable::CostNanos does, and what every event
// cost before the book: a string copy, a hash probe, normalisation on a
// miss), for an exact name, a dated name, a family estimate and an unpriced
// model.
#include <benchmark/benchmark.h>

#include "model/price_book.h"

namespace burnrate::model {
namespace {

const char* kModels[] = {"claude-sonnet-4-5", "claude-sonnet-4-5-20250929", "claude-opus-5-5",
                         "totally-unknown"};

TokenCounts Tokens() {
  TokenCounts t;
  t.input = 1000, t.output = 500, t.cache_read = 20000, t.cache_write = 900;
  return t;
}

void BM_PriceCached(benchmark::State& state) {
  PriceBook book;
  std::string model = kModels[state.range(0)];
  TokenCounts t = Tokens();
  auto snap = book.Current();
  for (auto _ : state) benchmark::DoNotOptimize(snap->Price(model, t));
  state.SetLabel(model);
}
BENCHMARK(BM_PriceCached)->DenseRange(0, 3);

void BM_ResolveEveryCall(benchmark::State& state) {
  PriceTable table = PriceTable::Builtin();
  std::string model = kModels[state.range(0)];
  TokenCounts t = Tokens();
  for (auto _ : state) benchmark::DoNotOptimize(table.CostNanos(model, t));
  state.SetLabel(model);
}
BENCHMARK(BM_ResolveEveryCall)->DenseRange(0, 3);

}  // namespace
}  // namespace burnrate::model

BENCHMARK_MAIN();
