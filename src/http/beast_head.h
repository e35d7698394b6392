// Connects Boost.Beast's request parser to the checks of http/request_head.h.
// Private to the translation units that already hold Beast: server.cc,
// request_head.cc and the gateway's upstream client (gateway/upstream.cc).
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cerrno>

#include "common/resource_allocator.h"
#include "http/request_head.h"

namespace burnrate::http::detail {

// The head's fields go where the allocator says: the server gives each
// connection's parser a buffer it keeps (common/resource_allocator.h).
using FieldAllocator = ResourceAllocator<char>;
using RequestParser =
    boost::beast::http::request_parser<boost::beast::http::string_body, FieldAllocator>;

// The meaning of a failed read under a head being parsed, as Beast's own
// read operation decides it. The server and the upstream client parse what
// is already buffered themselves instead of calling async_read_header (one
// event-loop turn fewer per request) and map the read's error here: the
// stream's end before any byte is end_of_stream; after some, the parser
// decides (put_eof); other errors stay as they came.
template <class Parser>
boost::beast::error_code HeadReadError(Parser& p, boost::beast::error_code ec) {
  if (ec != boost::asio::error::eof) return ec;
  if (!p.got_some()) return boost::beast::http::error::end_of_stream;
  ec = {};
  p.put_eof(ec);
  return ec;
}

// Sends what the socket takes at once, never waiting (MSG_DONTWAIT): the
// number of bytes sent, 0 when the send buffer is full; `ec` is set only
// by another failure. For the server's answer and the upstream request:
// written whole by one call, they need no asynchronous operation (no
// timer, no completion run a turn of the event loop later). Up to 4
// buffers.
template <class Socket, class Buffers>
size_t SendNow(Socket& socket, const Buffers& buffers, boost::beast::error_code& ec) {
  iovec iov[4];
  size_t n = 0;
  for (auto it = boost::asio::buffer_sequence_begin(buffers);
       it != boost::asio::buffer_sequence_end(buffers) && n < 4; ++it) {
    boost::asio::const_buffer b(*it);
    iov[n].iov_base = const_cast<void*>(b.data());
    iov[n++].iov_len = b.size();
  }
  msghdr m{};
  m.msg_iov = iov;
  m.msg_iovlen = n;
  for (;;) {
    ssize_t sent = ::sendmsg(socket.native_handle(), &m, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (sent >= 0) return size_t(sent);
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) ec.assign(errno, boost::system::system_category());
    return 0;
  }
}

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
