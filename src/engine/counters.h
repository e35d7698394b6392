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
  int64_t outcomes = 0;        // outcome events
  double value = 0;            // outcome value, weighted (see engine options)
  int64_t edits_accepted = 0;  // edit decisions (outcome kinds edit_accepted / edit_rejected)
  int64_t edits_rejected = 0;
  // Pricing marks (docs/pricing.md): some of cost_nanos is a family price's
  // estimate, or some tokens had no price at all and count $0.
  bool cost_estimated = false;
  bool cost_unpriced = false;

  int64_t Total() const { return input + output + cache_read + cache_write; }
  // Accepted share of edit decisions, 0..1; -1 when there were none.
  double EditAcceptance() const {
    int64_t n = edits_accepted + edits_rejected;
    return n > 0 ? double(edits_accepted) / double(n) : -1;
  }
  Counters& operator+=(const Counters& o) {
    input += o.input, output += o.output, cache_read += o.cache_read;
    cache_write += o.cache_write, requests += o.requests, cost_nanos += o.cost_nanos;
    outcomes += o.outcomes, value += o.value;
    edits_accepted += o.edits_accepted, edits_rejected += o.edits_rejected;
    cost_estimated |= o.cost_estimated, cost_unpriced |= o.cost_unpriced;
    return *this;
  }
};

}  // namespace burnrate::engine
