// Reading the provider's own usage report out of its answers: a whole JSON
// body, or a server-sent-event stream fed in pieces as they arrive.
//
//  - Anthropic Messages: message_start (id, model, input, cache reads,
//    5m/1h cache writes) then message_delta (cumulative usage, final
//    output tokens); a non-streaming body carries the same "usage".
//  - OpenAI Chat Completions: "usage" on the final chunk (asked for with
//    stream_options.include_usage), prompt_tokens including cached ones.
//  - OpenAI Responses: response.completed / incomplete / failed carry
//    response.usage with cached and reasoning token details.
//
// OpenAI's prompt/input tokens include the cached ones; here `input` is the
// uncached part and `cache_read` the cached part, as burnrate counts them.
// Pure and single-threaded: one StreamUsage per stream.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "model/event.h"

namespace burnrate::gateway {

enum class Api : uint8_t { kAnthropicMessages, kOpenAiChat, kOpenAiResponses };

struct Usage {
  std::string id;     // the provider's message / completion / response id
  std::string model;  // as the provider answered it
  model::TokenCounts tokens;
  int64_t reasoning_tokens = 0;  // OpenAI: part of output
  bool reported = false;         // some usage was read
};

// Reads usage from a non-streaming answer body. InvalidArgument when the
// body is not JSON; a body without usage leaves `reported` false.
Status ParseUsageBody(Api api, std::string_view body, Usage* out);

// Splits an SSE byte stream into events. Feed() takes bytes as they come
// and calls `on_event(raw, name, data)` for each complete event: `raw` is
// the event's bytes with its blank-line terminator, `data` the data lines
// joined by '\n'. A partial event waits for more bytes; Pending() is what
// waits. An event longer than kMaxEventBytes is passed on raw, unparsed.
class SseSplitter {
 public:
  static constexpr size_t kMaxEventBytes = 16u << 20;
  using OnEvent =
      std::function<void(std::string_view raw, std::string_view name, std::string_view data)>;
  void Feed(std::string_view bytes, const OnEvent& on_event);
  std::string_view Pending() const { return buf_; }

 private:
  std::string buf_;
  size_t scanned_ = 0;  // bytes of buf_ known to hold no event end
};

// Usage of one stream, event by event.
class StreamUsage {
 public:
  // strip_usage_chunk: OpenAI chat only; the final usage-only chunk was
  // asked for by the gateway, not the client, and must not reach it.
  explicit StreamUsage(Api api, bool strip_usage_chunk = false)
      : api_(api), strip_(strip_usage_chunk) {}
  // Reads one event; returns false when it is to be dropped from what the
  // client sees. Malformed events are passed on and counted.
  bool OnEvent(std::string_view name, std::string_view data);
  const Usage& usage() const { return usage_; }
  int64_t malformed_events() const { return malformed_; }

 private:
  Api api_;
  bool strip_;
  Usage usage_;
  int64_t malformed_ = 0;
};

}  // namespace burnrate::gateway
