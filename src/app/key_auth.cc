#include "app/key_auth.h"

#include <vector>

#include "common/hash.h"
#include "store/store.h"

namespace burnrate::app {

KeyAuth::KeyAuth(store::KeyStore& store, const Clock& clock, TimeMs ttl_ms)
    : store_(store), clock_(clock), ttl_ms_(ttl_ms) {}

Result<KeyIdentity> KeyAuth::Authenticate(std::string_view secret) {
  return AuthenticateHash(Sha256Hex(secret));
}

Result<KeyIdentity> KeyAuth::AuthenticateHash(const std::string& hash) {
  TimeMs now = clock_.NowMs();
  {
    std::lock_guard lock(mu_);
    auto it = cache_.find(hash);
    // A clock that steps back must not extend trust either.
    if (it != cache_.end() && now >= it->second.checked_at && now - it->second.checked_at < ttl_ms_)
      return it->second.who;
  }
  // The lookup runs without the lock: concurrent misses on one key each ask
  // the store, which is cheap, rather than queueing behind one another.
  Result<KeyIdentity> who = Lookup(hash);
  std::lock_guard lock(mu_);
  auto it = cache_.find(hash);
  if (who.ok()) {
    cache_[hash] = {*who, now};
    return who;
  }
  // The store cannot answer (PostgreSQL restarting): a key it confirmed
  // before keeps working, so boards go on serving from memory; one never
  // seen is 503. Only an answer of the store removes a key.
  if (who.status().code() == Status::Code::kUnavailable && it != cache_.end())
    return it->second.who;
  if (it != cache_.end()) cache_.erase(it);
  return who.status();
}

Result<KeyIdentity> KeyAuth::Lookup(const std::string& hash) {
  auto k = store_.FindKeyByHash(hash);
  if (!k.ok() && k.status().code() != Status::Code::kNotFound)
    return Status::Unavailable("cannot check the API key now (the database is unavailable)");
  if (!k.ok() || k->revoked) return Status::Unauthenticated("invalid or revoked API key");
  BR_ASSIGN_OR_RETURN(http::Role role, http::ParseRole(k->role));
  KeyIdentity who;
  who.role = role;
  who.principal = k->role == "self" ? k->user : k->id;
  who.key_hash = hash;
  if (role == http::Role::kGateway)
    who.user = k->user, who.team = k->team, who.project = k->project;
  return who;
}

void KeyAuth::Refresh() {
  TimeMs now = clock_.NowMs();
  std::vector<std::string> stale;
  {
    std::lock_guard lock(mu_);
    for (const auto& [hash, e] : cache_)
      if (now < e.checked_at || now - e.checked_at >= ttl_ms_ / 2) stale.push_back(hash);
  }
  for (const std::string& hash : stale) {
    auto who = Lookup(hash);
    std::lock_guard lock(mu_);
    if (who.ok()) {
      cache_[hash] = {*who, now};
    } else if (who.status().code() != Status::Code::kUnavailable) {
      cache_.erase(hash);
    }
  }
}

void KeyAuth::Invalidate() {
  std::lock_guard lock(mu_);
  cache_.clear();
}

}  // namespace burnrate::app
