// Fuzzes the agent's checkpoint parser and the server-answer parser: any
// bytes give a Status, never a crash, and parsed file names are non-empty
// single lines.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "claude/checkpoint.h"
#include "claude/event_sink.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace burnrate::claude;
  std::string text(reinterpret_cast<const char*>(data), size);
  Checkpoint c("fuzz.checkpoint");
  if (c.Parse(text).ok()) {
    for (const auto& [file, pos] : c.files()) {
      if (file.empty() || file.find('\n') != std::string::npos) std::abort();
      (void)pos;
    }
  }
  (void)ParseIngestAnswer(text);
  return 0;
}
