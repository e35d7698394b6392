// What the gateway needs from a client's request body before forwarding it:
// the model, whether it streams, the output ceiling (max_tokens and its
// OpenAI names) and the newest user turn's text (for prompt features; only
// that turn, not the whole conversation each request resends). For an
// OpenAI chat stream that did not ask for usage, the body is rewritten to
// ask (stream_options.include_usage) so that the stream can be counted.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "gateway/usage_parser.h"

namespace burnrate::gateway {

struct ClientRequest {
  std::string model;
  bool stream = false;
  int64_t max_tokens = -1;       // -1: not given
  bool asked_usage = false;      // chat: stream_options.include_usage was true
  std::string newest_user_text;  // text blocks of the last user message
  std::string forward_body;      // the body to send upstream ("" = unchanged)
};

// InvalidArgument (the field in field()) when the body is not a JSON object or
// a known field has the wrong type.
Status ParseClientRequest(Api api, std::string_view body, ClientRequest* out);

}  // namespace burnrate::gateway
