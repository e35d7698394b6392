// Connects Boost.Beast's request parser to the checks of http/request_head.h.
// Private to the http layer: only server.cc and request_head.cc include it,
// so that Beast stays inside a few translation units.
#pragma once

#include <boost/beast/core/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "common/resource_allocator.h"
#include "http/request_head.h"

namespace burnrate::http::detail {

// The head's fields go where the allocator says: the server gives each
// connection's parser a buffer it keeps (common/resource_allocator.h).
using FieldAllocator = ResourceAllocator<char>;
using RequestParser =
    boost::beast::http::request_parser<boost::beast::http::string_body, FieldAllocator>;

// Sets the parser's header and body limits.
void ApplyLimits(RequestParser& p, const HeadLimits& limits);

// The answer to a parse error of a head or a body: 431 (head too large),
// 413 (body too large) or 400 (malformed).
HeadError ParseErrorFor(boost::beast::error_code ec, const HeadLimits& limits);

// Checks the head `p` has completed (is_header_done()) from `head_bytes`
// bytes; fills `out` when the head is fine.
HeadError CheckHead(const RequestParser& p, size_t head_bytes, const HeadLimits& limits,
                    RequestHead* out);

}  // namespace burnrate::http::detail
