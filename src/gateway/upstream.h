// Connections to one provider (an upstream): pooled, kept alive, with
// timeouts, over TLS (OpenSSL) for https:// base URLs.
//
// Send() runs one exchange asynchronously on the UpstreamIo threads and
// reports to an UpstreamHandler: OnHead once, OnBody for each piece of the
// body as it arrives (chunked encoding removed), then OnEnd. A request is
// retried (once, on a fresh connection) only when it failed before any
// answer came back and the failure says it was not processed: a pooled
// connection the server had closed, or a connection that could not be
// made. Nothing has gone to the client by then, so a retry is invisible.
//
// Thread-safety: Send() from any thread. A handler's calls for one
// exchange come one at a time, from an I/O thread.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace burnrate::http {
class IoLoop;
}

namespace burnrate::gateway {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct UpstreamOptions {
  std::string base_url;  // http://host[:port][/prefix] or https://...
  std::string ca_file;   // https: trusted CAs ("" = the system's)
  int connect_timeout_ms = 5'000;
  int first_byte_timeout_ms = 300'000;  // until the answer's head
  int idle_timeout_ms = 300'000;        // the longest pause inside a body
  int max_idle_connections = 256;
};

struct UpstreamRequest {
  std::string method = "POST";
  std::string target;  // path and query, after the base URL's prefix
  Headers headers;
  std::string body;
};

struct UpstreamHead {
  int status = 0;
  Headers headers;  // end-to-end headers only (no Connection, Transfer-Encoding, Content-Length)
  std::string_view Get(std::string_view name) const;  // case-insensitive; "" when absent
};

class UpstreamHandler {
 public:
  virtual ~UpstreamHandler() = default;
  // The handler may take the headers (move them out): the head is not
  // used after this returns.
  virtual void OnHead(UpstreamHead& head) = 0;
  // Returns false to stop reading (the client went away); OnEnd follows.
  virtual bool OnBody(std::string_view bytes) = 0;
  // Asked after each OnBody that returned true: true pauses reading (the
  // client is slower than the upstream), and the handler then calls
  // `resume` exactly once, from any thread, to read on. Meanwhile the
  // upstream's own flow control holds it back: nothing is buffered here.
  virtual bool Pause(std::function<void()> resume) {
    (void)resume;
    return false;
  }
  // OK when the whole body was read; otherwise why not. Called once, also
  // when OnHead never was (the upstream could not be reached or answered
  // nothing).
  virtual void OnEnd(Status s) = 0;
};

// The event loop all upstreams' connections run on: `threads` threads of
// its own, or (loop given) the HTTP server's loop and threads, so that an
// exchange runs on the thread that read the client's request.
class UpstreamIo {
 public:
  explicit UpstreamIo(int threads);
  explicit UpstreamIo(http::IoLoop& loop);  // lent; runs no thread itself
  ~UpstreamIo();                            // stops and joins its own threads
  void Stop();
  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

class Upstream {
 public:
  // InvalidArgument for a base URL that is not http(s)://host[:port][/path].
  static Result<std::unique_ptr<Upstream>> Create(UpstreamOptions opts, UpstreamIo& io);
  ~Upstream();
  void Send(UpstreamRequest req, std::shared_ptr<UpstreamHandler> handler);
  const std::string& base_url() const;

  struct Impl;

 private:
  explicit Upstream(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

}  // namespace burnrate::gateway
