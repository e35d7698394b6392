#include "claude/change_waiter.h"

#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>

namespace burnrate::claude {

ChangeWaiter::ChangeWaiter() : fd_(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {}

ChangeWaiter::~ChangeWaiter() {
  if (fd_ >= 0) ::close(fd_);
}

void ChangeWaiter::Watch(const std::vector<std::string>& dirs) {
  if (fd_ < 0) return;
  for (const std::string& d : dirs) {
    if (watched_.count(d)) continue;
    uint32_t mask = IN_MODIFY | IN_CLOSE_WRITE | IN_CREATE | IN_MOVED_TO | IN_DELETE_SELF;
    if (::inotify_add_watch(fd_, d.c_str(), mask) >= 0) watched_.insert(d);
  }
}

void ChangeWaiter::Wait(int timeout_ms, const std::atomic<bool>& stop) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!stop.load()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) return;
    int slice = static_cast<int>(std::min<int64_t>(left, 50));  // notice `stop` quickly
    if (fd_ < 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(slice));
      continue;
    }
    struct pollfd p = {fd_, POLLIN, 0};
    if (::poll(&p, 1, slice) > 0 && (p.revents & POLLIN)) {
      char buf[4096];
      while (::read(fd_, buf, sizeof buf) > 0) {
      }
      // A write usually comes in bursts (one line per content block):
      // give the writer a moment to finish the line.
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      while (::read(fd_, buf, sizeof buf) > 0) {
      }
      return;
    }
  }
}

}  // namespace burnrate::claude
