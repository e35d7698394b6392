// JSON bodies of POST /v1/check and POST /v1/settle, and the check answer.
//
//   check:  {"user": "alice" | "key": "k1", "team"?, "org"?, "project"?,
//            "model": "claude-sonnet-4-5", "estimated_tokens": 12000,
//            "estimated_cost_usd"?: 0.18, "batch_job"?: "nightly-eval"}
//   settle: {"reservation_id": "r...", "tokens": {"input", "output",
//            "cache_read", "cache_write"}, "cost_usd"?: 0.12, "event_id"?}
// Errors are InvalidArgument naming the offending member in field().
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "govern/governor.h"

namespace burnrate::govern {

Status ParseCheckJson(std::string_view body, CheckRequest& out);
Status ParseSettleJson(std::string_view body, SettleRequest& out);
std::string CheckResultJson(const CheckResult& r);
// POST /v1/throttle: {"user": "alice", "level": 0..3, "reason"?: "..."}.
Status ParseThrottleJson(std::string_view body, std::string& user, int64_t& level,
                         std::string& reason);

}  // namespace burnrate::govern
