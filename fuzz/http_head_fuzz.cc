// libFuzzer target for the HTTP request head (http/request_head.h): the
// parser and checks the server runs on every head before reading a body.
//
// Beyond "no crash, no sanitizer report", it checks the contract on every
// input: a refusal has one of the documented statuses and a JSON error
// body; an accepted head has a method, a path, lower-case field names,
// exactly one framing (chunked, or a Content-Length within the body limit,
// or none) and was not longer than the input or the head limit. Feeding the
// input one byte short must never make a complete head out of less.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "http/request_head.h"

using burnrate::http::HeadLimits;
using burnrate::http::HeadParse;
using burnrate::http::ParseRequestHead;

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

void CheckParse(const HeadParse& p, std::string_view in, const HeadLimits& limits) {
  if (!p.complete) return;
  if (!p.error.ok()) {
    int s = p.error.status;
    Check(s == 400 || s == 413 || s == 417 || s == 431 || s == 501);
    Check(!p.error.message.empty());
    auto r = p.error.ToResponse();
    Check(r.status == s && r.body.rfind("{\"error\":\"", 0) == 0 && r.body.back() == '}');
    return;
  }
  Check(p.consumed > 0 && p.consumed <= in.size() && p.consumed <= limits.max_header_bytes);
  const auto& h = p.head;
  Check(!h.request.method.empty());
  Check(!h.request.path.empty() && h.request.path[0] == '/');
  for (const auto& [name, value] : h.request.headers) {
    for (char c : name) Check(!(c >= 'A' && c <= 'Z'));
  }
  Check(!(h.chunked && h.content_length.has_value()));
  if (h.content_length) Check(*h.content_length <= limits.max_body_bytes);
  if (h.chunked) Check(h.has_body);
  if (!h.chunked && !h.content_length) Check(!h.has_body);
  if (h.content_length) Check(h.has_body == (*h.content_length > 0));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  HeadLimits limits;
  limits.max_header_bytes = 4096;  // small, so the fuzzer reaches the 431 path
  limits.max_body_bytes = 1 << 20;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  HeadParse whole = ParseRequestHead(in, limits);
  CheckParse(whole, in, limits);
  if (whole.complete && whole.error.ok() && whole.consumed > 0) {
    // The head ends exactly where the parser said: one byte less is not a head.
    HeadParse shorter = ParseRequestHead(in.substr(0, whole.consumed - 1), limits);
    Check(!shorter.complete || !shorter.error.ok());
  }
  return 0;
}
