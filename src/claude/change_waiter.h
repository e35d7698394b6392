// Sleeps until a watched directory changes (inotify) or a timeout passes,
// so the agent ships new lines within milliseconds instead of a poll
// interval, while still polling as a fallback (inotify may be unavailable,
// out of watches, or blind on network file systems).
//
// Not thread-safe; one per agent loop. Owns its inotify descriptor.
#pragma once

#include <atomic>
#include <set>
#include <string>
#include <vector>

namespace burnrate::claude {

class ChangeWaiter {
 public:
  ChangeWaiter();
  ~ChangeWaiter();
  ChangeWaiter(const ChangeWaiter&) = delete;
  ChangeWaiter& operator=(const ChangeWaiter&) = delete;

  // Adds watches for directories not yet watched (files written, created,
  // moved in). Directories that cannot be watched are polled.
  void Watch(const std::vector<std::string>& dirs);
  // Returns when a watched directory changed, `timeout_ms` passed or *stop.
  void Wait(int timeout_ms, const std::atomic<bool>& stop);
  bool active() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
  std::set<std::string> watched_;
};

}  // namespace burnrate::claude
