// Hashing helpers: fast non-cryptographic 64-bit hashes (xxHash XXH3) for
// fingerprints and hash tables, and SHA-256 for secrets (API keys).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace burnrate {

uint64_t Hash64(std::string_view data, uint64_t seed = 0);
// Lower-case hex SHA-256 of data.
std::string Sha256Hex(std::string_view data);
// HMAC-SHA256 of data under key: 32 raw bytes.
std::string HmacSha256(std::string_view key, std::string_view data);
// n cryptographically random bytes as lower-case hex (2n characters).
std::string RandomHex(size_t n);

// Appends v as exactly 16 lower-case hex digits ("%016llx" without printf:
// ids made per request and fingerprints on the wire use it).
inline void AppendHex64(std::string& out, uint64_t v) {
  static constexpr char kHex[] = "0123456789abcdef";
  size_t at = out.size();
  out.resize(at + 16);
  for (int i = 15; i >= 0; --i, v >>= 4) out[at + size_t(i)] = kHex[v & 15];
}

}  // namespace burnrate
