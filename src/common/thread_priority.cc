#include "common/thread_priority.h"

#include <pthread.h>
#include <sched.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace burnrate {

bool ParseIoPriority(std::string_view s, IoPriority* out) {
  if (s == "auto") {
    *out = IoPriority::kAuto;
  } else if (s == "realtime") {
    *out = IoPriority::kRealtime;
  } else if (s == "normal") {
    *out = IoPriority::kNormal;
  } else {
    return false;
  }
  return true;
}

std::string_view IoPriorityName(IoPriority p) {
  switch (p) {
    case IoPriority::kAuto:
      return "auto";
    case IoPriority::kRealtime:
      return "realtime";
    case IoPriority::kNormal:
      return "normal";
  }
  return "auto";
}

Status MakeRealtime(std::thread& t) {
  sched_param param{};
  param.sched_priority = sched_get_priority_min(SCHED_RR);
  int rc = pthread_setschedparam(t.native_handle(), SCHED_RR, &param);
  if (rc == 0) return Status::OK();
  std::string why = "cannot enter SCHED_RR: " + std::string(std::strerror(rc));
  if (rc == EPERM) {
    return Status::PermissionDenied(why + " (needs root, CAP_SYS_NICE or RLIMIT_RTPRIO >= 1)");
  }
  return Status::Internal(why);
}

}  // namespace burnrate
