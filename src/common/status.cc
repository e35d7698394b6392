#include "common/status.h"

namespace burnrate {

std::string Status::ToString() const {
  const char* name = "ok";
  switch (code_) {
    case Code::kOk:
      return "ok";
    case Code::kInvalidArgument:
      name = "invalid argument";
      break;
    case Code::kNotFound:
      name = "not found";
      break;
    case Code::kAlreadyExists:
      name = "already exists";
      break;
    case Code::kUnauthenticated:
      name = "unauthenticated";
      break;
    case Code::kPermissionDenied:
      name = "permission denied";
      break;
    case Code::kResourceExhausted:
      name = "resource exhausted";
      break;
    case Code::kTooLarge:
      name = "too large";
      break;
    case Code::kUnsupported:
      name = "unsupported";
      break;
    case Code::kIOError:
      name = "I/O error";
      break;
    case Code::kInternal:
      name = "internal error";
      break;
    case Code::kUnavailable:
      name = "unavailable";
      break;
  }
  return std::string(name) + ": " + message_;
}

}  // namespace burnrate
