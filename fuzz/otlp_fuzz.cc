// Fuzzes the OTLP/HTTP JSON parsers and the Claude Code mapping: any bytes
// must give events or a clean error, never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "otlp/otlp.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static burnrate::otlp::Receiver rx;
  std::string_view body(reinterpret_cast<const char*>(data), size);
  (void)rx.Metrics(body);
  (void)rx.Logs(body);
  (void)burnrate::otlp::CheckContentType(body);
  return 0;
}
