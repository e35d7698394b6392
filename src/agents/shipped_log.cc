#include "agents/shipped_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <iterator>

namespace burnrate::agents {
namespace {

constexpr std::string_view kHeader = "burnrate-shipped 1\n";

void PutLe(uint64_t v, char* p) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
uint64_t GetLe(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i)
    v |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

}  // namespace

Status ShippedLog::Load() {
  keys_.clear();
  if (path_.empty()) return Status::OK();
  std::ifstream in(path_, std::ios::binary);
  if (!in) return Status::OK();
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (data.empty()) return Status::OK();
  if (data.compare(0, kHeader.size(), kHeader) != 0)
    return Status::InvalidArgument(path_ + ": not a burnrate shipped-events file");
  for (size_t p = kHeader.size(); p + 16 <= data.size(); p += 16)
    keys_.insert({GetLe(data.data() + p), GetLe(data.data() + p + 8)});
  return Status::OK();
}

Status ShippedLog::Append(const std::vector<EntryKey>& keys) {
  for (const EntryKey& k : keys) keys_.insert(k);
  if (path_.empty() || keys.empty()) return Status::OK();
  int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError(path_ + ": cannot open: " + std::strerror(errno));
  std::string buf;
  off_t end = ::lseek(fd, 0, SEEK_END);
  if (end == 0) buf.assign(kHeader);
  // A torn record left by a crash is cut off first, so records stay aligned.
  off_t body = end - static_cast<off_t>(kHeader.size());
  if (end > 0 && body % 16 != 0 && ::ftruncate(fd, end - body % 16) != 0) {
    ::close(fd);
    return Status::IOError(path_ + ": cannot repair: " + std::strerror(errno));
  }
  char rec[16];
  for (const EntryKey& k : keys) {
    PutLe(k.hi, rec);
    PutLe(k.lo, rec + 8);
    buf.append(rec, sizeof rec);
  }
  bool ok =
      ::write(fd, buf.data(), buf.size()) == static_cast<ssize_t>(buf.size()) && ::fsync(fd) == 0;
  int err = errno;
  ::close(fd);
  if (!ok) return Status::IOError(path_ + ": write failed: " + std::strerror(err));
  return Status::OK();
}

}  // namespace burnrate::agents
