// Fuzzes the gateway's readers of upstream answers: the SSE splitter with
// each API's usage reader, the whole-body usage reader and the client
// request parser. Any bytes, in any chunking, must give usage or nothing,
// never a crash; what the splitter passes on plus what it holds is exactly
// what it was fed (no byte lost or invented) unless a reader drops an event.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "gateway/client_request.h"
#include "gateway/usage_parser.h"

using namespace burnrate::gateway;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  Api api = Api(data[0] % 3);
  size_t step = 1 + data[1] % 64;
  std::string_view in(reinterpret_cast<const char*>(data) + 2, size - 2);
  SseSplitter split;
  StreamUsage usage(api);
  std::string passed;
  for (size_t i = 0; i < in.size(); i += step) {
    split.Feed(in.substr(i, step),
               [&](std::string_view raw, std::string_view name, std::string_view d) {
                 (void)usage.OnEvent(name, d);
                 passed.append(raw);
               });
  }
  if (passed + std::string(split.Pending()) != in) std::abort();
  const Usage& u = usage.usage();
  if (u.tokens.input < 0 || u.tokens.output < 0 || u.tokens.cache_read < 0 ||
      u.tokens.cache_write < 0 || u.tokens.cache_write_1h < 0 ||
      u.tokens.cache_write_1h > u.tokens.cache_write) {
    std::abort();
  }
  Usage body;
  (void)ParseUsageBody(api, in, &body);
  ClientRequest c;
  (void)ParseClientRequest(api, in, &c);
  return 0;
}
