// A small blocking HTTP/1.1 client for the CLI, the agent and tests.
//
// One Client keeps one keep-alive connection to one server and reconnects
// when the server closed it. Not thread-safe: use one Client per thread.
// Errors (cannot connect, timeout) are Status::IOError; an HTTP error status
// is not an error here: look at ClientResponse::status.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace burnrate::http {

struct ClientResponse {
  int status = 0;
  std::string content_type;
  std::string body;
};

class Client {
 public:
  // base_url: "http://host:port" (no TLS; put a TLS proxy in front).
  static Result<std::unique_ptr<Client>> Create(std::string_view base_url);
  ~Client();

  // `target` is the path with query, e.g. "/v1/leaderboard?window=7d".
  Result<ClientResponse> Send(std::string_view method, std::string_view target,
                              std::string_view body = "",
                              const std::vector<std::pair<std::string, std::string>>& headers = {});
  void set_bearer(std::string key) { bearer_ = std::move(key); }
  void set_timeout_ms(int ms) { timeout_ms_ = ms; }

 private:
  Client() = default;
  struct Conn;
  std::unique_ptr<Conn> conn_;
  std::string host_, port_, bearer_;
  int timeout_ms_ = 30000;
};

}  // namespace burnrate::http
