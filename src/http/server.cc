// The HTTP server on Boost.Beast; the only translation unit of the server
// that includes Beast/Asio (client.cc is the other), to keep builds fast.
//
// One io_context run by `threads` threads. Each connection is a Session on
// its own strand: read a request, dispatch it to the Router, and write the
// answer when the handler calls Respond (possibly later, from another
// thread: the write is posted back to the strand). Requests on one
// connection are answered in order because the next read starts only after
// the previous answer was written. An SSE response turns the session into a
// stream: a queue of pre-formatted events written one after another; a
// pending one-byte read notices the client going away.
#include <pthread.h>

#include <optional>
#include <utility>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <deque>
#include <thread>

#include "http/http.h"

namespace burnrate::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

namespace {

class Session;

class SseStream final : public SseChannel, public std::enable_shared_from_this<SseStream> {
 public:
  explicit SseStream(std::weak_ptr<Session> s) : session_(std::move(s)) {}
  bool Send(std::string_view event, std::string_view data) override;
  bool closed() const override { return closed_.load() || session_.expired(); }
  void Close() override;
  void MarkClosed() { closed_ = true; }

 private:
  // Weak: the session owns the stream, and a producer holding the channel
  // must not keep a closed connection (or a stopped server's) alive.
  std::weak_ptr<Session> session_;
  std::atomic<bool> closed_{false};
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const Router& router, size_t max_body)
      : stream_(std::move(socket)), router_(router), max_body_(max_body) {}

  void Start() { asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->Read(); }); }

  // Called from any thread by an SseStream.
  void CloseSse() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      self->sse_closed_ = true;
      self->Close();
    });
  }

  // Called from any thread by an SseStream.
  void QueueSse(std::string frame) {
    asio::post(stream_.get_executor(), [self = shared_from_this(), f = std::move(frame)]() mutable {
      if (self->sse_closed_) return;
      bool idle = self->sse_queue_.empty();
      self->sse_queue_.push_back(std::move(f));
      if (idle) self->WriteSse();
    });
  }

 private:
  void Read() {
    // Beast reads max(512, free capacity) bytes per recv, and its body
    // parser empties the buffer as it goes: without room reserved, a 3 MB
    // NDJSON body took 6,000 recv calls of 512 bytes, each through the whole
    // asynchronous machinery (a third of the I/O threads' time at full
    // ingest). With 64 KiB reserved, each recv takes up to 64 KiB.
    buffer_.reserve(kReadBytes);
    parser_.emplace();
    parser_->body_limit(max_body_);
    parser_->header_limit(64 * 1024);
    stream_.expires_after(std::chrono::seconds(120));
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == bhttp::error::end_of_stream || ec == asio::error::connection_reset || ec == beast::error::timeout) {
      return Close();
    }
    if (ec == bhttp::error::body_limit) {
      Response r = ErrorResponse(Status::InvalidArgument("request body exceeds " + std::to_string(max_body_) + " bytes"));
      r.status = 413;
      keep_alive_ = false;
      linger_ = true;  // the client may still be sending the body
      return Write(std::move(r));
    }
    if (ec) return Close();
    auto& msg = parser_->get();
    keep_alive_ = msg.keep_alive();
    auto req = std::make_shared<Request>();
    req->method = std::string(msg.method_string());
    std::string_view target(msg.target().data(), msg.target().size());
    size_t q = target.find('?');
    req->path = std::string(target.substr(0, q));
    if (q != std::string_view::npos) req->query = ParseQuery(target.substr(q + 1));
    for (const auto& f : msg) {
      std::string name(f.name_string());
      for (auto& c : name) c = char(std::tolower(static_cast<unsigned char>(c)));
      req->headers[name] = std::string(f.value());
    }
    req->body = std::move(msg.body());
    is_head_ = req->method == "HEAD";
    auto self = shared_from_this();
    router_.Dispatch(*req, [self, req](Response r) {
      asio::post(self->stream_.get_executor(), [self, r = std::move(r)]() mutable { self->Write(std::move(r)); });
    });
  }

  void Write(Response r) {
    if (r.on_stream) return StartSse(std::move(r));
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>();
    res->version(11);
    res->result(static_cast<unsigned>(r.status));
    res->set(bhttp::field::server, "burnrate");
    res->set(bhttp::field::content_type, r.content_type);
    for (auto& [k, v] : r.headers) res->set(k, v);
    res->keep_alive(keep_alive_);
    res->body() = std::move(r.body);
    res->prepare_payload();
    if (is_head_) res->body().clear();
    stream_.expires_after(std::chrono::seconds(120));
    bhttp::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code ec, size_t) {
      if (!ec && self->linger_) return self->Linger();
      if (ec || !self->keep_alive_) return self->Close();
      self->Read();
    });
  }

  void StartSse(Response r) {
    stream_.expires_never();
    std::string head =
        "HTTP/1.1 200 OK\r\nServer: burnrate\r\nContent-Type: text/event-stream\r\n"
        "Cache-Control: no-cache\r\nConnection: keep-alive\r\nX-Accel-Buffering: no\r\n\r\n";
    sse_ = std::make_shared<SseStream>(shared_from_this());
    sse_queue_.push_back(std::move(head));
    WriteSse();
    // A read completes only when the client closes (or misbehaves).
    stream_.async_read_some(asio::buffer(probe_), [self = shared_from_this()](beast::error_code, size_t) {
      self->sse_closed_ = true;
      if (self->sse_) self->sse_->MarkClosed();
      self->Close();
    });
    r.on_stream(sse_);
  }

  void WriteSse() {
    if (sse_queue_.empty() || sse_closed_) return;
    asio::async_write(stream_, asio::buffer(sse_queue_.front()), [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) {
        self->sse_closed_ = true;
        if (self->sse_) self->sse_->MarkClosed();
        return self->Close();
      }
      self->sse_queue_.pop_front();
      self->WriteSse();
    });
  }

  // After answering early (413), stop sending but read and drop what the
  // client still sends, for a while: closing with unread input makes the
  // kernel reset the connection, and the client may lose the answer.
  void Linger() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(std::chrono::seconds(5));
    Drain();
  }

  void Drain() {
    stream_.async_read_some(asio::buffer(drain_), [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->Close();
      self->Drain();
    });
  }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
    if (sse_) {
      sse_->MarkClosed();
      sse_.reset();  // break the Session <-> SseStream cycle
    }
  }

  beast::tcp_stream stream_;
  static constexpr size_t kReadBytes = 64 * 1024;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  const Router& router_;
  size_t max_body_;
  bool keep_alive_ = true;
  bool is_head_ = false;
  bool linger_ = false;
  char drain_[16384];
  std::shared_ptr<SseStream> sse_;
  std::deque<std::string> sse_queue_;  // on the strand only
  bool sse_closed_ = false;
  char probe_[1];
};

bool SseStream::Send(std::string_view event, std::string_view data) {
  std::shared_ptr<Session> session = session_.lock();
  if (closed_ || session == nullptr) return false;
  std::string frame;
  frame.reserve(data.size() + event.size() + 16);
  if (!event.empty()) frame.append("event: ").append(event).append("\n");
  // Each line of data becomes one "data:" field.
  size_t pos = 0;
  while (pos <= data.size()) {
    size_t nl = data.find('\n', pos);
    if (nl == std::string_view::npos) nl = data.size();
    frame.append("data: ").append(data.substr(pos, nl - pos)).append("\n");
    pos = nl + 1;
  }
  frame.append("\n");
  session->QueueSse(std::move(frame));
  return true;
}

void SseStream::Close() {
  closed_ = true;
  if (std::shared_ptr<Session> session = session_.lock()) session->CloseSse();
}

}  // namespace

struct Server::Impl {
  ServerOptions opts;
  const Router& router;
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::vector<std::thread> threads;
  uint16_t port = 0;

  Impl(ServerOptions o, const Router& r) : opts(std::move(o)), router(r) {}

  void Accept() {
    acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) {
        socket.set_option(tcp::no_delay(true), ec);
        std::make_shared<Session>(std::move(socket), router, opts.max_body_bytes)->Start();
      }
      Accept();
    });
  }
};

Server::Server(ServerOptions opts, const Router& router) : impl_(std::make_unique<Impl>(std::move(opts), router)) {}

Server::~Server() { Stop(); }

Status Server::Start() {
  beast::error_code ec;
  auto addr = asio::ip::make_address(impl_->opts.host, ec);
  if (ec) return Status::InvalidArgument("bad listen address " + impl_->opts.host);
  tcp::endpoint ep(addr, impl_->opts.port);
  auto& a = impl_->acceptor;
  a.open(ep.protocol(), ec);
  if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::IOError("cannot listen on " + impl_->opts.host + ":" + std::to_string(impl_->opts.port) + ": " +
                           ec.message());
  }
  impl_->port = a.local_endpoint().port();
  impl_->Accept();
  for (int i = 0; i < std::max(1, impl_->opts.threads); ++i) {
    impl_->threads.emplace_back([this] {
      pthread_setname_np(pthread_self(), "br-http");  // for top, perf and the load generator
      impl_->ioc.run();
    });
  }
  return Status::OK();
}

void Server::Stop() {
  if (impl_->threads.empty()) return;
  asio::post(impl_->ioc, [this] {
    beast::error_code ec;
    impl_->acceptor.close(ec);
  });
  impl_->ioc.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
}

uint16_t Server::port() const { return impl_->port; }

}  // namespace burnrate::http
