// The head of an HTTP request (request line and header fields), parsed and
// checked before any of its body is read.
//
// The server reads a head, checks it here, asks the Router whether the
// request is admitted (Router::Admit), and only then answers
// "100 Continue" and reads the body. The checks are strict, because a head
// two parsers read differently is how requests are smuggled past a proxy:
//   - malformed syntax is 400, a head over the size limit 431, a target
//     that is not a path ("/...") 400;
//   - Transfer-Encoding must be exactly "chunked" (else 501), given once,
//     and never together with Content-Length (400);
//   - Content-Length must be one decimal number given once (400) and at
//     most the body limit (413);
//   - Expect may only be "100-continue" (else 417).
// Every refusal is an answer with a JSON body; the connection is then
// closed, since what follows the head cannot be trusted to start a request.
//
// ParseRequestHead() runs the same checks on bytes in memory, for tests and
// the fuzzer (fuzz/http_head_fuzz.cc); the server's parser is Beast's, fed
// from the socket (http/beast_head.h connects the two). Thread-safe: no state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "http/http.h"

namespace burnrate::http {

struct HeadLimits {
  size_t max_header_bytes = 64 * 1024;   // request line + fields: 431 beyond
  uint64_t max_body_bytes = 256u << 20;  // Content-Length beyond: 413
};

// Why a head is refused: the HTTP status (400, 413, 417, 431 or 501) and a
// message for the {"error": ...} body. status 0 means the head is fine.
struct HeadError {
  int status = 0;
  std::string message;
  bool ok() const { return status == 0; }
  // {"error": message} with `status`; the caller closes the connection.
  Response ToResponse() const;
};

// A checked head.
struct RequestHead {
  Request request;  // method, path, query, lower-case headers; no body yet
  std::optional<uint64_t> content_length;
  bool chunked = false;
  bool has_body = false;         // more bytes follow the head for this request
  bool expect_continue = false;  // the client waits for "100 Continue"
  bool keep_alive = true;
};

struct HeadParse {
  bool complete = false;  // false: `bytes` holds only part of a head
  HeadError error;        // when complete: why it is refused, or ok
  RequestHead head;       // when complete and error.ok()
  size_t consumed = 0;    // bytes of the head (the body starts there)
};

// Parses the head at the start of `bytes` (bytes after it are left alone).
HeadParse ParseRequestHead(std::string_view bytes, const HeadLimits& limits);

}  // namespace burnrate::http
