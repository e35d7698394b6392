// Where the agent and `ingest --claude` send NDJSON usage events: an
// interface so that tests can use an in-memory sink and the real one posts
// to a burnrate server (POST /v1/events, Authorization: Bearer KEY).
//
// Post returns the server's per-batch answer. Errors: IOError for transport
// failures and 5xx answers (retry later), InvalidArgument /
// Unauthenticated / PermissionDenied for other 4xx answers (retrying will
// not help). Not thread-safe.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"

namespace burnrate::claude {

struct SinkAck {
  int64_t accepted = 0;
  int64_t duplicates = 0;
  int64_t rejected = 0;
  std::string first_error;  // first rejected line's error, for the log
};

class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual Result<SinkAck> Post(const std::string& ndjson) = 0;
};

Result<std::unique_ptr<EventSink>> NewHttpEventSink(const std::string& url, const std::string& key);

// Parses {"accepted":N,"duplicates":N,"rejected":[{"line":L,"error":"..."}]}.
Result<SinkAck> ParseIngestAnswer(const std::string& body);

}  // namespace burnrate::claude
