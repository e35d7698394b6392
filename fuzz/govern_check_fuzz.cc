// Fuzzes the governance API parsers: check, settle and throttle bodies, and
// the policy body of the admin API. They must never crash, and whatever
// they accept must serialise and re-parse.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "govern/govern.h"

using namespace burnrate::govern;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  CheckRequest c;
  (void)ParseCheckJson(body, c);
  SettleRequest s;
  (void)ParseSettleJson(body, s);
  std::string user, reason;
  int64_t level;
  (void)ParseThrottleJson(body, user, level, reason);
  auto p = PolicyFromJson(body);
  if (p.ok()) {
    auto again = PolicyFromJson(p->ToJson());
    if (!again.ok() || again->limit != p->limit || again->id != p->id) std::abort();
  }
  return 0;
}
