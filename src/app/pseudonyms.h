// Pseudonymous boards: stable aliases for user ids ("brisk-otter-k3q9x2mfa7").
//
// An alias is keyed with a secret made once per install and kept in the
// store (meta "alias_secret"), so nobody without the database can compute
// the alias of a known id, and search on a pseudonymous board matches
// aliases only (see App). Aliases carry 58 bits of HMAC-SHA256: the chance
// of any two of 100,000 users sharing one is about 2e-8, and should it
// happen, the id seen second gets a longer alias, so aliases served by one
// process never collide.
//
// Thread-safe; aliases are cached (about 100 bytes a user).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/status.h"

namespace burnrate::store {
class MetaStore;
}

namespace burnrate::app {

class Pseudonyms {
 public:
  // Loads the install's secret, creating and storing it on first use.
  static Result<std::unique_ptr<Pseudonyms>> Open(store::MetaStore& store);
  explicit Pseudonyms(std::string secret) : secret_(std::move(secret)) {}

  std::string Alias(std::string_view id);

 private:
  const std::string secret_;
  std::mutex mu_;
  std::unordered_map<std::string, std::string> alias_of_;  // id -> alias; guarded by mu_
  std::unordered_map<std::string, std::string> id_of_;     // alias -> id; guarded by mu_
};

}  // namespace burnrate::app
