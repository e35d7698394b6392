// Fuzzes the event block decoder (store/event_block.h): any input is either
// refused with a Status or decodes to events that encode and decode again
// to the same events. Never a crash, a read out of bounds or a huge
// allocation (the decoded size is capped low here).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "store/event_block.h"

using burnrate::store::EventBlockReader;
using burnrate::store::EventBlockWriter;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static EventBlockReader reader;
  static EventBlockWriter writer;
  std::vector<burnrate::model::Event> events, again;
  std::string_view blob(reinterpret_cast<const char*>(data), size);
  if (!reader.Decode(blob, &events, 1 << 20).ok()) return 0;
  for (const auto& e : events) writer.Add(e);
  std::string out;
  if (!writer.Finish(&out).ok()) __builtin_trap();
  if (!reader.Decode(out, &again).ok() || again.size() != events.size()) __builtin_trap();
  for (size_t i = 0; i < events.size(); ++i) {
    const auto &a = events[i], &b = again[i];
    if (a.id != b.id || a.ts != b.ts || a.received != b.received || a.user != b.user ||
        a.model != b.model || a.tokens.input != b.tokens.input || a.cost_nanos != b.cost_nanos ||
        a.requests != b.requests || a.prompt.simhash != b.prompt.simhash ||
        a.prompt.exact_hash != b.prompt.exact_hash || a.prompt.present != b.prompt.present ||
        a.outcome_kind != b.outcome_kind)
      __builtin_trap();
  }
  return 0;
}
