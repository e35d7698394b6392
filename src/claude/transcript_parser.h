// Parses the lines of one Claude Code transcript file into UsageEntry
// values (see docs/claude-code.md for the format and the rules).
//
// A line is a usage line when it carries `message.usage`, with the fields
// ccusage 17 requires (timestamp "YYYY-MM-DDTHH:MM:SS[.mmm]Z", numeric
// usage.input_tokens and usage.output_tokens); other well-formed lines
// (user prompts, tool results, summaries) are ignored. A line that is not
// valid JSON, or a usage line with a wrongly typed field, is recorded as a
// SkippedLine and never stops the scan. De-duplication is not done here but
// by the Deduplicator, over all files, in a defined order.
//
// Not thread-safe: one parser per thread (it owns a simdjson parser).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "claude/usage_entry.h"
#include "common/status.h"

namespace burnrate::claude {

// Where the lines come from; strings are already interned in `strings`.
struct FileContext {
  uint32_t file = 0;              // index of the file in the scan
  uint32_t project = 0;           // interned project name
  uint32_t session_fallback = 0;  // interned file stem, used when sessionId is absent
  std::string key_prefix;         // "<project>/<file name>", for lines without ids
};

struct ParseOutput {
  std::vector<UsageEntry> entries;
  std::vector<SkippedLine> skipped;
  StringTable* strings = nullptr;  // not owned; must be set
  uint64_t lines = 0;              // non-empty lines seen
  TimeMs earliest = INT64_MAX;     // earliest usage timestamp seen
  // With set_extract_prompts(true): features of user prompts, by line.
  std::vector<std::pair<uint32_t, model::PromptFeatures>> prompts;
};

class TranscriptParser {
 public:
  TranscriptParser();
  ~TranscriptParser();
  TranscriptParser(const TranscriptParser&) = delete;
  TranscriptParser& operator=(const TranscriptParser&) = delete;

  // Parses the lines in data[0, len). Every line but possibly the last ends
  // with '\n'; the bytes data[len, capacity) must be readable and
  // capacity >= len + 64 (simdjson padding). `first_line` is the 1-based
  // number of the first line. Returns the number of the line after the
  // last newline in the data.
  uint32_t ParseLines(const char* data, size_t len, size_t capacity, uint32_t first_line,
                      const FileContext& ctx, ParseOutput* out);

  // Also compute features (model::ComputePromptFeatures) of user prompt
  // lines into ParseOutput::prompts; the text is not kept. Off by default
  // (reports do not need it and it costs a look at every line).
  void set_extract_prompts(bool on);

  // A reusable read buffer of at least n bytes whose first `keep` bytes are
  // preserved across growth; other contents are undefined.
  char* ReadBuffer(size_t n, size_t keep);

  // Convenience for tests and small inputs: copies into a padded buffer.
  void ParseText(std::string_view text, const FileContext& ctx, ParseOutput* out);

 private:
  uint32_t ParseLinesWithPrompts(const char* data, size_t len, size_t capacity, uint32_t first_line,
                                 const FileContext& ctx, ParseOutput* out);
  struct Impl;
  Impl* impl_;
};

// Reads `path` from byte `offset` in bounded chunks and parses every complete
// line. When `include_partial_tail` is true a last line without '\n' is
// parsed too (report mode: a truncated tail is then skipped and counted);
// otherwise it is left for later (follow mode). Sets *end_offset to the byte
// after the last consumed line and *next_line to the next line number.
Status ParseTranscriptFile(const std::string& path, uint64_t offset, uint32_t first_line,
                           bool include_partial_tail, const FileContext& ctx,
                           TranscriptParser* parser, ParseOutput* out, uint64_t* end_offset,
                           uint32_t* next_line);

// Parses the strict ccusage timestamp form; false when it does not match.
bool ParseTranscriptTimestamp(std::string_view s, TimeMs* out);

}  // namespace burnrate::claude
