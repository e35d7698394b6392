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

}  // namespace burnrate
