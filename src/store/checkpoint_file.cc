// Checkpoint files: state derived from the events, saved so a restart need
// not replay them all.
//
// Layout (little-endian, as the x86-64 and arm64 hosts we build for):
//
//   offset size
//        0    8  magic "brckpt\0\n"
//        8    4  format version (kFormatVersion; this file's framing)
//       12    4  payload version (the owner's encoding, e.g. the engine's)
//       16    8  options hash (the owner's settings the payload depends on)
//       24    8  seq           the last block whose events are counted:
//       32    8  received_max  its newest arrival
//       40    8  n             and its number of events
//       48    8  written at (ms since the epoch)
//       56    8  payload length (uncompressed)
//       64    8  compressed length C
//       72    C  the payload, one zstd frame (level 1)
//     72+C    8  checksum: XXH3-64 of the 72 header bytes followed by the
//                XXH3-64 of the C compressed bytes
//
// Nothing here is trusted until the checksum matches; a short, long or
// altered file is refused with the reason, and the caller then replays the
// events instead (a checkpoint may only ever make a restart faster, never
// different).
//
// Atomicity: the file is written as `<path>.tmp`, fsynced, renamed over
// `<path>`, and the directory is fsynced, so a crash (kill -9, power loss)
// during a write leaves the previous checkpoint or the new one. A stale
// `.tmp` left by a crash is overwritten by the next write and never read.
#include <fcntl.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "store/store.h"

namespace burnrate::store {
namespace {

constexpr char kMagic[8] = {'b', 'r', 'c', 'k', 'p', 't', '\0', '\n'};
constexpr uint32_t kFormatVersion = 1;
constexpr size_t kHeaderBytes = 72;
constexpr int kZstdLevel =
    1;  // state compresses well even at level 1; the write is off the hot path

struct Header {
  uint32_t format = kFormatVersion;
  uint32_t payload_version = 0;
  uint64_t options_hash = 0;
  int64_t seq = 0, received_max = 0, n = 0;
  int64_t written_at = 0;
  uint64_t payload_len = 0, compressed_len = 0;
};

template <typename T>
void Put(char*& p, T v) {
  std::memcpy(p, &v, sizeof v);
  p += sizeof v;
}
template <typename T>
T Get(const char*& p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  p += sizeof v;
  return v;
}

void Encode(const Header& h, char* out) {
  std::memcpy(out, kMagic, 8);
  char* p = out + 8;
  Put(p, h.format), Put(p, h.payload_version), Put(p, h.options_hash);
  Put(p, h.seq), Put(p, h.received_max), Put(p, h.n), Put(p, h.written_at);
  Put(p, h.payload_len), Put(p, h.compressed_len);
}

Header Decode(const char* in) {
  const char* p = in + 8;
  Header h;
  h.format = Get<uint32_t>(p), h.payload_version = Get<uint32_t>(p),
  h.options_hash = Get<uint64_t>(p);
  h.seq = Get<int64_t>(p), h.received_max = Get<int64_t>(p), h.n = Get<int64_t>(p);
  h.written_at = Get<int64_t>(p);
  h.payload_len = Get<uint64_t>(p), h.compressed_len = Get<uint64_t>(p);
  return h;
}

uint64_t Checksum(const char* header, std::string_view compressed) {
  char buf[kHeaderBytes + 8];
  std::memcpy(buf, header, kHeaderBytes);
  uint64_t body = XXH3_64bits(compressed.data(), compressed.size());
  std::memcpy(buf + kHeaderBytes, &body, 8);
  return XXH3_64bits(buf, sizeof buf);
}

Status Errno(const std::string& what, const std::string& path) {
  return Status::IOError(what + " " + path + ": " + std::strerror(errno));
}

Status WriteAll(int fd, const char* p, size_t n, const std::string& path) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return Errno("cannot write", path);
    p += w, n -= size_t(w);
  }
  return Status::OK();
}

Status SyncDir(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Errno("cannot open directory of", path);
  int rc = ::fsync(fd);
  ::close(fd);
  return rc == 0 ? Status::OK() : Errno("cannot sync directory of", path);
}

Status WriteFile(const std::string& tmp, const std::string& header, const std::string& compressed,
                 uint64_t checksum) {
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("cannot create", tmp);
  Status st = WriteAll(fd, header.data(), header.size(), tmp);
  if (st.ok()) st = WriteAll(fd, compressed.data(), compressed.size(), tmp);
  if (st.ok()) st = WriteAll(fd, reinterpret_cast<const char*>(&checksum), 8, tmp);
  if (st.ok() && ::fsync(fd) != 0) st = Errno("cannot sync", tmp);
  ::close(fd);
  return st;
}

}  // namespace

Status WriteCheckpointFile(const std::string& path, const Checkpoint& c) {
  std::string compressed(ZSTD_compressBound(c.payload.size()), '\0');
  size_t z = ZSTD_compress(compressed.data(), compressed.size(), c.payload.data(), c.payload.size(),
                           kZstdLevel);
  if (ZSTD_isError(z))
    return Status::IOError(std::string("checkpoint compression: ") + ZSTD_getErrorName(z));
  compressed.resize(z);
  Header h{.format = kFormatVersion,
           .payload_version = c.payload_version,
           .options_hash = c.options_hash,
           .seq = c.through.seq,
           .received_max = c.through.received_max,
           .n = c.through.n,
           .written_at = c.written_at,
           .payload_len = c.payload.size(),
           .compressed_len = z};
  std::string header(kHeaderBytes, '\0');
  Encode(h, header.data());
  std::string tmp = path + ".tmp";
  Status st = WriteFile(tmp, header, compressed, Checksum(header.data(), compressed));
  if (st.ok() && ::rename(tmp.c_str(), path.c_str()) != 0)
    st = Errno("cannot rename checkpoint to", path);
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    return st;
  }
  return SyncDir(path);
}

Result<Checkpoint> ReadCheckpointFile(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return Status::NotFound("no checkpoint " + path);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Errno("cannot open", path);
  // Sized once: growing a string of hundreds of MB by doubling copies it
  // several times, and on a VM each fresh page costs a fault.
  std::string data(std::filesystem::file_size(path, ec), '\0');
  size_t got = 0;
  while (!ec && got < data.size()) {
    ssize_t r = ::read(fd, data.data() + got, data.size() - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += size_t(r);
  }
  ::close(fd);
  if (ec || got != data.size()) return Status::IOError("cannot read " + path);
  auto bad = [&](const std::string& why) {
    return Status::IOError("checkpoint " + path + ": " + why);
  };
  if (data.size() < kHeaderBytes + 8 || std::memcmp(data.data(), kMagic, 8) != 0)
    return bad("not a checkpoint file");
  Header h = Decode(data.data());
  if (h.format != kFormatVersion)
    return bad("format version " + std::to_string(h.format) + ", want " +
               std::to_string(kFormatVersion));
  if (h.compressed_len != data.size() - kHeaderBytes - 8) return bad("truncated or trailing bytes");
  std::string_view compressed(data.data() + kHeaderBytes, h.compressed_len);
  uint64_t want;
  std::memcpy(&want, data.data() + kHeaderBytes + h.compressed_len, 8);
  if (Checksum(data.data(), compressed) != want) return bad("checksum mismatch");
  Checkpoint c;
  c.payload_version = h.payload_version;
  c.options_hash = h.options_hash;
  c.through = {h.seq, h.received_max, h.n};
  c.written_at = h.written_at;
  c.payload.resize(h.payload_len);
  size_t n =
      ZSTD_decompress(c.payload.data(), c.payload.size(), compressed.data(), compressed.size());
  if (ZSTD_isError(n) || n != h.payload_len)
    return bad("payload does not decompress to its length");
  return c;
}

}  // namespace burnrate::store
