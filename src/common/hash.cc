#include "common/hash.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <xxhash.h>

#include <stdexcept>

namespace burnrate {

uint64_t Hash64(std::string_view data, uint64_t seed) {
  return XXH3_64bits_withSeed(data.data(), data.size(), seed);
}

static std::string Hex(const unsigned char* p, size_t n) {
  static const char kHex[] = "0123456789abcdef";
  std::string s(2 * n, '0');
  for (size_t i = 0; i < n; ++i) {
    s[2 * i] = kHex[p[i] >> 4];
    s[2 * i + 1] = kHex[p[i] & 15];
  }
  return s;
}

// The digest is fetched from OpenSSL's provider once, and each thread keeps
// its context: EVP_Digest(..., EVP_sha256(), ...) fetched the
// implementation (a locked provider lookup) and allocated a context on every
// call, three quarters of the cost of hashing an API key (the gateway hashes
// one per request; docs/PERFORMANCE.md, "Metering gateway").
std::string Sha256Hex(std::string_view data) {
  static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  struct Ctx {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~Ctx() { EVP_MD_CTX_free(ctx); }
  };
  thread_local Ctx t;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (kSha256 == nullptr || t.ctx == nullptr || !EVP_DigestInit_ex2(t.ctx, kSha256, nullptr) ||
      !EVP_DigestUpdate(t.ctx, data.data(), data.size()) || !EVP_DigestFinal_ex(t.ctx, md, &len)) {
    EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  }
  return Hex(md, len);
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), int(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), md, &len);
  return std::string(reinterpret_cast<const char*>(md), len);
}

std::string RandomHex(size_t n) {
  std::string bytes(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), int(n)) != 1) {
    // Without randomness no secret can be made safely; this is a broken host.
    std::abort();
  }
  return Hex(reinterpret_cast<const unsigned char*>(bytes.data()), n);
}

}  // namespace burnrate
