// Small string utilities shared by all layers.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace burnrate {

// True when s is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool IsValidUtf8(std::string_view s);
std::vector<std::string_view> Split(std::string_view s, char sep);
std::string_view Trim(std::string_view s);
// "1.2 k", "3.4 M", "2.1 T": for terminal tables.
std::string Humanize(double v);

}  // namespace burnrate
