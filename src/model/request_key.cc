#include "model/request_key.h"

#include <cstdio>

#include "common/hash.h"

namespace burnrate::model {

RequestKey CodexRequestKey(std::string_view thread, const CodexUsage& u) {
  std::string k = "codex-request|";
  k.append(thread);
  for (int64_t v : {u.input, u.cached, u.cache_write, u.output, u.reasoning}) {
    k.push_back('|');
    k.append(std::to_string(v));
  }
  // Two seeds: 128 bits, so distinct requests never share an id.
  return {Hash64(k, 0x636f646578ull), Hash64(k, 0x726571756573ull)};
}

std::string CodexEventId(const RequestKey& k) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "cx-%016llx%016llx", static_cast<unsigned long long>(k.hi),
                static_cast<unsigned long long>(k.lo));
  return buf;
}

}  // namespace burnrate::model
