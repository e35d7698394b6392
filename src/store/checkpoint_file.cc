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
// The writer compresses the owner's payload straight into the file, piece
// by piece (no second, compressed copy in memory); the reader hands the
// owner the decompressed payload in pieces (1 MiB), so it never holds the
// file or the whole payload. It decompresses up to four pieces ahead of the
// owner on a thread of its own (started by Open, joined by Finish or the
// destructor), so that zstd and the owner's decoding use both cores. The owner must therefore
// decode into a staging copy and adopt it only once the reader reports the checksum good (it is
// read last).
//
// Atomicity: the file is written as `<path>.tmp`, fsynced, renamed over
// `<path>`, and the directory is fsynced, so a crash (kill -9, power loss)
// during a write leaves the previous checkpoint or the new one. A stale
// `.tmp` left by a crash is overwritten by the next write and never read.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "store/store.h"

namespace burnrate::store {
namespace {

constexpr char kMagic[8] = {'b', 'r', 'c', 'k', 'p', 't', '\0', '\n'};
constexpr uint32_t kFormatVersion = 1;
constexpr size_t kHeaderBytes = 72;
constexpr int kZstdLevel =
    1;  // state compresses well even at level 1; the write is off the hot path
// Compressed bytes read or written at a time: the file is streamed, never
// held whole, and the payload is decompressed straight into its reader's
// memory (CheckpointReader).
constexpr size_t kStreamBytes = 1 << 20;

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

// `body`: the XXH3-64 of the compressed bytes.
uint64_t Checksum(const char* header, uint64_t body) {
  char buf[kHeaderBytes + 8];
  std::memcpy(buf, header, kHeaderBytes);
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

// Compresses `payload` in pieces straight into the file (no buffer the size
// of the payload beside it), hashing the compressed bytes as they go; the
// header, whose compressed length is known only at the end, is written
// last, at offset 0.
Status WriteFile(const std::string& tmp, Header h, std::string_view payload) {
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("cannot create", tmp);
  std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> cctx(ZSTD_createCCtx(), ZSTD_freeCCtx);
  std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)> hash(XXH3_createState(), XXH3_freeState);
  Status st = cctx && hash ? Status::OK() : Status::IOError("checkpoint: out of memory");
  if (st.ok()) {
    ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_compressionLevel, kZstdLevel);
    ZSTD_CCtx_setPledgedSrcSize(cctx.get(), payload.size());
    XXH3_64bits_reset(hash.get());
    if (::lseek(fd, off_t(kHeaderBytes), SEEK_SET) < 0) st = Errno("cannot seek in", tmp);
  }
  std::vector<char> buf(kStreamBytes);
  ZSTD_inBuffer in{payload.data(), payload.size(), 0};
  uint64_t compressed = 0;
  for (bool done = false; st.ok() && !done;) {
    ZSTD_outBuffer out{buf.data(), buf.size(), 0};
    size_t left = ZSTD_compressStream2(cctx.get(), &out, &in, ZSTD_e_end);
    if (ZSTD_isError(left)) {
      st = Status::IOError(std::string("checkpoint compression: ") + ZSTD_getErrorName(left));
      break;
    }
    done = left == 0;
    XXH3_64bits_update(hash.get(), buf.data(), out.pos);
    compressed += out.pos;
    st = WriteAll(fd, buf.data(), out.pos, tmp);
  }
  if (st.ok()) {
    h.compressed_len = compressed;
    char header[kHeaderBytes];
    Encode(h, header);
    uint64_t checksum = Checksum(header, XXH3_64bits_digest(hash.get()));
    st = WriteAll(fd, reinterpret_cast<const char*>(&checksum), 8, tmp);
    if (st.ok() && ::pwrite(fd, header, kHeaderBytes, 0) != ssize_t(kHeaderBytes))
      st = Errno("cannot write", tmp);
  }
  if (st.ok() && ::fsync(fd) != 0) st = Errno("cannot sync", tmp);
  ::close(fd);
  return st;
}

}  // namespace

Status WriteCheckpointFile(const std::string& path, const Checkpoint& c) {
  Header h{.format = kFormatVersion,
           .payload_version = c.payload_version,
           .options_hash = c.options_hash,
           .seq = c.through.seq,
           .received_max = c.through.received_max,
           .n = c.through.n,
           .written_at = c.written_at,
           .payload_len = c.payload.size(),
           .compressed_len = 0};
  std::string tmp = path + ".tmp";
  Status st = WriteFile(tmp, h, c.payload);
  if (st.ok() && ::rename(tmp.c_str(), path.c_str()) != 0)
    st = Errno("cannot rename checkpoint to", path);
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    return st;
  }
  return SyncDir(path);
}

struct CheckpointReader::Impl {
  std::string path;
  int fd = -1;
  Checkpoint header;
  char raw_header[kHeaderBytes];
  uint64_t payload_len = 0;
  uint64_t compressed_left = 0;  // compressed bytes not yet read from the file
  uint64_t produced = 0;         // payload bytes handed out
  bool frame_done = false;
  std::vector<char> buf;
  ZSTD_inBuffer in{nullptr, 0, 0};
  std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> dctx{nullptr, ZSTD_freeDCtx};
  std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)> hash{nullptr, XXH3_freeState};

  // Decompression runs ahead of the owner on its own thread (Run), up to
  // kAhead pieces, so that zstd and the owner's decoding (filling fresh
  // memory: page faults) overlap instead of adding up on one core. The
  // fields above are the worker's until `ended`.
  static constexpr int kAhead = 4;
  struct Piece {
    std::vector<char> data;
    size_t size = 0;
  };
  std::thread worker;
  std::mutex mu;  // guards filled, taken, ended, stop, error
  std::condition_variable cv;
  Piece pieces[kAhead];
  int64_t filled = 0, taken = 0;  // pieces decompressed / handed out whole
  bool ended = false, stop = false;
  Status error;
  Piece* cur = nullptr;  // the owner's: the piece being handed out, and where
  size_t cur_pos = 0;

  ~Impl() {
    {
      std::lock_guard lock(mu);
      stop = true;
    }
    cv.notify_all();
    if (worker.joinable()) worker.join();
    if (fd >= 0) ::close(fd);
  }
  void Run() {
    for (;;) {
      Piece* p;
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return stop || filled - taken < kAhead; });
        if (stop) return;
        p = &pieces[filled % kAhead];
      }
      Result<size_t> k = Decompress(p->data.data(), p->data.size());
      bool last = !k.ok() || *k < p->data.size();
      {
        std::lock_guard lock(mu);
        if (!k.ok()) error = k.status();
        if (k.ok() && *k > 0) p->size = *k, ++filled;
        ended = last;
      }
      cv.notify_all();
      if (last) return;
    }
  }
  // The next n payload bytes (fewer only at the end of the frame).
  Result<size_t> Decompress(char* p, size_t n);
  Status Bad(const std::string& why) const {
    return Status::IOError("checkpoint " + path + ": " + why);
  }
  // Exactly n bytes from the file.
  Status ReadExactly(char* p, size_t n) {
    while (n > 0) {
      ssize_t r = ::read(fd, p, n);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return Errno("cannot read", path);
      if (r == 0) return Bad("truncated or trailing bytes");
      p += r, n -= size_t(r);
    }
    return Status::OK();
  }
};

CheckpointReader::CheckpointReader() : impl_(std::make_unique<Impl>()) {}
CheckpointReader::~CheckpointReader() = default;

Result<std::unique_ptr<CheckpointReader>> CheckpointReader::Open(const std::string& path) {
  std::unique_ptr<CheckpointReader> r(new CheckpointReader());
  Impl& m = *r->impl_;
  m.path = path;
  m.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (m.fd < 0) {
    if (errno == ENOENT) return Status::NotFound("no checkpoint " + path);
    return Errno("cannot open", path);
  }
  struct stat st {};
  if (::fstat(m.fd, &st) != 0) return Errno("cannot stat", path);
  uint64_t size = uint64_t(st.st_size);
  if (size < kHeaderBytes + 8 || !m.ReadExactly(m.raw_header, kHeaderBytes).ok() ||
      std::memcmp(m.raw_header, kMagic, 8) != 0)
    return m.Bad("not a checkpoint file");
  Header h = Decode(m.raw_header);
  if (h.format != kFormatVersion)
    return m.Bad("format version " + std::to_string(h.format) + ", want " +
                 std::to_string(kFormatVersion));
  if (h.compressed_len != size - kHeaderBytes - 8) return m.Bad("truncated or trailing bytes");
  m.header.payload_version = h.payload_version;
  m.header.options_hash = h.options_hash;
  m.header.through = {h.seq, h.received_max, h.n};
  m.header.written_at = h.written_at;
  m.payload_len = h.payload_len;
  m.compressed_left = h.compressed_len;
  m.dctx.reset(ZSTD_createDCtx());
  m.hash.reset(XXH3_createState());
  if (!m.dctx || !m.hash) return Status::IOError("checkpoint: out of memory");
  XXH3_64bits_reset(m.hash.get());
  m.buf.resize(kStreamBytes);
  for (auto& piece : m.pieces) piece.data.resize(kStreamBytes);
  m.worker = std::thread([&m] { m.Run(); });
  return r;
}

const Checkpoint& CheckpointReader::header() const { return impl_->header; }
uint64_t CheckpointReader::payload_size() const { return impl_->payload_len; }

Result<size_t> CheckpointReader::Read(char* p, size_t n) {
  Impl& m = *impl_;
  size_t got = 0;
  while (got < n) {
    if (m.cur && m.cur_pos < m.cur->size) {
      size_t k = std::min(n - got, m.cur->size - m.cur_pos);
      std::memcpy(p + got, m.cur->data.data() + m.cur_pos, k);
      got += k, m.cur_pos += k;
      continue;
    }
    std::unique_lock lock(m.mu);
    if (m.cur) ++m.taken, m.cur = nullptr, m.cv.notify_all();
    m.cv.wait(lock, [&] { return m.filled > m.taken || m.ended; });
    if (m.filled > m.taken) {
      m.cur = &m.pieces[m.taken % Impl::kAhead], m.cur_pos = 0;
      continue;
    }
    if (!m.error.ok()) return m.error;
    break;
  }
  return got;
}

Result<size_t> CheckpointReader::Impl::Decompress(char* p, size_t n) {
  Impl& m = *this;
  ZSTD_outBuffer out{p, n, 0};
  while (out.pos < n && !m.frame_done) {
    if (m.in.pos == m.in.size && m.compressed_left > 0) {
      size_t k = size_t(std::min<uint64_t>(m.buf.size(), m.compressed_left));
      BR_RETURN_IF_ERROR(m.ReadExactly(m.buf.data(), k));
      XXH3_64bits_update(m.hash.get(), m.buf.data(), k);
      m.compressed_left -= k;
      m.in = {m.buf.data(), k, 0};
    }
    size_t before = out.pos, used = m.in.pos;
    size_t r = ZSTD_decompressStream(m.dctx.get(), &out, &m.in);
    if (ZSTD_isError(r)) return m.Bad("payload does not decompress to its length");
    if (r == 0) {
      m.frame_done = true;
    } else if (out.pos == before && m.in.pos == used && m.compressed_left == 0) {
      break;  // the frame is cut short
    }
  }
  m.produced += out.pos;
  if (m.produced > m.payload_len) return m.Bad("payload does not decompress to its length");
  return out.pos;
}

Status CheckpointReader::Finish() {
  Impl& m = *impl_;
  char extra;
  BR_ASSIGN_OR_RETURN(size_t more, Read(&extra, 1));
  if (more == 0 && m.worker.joinable()) m.worker.join();  // ended: its fields are ours now
  if (more != 0 || !m.frame_done || m.produced != m.payload_len || m.in.pos != m.in.size ||
      m.compressed_left != 0)
    return m.Bad("payload does not decompress to its length");
  uint64_t want;
  BR_RETURN_IF_ERROR(m.ReadExactly(reinterpret_cast<char*>(&want), 8));
  if (Checksum(m.raw_header, XXH3_64bits_digest(m.hash.get())) != want)
    return m.Bad("checksum mismatch");
  return Status::OK();
}

Result<Checkpoint> ReadCheckpointFile(const std::string& path) {
  BR_ASSIGN_OR_RETURN(std::unique_ptr<CheckpointReader> r, CheckpointReader::Open(path));
  Checkpoint c = r->header();
  c.payload.resize(r->payload_size());
  BR_ASSIGN_OR_RETURN(size_t n, r->Read(c.payload.data(), c.payload.size()));
  // A checksum mismatch says more than a short payload: check it first.
  Status st = r->Finish();
  if (!st.ok()) return st;
  if (n != c.payload.size())
    return Status::IOError("checkpoint " + path + ": payload does not decompress to its length");
  return c;
}

}  // namespace burnrate::store
