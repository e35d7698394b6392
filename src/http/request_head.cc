#include "http/request_head.h"

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <cctype>

#include "http/beast_head.h"

namespace burnrate::http {

namespace beast = boost::beast;
namespace bhttp = beast::http;

Response HeadError::ToResponse() const {
  Response r = ErrorResponse(Status::InvalidArgument(message));
  r.status = status;
  return r;
}

namespace detail {

void ApplyLimits(RequestParser& p, const HeadLimits& limits) {
  p.header_limit(static_cast<uint32_t>(limits.max_header_bytes));
  p.body_limit(limits.max_body_bytes);
}

HeadError ParseErrorFor(beast::error_code ec, const HeadLimits& limits) {
  if (ec == bhttp::error::header_limit) {
    return {431, "request head (request line and header fields) exceeds " +
                     std::to_string(limits.max_header_bytes) + " bytes"};
  }
  if (ec == bhttp::error::body_limit) {
    return {413, "request body exceeds " + std::to_string(limits.max_body_bytes) + " bytes"};
  }
  // Beast's messages are fixed words ("bad method", "bad chunk", ...),
  // never an echo of the client's bytes.
  return {400, "malformed HTTP request: " + ec.message()};
}

static beast::string_view Trim(beast::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Beast accepts, and these rules refuse: Transfer-Encoding other than
// "chunked" (Beast then reads the body by Content-Length, or as empty,
// while a proxy in front may have read it as chunked: a smuggled request),
// Transfer-Encoding next to a Content-Length that came first, and a
// Content-Length repeated or given as a list of equal numbers.
static HeadError CheckFraming(const RequestParser::value_type& msg, const HeadLimits& limits,
                              boost::optional<uint64_t> length) {
  int te = 0, cl = 0;
  beast::string_view te_value, cl_value;
  for (const auto& f : msg) {
    if (f.name() == bhttp::field::transfer_encoding) ++te, te_value = f.value();
    if (f.name() == bhttp::field::content_length) ++cl, cl_value = f.value();
  }
  if (te > 0 && cl > 0)
    return {400, "Transfer-Encoding and Content-Length together: send only one of them"};
  if (te > 1) return {400, "Transfer-Encoding given more than once"};
  if (te == 1 && !beast::iequals(Trim(te_value), "chunked")) {
    return {501, "Transfer-Encoding other than exactly 'chunked' is not supported"};
  }
  if (cl > 1 || cl_value.find(',') != beast::string_view::npos) {
    return {400, "Content-Length given more than once"};
  }
  if (length && *length > limits.max_body_bytes) {
    return {413, "request body exceeds " + std::to_string(limits.max_body_bytes) + " bytes"};
  }
  return {};
}

static void FillRequest(const RequestParser::value_type& msg, Request* req) {
  req->method = std::string(msg.method_string());
  std::string_view target(msg.target().data(), msg.target().size());
  size_t q = target.find('?');
  req->path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) {
    req->raw_query = std::string(target.substr(q + 1));
    req->query = ParseQuery(req->raw_query);
  }
  std::vector<HeaderMap::value_type> fields;
  size_t n = 0;
  for (auto it = msg.begin(); it != msg.end(); ++it) ++n;
  fields.reserve(n);
  for (const auto& f : msg) {
    std::string name(f.name_string());
    // ASCII only, as field names are (a token): std::tolower is a call per
    // character and reads the locale.
    for (auto& c : name)
      if (c >= 'A' && c <= 'Z') c = char(c + ('a' - 'A'));
    fields.emplace_back(std::move(name), std::string(f.value()));
  }
  req->headers = HeaderMap::FromFields(std::move(fields));  // a repeated name: the last wins
}

HeadError CheckHead(const RequestParser& p, size_t head_bytes, const HeadLimits& limits,
                    RequestHead* out) {
  // Beast applies its header limit to the request line and to the fields
  // separately, so a head may reach twice the limit before it objects
  // (found by fuzz/http_head_fuzz.cc); the limit here is on the whole head.
  if (head_bytes > limits.max_header_bytes) {
    return ParseErrorFor(bhttp::error::header_limit, limits);
  }
  const auto& msg = p.get();
  // Origin form only ("/path?query"): no proxy requests, no "*".
  if (msg.target().empty() || msg.target().front() != '/') {
    return {400, "request target must be a path starting with /"};
  }
  HeadError framing = CheckFraming(msg, limits, p.content_length());
  if (!framing.ok()) return framing;
  bool expect = false;
  for (const auto& f : msg) {
    if (f.name() != bhttp::field::expect) continue;
    if (!beast::iequals(Trim(f.value()), "100-continue"))
      return {417, "Expect may only be 100-continue"};
    expect = true;
  }
  FillRequest(msg, &out->request);
  if (p.content_length()) out->content_length = *p.content_length();
  out->chunked = p.chunked();
  out->has_body = !p.is_done();
  // HTTP/1.0 clients do not wait for 100 Continue (RFC 9110, 10.1.1).
  out->expect_continue = expect && msg.version() >= 11;
  out->keep_alive = msg.keep_alive();
  return {};
}

}  // namespace detail

HeadParse ParseRequestHead(std::string_view bytes, const HeadLimits& limits) {
  detail::RequestParser p;
  detail::ApplyLimits(p, limits);
  p.eager(false);  // stop after the head
  beast::error_code ec;
  size_t n = p.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
  HeadParse out;
  if (ec == bhttp::error::need_more) return out;
  out.complete = true;
  out.consumed = n;
  out.error = ec ? detail::ParseErrorFor(ec, limits) : detail::CheckHead(p, n, limits, &out.head);
  return out;
}

}  // namespace burnrate::http
