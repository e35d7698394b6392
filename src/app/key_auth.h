// API key authentication for the HTTP API, with a short-lived cache.
//
// Keys live in the store (hashed). A key revoked anywhere, over the API of
// this server or by `burnrate keys revoke --db` from another process, stops
// working within `ttl` (default 1 s): a cached answer is trusted only that
// long, then the store is asked again. Unknown keys are never cached, so a
// flood of random keys cannot grow memory; each costs one indexed lookup.
// Refresh(), called from a background thread every ~100 ms, re-checks
// answers older than half the TTL, so request threads rarely wait for the
// store (whose lock a group commit may hold for milliseconds).
//
// When the store cannot answer (an error other than "no such key", e.g.
// PostgreSQL restarting), a key it confirmed before stays valid until it
// answers again, and a key not in the cache is Unavailable (503): an outage
// of the database neither locks every client out nor lets unknown keys in.
//
// Thread-safe.
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/clock.h"
#include "common/status.h"
#include "http/http.h"

namespace burnrate::store {
class KeyStore;
}

namespace burnrate::app {

// role, principal (key id, or the user a self key is bound to), key_hash,
// and for gateway keys the user, team and project their usage counts for.
using KeyIdentity = http::Caller;

class KeyAuth {
 public:
  static constexpr TimeMs kDefaultTtlMs = 1000;
  KeyAuth(store::KeyStore& store, const Clock& clock, TimeMs ttl_ms = kDefaultTtlMs);

  // The role and principal of a secret key; Unauthenticated when the key is
  // unknown or revoked.
  Result<KeyIdentity> Authenticate(std::string_view secret);
  // Same, by the key's SHA-256 hex (what SSE subscribers keep instead of the
  // secret).
  Result<KeyIdentity> AuthenticateHash(const std::string& hash);
  // Drops every cached answer: called after a revocation made here, so it
  // applies at once rather than within the TTL.
  void Invalidate();
  // Re-checks cached answers older than ttl/2 against the store; drops the
  // ones revoked since.
  void Refresh();

 private:
  struct Entry {
    KeyIdentity who;
    TimeMs checked_at = 0;
  };
  store::KeyStore& store_;
  const Clock& clock_;
  const TimeMs ttl_ms_;
  Result<KeyIdentity> Lookup(const std::string& hash);

  std::mutex mu_;
  std::unordered_map<std::string, Entry> cache_;  // key hash -> answer; guarded by mu_
};

}  // namespace burnrate::app
