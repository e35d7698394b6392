// Fuzzes the Claude Code transcript reader: arbitrary bytes as a transcript
// chunk must never crash, and every entry it yields must be well-formed.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "claude/transcript_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace burnrate::claude;
  static TranscriptParser* parser = new TranscriptParser();
  StringTable strings;
  FileContext ctx;
  ctx.key_prefix = "fuzz/f.jsonl";
  ParseOutput out;
  out.strings = &strings;
  parser->ParseText(std::string_view(reinterpret_cast<const char*>(data), size), ctx, &out);
  for (const UsageEntry& e : out.entries) {
    if (e.tokens.cache_write_1h > e.tokens.cache_write && e.tokens.cache_write >= 0) std::abort();
    if (e.model >= strings.size() || e.session >= strings.size()) std::abort();
    if (e.line == 0) std::abort();
  }
  return 0;
}
