// The gateway's HTTP client on Boost.Beast and OpenSSL: the only
// translation unit of the gateway that includes them.
//
// A Pool<Stream> per upstream keeps idle connections (plain tcp_stream or
// ssl_stream over it). An Exchange takes one (or connects), writes the
// request, reads the head, then reads the body into a fixed buffer
// (buffer_body) so each piece goes to the handler as it arrives: the
// gateway never holds a whole stream. A connection whose exchange ended
// cleanly and that the server keeps alive goes back to the pool.
#include "gateway/upstream.h"

#include <pthread.h>
#include <strings.h>

#include <array>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <limits>
#include <memory_resource>
#include <mutex>
#include <optional>
#include <thread>

#include "common/resource_allocator.h"
#include "http/beast_head.h"
#include "http/http.h"
#include "http/lazy_deadline.h"

namespace burnrate::gateway {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

std::string_view UpstreamHead::Get(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && strncasecmp(k.data(), name.data(), k.size()) == 0) return v;
  }
  return {};
}

struct UpstreamIo::Impl {
  std::unique_ptr<asio::io_context> own;  // null when the loop is lent
  asio::io_context& ioc;
  const http::IoLoop* lent_loop = nullptr;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<std::thread> threads;
  explicit Impl(http::IoLoop* lent)
      : own(lent ? nullptr : std::make_unique<asio::io_context>()),
        ioc(lent ? lent->context() : *own),
        lent_loop(lent) {}
  // One thread runs the loop: a connection needs no strand of its own.
  bool single_thread() const {
    return lent_loop != nullptr ? lent_loop->threads() == 1 : threads.size() == 1;
  }
};

UpstreamIo::UpstreamIo(int threads) : impl_(std::make_unique<Impl>(nullptr)) {
  impl_->work.emplace(impl_->ioc.get_executor());
  for (int i = 0; i < std::max(1, threads); ++i)
    impl_->threads.emplace_back([this] {
      pthread_setname_np(pthread_self(), "br-gw-upstream");
      impl_->ioc.run();
    });
}

UpstreamIo::UpstreamIo(http::IoLoop& loop) : impl_(std::make_unique<Impl>(&loop)) {}

UpstreamIo::~UpstreamIo() { Stop(); }

// A lent loop is stopped by its owner (the HTTP server).
void UpstreamIo::Stop() {
  if (impl_->own == nullptr) return;
  impl_->work.reset();
  impl_->ioc.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
}

namespace {

struct Url {
  bool tls = false;
  std::string host, port, prefix;
};

Result<Url> ParseUrl(std::string_view u) {
  Url out;
  if (u.starts_with("https://")) {
    out.tls = true, u.remove_prefix(8);
  } else if (u.starts_with("http://")) {
    u.remove_prefix(7);
  } else {
    return Status::InvalidArgument("upstream base_url must start with http:// or https://");
  }
  size_t slash = u.find('/');
  std::string_view hostport = u.substr(0, slash);
  if (slash != std::string_view::npos) out.prefix = std::string(u.substr(slash));
  while (!out.prefix.empty() && out.prefix.back() == '/') out.prefix.pop_back();
  size_t colon = hostport.rfind(':');
  out.host = std::string(hostport.substr(0, colon));
  out.port = colon == std::string_view::npos ? (out.tls ? "443" : "80")
                                             : std::string(hostport.substr(colon + 1));
  if (out.host.empty()) return Status::InvalidArgument("upstream base_url has no host");
  if (out.port.empty() || out.port.find_first_not_of("0123456789") != std::string::npos) {
    return Status::InvalidArgument("upstream base_url has a bad port: " + std::string(hostport));
  }
  return out;
}

bool HopByHop(std::string_view k) {
  for (std::string_view h : {"connection", "keep-alive", "transfer-encoding", "content-length",
                             "te", "trailer", "upgrade", "proxy-connection"}) {
    if (k.size() == h.size() && strncasecmp(k.data(), h.data(), k.size()) == 0) return true;
  }
  return false;
}

class PoolBase {
 public:
  virtual ~PoolBase() = default;
  virtual void Send(UpstreamRequest req, std::shared_ptr<UpstreamHandler> h) = 0;
};

// A pooled connection with its buffers: they live as long as it does, so
// that an exchange on a kept-alive connection allocates none of them.
template <class Stream>
struct Conn {
  template <class... A>
  explicit Conn(A&&... a) : stream(std::forward<A>(a)...) {}
  Stream stream;
  // The wait for the answer's head (first-byte timeout) and for each piece
  // of its body (idle timeout): one timer operation per timeout period,
  // not per request (http/lazy_deadline.h). Expired, it closes the socket:
  // the pending read ends, and the exchange reports a timeout.
  http::detail::LazyDeadline deadline{stream.get_executor(), [this] {
                                        beast::error_code ec;
                                        beast::get_lowest_layer(stream).socket().close(ec);
                                      }};
  beast::flat_buffer buffer;
  std::string head;      // the request head being written
  char body_buf[16384];  // the answer's body, a piece at a time
  // The answer head's fields (common/resource_allocator.h); an exchange
  // destroys its parser before it gives the connection up.
  alignas(std::max_align_t) char field_buf[2048];
  std::pmr::monotonic_buffer_resource fields{field_buf, sizeof field_buf};
};

template <class Stream>
class Pool : public PoolBase, public std::enable_shared_from_this<Pool<Stream>> {
 public:
  Pool(UpstreamIo::Impl& io, Url url, UpstreamOptions opts, std::shared_ptr<ssl::context> ssl)
      : io_(io), ioc_(io.ioc), url_(std::move(url)), opts_(std::move(opts)), ssl_(std::move(ssl)) {}

  void Send(UpstreamRequest req, std::shared_ptr<UpstreamHandler> h) override;

  std::unique_ptr<Conn<Stream>> TakeIdle() {
    std::lock_guard lock(mu_);
    if (idle_.empty()) return nullptr;
    auto c = std::move(idle_.back());
    idle_.pop_back();
    return c;
  }
  void PutIdle(std::unique_ptr<Conn<Stream>> c) {
    std::lock_guard lock(mu_);
    if (int(idle_.size()) < opts_.max_idle_connections) idle_.push_back(std::move(c));
  }
  std::unique_ptr<Conn<Stream>> NewConn() {
    if (io_.single_thread()) return MakeConn(ioc_.get_executor());
    return MakeConn(asio::make_strand(ioc_));
  }
  template <class Executor>
  std::unique_ptr<Conn<Stream>> MakeConn(Executor ex) {
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      return std::make_unique<Conn<Stream>>(ex);
    } else {
      return std::make_unique<Conn<Stream>>(ex, *ssl_);
    }
  }

  UpstreamIo::Impl& io_;
  asio::io_context& ioc_;
  const Url url_;
  const UpstreamOptions opts_;
  std::shared_ptr<ssl::context> ssl_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Conn<Stream>>> idle_;  // guarded by mu_
};

template <class Stream>
class Exchange : public std::enable_shared_from_this<Exchange<Stream>> {
 public:
  Exchange(std::shared_ptr<Pool<Stream>> pool, UpstreamRequest r,
           std::shared_ptr<UpstreamHandler> h)
      : pool_(std::move(pool)), handler_(std::move(h)), req_(std::move(r)) {}

  void Start() {
    conn_ = pool_->TakeIdle();
    if (conn_ != nullptr) FormatHead();
    reused_ = conn_ != nullptr;
    if (!reused_) return Connect();
    asio::dispatch(conn_->stream.get_executor(),
                   [self = this->shared_from_this()] { self->Write(); });
  }

 private:
  auto& Lowest() { return beast::get_lowest_layer(conn_->stream); }

  // The request's head, written by hand into the connection's own string
  // (no per-request field allocations): the method, the base URL's prefix
  // and the target, Host, the handler's headers (a repeated name: the last
  // wins, CR or LF in a name or value: dropped), Content-Length.
  void FormatHead() {
    std::string& h = conn_->head;
    h.clear();
    h.append(req_.method).append(" ").append(pool_->url_.prefix).append(req_.target);
    h.append(" HTTP/1.1\r\nHost: ").append(pool_->url_.host).append("\r\n");
    const Headers& hs = req_.headers;
    for (size_t i = 0; i < hs.size(); ++i) {
      const auto& [k, v] = hs[i];
      // CR, LF or ':' searched for one byte at a time: find_first_of with
      // a set calls memchr once per character.
      if (k.empty() || k.find('\r') != k.npos || k.find('\n') != k.npos || k.find(':') != k.npos ||
          v.find('\r') != v.npos || v.find('\n') != v.npos || HopByHop(k) ||
          (k.size() == 4 && strncasecmp(k.data(), "host", 4) == 0))
        continue;
      bool later = false;
      for (size_t j = i + 1; j < hs.size() && !later; ++j)
        later = hs[j].first.size() == k.size() &&
                strncasecmp(hs[j].first.data(), k.data(), k.size()) == 0;
      if (later) continue;
      h.append(k).append(": ").append(v).append("\r\n");
    }
    if (!req_.body.empty() || req_.method != "GET")
      h.append("Content-Length: ").append(std::to_string(req_.body.size())).append("\r\n");
    h.append("\r\n");
  }

  void Connect() {
    conn_ = pool_->NewConn();
    FormatHead();
    reused_ = false;
    resolver_.emplace(pool_->ioc_);
    resolver_->async_resolve(
        pool_->url_.host, pool_->url_.port,
        [self = this->shared_from_this()](beast::error_code ec, tcp::resolver::results_type rs) {
          if (ec) return self->Fail(ec, "resolve", /*retryable=*/false);
          self->Lowest().expires_after(
              std::chrono::milliseconds(self->pool_->opts_.connect_timeout_ms));
          self->Lowest().async_connect(rs, [self](beast::error_code ec, const tcp::endpoint&) {
            if (ec) return self->Fail(ec, "connect", /*retryable=*/true);
            self->Lowest().socket().set_option(tcp::no_delay(true), ec);
            self->Handshake();
          });
        });
  }

  void Handshake() {
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      Write();
    } else {
      if (!SSL_set_tlsext_host_name(conn_->stream.native_handle(), pool_->url_.host.c_str())) {
        return Fail(beast::error_code(int(::ERR_get_error()), asio::error::get_ssl_category()),
                    "TLS", false);
      }
      conn_->stream.set_verify_callback(ssl::host_name_verification(pool_->url_.host));
      conn_->stream.async_handshake(ssl::stream_base::client,
                                    [self = this->shared_from_this()](beast::error_code ec) {
                                      if (ec) return self->Fail(ec, "TLS handshake", false);
                                      self->Write();
                                    });
    }
  }

  // Over plain TCP the request is first sent by one non-blocking send; it
  // usually goes whole, and then the head is read without an asynchronous
  // write (whose completion would run one turn of the event loop later).
  // What the socket does not take, and every TLS write, goes through
  // async_write. The first-byte timeout runs from here either way.
  void Write() {
    Lowest().expires_never();  // the connect timeout's end
    conn_->deadline.Set(std::chrono::milliseconds(pool_->opts_.first_byte_timeout_ms));
    std::array<asio::const_buffer, 2> bufs{asio::buffer(conn_->head), asio::buffer(req_.body)};
    size_t sent = 0;
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      beast::error_code ec;
      sent = http::detail::SendNow(Lowest().socket(), bufs, ec);
      if (ec) return Fail(ec, "write", reused_);
      if (sent == asio::buffer_size(bufs)) return ReadHead();
    }
    beast::buffers_suffix<std::array<asio::const_buffer, 2>> rest(bufs);
    rest.consume(sent);
    asio::async_write(conn_->stream, rest,
                      [self = this->shared_from_this()](beast::error_code ec, size_t) {
                        // The first-byte deadline may close the socket under
                        // a write the upstream does not take.
                        if (ec && self->conn_->deadline.expired()) ec = beast::error::timeout;
                        if (ec) return self->Fail(ec, "write", self->reused_);
                        self->ReadHead();
                      });
  }

  void ReadHead() {
    parser_.reset();
    conn_->fields.release();
    parser_.emplace(std::piecewise_construct, std::make_tuple(),
                    std::make_tuple(ResourceAllocator<char>(&conn_->fields)));
    parser_->body_limit(
        std::numeric_limits<std::uint64_t>::max());  // the handler bounds what it keeps
    ParseHead();
  }

  // What bhttp::async_read_header does, without its composed operation
  // (whose completion, when the head was already buffered, is posted: one
  // more turn of the event loop). Reads and end-of-stream are handled as
  // Beast's read_some_op does. The first-byte timeout set by Write() runs
  // across all the reads.
  void ParseHead() {
    if (conn_->buffer.size() > 0) {
      beast::error_code ec;
      size_t n = parser_->put(conn_->buffer.data(), ec);
      conn_->buffer.consume(n);
      if (ec != bhttp::error::need_more) return OnHeadRead(ec);
    }
    size_t want = beast::read_size(conn_->buffer, 65536);
    if (want == 0) return OnHeadRead(bhttp::error::buffer_overflow);
    conn_->stream.async_read_some(conn_->buffer.prepare(want), [self = this->shared_from_this()](
                                                                   beast::error_code ec, size_t n) {
      self->conn_->buffer.commit(n);
      if (ec) return self->OnHeadRead(http::detail::HeadReadError(*self->parser_, ec));
      self->ParseHead();
    });
  }

  // A read's error, or a timeout when the deadline closed the socket under
  // it; the deadline is off until the next read sets it (a paused body
  // has none, as the stream's own timer had none between reads).
  beast::error_code ReadEnded(beast::error_code ec) {
    if (ec && conn_->deadline.expired()) ec = beast::error::timeout;
    conn_->deadline.Clear();
    return ec;
  }

  void OnHeadRead(beast::error_code ec) {
    ec = ReadEnded(ec);
    // A pooled connection the server closed meanwhile fails here with
    // nothing read: not processed.
    if (ec) return Fail(ec, "read", reused_ && ec == bhttp::error::end_of_stream);
    OnHead();
  }

  void OnHead() {
    UpstreamHead head;
    head.status = int(parser_->get().result_int());
    for (const auto& f : parser_->get()) {
      std::string_view name(f.name_string().data(), f.name_string().size());
      if (!HopByHop(name)) head.headers.emplace_back(std::string(name), std::string(f.value()));
    }
    head_sent_ = true;
    handler_->OnHead(head);
    ReadBody();
  }

  void ReadBody() {
    if (parser_->is_done()) return Done();
    parser_->get().body().data = conn_->body_buf;
    parser_->get().body().size = sizeof conn_->body_buf;
    // Bytes already read (a small answer's body arrives with its head) are
    // parsed here: an asynchronous read would hand them over through one
    // more turn of the event loop. Only when they make progress, so that a
    // partial chunk header waits for more bytes below.
    if (conn_->buffer.size() > 0) {
      beast::error_code ec;
      size_t n = parser_->put(conn_->buffer.data(), ec);
      conn_->buffer.consume(n);
      if (n > 0 || (ec && ec != bhttp::error::need_more)) {
        if (ec == bhttp::error::need_more) ec = {};
        return OnBodyRead(ec);
      }
    }
    conn_->deadline.Set(std::chrono::milliseconds(pool_->opts_.idle_timeout_ms));
    bhttp::async_read_some(
        conn_->stream, conn_->buffer, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, size_t) { self->OnBodyRead(ec); });
  }

  void OnBodyRead(beast::error_code ec) {
    ec = ReadEnded(ec);
    if (ec == bhttp::error::need_buffer) ec = {};
    size_t got = sizeof conn_->body_buf - parser_->get().body().size;
    if (got > 0 && !handler_->OnBody(std::string_view(conn_->body_buf, got))) {
      CloseConn();
      return End(Status::Unavailable("the client went away"));
    }
    if (ec) return Fail(ec, "read body", false);
    if (got > 0 && handler_->Pause([self = this->shared_from_this()] {
          asio::dispatch(self->conn_->stream.get_executor(), [self] { self->ReadBody(); });
        }))
      return;
    ReadBody();
  }

  void Done() {
    bool keep = parser_->keep_alive();
    parser_.reset();  // its fields live in the connection's buffer
    if (keep) {
      conn_->deadline.Clear();
      pool_->PutIdle(std::move(conn_));
    } else {
      CloseConn();
    }
    End(Status::OK());
  }

  void CloseConn() {
    if (!conn_) return;
    parser_.reset();  // its fields live in the connection's buffer
    beast::error_code ec;
    Lowest().socket().close(ec);
    conn_.reset();
  }

  void Fail(beast::error_code ec, const char* step, bool retryable) {
    CloseConn();
    if (!head_sent_ && retryable && !retried_) {
      retried_ = true;
      return Connect();
    }
    std::string what =
        std::string(step) + " " + pool_->url_.host + ":" + pool_->url_.port + ": " + ec.message();
    End(ec == beast::error::timeout ? Status::Unavailable("upstream timed out (" + what + ")")
                                    : Status::IOError("upstream failed (" + what + ")"));
  }

  void End(Status s) {
    if (ended_) return;
    ended_ = true;
    handler_->OnEnd(std::move(s));
  }

  std::shared_ptr<Pool<Stream>> pool_;
  std::shared_ptr<UpstreamHandler> handler_;
  std::optional<tcp::resolver> resolver_;  // only for a new connection
  std::unique_ptr<Conn<Stream>> conn_;
  UpstreamRequest req_;
  // After conn_, whose buffer holds its fields: destroyed first.
  std::optional<bhttp::response_parser<bhttp::buffer_body, ResourceAllocator<char>>> parser_;
  bool reused_ = false, retried_ = false, head_sent_ = false, ended_ = false;
};

template <class Stream>
void Pool<Stream>::Send(UpstreamRequest req, std::shared_ptr<UpstreamHandler> h) {
  std::make_shared<Exchange<Stream>>(this->shared_from_this(), std::move(req), std::move(h))
      ->Start();
}

}  // namespace

struct Upstream::Impl {
  UpstreamOptions opts;
  std::shared_ptr<PoolBase> pool;
};

Result<std::unique_ptr<Upstream>> Upstream::Create(UpstreamOptions opts, UpstreamIo& io) {
  BR_ASSIGN_OR_RETURN(Url url, ParseUrl(opts.base_url));
  auto impl = std::make_shared<Impl>();
  impl->opts = opts;
  UpstreamIo::Impl& ioi = io.impl();
  if (url.tls) {
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
    beast::error_code ec;
    if (opts.ca_file.empty()) {
      ctx->set_default_verify_paths(ec);
    } else {
      ctx->load_verify_file(opts.ca_file, ec);
    }
    if (ec)
      return Status::InvalidArgument("cannot load CA certificates for " + opts.base_url + ": " +
                                     ec.message());
    ctx->set_verify_mode(ssl::verify_peer);
    impl->pool = std::make_shared<Pool<beast::ssl_stream<beast::tcp_stream>>>(ioi, url, opts, ctx);
  } else {
    impl->pool = std::make_shared<Pool<beast::tcp_stream>>(ioi, url, opts, nullptr);
  }
  return std::unique_ptr<Upstream>(new Upstream(std::move(impl)));
}

Upstream::~Upstream() = default;

void Upstream::Send(UpstreamRequest req, std::shared_ptr<UpstreamHandler> handler) {
  impl_->pool->Send(std::move(req), std::move(handler));
}

const std::string& Upstream::base_url() const { return impl_->opts.base_url; }

}  // namespace burnrate::gateway
