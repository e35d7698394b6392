// Fuzzes the [governance] config reader: any TOML document must either
// configure the Governor or yield an InvalidArgument, never crash. The
// limit_store url is parsed too (a Redis store connects lazily, so nothing
// is dialled here).
#include <toml++/toml.h>

#include <cstdint>
#include <string>

#include "govern/govern.h"

using namespace burnrate;
using namespace burnrate::govern;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static FakeClock clock(1773144000000);
  static AuditLog audit(nullptr, clock);
  std::string_view text(reinterpret_cast<const char*>(data), size);
  toml::table root;
#if TOML_EXCEPTIONS
  try {
    root = toml::parse(text);
  } catch (const toml::parse_error&) {
    return 0;
  }
#else
  auto res = toml::parse(text);
  if (!res) return 0;
  root = std::move(res).table();
#endif
  auto store = LimitStoreFromConfig(&root);
  if (!store.ok() && store.status().code() != Status::Code::kInvalidArgument) std::abort();
  Governor g(clock, audit, nullptr);
  (void)g.Configure(root);
  return 0;
}
