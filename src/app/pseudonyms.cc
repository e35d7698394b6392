#include "app/pseudonyms.h"

#include "common/hash.h"
#include "store/store.h"

namespace burnrate::app {
namespace {

constexpr const char* kAdjectives[] = {"amber",  "brisk",  "calm",  "deft",  "eager", "fierce",
                                       "gentle", "hasty",  "ivory", "jolly", "keen",  "lucid",
                                       "mellow", "nimble", "opal",  "plucky"};
constexpr const char* kAnimals[] = {"otter", "falcon", "lynx",   "heron", "badger", "marten",
                                    "ibex",  "puffin", "gecko",  "bison", "raven",  "tapir",
                                    "koala", "quokka", "serval", "wren"};
constexpr char kBase32[] = "abcdefghijkmnpqrstuvwxyz23456789";  // no l, o, 0, 1

// "adjective-animal-" and then `chars` base-32 digits, from the MAC's bytes.
std::string Format(const std::string& mac, int chars) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(mac[i]); };
  std::string out = std::string(kAdjectives[byte(0) & 15]) + "-" + kAnimals[byte(0) >> 4] + "-";
  // Five bits a digit, from byte 1 on.
  for (int d = 0; d < chars; ++d) {
    size_t bit = 8 + size_t(d) * 5;
    unsigned v = (unsigned(byte(bit / 8)) << 8 | byte(bit / 8 + 1)) >> (11 - bit % 8);
    out.push_back(kBase32[v & 31]);
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<Pseudonyms>> Pseudonyms::Open(store::MetaStore& store) {
  auto secret = store.GetMeta("alias_secret");
  if (secret.ok() && secret->size() == 64) return std::make_unique<Pseudonyms>(*secret);
  std::string fresh = RandomHex(32);
  BR_RETURN_IF_ERROR(store.PutMeta("alias_secret", fresh));
  return std::make_unique<Pseudonyms>(std::move(fresh));
}

std::string Pseudonyms::Alias(std::string_view id) {
  std::lock_guard lock(mu_);
  if (auto it = alias_of_.find(std::string(id)); it != alias_of_.end()) return it->second;
  std::string mac = HmacSha256(secret_, id);
  // 10 digits = 50 bits, plus 8 in the words; on a collision, longer.
  std::string alias;
  for (int chars = 10; chars <= 48; chars += 2) {
    alias = Format(mac, chars);
    auto [it, fresh] = id_of_.emplace(alias, id);
    if (fresh || it->second == id) break;
  }
  alias_of_.emplace(std::string(id), alias);
  return alias;
}

}  // namespace burnrate::app
