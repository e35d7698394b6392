#include "agents/log_files.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace burnrate::agents {

namespace fs = std::filesystem;

Status FindLogFiles(const std::string& root, const std::vector<std::string_view>& suffixes,
                    std::string_view must_contain, std::vector<std::string>* out) {
  std::error_code ec;
  if (!fs::exists(root, ec)) return Status::OK();
  if (fs::is_regular_file(root, ec)) {
    out->push_back(root);
    return Status::OK();
  }
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
  if (ec) return Status::IOError(root + ": " + ec.message());
  size_t first = out->size();
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) return Status::IOError(root + ": " + ec.message());
    if (!it->is_regular_file(ec)) continue;
    std::string path = it->path().string();
    if (!must_contain.empty() && path.find(must_contain) == std::string::npos) continue;
    for (std::string_view s : suffixes) {
      if (path.size() >= s.size() && path.compare(path.size() - s.size(), s.size(), s) == 0) {
        out->push_back(std::move(path));
        break;
      }
    }
  }
  std::sort(out->begin() + static_cast<std::ptrdiff_t>(first), out->end());
  return Status::OK();
}

Result<FileBytes> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError(path + ": cannot open");
  in.seekg(0, std::ios::end);
  std::streamoff n = in.tellg();
  in.seekg(0);
  FileBytes f;
  f.data.resize(static_cast<size_t>(n) + 64, '\0');
  if (n > 0 && !in.read(f.data.data(), n)) return Status::IOError(path + ": read failed");
  return f;
}

void ForEachLine(std::string_view text,
                 const std::function<void(std::string_view, uint32_t, bool)>& fn) {
  uint32_t line = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    ++line;
    const void* nl = std::memchr(text.data() + pos, '\n', text.size() - pos);
    size_t end = nl ? static_cast<size_t>(static_cast<const char*>(nl) - text.data()) : text.size();
    std::string_view l = text.substr(pos, end - pos);
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    if (!l.empty()) fn(l, line, nl != nullptr);
    pos = end + 1;
  }
}

}  // namespace burnrate::agents
