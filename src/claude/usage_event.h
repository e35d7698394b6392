// Converts de-duplicated transcript usage entries into burnrate's native
// NDJSON usage events (docs/event-format.md), source "claude_code".
//
// The event id is "cc-" + 32 hex digits: a 128-bit hash of
// (message.id, requestId), or for lines without both ids of
// (project/file, line number, line bytes). It depends on nothing local
// (time zone, clock, absolute path), so re-importing the same transcripts
// from any machine or zone yields the same ids and the server's idempotency
// de-duplicates them. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "claude/usage_entry.h"

namespace burnrate::claude {

std::string UsageEventId(const UsageEntry& e);
// The same id from the two ids themselves (the metering gateway sees the
// message id in the answer and the request id in its request-id header).
std::string UsageEventIdForIds(std::string_view message_id, std::string_view request_id);
// Seeds of the two halves of the id's hash.
inline constexpr uint64_t kUsageKeySeedHi = 0x6275726e72617465ULL;  // "burnrate"
inline constexpr uint64_t kUsageKeySeedLo = 0x636c61756465636fULL;  // "claudeco"

// Appends one NDJSON line (with '\n') for `e`. cost_usd is sent only when the
// transcript line carried costUSD (0 for <synthetic> and API-error lines);
// otherwise the server prices the tokens.
// `prompt`, when given, is sent as precomputed features
// ({"length","compress_ratio","simhash","exact_hash"}); never the text.
// `client`, when not empty, is sent as the machine id (not part of the id).
void AppendUsageEvent(const UsageEntry& e, const StringTable& strings, std::string_view user,
                      std::string* out, const model::PromptFeatures* prompt = nullptr,
                      std::string_view client = {});

}  // namespace burnrate::claude
