// One transcript line's fields, read with simdjson on-demand (internal to
// the claude layer; see transcript_parser.cc for the rules).
//
// simdjson compiles its on-demand API for one instruction set chosen at
// compile time, so the parser is built twice: line_parser_haswell.cc (AVX2,
// used when the CPU has it) and line_parser_fallback.cc (portable).
// NewLineParser() picks at run time. Not thread-safe; one per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "model/event.h"

namespace burnrate::claude {

// Fields of one line, as views into the line or the parser's string buffer.
struct LineFields {
  std::string_view timestamp, msg_id, req_id, model, session;
  bool has_message = false, has_usage = false, has_in = false, has_out = false;
  bool sidechain = false, api_error = false;
  model::TokenCounts tokens;
  int64_t cost_nanos = -1;
  const char* bad = nullptr;  // first schema violation, for the skip reason
  // User prompt text (type "user", role "user", not isMeta, no tool result):
  // a view into the parser, or into prompt_buf when made of several blocks.
  std::string_view role, type;
  bool is_meta = false, has_tool_result = false;
  std::string_view prompt;
  std::string prompt_buf;
  bool IsPrompt() const {
    return !has_usage && type == "user" && role == "user" && !is_meta && !has_tool_result &&
           !prompt.empty();
  }
};

class LineParser {
 public:
  virtual ~LineParser() = default;
  // Reads the fields of the JSON object in p[0, len) into *f; the bytes up
  // to p[cap) must be readable (cap >= len + 64). False when the line is not
  // one well-formed JSON object.
  virtual bool Parse(const char* p, size_t len, size_t cap, LineFields* f) = 0;
};

std::unique_ptr<LineParser> NewLineParser();
std::unique_ptr<LineParser> NewFallbackLineParser();
// nullptr when this build or CPU has no AVX2 variant.
std::unique_ptr<LineParser> NewHaswellLineParser();

}  // namespace burnrate::claude
