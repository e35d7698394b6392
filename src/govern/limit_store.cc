// Picks the LimitStore named by the configuration.
#include "govern/limit_store.h"

#include <toml++/toml.h>

namespace burnrate::govern {

Result<std::unique_ptr<LimitStore>> LimitStoreFromConfig(const toml::table* root) {
  std::string url = "memory";
  if (root) {
    if (const toml::node* n = root->at_path("governance.limit_store").node()) {
      if (!n->is_string()) return Status::InvalidArgument("governance.limit_store: want a string");
      url = n->value_or(std::string());
    }
  }
  if (url == "memory" || url.empty()) return NewInMemoryLimitStore();
  if (url.rfind("redis://", 0) == 0) return NewRedisLimitStore(url);
  return Status::InvalidArgument(
      "governance.limit_store: want \"memory\" or a redis://HOST:PORT[/DB] url, got \"" + url +
      "\"");
}

}  // namespace burnrate::govern
