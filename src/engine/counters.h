// Counters: what the engine sums for every entity and time bucket.
#pragma once

#include <cstdint>

#include "model/event.h"

namespace burnrate::engine {

struct Counters {
  int64_t input = 0;
  int64_t output = 0;
  int64_t cache_read = 0;
  int64_t cache_write = 0;
  int64_t requests = 0;
  int64_t cost_nanos = 0;
  int64_t outcomes = 0;   // outcome events
  double value = 0;       // outcome value, weighted (see engine options)

  int64_t Total() const { return input + output + cache_read + cache_write; }
  Counters& operator+=(const Counters& o) {
    input += o.input, output += o.output, cache_read += o.cache_read;
    cache_write += o.cache_write, requests += o.requests, cost_nanos += o.cost_nanos;
    outcomes += o.outcomes, value += o.value;
    return *this;
  }
};

}  // namespace burnrate::engine
