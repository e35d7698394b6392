// A forward declaration of toml++'s table, so that headers whose functions
// take a parsed configuration do not make every includer parse toml++
// (tens of thousands of lines). The .cc files that read tables include
// <toml++/toml.h> themselves.
#pragma once

namespace toml {
inline namespace v3 {
class table;
}
}  // namespace toml
