#include "claude/event_sink.h"

#include <simdjson.h>

#include "http/client.h"

namespace burnrate::claude {
namespace {

class HttpEventSink final : public EventSink {
 public:
  explicit HttpEventSink(std::unique_ptr<http::Client> c) : client_(std::move(c)) {}
  Result<SinkAck> Post(const std::string& ndjson) override {
    auto res =
        client_->Send("POST", "/v1/events", ndjson, {{"Content-Type", "application/x-ndjson"}});
    if (!res.ok()) return Status::IOError("cannot reach server: " + res.status().message());
    int code = res->status;
    if (code == 200) return ParseIngestAnswer(res->body);
    std::string msg = "server answered " + std::to_string(code) + ": " + res->body;
    if (code >= 500 || code == 429 || code == 408) return Status::IOError(msg);
    if (code == 401) return Status::Unauthenticated(msg);
    if (code == 403) return Status::PermissionDenied(msg);
    return Status::InvalidArgument(msg);
  }

 private:
  std::unique_ptr<http::Client> client_;
};

}  // namespace

Result<SinkAck> ParseIngestAnswer(const std::string& body) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(body).get(root))
    return Status::IOError("server answer is not JSON: " + body.substr(0, 200));
  SinkAck ack;
  if (root["accepted"].get(ack.accepted) || root["duplicates"].get(ack.duplicates))
    return Status::IOError("server answer lacks accepted/duplicates: " + body.substr(0, 200));
  simdjson::dom::array rejected;
  if (!root["rejected"].get(rejected)) {
    for (auto r : rejected) {
      ++ack.rejected;
      std::string_view err;
      if (ack.first_error.empty() && !r["error"].get(err)) ack.first_error = std::string(err);
    }
  }
  // The list holds the first rejects only; the total counts them all.
  int64_t total = 0;
  if (!root["rejected_total"].get(total)) ack.rejected = total;
  return ack;
}

Result<std::unique_ptr<EventSink>> NewHttpEventSink(const std::string& url,
                                                    const std::string& key) {
  auto c = http::Client::Create(url);
  if (!c.ok()) return c.status();
  (*c)->set_bearer(key);
  return std::unique_ptr<EventSink>(new HttpEventSink(std::move(*c)));
}

}  // namespace burnrate::claude
