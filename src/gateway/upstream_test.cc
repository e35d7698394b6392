// The upstream client's timeouts against a loopback server that answers
// late or not at all, and a pooled connection that outlives several
// timeout periods (the deadline is moved per exchange, not re-armed:
// http/lazy_deadline.h).
#include "gateway/upstream.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <string>
#include <thread>
#include <vector>

namespace burnrate::gateway {
namespace {

using namespace std::chrono_literals;

// A loopback HTTP server: each accepted connection's requests go to
// `serve(fd, request_number)`, which writes (or withholds) the answer and
// returns false to close the connection.
class FakeUpstream {
 public:
  using Serve = std::function<bool(int fd, int n)>;
  // With no `serve`, connections are accepted and never read.
  explicit FakeUpstream(Serve serve) : serve_(std::move(serve)) {
    listen_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(listen_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(listen(listen_, 16), 0);
    socklen_t len = sizeof a;
    getsockname(listen_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { Run(); });
  }
  ~FakeUpstream() {
    stop_ = true;
    shutdown(listen_, SHUT_RDWR);
    close(listen_);
    thread_.join();
    for (std::thread& t : conns_) t.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int connections() const { return accepted_.load(); }

  // Reads one request (head and Content-Length body); false at EOF.
  static bool ReadRequest(int fd) {
    std::string got;
    char buf[4096];
    for (;;) {
      size_t end = got.find("\r\n\r\n");
      if (end != std::string::npos) {
        size_t cl = got.find("Content-Length: ");
        size_t len = cl == std::string::npos ? 0 : std::stoul(got.substr(cl + 16));
        if (got.size() >= end + 4 + len) return true;
      }
      ssize_t n = read(fd, buf, sizeof buf);
      if (n <= 0) return false;
      got.append(buf, size_t(n));
    }
  }
  static void Write(int fd, std::string_view s) {
    (void)!send(fd, s.data(), s.size(), MSG_NOSIGNAL);
  }

 private:
  void Run() {
    for (;;) {
      int fd = accept(listen_, nullptr, nullptr);
      if (fd < 0) return;
      ++accepted_;
      conns_.emplace_back([this, fd] {
        while (!serve_ && !stop_) std::this_thread::sleep_for(5ms);
        for (int n = 0; !stop_ && ReadRequest(fd); ++n) {
          if (!serve_(fd, n)) break;
        }
        close(fd);
      });
    }
  }

  Serve serve_;
  int listen_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::thread thread_;
  std::vector<std::thread> conns_;  // touched by thread_ only, then joined
};

// Records one exchange and tells when it ended.
class Recorder final : public UpstreamHandler {
 public:
  void OnHead(UpstreamHead& head) override { status = head.status; }
  bool OnBody(std::string_view b) override {
    body.append(b);
    return true;
  }
  void OnEnd(Status s) override { done.set_value(std::move(s)); }
  int status = 0;
  std::string body;
  std::promise<Status> done;
};

struct Ended {
  Status status;
  std::shared_ptr<Recorder> rec;
  std::chrono::milliseconds took;
};

Ended Exchange(Upstream& up, std::string body = "{}") {
  auto rec = std::make_shared<Recorder>();
  auto fut = rec->done.get_future();
  UpstreamRequest req;
  req.target = "/v1/messages";
  req.body = std::move(body);
  auto t0 = std::chrono::steady_clock::now();
  up.Send(std::move(req), rec);
  if (fut.wait_for(10s) != std::future_status::ready) return {Status::Internal("hung"), rec, {}};
  auto took =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  return {fut.get(), rec, took};
}

constexpr std::string_view kOk =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";

std::unique_ptr<Upstream> Make(const std::string& url, UpstreamIo& io, int first_byte_ms,
                               int idle_ms) {
  UpstreamOptions o;
  o.base_url = url;
  o.first_byte_timeout_ms = first_byte_ms;
  o.idle_timeout_ms = idle_ms;
  auto up = Upstream::Create(o, io);
  EXPECT_TRUE(up.ok());
  return std::move(*up);
}

// The exchange ended as a timeout after at least `at_least` (and well
// before the 10 s Exchange waits).
void ExpectTimedOut(const Ended& e, std::chrono::milliseconds at_least) {
  EXPECT_EQ(e.status.code(), Status::Code::kUnavailable) << e.status.ToString();
  EXPECT_NE(e.status.message().find("timed out"), std::string::npos) << e.status.ToString();
  EXPECT_GE(e.took, at_least);
  EXPECT_LT(e.took, 3s);
}

TEST(Upstream, AnswerNeverStartedEndsAtTheFirstByteTimeout) {
  std::atomic<bool> release{false};
  FakeUpstream server([&](int, int) {
    while (!release) std::this_thread::sleep_for(5ms);
    return false;
  });
  UpstreamIo io(1);
  auto up = Make(server.url(), io, 200, 60'000);
  Ended e = Exchange(*up);
  release = true;
  ExpectTimedOut(e, 150ms);
  io.Stop();
}

// A request larger than the socket takes, to an upstream that reads none
// of it: the rest of the write waits under the first-byte timeout.
TEST(Upstream, RequestTheUpstreamDoesNotReadEndsAtTheFirstByteTimeout) {
  FakeUpstream server(nullptr);
  UpstreamIo io(1);
  auto up = Make(server.url(), io, 300, 60'000);
  Ended e = Exchange(*up, std::string(32 << 20, 'x'));
  ExpectTimedOut(e, 250ms);
  io.Stop();
}

TEST(Upstream, BodyThatStallsEndsAtTheIdleTimeout) {
  std::atomic<bool> release{false};
  FakeUpstream server([&](int fd, int) {
    FakeUpstream::Write(fd, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n12");
    while (!release) std::this_thread::sleep_for(5ms);
    return false;
  });
  UpstreamIo io(1);
  auto up = Make(server.url(), io, 60'000, 200);
  Ended e = Exchange(*up);
  release = true;
  EXPECT_EQ(e.rec->status, 200);
  EXPECT_EQ(e.rec->body, "12");
  ExpectTimedOut(e, 150ms);
  io.Stop();
}

// A kept-alive connection used every 100 ms with a 250 ms first-byte
// timeout, then left in the pool across its timer's firing (it finds no
// deadline) and used again. The deadline armed by the first exchange passes during the third, which
// has moved it later: the timer arms again instead of cutting it off.
TEST(Upstream, PooledConnectionOutlivesItsTimeoutPeriods) {
  FakeUpstream server([](int fd, int n) {
    if (n == 2) std::this_thread::sleep_for(150ms);
    FakeUpstream::Write(fd, kOk);
    return true;
  });
  UpstreamIo io(1);
  auto up = Make(server.url(), io, 250, 250);
  for (int i = 0; i < 4; ++i) {
    Ended e = Exchange(*up);
    EXPECT_TRUE(e.status.ok()) << i << ": " << e.status.ToString();
    EXPECT_EQ(e.rec->status, 200) << i;
    EXPECT_EQ(e.rec->body, "{}") << i;
    std::this_thread::sleep_for(i < 2 ? 100ms : 400ms);
  }
  EXPECT_EQ(server.connections(), 1);
  io.Stop();
}

}  // namespace
}  // namespace burnrate::gateway
