// The one error model of burnrate: Status and Result<T>.
//
// Every fallible function returns a Status (no value) or a Result<T> (a value
// or a Status). No exception crosses a layer boundary. Codes are few on
// purpose; the message says what went wrong and names the field or file.
// An error about one input field (a query parameter, a JSON member) carries
// that field's name as well (WithField), which the HTTP layer answers as
// "field" beside "error".
// HTTP status codes are mapped from Code in one place (http/http.h).
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace burnrate {

class [[nodiscard]] Status {
 public:
  enum class Code {
    kOk = 0,
    kInvalidArgument,    // bad input from a caller: 400
    kNotFound,           // 404
    kAlreadyExists,      // 409
    kUnauthenticated,    // 401
    kPermissionDenied,   // 403
    kResourceExhausted,  // limit reached: 429
    kTooLarge,           // a body (or what it unpacks to) past its size limit: 413
    kUnsupported,        // unsupported media type or encoding: 415
    kIOError,            // disk, database, network: 500
    kInternal,           // a bug: 500
    kUnavailable,        // shutting down or not ready: 503
  };

  Status() = default;
  static Status OK() { return Status(); }
  static Status InvalidArgument(std::string m) {
    return Status(Code::kInvalidArgument, std::move(m));
  }
  static Status NotFound(std::string m) { return Status(Code::kNotFound, std::move(m)); }
  static Status AlreadyExists(std::string m) { return Status(Code::kAlreadyExists, std::move(m)); }
  static Status Unauthenticated(std::string m) {
    return Status(Code::kUnauthenticated, std::move(m));
  }
  static Status PermissionDenied(std::string m) {
    return Status(Code::kPermissionDenied, std::move(m));
  }
  static Status ResourceExhausted(std::string m) {
    return Status(Code::kResourceExhausted, std::move(m));
  }
  static Status TooLarge(std::string m) { return Status(Code::kTooLarge, std::move(m)); }
  static Status Unsupported(std::string m) { return Status(Code::kUnsupported, std::move(m)); }
  static Status IOError(std::string m) { return Status(Code::kIOError, std::move(m)); }
  static Status Internal(std::string m) { return Status(Code::kInternal, std::move(m)); }
  static Status Unavailable(std::string m) { return Status(Code::kUnavailable, std::move(m)); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // The request field or parameter the error is about; "" when none.
  const std::string& field() const { return field_; }
  // This status naming `field` as the bad input (an OK status stays OK).
  Status WithField(std::string field) && {
    if (!ok()) field_ = std::move(field);
    return std::move(*this);
  }
  Status WithField(std::string field) const& { return Status(*this).WithField(std::move(field)); }
  // "invalid argument: <message>", for logs and CLI output.
  std::string ToString() const;

 private:
  Status(Code c, std::string m) : code_(c), message_(std::move(m)) {}
  Code code_ = Code::kOk;
  std::string message_;
  std::string field_;
};

// A value or an error. Access value() only when ok().
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status s) : v_(std::move(s)) {}     // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<1>(v_);
  }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }  // *Parse(x) on a temporary
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

// A Result's error naming `field` (see Status::WithField); values pass.
template <typename T>
Result<T> WithField(Result<T> r, std::string field) {
  if (r.ok()) return r;
  return r.status().WithField(std::move(field));
}

}  // namespace burnrate

// Returns early with the error of a Status-returning expression.
#define BR_RETURN_IF_ERROR(expr)     \
  do {                               \
    ::burnrate::Status _st = (expr); \
    if (!_st.ok()) return _st;       \
  } while (0)

#define BR_CONCAT_INNER(a, b) a##b
#define BR_CONCAT(a, b) BR_CONCAT_INNER(a, b)
// Declares `lhs` from a Result-returning expression, or returns its error.
#define BR_ASSIGN_OR_RETURN(lhs, expr) \
  BR_ASSIGN_OR_RETURN_IMPL(BR_CONCAT(_res_, __LINE__), lhs, expr)
#define BR_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return tmp.status();            \
  lhs = std::move(tmp).value()
