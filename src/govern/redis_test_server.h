// A real redis-server for tests and benchmarks: started on a free loopback
// port in a fresh temporary directory, without persistence; stopped (and
// its directory removed) on destruction. Stop()/Start() simulate an outage.
// Not thread-safe; tests only.
#pragma once

#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <thread>

namespace burnrate::govern::testing {

class RedisTestServer {
 public:
  RedisTestServer() {
    char tmpl[] = "/tmp/burnrate-redis-XXXXXX";
    dir_ = mkdtemp(tmpl) ? tmpl : "";
    // The port is free when chosen but may be taken before redis binds it
    // (another test running at the same time): then our redis exits and
    // another port is tried.
    for (int attempt = 0; attempt < 5 && !ok_; ++attempt) {
      port_ = FreePort();
      ok_ = Start();
    }
  }
  ~RedisTestServer() {
    Stop();
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  bool ok() const { return ok_; }
  int port() const { return port_; }
  std::string url(int db = 0) const {
    return "redis://127.0.0.1:" + std::to_string(port_) + "/" + std::to_string(db);
  }

  bool Start() {
    if (pid_ > 0 || dir_.empty()) return false;
    pid_ = fork();
    if (pid_ == 0) {
      // Die with the parent, and inherit none of its descriptors (a
      // benchmark's flock, a pipe a caller reads to EOF).
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      int log = open((dir_ + "/redis.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (log >= 0) dup2(log, 1), dup2(log, 2);
      close_range(3, ~0u, 0);
      std::string port = std::to_string(port_);
      execlp("redis-server", "redis-server", "--port", port.c_str(), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", dir_.c_str(), "--loglevel", "warning",
             static_cast<char*>(nullptr));
      _exit(127);
    }
    for (int i = 0; i < 200; ++i) {                   // up to 4 s
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {  // it exited: the port was taken
        pid_ = -1;
        return false;
      }
      if (OursAnswers()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    Stop();
    return false;
  }
  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  static int FreePort() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof a;
    int port = 0;
    if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
      port = ntohs(a.sin_port);
    close(fd);
    return port;
  }
  // True when the server on port_ is the one this object started: another
  // test's redis may hold the port (ours then exits), and its answer must
  // not count.
  bool OursAnswers() const {
    redisContext* c = redisConnectWithTimeout("127.0.0.1", port_, timeval{0, 200000});
    bool ours = false;
    if (c && !c->err) {
      auto* r = static_cast<redisReply*>(redisCommand(c, "INFO server"));
      if (r && r->type == REDIS_REPLY_STRING)
        ours =
            std::string_view(r->str, r->len).find("process_id:" + std::to_string(pid_) + "\r\n") !=
            std::string_view::npos;
      if (r) freeReplyObject(r);
    }
    if (c) redisFree(c);
    return ours;
  }

  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
  bool ok_ = false;
};

}  // namespace burnrate::govern::testing
