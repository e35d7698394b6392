// The production WebhookTransport, on http::Client. Kept in its own file so
// that binaries which never deliver webhooks need not link the client.
#include "govern/alerter.h"
#include "http/client.h"

namespace burnrate::govern {

namespace {

class HttpClientTransport final : public WebhookTransport {
 public:
  Result<int> Post(const std::string& url, const std::string& body) override {
    // Split "http://host:port/path" into base and target.
    std::string_view u = url;
    size_t scheme = u.find("://");
    size_t slash = u.find('/', scheme == std::string_view::npos ? 0 : scheme + 3);
    std::string base(u.substr(0, slash));
    std::string target = slash == std::string_view::npos ? "/" : std::string(u.substr(slash));
    BR_ASSIGN_OR_RETURN(auto client, http::Client::Create(base));
    client->set_timeout_ms(5000);
    BR_ASSIGN_OR_RETURN(http::ClientResponse r,
                        client->Send("POST", target, body, {{"Content-Type", "application/json"}}));
    return r.status;
  }
};

}  // namespace

std::unique_ptr<WebhookTransport> NewHttpClientTransport() {
  return std::make_unique<HttpClientTransport>();
}

}  // namespace burnrate::govern
