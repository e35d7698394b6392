// Small file helpers shared by the line-log readers (Codex, Gemini).
//
// FindLogFiles walks directories for files with given extensions, sorted by
// path; ReadWholeFile reads a file with simdjson padding after its end;
// ForEachLine splits a buffer into lines. Reentrant.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace burnrate::agents {

// Every regular file below `root` whose name ends with one of `suffixes`
// and whose path contains `must_contain` (when not empty). A missing root
// yields nothing; an unreadable one is an IOError.
Status FindLogFiles(const std::string& root, const std::vector<std::string_view>& suffixes,
                    std::string_view must_contain, std::vector<std::string>* out);

// The whole file, followed by at least 64 readable bytes (simdjson padding)
// that are not part of the returned size.
struct FileBytes {
  std::string data;  // data.size() - 64 is the file size
  size_t size() const { return data.size() < 64 ? 0 : data.size() - 64; }
  std::string_view view() const { return std::string_view(data.data(), size()); }
};
Result<FileBytes> ReadWholeFile(const std::string& path);

// Calls fn(line, line_number, terminated) for each non-empty line of `text`
// (line numbers are 1-based; `terminated` is false only for a last line
// without '\n', which a writer may still be appending to).
void ForEachLine(std::string_view text,
                 const std::function<void(std::string_view, uint32_t, bool)>& fn);

}  // namespace burnrate::agents
