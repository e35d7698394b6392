// Blocking client on Boost.Beast (kept to this one TU with server.cc).
#include "http/client.h"

#include <sys/socket.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>

namespace burnrate::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

struct Client::Conn {
  asio::io_context ioc;
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
};

Result<std::unique_ptr<Client>> Client::Create(std::string_view base_url) {
  std::string_view u = base_url;
  if (u.substr(0, 7) != "http://") {
    return Status::InvalidArgument("server URL must start with http:// (got '" +
                                   std::string(base_url) + "')");
  }
  u.remove_prefix(7);
  if (auto slash = u.find('/'); slash != std::string_view::npos) u = u.substr(0, slash);
  std::unique_ptr<Client> c(new Client());
  size_t colon = u.rfind(':');
  if (colon == std::string_view::npos) {
    c->host_ = std::string(u);
    c->port_ = "80";
  } else {
    c->host_ = std::string(u.substr(0, colon));
    c->port_ = std::string(u.substr(colon + 1));
  }
  if (c->host_.empty()) return Status::InvalidArgument("server URL has no host");
  c->conn_ = std::make_unique<Conn>();
  return c;
}

Client::~Client() = default;

Result<ClientResponse> Client::Send(
    std::string_view method, std::string_view target, std::string_view body,
    const std::vector<std::pair<std::string, std::string>>& headers) {
  bhttp::request<bhttp::string_body> req;
  req.method_string(std::string(method));
  req.target(std::string(target));
  req.version(11);
  req.set(bhttp::field::host, host_ + ":" + port_);
  req.set(bhttp::field::user_agent, "burnrate");
  if (!bearer_.empty()) req.set(bhttp::field::authorization, "Bearer " + bearer_);
  for (const auto& [k, v] : headers) req.set(k, v);
  req.body() = std::string(body);
  req.prepare_payload();
  req.keep_alive(true);

  // One retry on a stale keep-alive connection.
  for (int attempt = 0; attempt < 2; ++attempt) {
    beast::error_code ec;
    if (!conn_->stream) {
      tcp::resolver resolver(conn_->ioc);
      auto results = resolver.resolve(host_, port_, ec);
      if (ec) return Status::IOError("cannot resolve " + host_ + ": " + ec.message());
      conn_->stream.emplace(conn_->ioc);
      conn_->stream->expires_after(std::chrono::milliseconds(timeout_ms_));
      conn_->stream->connect(results, ec);
      if (ec) {
        conn_->stream.reset();
        return Status::IOError("cannot connect to " + host_ + ":" + port_ + ": " + ec.message());
      }
    }
    // Synchronous operations ignore tcp_stream's timer; set socket timeouts.
    timeval tv{timeout_ms_ / 1000, (timeout_ms_ % 1000) * 1000};
    int fd = conn_->stream->socket().native_handle();
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    bhttp::write(*conn_->stream, req, ec);
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(1u << 30);
    if (!ec) bhttp::read(*conn_->stream, conn_->buffer, parser, ec);
    if (ec) {
      conn_->stream.reset();
      conn_->buffer.clear();
      if (attempt == 0 && (ec == bhttp::error::end_of_stream ||
                           ec == asio::error::connection_reset || ec == asio::error::broken_pipe)) {
        continue;
      }
      return Status::IOError("request to " + host_ + ":" + port_ + " failed: " + ec.message());
    }
    auto& res = parser.get();
    ClientResponse out;
    out.status = int(res.result_int());
    out.content_type = std::string(res[bhttp::field::content_type]);
    out.body = std::move(res.body());
    if (!res.keep_alive()) conn_->stream.reset();
    return out;
  }
  return Status::IOError("request failed");
}

}  // namespace burnrate::http
