// The HTTP server on Boost.Beast; with request_head.cc the only translation
// units of the server that include Beast/Asio (client.cc is the other), to
// keep builds fast.
//
// One io_context run by `threads` threads. Each connection is a Session on
// its own strand: read a request's head, check it (request_head.h) and ask
// the Router to admit it, answer "100 Continue" if the client waits for
// that, read the body, dispatch it to the Router, and write the answer when
// the handler calls Respond (possibly later, from another thread: the write
// is posted back to the strand). Requests on one connection are answered in
// order because the next read starts only after the previous answer was
// written. An SSE response turns the session into a stream: a queue of
// pre-formatted events written one after another; a pending one-byte read
// notices the client going away.
//
// Against clients that hold connections: every wait has a timeout (head,
// keep-alive idle, body progress, write), the number of connections is
// capped below the open-file limit (one more is answered 503), and a failed
// accept backs off instead of retrying at once.
#include <pthread.h>
#include <strings.h>
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <deque>
#include <filesystem>
#include <limits>
#include <memory_resource>
#include <optional>
#include <thread>
#include <utility>

// After <utility>: Boost 1.74's asio/awaitable.hpp uses std::exchange
// without including it.
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "common/log.h"
#include "http/beast_head.h"
#include "http/http.h"
#include "http/lazy_deadline.h"

namespace burnrate::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

namespace {

class Session;

// Whether a header name (or value) from a handler would break the head it
// goes into: CR or LF, or in a name ':'. Searched for one byte at a time
// (memchr each): find_first_of with a set calls memchr once per character.
bool UnsafeValue(std::string_view v) {
  return v.find('\r') != std::string_view::npos || v.find('\n') != std::string_view::npos;
}
bool UnsafeName(std::string_view k) {
  return UnsafeValue(k) || k.find(':') != std::string_view::npos;
}

class SseStream final : public SseChannel, public std::enable_shared_from_this<SseStream> {
 public:
  explicit SseStream(std::weak_ptr<Session> s) : session_(std::move(s)) {}
  bool Send(std::string_view event, std::string_view data) override;
  bool SendRaw(std::string bytes) override;
  void Finish() override;
  bool closed() const override { return closed_.load() || session_.expired(); }
  void Close() override;
  size_t queued_bytes() const override;
  void WhenDrained(size_t bytes, std::function<void()> fn) override;
  void MarkClosed() { closed_ = true; }

 private:
  // Weak: the session owns the stream, and a producer holding the channel
  // must not keep a closed connection (or a stopped server's) alive.
  std::weak_ptr<Session> session_;
  std::atomic<bool> closed_{false};
};

// The limits one session applies, from ServerOptions.
struct SessionLimits {
  HeadLimits head;
  std::chrono::milliseconds header_timeout, idle_timeout, body_timeout, write_timeout;
  bool access_log = false;
};

// Counts a connection against the cap until released (at Close, or when
// the session is destroyed without one). Shared: a handler may keep its
// session past the server's end.
class ConnectionSlot {
 public:
  explicit ConnectionSlot(std::shared_ptr<std::atomic<int>> live) : live_(std::move(live)) {}
  ConnectionSlot(ConnectionSlot&&) noexcept = default;
  ConnectionSlot& operator=(ConnectionSlot&&) = delete;
  ~ConnectionSlot() { Release(); }
  void Release() {
    if (live_ != nullptr) live_->fetch_sub(1);
    live_.reset();
  }

 private:
  std::shared_ptr<std::atomic<int>> live_;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, IoLoop& loop, const Router& router, const SessionLimits& limits,
          ConnectionSlot slot)
      : stream_(std::move(socket)),
        router_(router),
        loop_(loop),
        limits_(limits),
        slot_(std::move(slot)) {}

  void Start() {
    asio::dispatch(stream_.get_executor(),
                   [self = shared_from_this()] { self->ReadHead(/*first=*/true); });
  }

  // The idle wait and the head's reads are timed by a LazyDeadline (one
  // timer operation per timeout period, not two per request); the rarer
  // waits (body, a write the socket did not take at once, streams,
  // lingering) by the stream's own timer. An expired deadline closes the
  // connection, which ends the pending read as a timeout did.
  http::detail::LazyDeadline& deadline() {
    if (!deadline_) {
      deadline_.emplace(stream_.get_executor(), [w = weak_from_this()] {
        if (auto self = w.lock()) self->Close();
      });
    }
    return *deadline_;
  }

  // Over the connection cap: answer 503 and close.
  void Refuse(int cap) {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this(), cap] {
      Response r = ErrorResponse(Status::Unavailable("too many open connections (limit " +
                                                     std::to_string(cap) + "); try again shortly"));
      self->keep_alive_ = false;
      self->linger_ = true;
      self->linger_for_ = std::chrono::seconds(1);
      self->Write(std::move(r));
    });
  }

  // Runs fn on the connection's executor; callable from any thread. Once
  // posted, fn may run and release the session at once: nothing here
  // touches `this` after the post, and the executor's copy goes under the
  // loop's ForeignPost count.
  template <class Fn>
  void PostFromAnyThread(Fn&& fn) {
    IoLoop::ForeignPost hold(loop_);
    asio::post(stream_.get_executor(), std::forward<Fn>(fn));
  }

  // Called from any thread by an SseStream.
  void CloseSse() {
    PostFromAnyThread([self = shared_from_this()] {
      self->sse_closed_ = true;
      self->Close();
    });
  }

  // Called from any thread by an SseStream: close once the queue is written.
  void FinishSse() {
    PostFromAnyThread([self = shared_from_this()] {
      self->sse_finish_ = true;
      if (self->sse_queue_.empty()) self->Close();
    });
  }

  size_t sse_bytes() const { return sse_bytes_.load(std::memory_order_relaxed); }

  // Called from any thread by an SseStream: fn runs on the strand once at
  // most `bytes` are queued, or the stream closed.
  void WhenSseDrained(size_t bytes, std::function<void()> fn) {
    PostFromAnyThread([self = shared_from_this(), bytes, fn = std::move(fn)]() mutable {
      if (self->sse_closed_ || self->sse_bytes() <= bytes) return fn();
      self->drain_waiters_.emplace_back(bytes, std::move(fn));
    });
  }

  // Called from any thread by an SseStream.
  void QueueSse(std::string frame) {
    sse_bytes_.fetch_add(frame.size(), std::memory_order_relaxed);
    PostFromAnyThread([self = shared_from_this(), f = std::move(frame)]() mutable {
      if (self->sse_closed_) {
        self->sse_bytes_.fetch_sub(f.size(), std::memory_order_relaxed);
        return;
      }
      bool idle = self->sse_queue_.empty();
      self->sse_queue_.push_back(std::move(f));
      if (idle) self->WriteSse();
    });
  }

 private:
  // 1. The head. The first request's head must be complete within the
  // header timeout of the accept; a kept-alive connection may idle
  // longer, and the header timeout starts with the next request's bytes.
  void ReadHead(bool first) {
    // Beast reads max(512, free capacity) bytes per recv, and its body
    // parser empties the buffer as it goes: without room reserved, a large
    // NDJSON body is read 512 bytes per recv, each through the whole
    // asynchronous machinery. With kReadBytes reserved, each recv takes up
    // to that much (docs/PERFORMANCE.md, "End-to-end ingest over HTTP vs
    // raw SQLite appends", item 3, has the measurement).
    buffer_.reserve(kReadBytes);
    // The last request's parser goes before its fields' memory is reused.
    parser_.reset();
    fields_.release();
    parser_.emplace(std::piecewise_construct, std::make_tuple(),
                    std::make_tuple(detail::FieldAllocator(&fields_)));
    detail::ApplyLimits(*parser_, limits_.head);
    stream_.expires_never();  // the stream's timer is off (a body read may have set it)
    if (first || buffer_.size() > 0) return ReadHeadBytes();
    deadline().Set(limits_.idle_timeout);
    stream_.async_read_some(buffer_.prepare(kReadBytes),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              if (ec) return self->Close();
                              self->buffer_.commit(n);
                              self->ReadHeadBytes();
                            });
  }

  // The header timeout runs from the first read this head needs across all
  // its reads, so that a client dribbling bytes cannot hold the connection.
  // A head that came whole with the bytes already read needs no timeout.
  void ReadHeadBytes() {
    head_bytes_ = 0;
    head_timed_ = false;
    ParseHead();
  }

  // What bhttp::async_read_header does, without its composed operation: a
  // head already read (by ReadHead's wait for the next request, or with the
  // previous one) is parsed here at once, where async_read_header handed it
  // over through a posted handler, one more turn of the event loop per
  // request. Reads and end-of-stream are handled as Beast's read_some_op
  // does, so OnHead sees the same errors.
  void ParseHead() {
    if (buffer_.size() > 0) {
      beast::error_code ec;
      size_t n = parser_->put(buffer_.data(), ec);
      head_bytes_ += n;
      buffer_.consume(n);
      if (ec != bhttp::error::need_more) return OnHead(ec, head_bytes_);
    }
    size_t want = beast::read_size(buffer_, kReadBytes);
    if (want == 0) return OnHead(beast::http::error::buffer_overflow, head_bytes_);
    if (!head_timed_) deadline().Set(limits_.header_timeout);
    head_timed_ = true;
    stream_.async_read_some(
        buffer_.prepare(want), [self = shared_from_this()](beast::error_code ec, size_t n) {
          self->buffer_.commit(n);
          if (ec) return self->OnHead(detail::HeadReadError(*self->parser_, ec), self->head_bytes_);
          self->ParseHead();
        });
  }

  // 2. Admission: the head is checked, the route found and the key
  // authorized before any body byte is read, so a refused upload costs
  // the client one round trip and the server nothing.
  void OnHead(beast::error_code ec, size_t head_bytes) {
    if (deadline_) deadline_->Clear();
    if (ClientGone(ec)) return Close();
    if (ec) return Reject(detail::ParseErrorFor(ec, limits_.head));
    RequestHead head;
    HeadError e = detail::CheckHead(*parser_, head_bytes, limits_.head, &head);
    if (!e.ok()) return Reject(e);
    keep_alive_ = head.keep_alive;
    is_head_ = head.request.method == "HEAD";
    req_ = std::make_shared<Request>(std::move(head.request));
    std::optional<Response> refusal = router_.Admit(*req_);
    if (limits_.access_log) {
      access_ = {req_->method, req_->path, req_->principal, std::chrono::steady_clock::now()};
    }
    if (refusal) {
      // The body (if any) stays unread, so the connection cannot carry
      // another request.
      if (head.has_body) {
        keep_alive_ = false;
        linger_ = true;
      }
      return Write(std::move(*refusal));
    }
    if (!head.has_body) return Dispatch();
    if (!head.expect_continue) return ReadBody();
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    stream_.expires_after(limits_.write_timeout);
    asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        if (ec) return self->Close();
                        self->ReadBody();
                      });
  }

  // 3. The body, one read at a time: each read restarts the body timeout.
  // Bytes already read (a small body arrives with its head) are parsed
  // here: an asynchronous read would hand them over through one more turn
  // of the event loop. Only when they make progress, so that a partial
  // chunk header waits for more bytes.
  void ReadBody() {
    parser_->eager(true);  // parse all that each read brings
    if (buffer_.size() > 0) {
      beast::error_code ec;
      size_t n = parser_->put(buffer_.data(), ec);
      buffer_.consume(n);
      if (n > 0 || (ec && ec != bhttp::error::need_more)) {
        if (ec == bhttp::error::need_more) ec = {};
        return OnBodyRead(ec);
      }
    }
    stream_.expires_after(limits_.body_timeout);
    bhttp::async_read_some(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnBodyRead(ec); });
  }

  void OnBodyRead(beast::error_code ec) {
    if (ClientGone(ec)) return Close();
    if (ec) return Reject(detail::ParseErrorFor(ec, limits_.head));
    if (!parser_->is_done()) return ReadBody();
    Dispatch();
  }

  // 4. The handler; it answers through Respond, possibly from another
  // thread. An answer given on the session's own strand (or, with one
  // thread, on the loop: a gateway's upstream exchange runs there) is
  // written at once; from elsewhere it is posted to the strand. Posting it
  // always cost a queued operation and a turn of the loop behind every
  // other connection's ready handlers per request.
  void Dispatch() {
    auto req = std::move(req_);
    req->body = std::move(parser_->get().body());
    // The callback gives up its hold on the session when it answers: a
    // handler's copy that outlives the answer (a thread that ends later)
    // must not be what destroys the session, perhaps after the server.
    // A second answer is ignored.
    router_.Dispatch(*req, [self = shared_from_this(), req](Response r) mutable {
      if (self == nullptr) return;
      auto session = std::move(self);
      // On the connection's own thread: written here (asio::dispatch would
      // do the same, after wrapping the answer in a type-erased function).
      if (RunningHere(session->stream_.get_executor())) return session->Write(std::move(r));
      Session& s = *session;  // the handler below owns it from here on
      s.PostFromAnyThread([session = std::move(session), r = std::move(r)]() mutable {
        session->Write(std::move(r));
      });
    });
  }

  // Whether the calling thread runs `ex`'s handlers now: the loop's own
  // executor (one thread) or the connection's strand (several).
  template <class Executor>
  static bool RunningHere(const Executor& ex) {
    if (const auto* io = ex.template target<asio::io_context::executor_type>())
      return io->running_in_this_thread();
    if (const auto* st = ex.template target<asio::strand<asio::io_context::executor_type>>())
      return st->running_in_this_thread();
    return false;
  }

  static bool ClientGone(beast::error_code ec) {
    return ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message ||
           ec == asio::error::connection_reset || ec == asio::error::eof ||
           ec == beast::error::timeout || ec == asio::error::operation_aborted;
  }

  // A head or body that cannot be read as a request: answer why and close,
  // since what follows cannot be trusted to start the next request.
  void Reject(const HeadError& e) {
    keep_alive_ = false;
    linger_ = true;  // the client may still be sending
    is_head_ = false;
    Write(e.ToResponse());
  }

  // One line per answer when [server] access_log is on: no query string
  // (it may hold ?key=), no header, no body.
  void LogAccess(int status, size_t bytes) {
    if (!limits_.access_log) return;
    double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - access_.start)
            .count();
    log::Info("http.access", {{"method", access_.method.empty() ? "-" : access_.method},
                              {"path", access_.path.substr(0, 256)},
                              {"status", status},
                              {"bytes", uint64_t(bytes)},
                              {"ms", ms},
                              {"principal", access_.principal.empty() ? "-" : access_.principal}});
    access_ = {};
  }

  // 1xx, 204 and 304 answers have no body and no Content-Length (RFC 9110
  // 8.6: a 304's would have to be the 200's length).
  static bool Bodiless(int status) { return status < 200 || status == 204 || status == 304; }

  // The answer is written at once by one non-blocking send when the
  // socket takes it all (a small answer, a client that reads): no write
  // timer armed and cancelled, no completion posted and run one turn of the
  // loop later. Only what the socket does not take goes through
  // async_write, under the write timeout.
  void Write(Response r) {
    LogAccess(r.status, r.body.size());
    if (r.on_stream) return StartSse(std::move(r));
    if (Bodiless(r.status)) r.body.clear();
    FormatHead(r);
    out_body_ = std::move(r.body);
    std::array<asio::const_buffer, 2> bufs{
        asio::buffer(out_head_), asio::buffer(out_body_.data(), is_head_ ? 0 : out_body_.size())};
    beast::error_code ec;
    size_t sent = detail::SendNow(stream_.socket(), bufs, ec);
    if (ec || sent == asio::buffer_size(bufs)) return Written(ec, /*now=*/true);
    beast::buffers_suffix<std::array<asio::const_buffer, 2>> rest(bufs);
    rest.consume(sent);
    stream_.expires_after(limits_.write_timeout);
    asio::async_write(stream_, rest, [self = shared_from_this()](beast::error_code ec, size_t) {
      self->Written(ec, /*now=*/false);
    });
  }

  // The next request's head, once the answer is out. Written at once
  // (`now`) with the next request already buffered (pipelined): read on a
  // later turn of the loop, since reading it here would nest the next
  // request's handler inside this one, one level per pipelined request.
  void Written(beast::error_code ec, bool now) {
    if (!ec && linger_) return Linger();
    if (ec || !keep_alive_) return Close();
    if (now && buffer_.size() > 0) {
      return asio::post(stream_.get_executor(),
                        [self = shared_from_this()] { self->ReadHead(/*first=*/false); });
    }
    ReadHead(/*first=*/false);
  }

  // The answer's head, written by hand into the session's own string (no
  // per-answer field allocations), as Beast's serializer wrote it: the
  // status line, Server and Content-Type unless the handler set its own,
  // the handler's headers (a repeated name: the last wins; CR or LF in a
  // name or value, or a framing header: dropped), Connection: close when
  // the connection ends, Content-Length (the body's, also for HEAD).
  void FormatHead(const Response& r) {
    auto same = [](std::string_view a, std::string_view b) {
      return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
    };
    auto usable = [&](std::string_view k, std::string_view v) {
      return !k.empty() && !UnsafeName(k) && !UnsafeValue(v) && !same(k, "content-length") &&
             !same(k, "transfer-encoding") && !same(k, "connection");
    };
    // Each header judged once (this runs per answer; judging them again for
    // every later name made it quadratic in the checks).
    const size_t n = r.headers.size();
    usable_.assign(n, 0);
    bool own_server = false, own_type = false;
    for (size_t i = 0; i < n; ++i) {
      const auto& [k, v] = r.headers[i];
      if (!usable(k, v)) continue;
      usable_[i] = 1;
      own_server = own_server || same(k, "server");
      own_type = own_type || same(k, "content-type");
    }
    auto set_later = [&](size_t from, std::string_view name) {
      for (size_t j = from; j < n; ++j)
        if (usable_[j] && same(r.headers[j].first, name)) return true;
      return false;
    };
    std::string& h = out_head_;
    h.clear();
    h.append("HTTP/1.1 ").append(std::to_string(r.status)).append(" ");
    beast::string_view reason = bhttp::obsolete_reason(bhttp::int_to_status(unsigned(r.status)));
    h.append(reason.data(), reason.size());
    h.append("\r\n");
    if (!own_server) h.append("Server: burnrate\r\n");
    if (!own_type && !UnsafeValue(r.content_type))
      h.append("Content-Type: ").append(r.content_type).append("\r\n");
    for (size_t i = 0; i < n; ++i) {
      const auto& [k, v] = r.headers[i];
      if (!usable_[i] || set_later(i + 1, k)) continue;
      h.append(k).append(": ").append(v).append("\r\n");
    }
    if (!keep_alive_) h.append("Connection: close\r\n");
    // 1xx, 204 and 304 answers have no body and no Content-Length (RFC 9110
    // 8.6: a 304's would have to be the 200's length).
    bool bodiless = r.status < 200 || r.status == 204 || r.status == 304;
    if (!bodiless)
      h.append("Content-Length: ").append(std::to_string(r.body.size())).append("\r\n");
    h.append("\r\n");
  }

  void StartSse(Response r) {
    stream_.expires_never();
    std::string head =
        "HTTP/1.1 " + std::to_string(r.status) + " " +
        std::string(bhttp::obsolete_reason(bhttp::int_to_status(unsigned(r.status)))) +
        "\r\nServer: burnrate\r\nContent-Type: text/event-stream\r\n"
        "Cache-Control: no-cache\r\nConnection: keep-alive\r\nX-Accel-Buffering: no\r\n";
    for (const auto& [k, v] : r.headers) {
      // Header values from a handler (a proxied upstream's) must not break
      // the head.
      if (UnsafeName(k) || UnsafeValue(v)) continue;
      head.append(k).append(": ").append(v).append("\r\n");
    }
    head.append("\r\n");
    sse_ = std::make_shared<SseStream>(shared_from_this());
    sse_bytes_.fetch_add(head.size(), std::memory_order_relaxed);
    sse_queue_.push_back(std::move(head));
    WriteSse();
    // A read completes only when the client closes (or misbehaves).
    stream_.async_read_some(asio::buffer(probe_),
                            [self = shared_from_this()](beast::error_code, size_t) {
                              self->sse_closed_ = true;
                              if (self->sse_) self->sse_->MarkClosed();
                              self->Close();
                            });
    r.on_stream(sse_);
  }

  void WriteSse() {
    if (sse_queue_.empty() || sse_closed_) return;
    // A client that stops reading must not hold the stream (and whatever
    // produces it: a gateway's upstream exchange, paused on WhenDrained)
    // for ever: a frame not taken within the write timeout closes the stream,
    // which wakes the producers. Idle streams are not affected: only a
    // write in progress has a deadline (the pending read has none).
    stream_.expires_after(limits_.write_timeout);
    asio::async_write(stream_, asio::buffer(sse_queue_.front()),
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        if (ec) {
                          self->sse_closed_ = true;
                          if (self->sse_) self->sse_->MarkClosed();
                          return self->Close();
                        }
                        self->sse_bytes_.fetch_sub(self->sse_queue_.front().size(),
                                                   std::memory_order_relaxed);
                        self->sse_queue_.pop_front();
                        self->WakeDrainWaiters();
                        if (self->sse_queue_.empty() && self->sse_finish_) return self->Close();
                        self->WriteSse();
                      });
  }

  // On the strand: the producers waiting for the queue to drain whose mark
  // it reached (all of them once the stream is closed).
  void WakeDrainWaiters() {
    if (drain_waiters_.empty()) return;
    std::vector<std::pair<size_t, std::function<void()>>> due, rest;
    for (auto& w : drain_waiters_)
      (sse_closed_ || sse_bytes() <= w.first ? due : rest).push_back(std::move(w));
    drain_waiters_.swap(rest);
    for (auto& w : due) w.second();
  }

  // After answering early (413, 401, 400, 503), stop sending but read and
  // drop what the client still sends, for a while: closing with unread
  // input makes the kernel reset the connection, and the client may lose
  // the answer.
  void Linger() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(linger_for_);
    Drain();
  }

  void Drain() {
    stream_.async_read_some(asio::buffer(drain_),
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              if (ec) return self->Close();
                              self->Drain();
                            });
  }

  void Close() {
    if (deadline_) deadline_->Cancel();
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
    slot_.Release();
    if (sse_) {
      sse_->MarkClosed();
      sse_.reset();  // break the Session <-> SseStream cycle
    }
    sse_closed_ = true;
    WakeDrainWaiters();
  }

  static constexpr size_t kReadBytes = 64 * 1024;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::string out_head_, out_body_;  // the answer being written (one at a time)
  std::vector<char> usable_;         // FormatHead: which of the answer's headers go out
  // The head's fields: a typical head fits the buffer, and what does not
  // (up to the header limit) is taken from the heap until the next request.
  alignas(std::max_align_t) char field_buf_[2048];
  std::pmr::monotonic_buffer_resource fields_{field_buf_, sizeof field_buf_};
  std::optional<detail::RequestParser> parser_;  // after fields_: destroyed first
  size_t head_bytes_ = 0;                        // of the head being read, as the parser took them
  bool head_timed_ = false;                      // the header timeout runs for this head
  std::optional<http::detail::LazyDeadline> deadline_;  // see deadline()
  std::shared_ptr<Request> req_;                        // between its head and its dispatch
  const Router& router_;
  IoLoop& loop_;
  const SessionLimits& limits_;  // owned by the Server
  struct Access {
    std::string method, path, principal;
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  } access_;  // the request being answered, for the access log
  ConnectionSlot slot_;
  bool keep_alive_ = true;
  bool is_head_ = false;
  bool linger_ = false;
  std::chrono::seconds linger_for_{5};
  char drain_[16384];
  std::shared_ptr<SseStream> sse_;
  std::deque<std::string> sse_queue_;  // on the strand only
  bool sse_closed_ = false;
  bool sse_finish_ = false;  // Finish(): close when the queue is written
  // Bytes in sse_queue_ and in posts on their way to it (read by producers
  // on other threads).
  std::atomic<size_t> sse_bytes_{0};
  std::vector<std::pair<size_t, std::function<void()>>> drain_waiters_;  // on the strand only
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

bool SseStream::SendRaw(std::string bytes) {
  std::shared_ptr<Session> session = session_.lock();
  if (closed_ || session == nullptr) return false;
  session->QueueSse(std::move(bytes));
  return true;
}

void SseStream::Finish() {
  if (std::shared_ptr<Session> session = session_.lock()) session->FinishSse();
}

size_t SseStream::queued_bytes() const {
  std::shared_ptr<Session> session = session_.lock();
  return session ? session->sse_bytes() : 0;
}

void SseStream::WhenDrained(size_t bytes, std::function<void()> fn) {
  std::shared_ptr<Session> session = session_.lock();
  if (session == nullptr || closed_) return fn();
  session->WhenSseDrained(bytes, std::move(fn));
}

void SseStream::Close() {
  closed_ = true;
  if (std::shared_ptr<Session> session = session_.lock()) session->CloseSse();
}

}  // namespace

// Descriptors kept free for everything but connections: the database and
// its WAL, files being served, the listener, the I/O machinery.
constexpr int64_t kReservedFds = 32;

// Runs the loop until it is stopped or runs out of work, as io_context::run,
// but with busy polling (ServerOptions::busy_poll_us): after each piece of
// work the thread polls (epoll_wait with a zero timeout) for up to `spin`
// before it blocks in run_one.
static void RunLoop(asio::io_context& ioc, std::chrono::microseconds spin) {
  if (spin.count() <= 0) return void(ioc.run());
  using Clock = std::chrono::steady_clock;
  while (!ioc.stopped()) {
    size_t ran = 0;
    for (auto until = Clock::now() + spin; !ioc.stopped() && Clock::now() < until;) {
      if ((ran = ioc.poll()) != 0) break;
#if defined(__x86_64__)
      __builtin_ia32_pause();
#endif
    }
    if (ran == 0) ioc.run_one();
  }
}

IoLoop::IoLoop() : ctx_(std::make_unique<asio::io_context>()) {}
IoLoop::~IoLoop() {
  while (foreign_posts_.load(std::memory_order_acquire) != 0) std::this_thread::yield();
}

struct Server::Impl {
  ServerOptions opts;
  const Router& router;
  SessionLimits limits;
  std::unique_ptr<IoLoop> own_loop;  // when none was lent
  IoLoop& loop;
  asio::io_context& ioc;
  tcp::acceptor acceptor{ioc};
  asio::steady_timer accept_timer{ioc};
  std::chrono::milliseconds backoff{0};  // touched by the one pending accept only
  std::shared_ptr<std::atomic<int>> live = std::make_shared<std::atomic<int>>(0);
  int cap = 0;           // connections served
  int refuse_slots = 0;  // more connections answered 503; beyond, closed at once
  std::vector<std::thread> threads;
  uint16_t port = 0;
  bool realtime = false;  // the I/O threads are in SCHED_RR (set by Start)

  Impl(ServerOptions o, const Router& r)
      : opts(std::move(o)),
        router(r),
        own_loop(opts.loop ? nullptr : std::make_unique<IoLoop>()),
        loop(opts.loop ? *opts.loop : *own_loop),
        ioc(loop.context()) {
    limits.head.max_body_bytes = opts.max_body_bytes;
    limits.head.max_header_bytes = opts.max_header_bytes;
    limits.header_timeout = std::chrono::milliseconds(opts.header_timeout_ms);
    limits.access_log = opts.access_log;
    limits.idle_timeout = std::chrono::milliseconds(opts.idle_timeout_ms);
    limits.body_timeout = std::chrono::milliseconds(opts.body_timeout_ms);
    limits.write_timeout = std::chrono::milliseconds(opts.write_timeout_ms);
  }

  // The cap must stay below the open-file limit: at that limit accept()
  // fails, and a client can be neither served nor told why.
  void SizeCap() {
    int64_t budget = std::numeric_limits<int>::max();
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
      int64_t open = 0;
      std::error_code ec;
      for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
           !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
        ++open;
      }
      budget = std::max<int64_t>(2, int64_t(rl.rlim_cur) - open - kReservedFds);
    }
    cap = int(std::clamp<int64_t>(opts.max_connections, 1,
                                  budget - std::min<int64_t>(budget / 16 + 1, 64)));
    refuse_slots = int(std::clamp<int64_t>(budget - cap, 1, 64));
  }

  // A connection gets a strand of its own when several threads run the
  // loop; with one, the loop's own executor serializes its handlers already
  // (and a type-erased strand executor costs an allocation and reference
  // counts on every asynchronous operation).
  void Accept() {
    auto on_accept = [this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (ec && ec != asio::error::connection_aborted) return BackOff();
      backoff = std::chrono::milliseconds(0);
      if (!ec) Admit(std::move(socket));
      Accept();
    };
    if (loop.threads() == 1) return acceptor.async_accept(ioc, std::move(on_accept));
    acceptor.async_accept(asio::make_strand(ioc), std::move(on_accept));
  }

  // Out of descriptors (EMFILE, ENFILE) or buffers: the connection stays
  // in the backlog and the listener stays readable, so accepting again at
  // once would spin at 100% CPU. Wait 10 ms, doubling up to 1 s.
  void BackOff() {
    backoff =
        std::clamp(backoff * 2, std::chrono::milliseconds(10), std::chrono::milliseconds(1000));
    accept_timer.expires_after(backoff);
    accept_timer.async_wait([this](beast::error_code ec) {
      if (!ec) Accept();
    });
  }

  void Admit(tcp::socket socket) {
    int n = live->fetch_add(1) + 1;
    ConnectionSlot slot(live);
    beast::error_code ec;
    if (n > cap + refuse_slots) return;  // the slot and the socket close here
    socket.set_option(tcp::no_delay(true), ec);
    auto s = std::make_shared<Session>(std::move(socket), loop, router, limits, std::move(slot));
    if (n <= cap) return s->Start();
    s->Refuse(cap);
  }
};

Server::Server(ServerOptions opts, const Router& router)
    : impl_(std::make_unique<Impl>(std::move(opts), router)) {}

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
    return Status::IOError("cannot listen on " + impl_->opts.host + ":" +
                           std::to_string(impl_->opts.port) + ": " + ec.message());
  }
  impl_->port = a.local_endpoint().port();
  impl_->SizeCap();
  impl_->loop.set_threads(std::max(1, impl_->opts.threads));
  impl_->Accept();
  for (int i = 0; i < std::max(1, impl_->opts.threads); ++i) {
    impl_->threads.emplace_back([this] {
      pthread_setname_np(pthread_self(), "br-http");  // for top, perf and the load generator
      RunLoop(impl_->ioc, std::chrono::microseconds(impl_->opts.busy_poll_us));
    });
  }
  return SetIoPriority();
}

// After the threads started: a thread's class can only be set once it
// exists, and a refusal must stop them again.
Status Server::SetIoPriority() {
  IoPriority want = impl_->opts.io_priority;
  Status st = Status::OK();
  if (want != IoPriority::kNormal) {
    for (auto& t : impl_->threads) {
      st = MakeRealtime(t);
      if (!st.ok()) break;
    }
  }
  impl_->realtime = want != IoPriority::kNormal && st.ok();
  if (!st.ok() && want == IoPriority::kRealtime) {
    Stop();
    return Status::PermissionDenied("server.io_priority = \"realtime\": " + st.message());
  }
  log::Info("http.io_threads",
            {{"threads", int(impl_->threads.size())},
             {"scheduling", impl_->realtime ? "SCHED_RR 1" : "normal"},
             {"io_priority", IoPriorityName(want)},
             {"busy_poll_us", impl_->opts.busy_poll_us},
             {"why", st.ok() ? std::string(want == IoPriority::kNormal ? "configured" : "ok")
                             : st.message()}});
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

bool Server::realtime_io() const { return impl_->realtime; }

int Server::max_connections() const { return impl_->cap; }

}  // namespace burnrate::http
