// Contract tests for http::Server and http::Client over real loopback
// sockets: keep-alive, answers from other threads, body limits, HEAD,
// pipelining, server-sent events and client errors.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
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
    ServerOptions o;
    o.port = 0;
    o.max_body_bytes = 1 << 20;
    server_ = std::make_unique<Server>(o, router_);
    ASSERT_TRUE(server_->Start().ok());
    ASSERT_GT(server_->port(), 0);
    base_ = "http://127.0.0.1:" + std::to_string(server_->port());
  }
  void TearDown() override { server_->Stop(); }

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

TEST_F(ServerTest, ServerSentEvents) {
  RawSocket s(server_->port());
  s.Send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string head = s.ReadUntil("data: line two\n\n");
  EXPECT_NE(head.find("Content-Type: text/event-stream"), std::string::npos) << head;
  EXPECT_NE(head.find("event: greeting\ndata: line one\ndata: line two\n\n"), std::string::npos) << head;
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
  EXPECT_EQ(Server(ServerOptions{"not-an-ip", 0}, r).Start().code(), Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace burnrate::http
