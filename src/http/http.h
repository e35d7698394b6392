// The HTTP layer's front door: requests, responses, routing, the server.
//
// Handlers never see Boost.Beast: they get a Request and answer through a
// Respond callback, which may be called later from any thread (so a handler
// can wait for a group commit without holding an I/O thread). Server-sent
// event streams are opened with Response::Stream. Errors become JSON bodies
// {"error": "...", "field": "..."} with a status code mapped from
// Status::Code in one place, ErrorResponse().
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "common/thread_priority.h"

namespace boost::asio {
class io_context;
}

namespace burnrate::http {

// kAnyKey is only a route's need: any valid key, whatever its role (whoami).
// kGateway: a virtual key of the metering gateway (docs/gateway.md), bound to
// a user, team and project; it may call the provider endpoints only.
enum class Role : uint8_t {
  kNone = 0,
  kSelf = 1,
  kIngest = 2,
  kViewer = 3,
  kAdmin = 4,
  kAnyKey = 5,
  kGateway = 6
};
const char* RoleName(Role r);
Result<Role> ParseRole(std::string_view s);
// Whether a caller with role `have` may use an endpoint that needs `need`.
// Admin may do everything; viewer may read; ingest may only write events;
// gateway may only call the gateway's provider endpoints.
bool Allows(Role have, Role need);

// Who a request's API key is, as the Router's authenticator found it.
struct Caller {
  Role role = Role::kNone;
  std::string principal;  // key id, or the user a self key is bound to
  std::string key_hash;   // SHA-256 hex of the key: what long-lived holders keep
  // Gateway keys: whom the usage is attributed to ("" when not bound).
  std::string user, team, project;
};

// A request's header fields: lower-case names, each once (a repeated name
// keeps its last value), in the order the parser gave them. A flat vector: a request
// carries a handful, and the hash map it replaced cost a node, a key and a
// bucket array per request. Look-ups are linear in the number of fields;
// FromFields builds the whole map at once without a quadratic pass.
class HeaderMap {
 public:
  using value_type = std::pair<std::string, std::string>;
  using const_iterator = std::vector<value_type>::const_iterator;

  // Takes `fields` in the order they came (names already lower-case); of
  // a repeated name only the last stays, in that one's place.
  static HeaderMap FromFields(std::vector<value_type> fields);

  // The value of `name`, or null.
  const std::string* Find(std::string_view name) const;
  // The value of `name`, inserted empty when absent.
  std::string& operator[](std::string_view name);
  void insert_or_assign(std::string name, std::string value);

  const_iterator begin() const { return fields_.begin(); }
  const_iterator end() const { return fields_.end(); }
  size_t size() const { return fields_.size(); }
  bool empty() const { return fields_.empty(); }
  void clear() { fields_.clear(); }

 private:
  std::vector<value_type> fields_;
};

struct Request {
  std::string method;                                   // "GET", "POST", ...
  std::string path;                                     // without the query string
  std::string raw_query;                                // after '?', as sent ("" = none)
  std::unordered_map<std::string, std::string> query;   // decoded
  std::unordered_map<std::string, std::string> params;  // from {name} in the route
  HeaderMap headers;                                    // lower-case names
  std::string body;
  Role role = Role::kNone;  // set by authentication
  std::string principal;    // key id or user the key is bound to
  Caller caller;            // the whole identity (role and principal again)
  // Set by Router::Admit: the route matched and authorized (an index, or
  // kFallbackRoute), so that Dispatch does not do it again.
  static constexpr int kNotAdmitted = -1, kFallbackRoute = -2;
  int admitted_route = kNotAdmitted;

  std::string_view Header(std::string_view name) const;
  std::string_view Query(std::string_view name, std::string_view fallback = "") const;
};

// A server-sent-events channel. Send() queues one event; it returns false
// once the client has gone, and the producer should then drop the channel.
class SseChannel {
 public:
  virtual ~SseChannel() = default;
  virtual bool Send(std::string_view event, std::string_view data) = 0;
  // Queues bytes already framed as SSE (a proxied stream), as they are.
  virtual bool SendRaw(std::string bytes) = 0;
  // Ends the stream once what is queued has been written (the stream is
  // delimited by the connection's close).
  virtual void Finish() = 0;
  virtual bool closed() const = 0;
  // Ends the stream from the server side (e.g. its key was revoked): events
  // already queued are dropped and the connection is closed.
  virtual void Close() = 0;
  // Bytes queued and not yet written to the client. A producer that can
  // wait (a proxied upstream stream) stops reading while this is high, so
  // that a slow client does not make the server buffer without bound.
  virtual size_t queued_bytes() const = 0;
  // Calls `fn` once, on an I/O thread, when at most `bytes` are queued (at
  // once if that is so already), or when the stream has closed.
  virtual void WhenDrained(size_t bytes, std::function<void()> fn) = 0;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // When set, the connection becomes an SSE stream: the status, the SSE
  // headers and `headers` are sent, then this is called once with the
  // channel, which the callee may keep.
  std::function<void(std::shared_ptr<SseChannel>)> on_stream;

  static Response Json(std::string body, int status = 200);
  static Response Text(std::string body, std::string content_type = "text/plain; charset=utf-8");
  static Response Stream(std::function<void(std::shared_ptr<SseChannel>)> on_open);
};

// Maps a Status to an HTTP status code: the one place where this happens.
int HttpStatusFor(const Status& s);
// {"error": message} (plus "field": `field`, or when that is empty the
// status's own field()) with the mapped status; a 503 (Unavailable) also
// carries `Retry-After: 1`.
Response ErrorResponse(const Status& s, std::string_view field = "");

// Query parameters, parsed the one way every API module uses. Each returns
// `fallback` when the parameter is absent or empty, its value when it is
// well formed, and otherwise InvalidArgument whose field() is `name`.
//   QueryInt      any int64 ("<name>: not an integer")
//   QueryIntIn    an integer in [lo, hi] ("<name> must be an integer in [lo, hi]")
//   QueryRfc3339  an RFC 3339 time ("<name>: <why not>")
//   QueryTime     an RFC 3339 time, or epoch milliseconds without a 'T'
//                 ("<name> must be RFC 3339 or epoch milliseconds")
Result<int64_t> QueryInt(const Request& r, std::string_view name, int64_t fallback);
Result<int64_t> QueryIntIn(const Request& r, std::string_view name, int64_t fallback, int64_t lo,
                           int64_t hi);
Result<TimeMs> QueryRfc3339(const Request& r, std::string_view name, TimeMs fallback);
Result<TimeMs> QueryTime(const Request& r, std::string_view name, TimeMs fallback);

// Answers a request. Call it once (a copy that answers gives up its hold on
// the connection; later calls through that copy are ignored).
using Respond = std::function<void(Response)>;
using Handler = std::function<void(Request&, Respond)>;
using SyncHandler = std::function<Response(Request&)>;

// Routes by method and path pattern ("/v1/users/{id}/usage"). Thread-safe for
// lookups once the server has started; routes are added before.
class Router {
 public:
  void Add(std::string method, std::string pattern, Role need, Handler h);
  void AddSync(std::string method, std::string pattern, Role need, SyncHandler h);
  // How a route answers the refusals Admit() makes for it (missing or bad
  // key, wrong role: 401/403): by default ErrorResponse(status). The
  // gateway's provider endpoints answer in the provider's own error shape,
  // so that an SDK or agent shows the message.
  using Refusal = std::function<Response(const Request& req, const Status& why)>;
  // Sets the refusal shape of the route added last.
  void ShapeRefusals(Refusal r) { routes_.back().refusal = std::move(r); }
  // A server-sent-events route: the one kind that also takes the key as
  // ?key=, because a browser's EventSource cannot send headers. Everywhere
  // else a key in the query is refused, so it never lands in proxy logs.
  void AddStream(std::string method, std::string pattern, Role need, SyncHandler h);
  // Authenticates through `auth` (unless the route needs Role::kNone), checks
  // the role, and calls the handler; answers 404/405/401/403 itself. A
  // request already admitted (Admit) goes straight to its handler.
  void Dispatch(Request& req, Respond respond) const;
  // The same lookup and checks without calling the handler, for a request
  // whose body has not been read yet: returns the refusal (404, 405, 401,
  // 403), or nothing and marks `req` admitted (with params, role and
  // principal set).
  std::optional<Response> Admit(Request& req) const;

  // Resolves the request's key to who it is. The key is taken from
  // "Authorization: Bearer <key>", else "x-api-key: <key>" (where the
  // Anthropic SDKs put it), else ?key= on stream routes. Router::Admit puts
  // the answer on Request::caller (with key_hash filled in when the
  // authenticator left it empty).
  using CallerAuthenticator = std::function<Result<Caller>(std::string_view key)>;
  void SetCallerAuthenticator(CallerAuthenticator a) { auth_ = std::move(a); }
  // The same for callers that know only a role and a principal (tests).
  using Authenticator = std::function<Result<std::pair<Role, std::string>>(std::string_view key)>;
  void SetAuthenticator(Authenticator a);
  // Called for GET/HEAD requests no route matches (e.g. static files).
  void SetFallback(Handler h) { fallback_ = std::move(h); }

 private:
  struct Route {
    std::string method;
    std::vector<std::string> parts;  // "{x}" marks a parameter
    Role need;
    Handler handler;
    bool query_key = false;  // AddStream: ?key= accepted
    Refusal refusal;         // null: ErrorResponse
  };
  // Why (401/403) `req` may not use a route that needs `need`; sets
  // req.role and req.principal.
  std::optional<Status> Authorize(const Route& route, Request& req) const;

  std::vector<Route> routes_;
  CallerAuthenticator auth_;
  Handler fallback_;
};

// The event loop the server's I/O threads run (an Asio io_context, opaque
// here). The server makes its own unless one is lent in
// ServerOptions::loop. The app lends the same loop to the gateway's
// upstream connections (gateway/upstream.cc), so that a proxied request and
// its upstream exchange run on the same two threads instead of hopping to
// threads of their own. Only the translation units that already use Asio
// reach inside (context()). Must outlive every user.
class IoLoop {
 public:
  IoLoop();
  ~IoLoop();
  IoLoop(const IoLoop&) = delete;
  IoLoop& operator=(const IoLoop&) = delete;
  boost::asio::io_context& context() { return *ctx_; }
  // How many threads run the loop (set by the Server before they start; 0
  // until then). With one, handlers run one at a time on it, and
  // connections need no strand of their own.
  int threads() const { return threads_.load(std::memory_order_acquire); }
  void set_threads(int n) { threads_.store(n, std::memory_order_release); }

  // A post from another thread holds a copy of a connection's executor (a
  // strand's, pointing into the context) until the post returns, which may
  // be after its handler ran and the server stopped. Such a post is made
  // under a ForeignPost, and the loop waits for them before it destroys
  // the context.
  class ForeignPost {
   public:
    explicit ForeignPost(IoLoop& loop) : loop_(loop) {
      loop_.foreign_posts_.fetch_add(1, std::memory_order_acq_rel);
    }
    ~ForeignPost() { loop_.foreign_posts_.fetch_sub(1, std::memory_order_release); }
    ForeignPost(const ForeignPost&) = delete;
    ForeignPost& operator=(const ForeignPost&) = delete;

   private:
    IoLoop& loop_;
  };

 private:
  std::unique_ptr<boost::asio::io_context> ctx_;
  std::atomic<int> threads_{0};
  std::atomic<int> foreign_posts_{0};
};

// Limits against clients that hold connections or send too much
// (docs/config.md, [server]).
struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  int threads = 2;
  size_t max_body_bytes = 256u << 20;
  size_t max_header_bytes = 64 * 1024;  // request line + fields: 431 beyond
  // Open connections. One more is answered 503 and closed; Start() lowers
  // the cap to fit the open-file limit (see Server::max_connections()).
  int max_connections = 4096;
  // A new connection must complete its first request's head within this;
  // so must a later request's head, counted from its first byte.
  int header_timeout_ms = 10'000;
  // A kept-alive connection may wait this long for its next request.
  int idle_timeout_ms = 60'000;
  // The longest wait for more of a body: a slow upload that keeps moving
  // is fine, a stalled one is cut off.
  int body_timeout_ms = 30'000;
  // The longest a client may take to accept one answer, or one event of a
  // stream: a client that stops reading is cut off (and a stream's producer,
  // waiting for it to drain, released).
  int write_timeout_ms = 120'000;
  // One log line per answer (method, path without query, status, bytes,
  // ms, key id): http.access events at level info.
  bool access_log = false;
  // Lent: run on this loop instead of one of the server's own. Stop()
  // stops it (and so everything else running on it).
  IoLoop* loop = nullptr;
  // The I/O threads' scheduling class (common/thread_priority.h): in the
  // real-time class they answer reads and checks at once while ingest
  // keeps both cores busy. The app's default is kAuto ([server]
  // io_priority); a bare Server stays normal.
  IoPriority io_priority = IoPriority::kNormal;
  // Busy polling: after its last piece of work an I/O thread keeps polling
  // the loop this long before it sleeps (0: it sleeps at once). Going to
  // sleep and being woken costs a virtual machine's vCPU tens of
  // microseconds per wake-up; a gateway in front of a fast upstream wakes
  // twice per request. The price is up to this much CPU per wake-up, and
  // with real-time I/O threads a core held from normal threads as long.
  // Like HAProxy's `busy-polling`; [server] busy_poll_us, docs/config.md.
  int busy_poll_us = 0;
};

// An HTTP/1.1 server (keep-alive, pipelining-safe) on Boost.Beast. Start()
// binds and returns; Stop() closes the listener, ends open streams and joins
// the I/O threads. Each request's head is checked (http/request_head.h) and
// admitted by the Router (Admit) before its body is read: a refused upload
// is answered (400/401/403/404/405/413/417/431/501) without reading the
// body, and an admitted one that asked for it gets "100 Continue".
class Server {
 public:
  Server(ServerOptions opts, const Router& router);
  ~Server();
  Status Start();
  void Stop();
  uint16_t port() const;  // the bound port (useful with port 0)
  // Whether the I/O threads run in the real-time class (after Start).
  bool realtime_io() const;
  // The connection cap in force after Start() (0 before): max_connections,
  // or less when the open-file limit leaves room for fewer.
  int max_connections() const;

 private:
  Status SetIoPriority();

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Parses "a=1&b=x%20y" into a map.
std::unordered_map<std::string, std::string> ParseQuery(std::string_view qs);

}  // namespace burnrate::http
