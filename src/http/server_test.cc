// Contract tests for http::Server and http::Client over real loopback
// sockets: keep-alive, answers from other threads, body limits, HEAD,
// pipelining, server-sent events and client errors.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <thread>

#include "http/client.h"
#include "http/http.h"

namespace burnrate::http {
namespace {

using namespace std::chrono_literals;

// A raw loopback socket, for what the blocking Client cannot do.
class RawSocket {
 public:
  explicit RawSocket(uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    timeval tv{5, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~RawSocket() { Close(); }
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }
  void Send(std::string_view s) { ASSERT_EQ(write(fd_, s.data(), s.size()), ssize_t(s.size())); }
  void ShutdownWrite() { shutdown(fd_, SHUT_WR); }
  int fd() const { return fd_; }
  // Like Send, but a closed connection is a false, not a SIGPIPE.
  bool TrySend(std::string_view s) {
    return send(fd_, s.data(), s.size(), MSG_NOSIGNAL) == ssize_t(s.size());
  }
  // How long until the server closes the connection (reads and drops what
  // it sends); 5 s (the read timeout) if it does not.
  std::chrono::milliseconds TimeToClose() {
    auto t0 = std::chrono::steady_clock::now();
    char buf[4096];
    while (read(fd_, buf, sizeof buf) > 0) {
    }
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 t0);
  }
  // TimeToClose while another thread sends a request head one byte every
  // 50 ms (a slowloris: the head would take 5 s, and each byte is progress).
  std::chrono::milliseconds TimeToCloseWhileDribblingAHead() {
    std::atomic<bool> done{false};
    std::thread sender([&] {
      std::string head =
          "GET /hello HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(60, 'a') + "\r\n\r\n";
      for (char c : head) {
        if (done || !TrySend(std::string_view(&c, 1))) return;
        std::this_thread::sleep_for(50ms);
      }
    });
    auto waited = TimeToClose();
    done = true;
    sender.join();
    return waited;
  }
  // Reads until `needle` has been seen `times` times (or timeout/EOF).
  std::string ReadUntil(std::string_view needle, int times = 1) {
    std::string got;
    char buf[4096];
    while (Count(got, needle) < times) {
      ssize_t n = read(fd_, buf, sizeof buf);
      if (n <= 0) break;
      got.append(buf, size_t(n));
    }
    return got;
  }
  static int Count(const std::string& s, std::string_view needle) {
    int n = 0;
    for (size_t p = s.find(needle); p != std::string::npos; p = s.find(needle, p + 1)) ++n;
    return n;
  }

 private:
  int fd_ = -1;
};

class ServerTest : public testing::Test {
 protected:
  void SetUp() override {
    router_.AddSync("GET", "/hello", Role::kNone, [](Request& r) {
      return Response::Text("hello " + std::string(r.Query("name", "world")));
    });
    router_.AddSync("POST", "/echo", Role::kNone, [](Request& r) {
      Response res = Response::Json(r.body);
      res.headers.emplace_back("X-Seen-Encoding", std::string(r.Header("content-encoding")));
      return res;
    });
    router_.Add("GET", "/slow", Role::kNone, [](Request&, Respond respond) {
      std::thread([respond] {
        std::this_thread::sleep_for(50ms);
        respond(Response::Json("{\"late\":true}", 202));
      }).detach();
    });
    router_.AddSync("GET", "/stream", Role::kNone, [this](Request&) {
      return Response::Stream([this](std::shared_ptr<SseChannel> ch) {
        ch->Send("greeting", "line one\nline two");
        std::lock_guard lock(mu_);
        channel_ = std::move(ch);
        cv_.notify_all();
      });
    });
    router_.AddSync("GET", "/policy", Role::kNone, [](Request&) {
      return Response::Text(std::to_string(sched_getscheduler(0)));  // the I/O thread's class
    });
    router_.AddSync("GET", "/cpuclock", Role::kNone, [](Request&) {
      clockid_t c{};
      pthread_getcpuclockid(pthread_self(), &c);  // the I/O thread's CPU time
      return Response::Text(std::to_string(c));
    });
    router_.AddSync("GET", "/cached", Role::kNone, [](Request&) {
      Response r = Response::Text("a body a handler left behind");
      r.status = 304;
      return r;
    });
    router_.AddSync("POST", "/ingest", Role::kIngest, [](Request& r) {
      return Response::Json("{\"principal\":\"" + r.principal +
                            "\",\"bytes\":" + std::to_string(r.body.size()) + "}");
    });
    router_.SetAuthenticator([this](std::string_view key) -> Result<std::pair<Role, std::string>> {
      ++auth_calls_;
      if (key == "good") return std::make_pair(Role::kIngest, std::string("k_good"));
      return Status::Unauthenticated("invalid or revoked API key");
    });
    Restart(Options());
  }
  void TearDown() override { server_->Stop(); }

  static ServerOptions Options() {
    ServerOptions o;
    o.port = 0;
    o.max_body_bytes = 1 << 20;
    return o;
  }
  void Restart(ServerOptions o) {
    if (server_) server_->Stop();
    server_ = std::make_unique<Server>(o, router_);
    ASSERT_TRUE(server_->Start().ok());
    ASSERT_GT(server_->port(), 0);
    base_ = "http://127.0.0.1:" + std::to_string(server_->port());
  }

  std::unique_ptr<Client> NewClient() {
    auto c = Client::Create(base_);
    EXPECT_TRUE(c.ok());
    return std::move(*c);
  }

  Router router_;
  std::unique_ptr<Server> server_;
  std::string base_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::shared_ptr<SseChannel> channel_;
  std::atomic<int> auth_calls_{0};
};

TEST_F(ServerTest, KeepAliveRequestsOnOneClient) {
  auto c = NewClient();
  for (int i = 0; i < 20; ++i) {
    auto r = c->Send("GET", "/hello?name=n" + std::to_string(i));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "hello n" + std::to_string(i));
    EXPECT_EQ(r->content_type, "text/plain; charset=utf-8");
  }
  std::string big(300'000, 'x');
  auto e = c->Send("POST", "/echo", big, {{"Content-Encoding", "gzip"}});
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->body, big);
  auto nf = c->Send("GET", "/nope");
  EXPECT_EQ(nf->status, 404);
  EXPECT_NE(nf->body.find("no such endpoint"), std::string::npos);
}

TEST_F(ServerTest, HandlersMayAnswerFromAnotherThread) {
  auto c = NewClient();
  auto r = c->Send("GET", "/slow");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 202);
  EXPECT_EQ(r->body, "{\"late\":true}");
  EXPECT_EQ(c->Send("GET", "/hello")->body, "hello world");  // the connection is still usable
}

// A handler's thread may keep its copy of Respond after answering, even
// past the server's life: answering gave up the copy's hold on the
// connection, so the copy's end destroys nothing (ASan checks this).
TEST_F(ServerTest, AnAnswerersCopyMayOutliveTheServer) {
  std::promise<void> server_gone;
  std::thread answerer;
  router_.Add("GET", "/answer-then-linger", Role::kNone, [&](Request&, Respond respond) {
    answerer = std::thread([respond, gone = server_gone.get_future()]() mutable {
      respond(Response::Json("{\"ok\":true}"));
      respond(Response::Json("{\"twice\":true}"));  // ignored
      gone.wait();
    });
  });
  Restart(Options());
  {
    auto c = NewClient();
    auto r = c->Send("GET", "/answer-then-linger");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->body, "{\"ok\":true}");
    EXPECT_EQ(c->Send("GET", "/hello")->body, "hello world");  // not a second answer
  }
  server_->Stop();
  server_.reset();
  server_gone.set_value();
  answerer.join();
  Restart(Options());  // for TearDown
}

TEST_F(ServerTest, BodyLimitIs413) {
  auto c = NewClient();
  auto r = c->Send("POST", "/echo", std::string((1 << 20) + 1, 'x'));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 413);
  EXPECT_NE(r->body.find("exceeds"), std::string::npos);
  // A new request (the client reconnects) works.
  EXPECT_EQ(c->Send("GET", "/hello")->status, 200);
}

TEST_F(ServerTest, HeadHasHeadersButNoBody) {
  RawSocket s(server_->port());
  s.Send("HEAD /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  std::string got = s.ReadUntil("\r\n\r\n");
  EXPECT_EQ(got.rfind("HTTP/1.1 200", 0), 0u) << got;
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(s.ReadUntil("never"), "");  // nothing after the headers
}

// A 304 has no body and no Content-Length, and the kept-alive connection
// reads the next answer where it starts.
TEST_F(ServerTest, NotModifiedHasNoBodyNorContentLength) {
  RawSocket s(server_->port());
  s.Send(
      "GET /cached HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /hello?name=next HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string got = s.ReadUntil("hello next");
  ASSERT_EQ(got.rfind("HTTP/1.1 304", 0), 0u) << got;
  std::string head = got.substr(0, got.find("\r\n\r\n"));
  EXPECT_EQ(head.find("Content-Length"), std::string::npos) << head;
  EXPECT_EQ(got.find("left behind"), std::string::npos) << got;
  EXPECT_EQ(got.find("HTTP/1.1 200", head.size()), head.size() + 4) << got;
}

// A stream client that stops reading is cut off after the write timeout,
// and a producer waiting for the stream to drain is woken (a gateway's
// upstream exchange must not stay paused for ever).
TEST_F(ServerTest, StreamClientThatStopsReadingIsCutOffAndProducersWoken) {
  ServerOptions o = Options();
  o.write_timeout_ms = 500;
  Restart(o);
  RawSocket s(server_->port());
  s.Send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
  s.ReadUntil("data: line two\n\n");  // then never reads again
  std::shared_ptr<SseChannel> ch;
  {
    std::unique_lock lock(mu_);
    ASSERT_TRUE(cv_.wait_for(lock, 5s, [&] { return channel_ != nullptr; }));
    ch = channel_;
  }
  const std::string frame(64 * 1024, 'x');
  for (int i = 0; i < 2048 && ch->queued_bytes() < (8u << 20); ++i)
    ASSERT_TRUE(ch->Send("", frame));
  ASSERT_GE(ch->queued_bytes(), 8u << 20) << "the socket never filled";
  std::promise<void> woken;
  ch->WhenDrained(0, [&] { woken.set_value(); });
  EXPECT_EQ(woken.get_future().wait_for(10s), std::future_status::ready);
  EXPECT_TRUE(ch->closed());
}

TEST_F(ServerTest, PipelinedRequestsAreAnsweredInOrder) {
  RawSocket s(server_->port());
  s.Send(
      "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /hello?name=second HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string got = s.ReadUntil("hello second");
  size_t first = got.find("late"), second = got.find("hello second");
  ASSERT_NE(first, std::string::npos) << got;
  ASSERT_NE(second, std::string::npos) << got;
  EXPECT_LT(first, second);
}

// Many requests in one packet, each answered at once by a direct send:
// the next is read on a later turn of the loop, not inside the answer to
// the one before (which would nest one level per request), and all are
// answered in order.
TEST_F(ServerTest, ManyPipelinedRequestsAreAnsweredInOrder) {
  RawSocket s(server_->port());
  std::string all;
  for (int i = 0; i < 500; ++i)
    all += "GET /hello?name=n" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n\r\n";
  s.Send(all);
  std::string got = s.ReadUntil("hello n499");
  size_t at = 0;
  for (int i = 0; i < 500; ++i) {
    // Each body is followed by the next answer's status line.
    std::string want = "hello n" + std::to_string(i) + (i < 499 ? "HTTP/1.1 200" : "");
    size_t p = got.find(want, at);
    ASSERT_NE(p, std::string::npos) << i;
    at = p;
  }
}

// An answer larger than the socket takes at once: the rest goes out as the
// client reads (the direct send's remainder, asynchronously) and arrives
// whole; a client that reads none of it is cut off at the write timeout.
TEST_F(ServerTest, AnswerLargerThanTheSocketTakesArrivesWholeOrTimesOut) {
  // Past what loopback's socket buffers hold, so that a client reading
  // nothing leaves most of it unsent.
  const std::string big(32 << 20, 'x');
  router_.AddSync("GET", "/big", Role::kNone, [big](Request&) { return Response::Text(big); });
  ServerOptions o = Options();
  o.write_timeout_ms = 300;
  Restart(o);
  {
    RawSocket s(server_->port());
    s.Send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
    std::this_thread::sleep_for(100ms);
    std::string got;
    char buf[65536];
    size_t body = std::string::npos;
    while (body == std::string::npos || got.size() - body - 4 < big.size()) {
      ssize_t n = ::read(s.fd(), buf, sizeof buf);
      if (n <= 0) break;
      got.append(buf, size_t(n));
      if (body == std::string::npos) body = got.find("\r\n\r\n");
    }
    ASSERT_NE(body, std::string::npos);
    EXPECT_EQ(got.size() - body - 4, big.size());
    EXPECT_EQ(got.find_first_not_of('x', body + 4), std::string::npos);
  }
  RawSocket stalled(server_->port());
  stalled.Send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
  std::this_thread::sleep_for(1500ms);  // reads nothing past the write timeout
  // The server has closed: what was queued arrives, then the end, well
  // before the whole answer could have.
  size_t read = 0;
  char buf[65536];
  ssize_t n;
  while ((n = ::read(stalled.fd(), buf, sizeof buf)) > 0) read += size_t(n);
  EXPECT_LT(read, big.size());
}

TEST_F(ServerTest, ServerSentEvents) {
  RawSocket s(server_->port());
  s.Send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string head = s.ReadUntil("data: line two\n\n");
  EXPECT_NE(head.find("Content-Type: text/event-stream"), std::string::npos) << head;
  EXPECT_NE(head.find("event: greeting\ndata: line one\ndata: line two\n\n"), std::string::npos)
      << head;
  std::shared_ptr<SseChannel> ch;
  {
    std::unique_lock lock(mu_);
    ASSERT_TRUE(cv_.wait_for(lock, 5s, [&] { return channel_ != nullptr; }));
    ch = channel_;
  }
  EXPECT_FALSE(ch->closed());
  EXPECT_TRUE(ch->Send("", "{\"n\":1}"));
  EXPECT_NE(s.ReadUntil("data: {\"n\":1}\n\n").find("data: {\"n\":1}\n\n"), std::string::npos);
  // The client goes away: the channel notices and Send says so.
  s.Close();
  bool gone = false;
  for (int i = 0; i < 200 && !gone; ++i) {
    gone = !ch->Send("tick", "x");
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(gone);
  EXPECT_TRUE(ch->closed());
}

TEST_F(ServerTest, StopEndsOpenStreams) {
  RawSocket s(server_->port());
  s.Send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
  s.ReadUntil("line two");
  auto t0 = std::chrono::steady_clock::now();
  server_->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  server_->Stop();  // idempotent
}

TEST_F(ServerTest, ManyConcurrentClients) {
  std::atomic<int> ok{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < 6; ++t) {
    ts.emplace_back([&, t] {
      auto c = NewClient();
      for (int i = 0; i < 50; ++i) {
        std::string body = "{\"t\":" + std::to_string(t) + ",\"i\":" + std::to_string(i) + "}";
        auto r = c->Send("POST", "/echo", body);
        if (r.ok() && r->status == 200 && r->body == body) ++ok;
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(ok.load(), 300);
}

// --- Admission before the body ------------------------------------------

TEST_F(ServerTest, ContinueIsAnsweredBeforeTheBodyIsSent) {
  RawSocket s(server_->port());
  s.Send(
      "POST /ingest HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer good\r\nContent-Length: 5\r\n"
      "Expect: 100-continue\r\n\r\n");
  EXPECT_EQ(s.ReadUntil("\r\n\r\n"), "HTTP/1.1 100 Continue\r\n\r\n");
  s.Send("hello");
  std::string got = s.ReadUntil("}");
  EXPECT_EQ(got.rfind("HTTP/1.1 200", 0), 0u) << got;
  EXPECT_NE(got.find(R"({"principal":"k_good","bytes":5})"), std::string::npos) << got;
  EXPECT_EQ(auth_calls_.load(), 1);  // admitted once, not authenticated again at dispatch
}

TEST_F(ServerTest, ChunkedBodyWithContinue) {
  RawSocket s(server_->port());
  s.Send(
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nExpect: "
      "100-continue\r\n\r\n");
  EXPECT_EQ(s.ReadUntil("\r\n\r\n"), "HTTP/1.1 100 Continue\r\n\r\n");
  s.Send("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  std::string got = s.ReadUntil("hello world");
  EXPECT_EQ(got.rfind("HTTP/1.1 200", 0), 0u) << got;
}

// A body that came in the same read as its head is parsed without another
// read, whole or in part: a pipelined request behind it is answered next,
// and a chunk header cut in the middle waits for its remaining bytes
// instead of being parsed again and again.
TEST_F(ServerTest, BodyBytesReadWithTheHeadWholeOrCut) {
  {
    RawSocket s(server_->port());
    s.Send(
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nfirst"
        "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        "6\r\nsecond\r\n0\r\n\r\n");
    std::string got = s.ReadUntil("second");
    size_t first = got.find("first"), second = got.find("second");
    ASSERT_NE(first, std::string::npos) << got;
    EXPECT_LT(first, second) << got;
  }
  RawSocket s(server_->port());
  s.Send(
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n1");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  s.Send("0\r\n world, and more\r\n0\r\n\r\n");
  std::string got = s.ReadUntil("hello world, and more");
  EXPECT_EQ(got.rfind("HTTP/1.1 200", 0), 0u) << got;
}

// A head that arrives a few bytes at a time is read to its end (the server
// parses what it has and reads on), the body that follows too; a client
// that closes in the middle of a head gets no answer and its connection is
// closed.
TEST_F(ServerTest, HeadInPiecesAndHeadCutByTheClient) {
  {
    RawSocket s(server_->port());
    std::string req = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nfirst";
    for (size_t i = 0; i < req.size(); i += 7) {
      s.Send(req.substr(i, 7));
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    std::string got = s.ReadUntil("first");
    EXPECT_EQ(got.rfind("HTTP/1.1 200", 0), 0u) << got;
  }
  RawSocket s(server_->port());
  s.Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Le");
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  s.ShutdownWrite();
  EXPECT_EQ(s.ReadUntil("HTTP/1.1"), "");
  EXPECT_LT(s.TimeToClose(), 1s);
}

// Refusals arrive while the client has sent only the head: the server does
// not wait for the body. The connection then closes (the body is unread).
TEST_F(ServerTest, EarlyRefusalsWithoutReadingTheBody) {
  struct Case {
    const char* what;
    std::string head;
    const char* status;
  };
  std::vector<Case> cases = {
      {"no key, Expect",
       "POST /ingest HTTP/1.1\r\nContent-Length: 900000\r\nExpect: 100-continue\r\n\r\n", "401"},
      {"no key", "POST /ingest HTTP/1.1\r\nContent-Length: 900000\r\n\r\n", "401"},
      {"bad key",
       "POST /ingest HTTP/1.1\r\nAuthorization: Bearer bad\r\nContent-Length: 900000\r\n\r\n",
       "401"},
      {"too long",
       "POST /ingest HTTP/1.1\r\nAuthorization: Bearer good\r\nContent-Length: 2000000\r\n\r\n",
       "413"},
      {"too long, Expect",
       "POST /ingest HTTP/1.1\r\nAuthorization: Bearer good\r\nContent-Length: 2000000\r\nExpect: "
       "100-continue\r\n\r\n",
       "413"},
      {"no such route",
       "POST /nothing HTTP/1.1\r\nContent-Length: 900000\r\nExpect: 100-continue\r\n\r\n", "404"},
      {"wrong method", "PUT /ingest HTTP/1.1\r\nContent-Length: 900000\r\n\r\n", "405"},
  };
  for (const Case& c : cases) {
    RawSocket s(server_->port());
    auto t0 = std::chrono::steady_clock::now();
    s.Send(c.head);
    std::string got = s.ReadUntil("}");
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s) << c.what;
    EXPECT_EQ(got.rfind(std::string("HTTP/1.1 ") + c.status, 0), 0u) << c.what << ": " << got;
    EXPECT_EQ(got.find("100 Continue"), std::string::npos) << c.what;
    EXPECT_NE(got.find("Connection: close"), std::string::npos) << c.what << ": " << got;
    EXPECT_NE(got.find("{\"error\":"), std::string::npos) << c.what << ": " << got;
    EXPECT_LT(s.TimeToClose(), 1s) << c.what;
  }
  // A refused request without a body keeps its connection.
  RawSocket s(server_->port());
  s.Send("GET /nothing HTTP/1.1\r\nHost: x\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string got = s.ReadUntil("hello world");
  EXPECT_NE(got.find("HTTP/1.1 404"), std::string::npos) << got;
  EXPECT_NE(got.find("hello world"), std::string::npos) << got;
}

// --- Malformed and ambiguous requests ---------------------------------------

TEST_F(ServerTest, MalformedRequestsGetAnAnswerAndAClose) {
  struct Case {
    const char* what;
    std::string bytes;
    const char* status;
  };
  std::vector<Case> cases = {
      {"garbage", "GARBAGE\r\n\r\n", "400"},
      {"bad field", "GET / HTTP/1.1\r\nBad Name: y\r\n\r\n", "400"},
      {"huge head", "GET / HTTP/1.1\r\nX-Big: " + std::string(70 * 1024, 'a') + "\r\n\r\n", "431"},
      {"xchunked + Content-Length",
       "POST /echo HTTP/1.1\r\nTransfer-Encoding: xchunked\r\nContent-Length: 5\r\n\r\nhello",
       "400"},
      {"chunked + Content-Length",
       "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\nhello",
       "400"},
      {"gzip coding", "POST /echo HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\nhello", "501"},
      {"differing Content-Lengths",
       "POST /echo HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello", "400"},
      {"repeated Content-Length",
       "POST /echo HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello", "400"},
      {"bad chunk",
       "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", "400"},
      {"chunked body over the limit",
       "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n200000\r\n" +
           std::string(0x200000, 'x') + "\r\n0\r\n\r\n",
       "413"},
      {"odd Expect", "POST /echo HTTP/1.1\r\nContent-Length: 5\r\nExpect: please\r\n\r\nhello",
       "417"},
  };
  for (const Case& c : cases) {
    RawSocket s(server_->port());
    s.TrySend(c.bytes);  // the server may answer and close before all is sent
    std::string got = s.ReadUntil("}");
    EXPECT_EQ(got.rfind(std::string("HTTP/1.1 ") + c.status, 0), 0u)
        << c.what << ": " << got.substr(0, 200);
    EXPECT_NE(got.find("Connection: close"), std::string::npos) << c.what;
    EXPECT_NE(got.find("Content-Type: application/json"), std::string::npos) << c.what;
    EXPECT_NE(got.find("{\"error\":"), std::string::npos) << c.what;
    EXPECT_LT(s.TimeToClose(), 2s) << c.what;
  }
}

// --- Timeouts ----------------------------------------------------------------

TEST_F(ServerTest, IdleNewConnectionIsClosedAfterTheHeaderTimeout) {
  ServerOptions o = Options();
  o.header_timeout_ms = 300;
  Restart(o);
  RawSocket s(server_->port());
  auto waited = s.TimeToClose();
  EXPECT_GE(waited, 250ms);
  EXPECT_LT(waited, 2s);
}

TEST_F(ServerTest, SlowlorisIsCutOffAtTheHeaderTimeout) {
  ServerOptions o = Options();
  o.header_timeout_ms = 300;
  Restart(o);
  RawSocket s(server_->port());
  EXPECT_LT(s.TimeToCloseWhileDribblingAHead(), 2s);
}

TEST_F(ServerTest, KeptAliveConnectionIsClosedAfterTheIdleTimeout) {
  ServerOptions o = Options();
  o.header_timeout_ms = 5000;
  o.idle_timeout_ms = 300;
  Restart(o);
  RawSocket s(server_->port());
  s.Send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(s.ReadUntil("hello world").find("hello world"), std::string::npos);
  auto waited = s.TimeToClose();
  EXPECT_GE(waited, 250ms);
  EXPECT_LT(waited, 2s);
}

// The idle timeout counts from the last answer (the server moves one
// deadline per request instead of re-arming a timer): requests that keep
// coming keep the connection past any number of idle timeouts, and a
// handler slower than the idle timeout is not cut off.
TEST_F(ServerTest, IdleTimeoutRunsFromTheLastAnswerOnly) {
  router_.Add("GET", "/slower", Role::kNone, [](Request&, Respond respond) {
    std::thread([respond] {
      std::this_thread::sleep_for(500ms);
      respond(Response::Text("late"));
    }).detach();
  });
  ServerOptions o = Options();
  o.header_timeout_ms = 5000;
  o.idle_timeout_ms = 300;
  Restart(o);
  RawSocket s(server_->port());
  for (int i = 0; i < 5; ++i) {  // 5 x 150 ms: past twice the idle timeout
    s.Send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_NE(s.ReadUntil("hello world").find("hello world"), std::string::npos) << i;
    std::this_thread::sleep_for(150ms);
  }
  s.Send("GET /slower HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_NE(s.ReadUntil("late").find("late"), std::string::npos);
  auto waited = s.TimeToClose();
  EXPECT_GE(waited, 250ms);
  EXPECT_LT(waited, 2s);
}

// A kept-alive connection's next head, dribbled, is cut off at the header
// timeout although the idle deadline set before it is later.
TEST_F(ServerTest, SlowlorisOnAKeptAliveConnectionIsCutOffAtTheHeaderTimeout) {
  ServerOptions o = Options();
  o.header_timeout_ms = 300;
  o.idle_timeout_ms = 5000;
  Restart(o);
  RawSocket s(server_->port());
  s.Send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_NE(s.ReadUntil("hello world").find("hello world"), std::string::npos);
  auto waited = s.TimeToCloseWhileDribblingAHead();
  EXPECT_GE(waited, 250ms);
  EXPECT_LT(waited, 2s);
}

TEST_F(ServerTest, BodyTimeoutCutsAStalledUploadButNotASlowOne) {
  ServerOptions o = Options();
  o.body_timeout_ms = 300;
  Restart(o);
  {
    RawSocket stalled(server_->port());
    stalled.Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
    EXPECT_LT(stalled.TimeToClose(), 2s);
  }
  // 10 bytes, one every 100 ms: 1 s in all, over three body timeouts.
  RawSocket slow(server_->port());
  slow.Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n");
  for (char c : std::string("0123456789")) {
    std::this_thread::sleep_for(100ms);
    ASSERT_TRUE(slow.TrySend(std::string_view(&c, 1)));
  }
  std::string got = slow.ReadUntil("0123456789");
  EXPECT_EQ(got.rfind("HTTP/1.1 200", 0), 0u) << got;
}

// --- Connection cap and accept back-off ----------------------------------------

TEST_F(ServerTest, OverTheCapANewConnectionIsRefusedAtOnce) {
  ServerOptions o = Options();
  o.max_connections = 3;
  Restart(o);
  EXPECT_EQ(server_->max_connections(), 3);
  std::vector<std::unique_ptr<RawSocket>> idle;
  for (int i = 0; i < 3; ++i) idle.push_back(std::make_unique<RawSocket>(server_->port()));
  std::this_thread::sleep_for(100ms);  // accepted
  {
    RawSocket extra(server_->port());
    auto t0 = std::chrono::steady_clock::now();
    extra.TrySend("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    std::string got = extra.ReadUntil("}");
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
    EXPECT_EQ(got.rfind("HTTP/1.1 503", 0), 0u) << got;
    EXPECT_NE(got.find("Retry-After: 1"), std::string::npos) << got;
    EXPECT_NE(got.find("too many open connections"), std::string::npos) << got;
  }
  // A slot that frees up is used again.
  idle[0]->Close();
  bool served = false;
  for (int i = 0; i < 50 && !served; ++i) {
    std::this_thread::sleep_for(20ms);
    RawSocket s(server_->port());
    s.TrySend("GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    served = s.ReadUntil("hello world").find("hello world") != std::string::npos;
  }
  EXPECT_TRUE(served);
}

static int OpenFds() {
  namespace fs = std::filesystem;
  return int(std::distance(fs::directory_iterator("/proc/self/fd"), fs::directory_iterator()));
}

TEST_F(ServerTest, CapStaysBelowTheOpenFileLimit) {
  rlimit old{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &old), 0);
  rlimit low = old;
  low.rlim_cur = rlim_t(OpenFds() + 60);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  Restart(Options());
  setrlimit(RLIMIT_NOFILE, &old);
  EXPECT_GE(server_->max_connections(), 1);
  EXPECT_LT(server_->max_connections(), 60);
}

// Out of descriptors, accept() fails while the connection waits in the
// backlog: retrying at once would spin a core. The server backs off, and
// accepts again once descriptors are free.
TEST_F(ServerTest, AcceptBacksOffAtTheOpenFileLimit) {
  std::vector<int> fds;
  for (int i = 0; i < 20; ++i) fds.push_back(socket(AF_INET, SOCK_STREAM, 0));
  rlimit old{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &old), 0);
  rlimit low = old;
  low.rlim_cur = rlim_t(OpenFds() + 2);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(server_->port());
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int fd : fds) EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  std::this_thread::sleep_for(200ms);
  auto cpu = [] {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return std::chrono::seconds(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           std::chrono::microseconds(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
  };
  auto c0 = cpu();
  std::this_thread::sleep_for(1s);
  auto used = cpu() - c0;
  setrlimit(RLIMIT_NOFILE, &old);
  EXPECT_LT(used, 200ms) << "CPU time in 1 s at the fd limit";
  // Descriptors are back: the waiting connections are accepted and served.
  std::string req = "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(write(fds.back(), req.data(), req.size()), ssize_t(req.size()));
  timeval tv{5, 0};
  setsockopt(fds.back(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string got;
  char buf[4096];
  while (got.find("hello world") == std::string::npos) {
    ssize_t n = read(fds.back(), buf, sizeof buf);
    if (n <= 0) break;
    got.append(buf, size_t(n));
  }
  EXPECT_NE(got.find("hello world"), std::string::npos) << got;
  for (int fd : fds) close(fd);
}

TEST(Client, Errors) {
  EXPECT_EQ(Client::Create("https://example.com").status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(Client::Create("127.0.0.1:80").status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(Client::Create("http://:80").status().code(), Status::Code::kInvalidArgument);
  // A port nobody listens on: bind one, learn it, close it.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  auto c = Client::Create("http://127.0.0.1:" + std::to_string(ntohs(a.sin_port)));
  ASSERT_TRUE(c.ok());
  auto r = (*c)->Send("GET", "/");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kIOError);
}

// Whether this process may put a thread in SCHED_RR (root, CAP_SYS_NICE or
// RLIMIT_RTPRIO >= 1), tried on a thread of its own.
static bool MayUseRealtime() {
  bool ok = false;
  std::thread([&ok] {
    sched_param p{};
    p.sched_priority = 1;
    ok = pthread_setschedparam(pthread_self(), SCHED_RR, &p) == 0;
  }).join();
  return ok;
}

TEST_F(ServerTest, IoThreadsRunInTheSchedulingClassAsked) {
  auto policy = [this] {
    auto r = NewClient()->Send("GET", "/policy");
    return r.ok() ? std::stoi(r->body) : -1;
  };
  EXPECT_FALSE(server_->realtime_io());  // a bare Server stays normal
  EXPECT_EQ(policy(), SCHED_OTHER);
  bool may = MayUseRealtime();
  ServerOptions o = Options();
  o.io_priority = IoPriority::kAuto;  // the app's default: real-time when permitted
  Restart(o);
  EXPECT_EQ(server_->realtime_io(), may);
  EXPECT_EQ(policy(), may ? SCHED_RR : SCHED_OTHER);
  server_->Stop();
  o.io_priority = IoPriority::kRealtime;
  server_ = std::make_unique<Server>(o, router_);
  Status st = server_->Start();
  if (may) {
    ASSERT_TRUE(st.ok()) << st.message();
    base_ = "http://127.0.0.1:" + std::to_string(server_->port());
    EXPECT_EQ(policy(), SCHED_RR);
  } else {
    EXPECT_EQ(st.code(), Status::Code::kPermissionDenied) << st.message();
  }
}

// Busy polling: the I/O thread keeps polling (and spending CPU) for
// busy_poll_us after its last work, then sleeps; without it, it sleeps at
// once. Stop() ends a spinning loop. The bounds allow for a loaded machine,
// where the spinning thread gets a share of a core, not all of it.
TEST_F(ServerTest, BusyPollingSpinsAfterWorkThenSleeps) {
  auto io_clock = [this] {
    auto r = NewClient()->Send("GET", "/cpuclock");
    return r.ok() ? clockid_t(std::stoi(r->body)) : clockid_t(-1);
  };
  // CPU milliseconds the I/O thread spends in the next `ms` of wall time.
  auto cpu_in = [](clockid_t c, int ms) {
    auto now = [c] {
      timespec ts{};
      clock_gettime(c, &ts);
      return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) / 1e6;
    };
    double a = now();
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    return now() - a;
  };
  ServerOptions o = Options();
  o.threads = 1;
  Restart(o);
  clockid_t c = io_clock();
  ASSERT_NE(c, clockid_t(-1));
  EXPECT_LT(cpu_in(c, 40), 5.0) << "without busy polling the thread sleeps";

  o.busy_poll_us = 60'000;
  Restart(o);
  c = io_clock();
  ASSERT_NE(c, clockid_t(-1));
  EXPECT_GT(cpu_in(c, 30), 5.0) << "within busy_poll_us of its last work the thread polls";
  std::this_thread::sleep_for(60ms);
  EXPECT_LT(cpu_in(c, 40), 5.0) << "past busy_poll_us it sleeps";
  auto r = NewClient()->Send("GET", "/hello");  // answered after the sleep, too
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body, "hello world");

  io_clock();  // spinning again
  auto t0 = std::chrono::steady_clock::now();
  server_->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
}

// A process that may not: "auto" serves at normal priority, "realtime"
// refuses to start and says why. Exits 0 when both hold.
[[noreturn]] static void StartWithoutRealtimePermission() {
  rlimit none{0, 0};
  setrlimit(RLIMIT_RTPRIO, &none);
  if (geteuid() == 0 && setuid(65534) != 0) std::_Exit(2);  // nobody: no CAP_SYS_NICE
  Router r;
  ServerOptions o;
  o.port = 0;
  o.io_priority = IoPriority::kAuto;
  Server a(o, r);
  if (!a.Start().ok() || a.realtime_io()) std::_Exit(3);
  a.Stop();
  o.io_priority = IoPriority::kRealtime;
  Server b(o, r);
  Status st = b.Start();
  if (st.code() != Status::Code::kPermissionDenied) std::_Exit(4);
  if (st.message().find("CAP_SYS_NICE") == std::string::npos) std::_Exit(5);
  std::_Exit(0);
}

// In a fresh process (the death test's re-exec), which gives up the
// permission first.
TEST(ServerDeathTest, WithoutPermissionAutoFallsBackAndRealtimeRefuses) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(StartWithoutRealtimePermission(), testing::ExitedWithCode(0), "");
}

TEST(Server, PortInUseIsAnError) {
  Router r;
  ServerOptions o;
  o.port = 0;
  Server a(o, r);
  ASSERT_TRUE(a.Start().ok());
  o.port = a.port();
  Server b(o, r);
  Status st = b.Start();
  // SO_REUSEADDR does not allow two listeners on one port on Linux.
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.code(), Status::Code::kIOError);
  EXPECT_EQ(Server(ServerOptions{"not-an-ip", 0}, r).Start().code(),
            Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace burnrate::http
