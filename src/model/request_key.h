// Stable keys for one model request of a coding agent that can reach
// burnrate by two paths: its local logs (the agents layer's readers) and its
// OpenTelemetry export (the otlp layer). Both paths derive the key from the
// same facts, so the ingest layer's de-duplication of event ids counts the
// request once, whichever path delivers it first (docs/agents.md, "One
// request, two paths").
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace burnrate::model {

struct RequestKey {
  uint64_t hi = 0, lo = 0;
  bool operator==(const RequestKey&) const = default;
};

// One Codex CLI response's usage, as Codex counts it: `input` includes
// `cached` and `cache_write`, `output` includes `reasoning`. The rollout's
// `last_token_usage` and the OTLP `codex.sse_event` (response.completed)
// record carry the same five numbers.
struct CodexUsage {
  int64_t input = 0, cached = 0, cache_write = 0, output = 0, reasoning = 0;
};

// The key of a Codex response: its thread (the rollout's session_meta id,
// OTLP's conversation.id) and its usage. Two responses of one thread with
// the same five counts share a key; a conversation's input grows with every
// turn, so in practice they do not occur.
RequestKey CodexRequestKey(std::string_view thread, const CodexUsage& u);

// "cx-" and the key as 32 hex digits: the event id both paths send.
std::string CodexEventId(const RequestKey& k);

}  // namespace burnrate::model
