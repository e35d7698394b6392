// Fuzzes the OTLP/HTTP JSON parsers (metrics, logs, traces) and the Claude
// Code, Codex and GenAI-span mappings: any bytes must give events or a
// clean error, never a crash. Seeds in fuzz/corpus/otlp cover malformed
// values (intValue "12x", a float, out of int64 range), negative counts,
// repeated attribute keys, and the real Codex CLI and Copilot CLI exports.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "otlp/otlp.h"

namespace {

// What a body became must add up: every point is counted at most once as
// an event or a reject, and the kept rejects stay bounded.
void Check(const burnrate::Result<burnrate::otlp::Converted>& c) {
  if (!c.ok()) return;
  if (c->rejected.size() > burnrate::otlp::Converted::kMaxRejectsKept) std::abort();
  if (c->rejected_total < int64_t(c->rejected.size())) std::abort();
  if (int64_t(c->events.size()) + c->rejected_total > c->points) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static burnrate::otlp::Receiver rx;
  std::string_view body(reinterpret_cast<const char*>(data), size);
  Check(rx.Metrics(body));
  Check(rx.Logs(body));
  Check(rx.Traces(body));
  (void)burnrate::otlp::CheckContentType(body);
  return 0;
}
