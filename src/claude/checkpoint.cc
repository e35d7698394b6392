#include "claude/checkpoint.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace burnrate::claude {
namespace {

constexpr const char* kHeader = "burnrate-claude-checkpoint 1";

Status WriteAll(int fd, const std::string& data, const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::IOError("cannot write " + path + ": " + std::strerror(errno));
    done += static_cast<size_t>(n);
  }
  return Status::OK();
}

}  // namespace

Status Checkpoint::Load() {
  files_.clear();
  std::ifstream in(path_, std::ios::binary);
  if (!in) return errno == ENOENT ? Status::OK() : Status::IOError("cannot read " + path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return Parse(ss.str());
}

Status Checkpoint::Parse(std::string_view text) {
  files_.clear();
  std::istringstream in{std::string(text)};
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (n == 1) {
      if (line != kHeader)
        return Status::InvalidArgument(path_ + ":1: not a burnrate claude checkpoint");
      continue;
    }
    if (line.empty()) continue;
    std::istringstream ls(line);
    FilePosition p;
    std::string file;
    ls >> p.inode >> p.offset >> p.next_line;
    if (!ls || ls.get() != ' ' || !std::getline(ls, file) || file.empty())
      return Status::InvalidArgument(path_ + ":" + std::to_string(n) +
                                     ": malformed checkpoint line");
    files_[file] = p;
  }
  return Status::OK();
}

Status Checkpoint::Save() const {
  std::string data = std::string(kHeader) + "\n";
  for (const auto& [file, p] : files_) {
    data += std::to_string(p.inode) + " " + std::to_string(p.offset) + " " +
            std::to_string(p.next_line) + " " + file + "\n";
  }
  std::string tmp = path_ + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError("cannot create " + tmp + ": " + std::strerror(errno));
  Status st = WriteAll(fd, data, tmp);
  if (st.ok() && ::fsync(fd) != 0)
    st = Status::IOError("fsync " + tmp + ": " + std::strerror(errno));
  ::close(fd);
  if (!st.ok()) return st;
  if (::rename(tmp.c_str(), path_.c_str()) != 0)
    return Status::IOError("rename " + tmp + ": " + std::strerror(errno));
  std::string dir =
      path_.substr(0, path_.find_last_of('/') == std::string::npos ? 0 : path_.find_last_of('/'));
  int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return Status::OK();
}

}  // namespace burnrate::claude
