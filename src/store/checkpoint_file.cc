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
// That is format 1, one frame, still read (a checkpoint written before
// format 2 loads). Format 2, written since, holds the payload in S
// independent sections, one zstd frame each, so that a restart
// decompresses them on several threads at once straight into the owner's
// structures (the engine's: engine_checkpoint.cc, version 4):
//
//       0   72  the header above (format 2; payload length: the sections'
//               sum; C: every byte between the header and the checksum)
//      72    8  S
//      80  24S  per section: payload length, compressed length, XXH3-64
//               of its compressed bytes
//  80+24S    .  the frames, back to back, in section order
//    72+C    8  checksum: XXH3-64 of the 72 header bytes, S and the index
//
// Open() checks the header and the index against the checksum; each
// section is then trusted once its own frame's hash matched
// (FinishSection), so every compressed byte is still covered.
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
constexpr uint32_t kFormatVersion = kCheckpointFileFormat;
constexpr size_t kHeaderBytes = 72;
constexpr size_t kIndexEntryBytes = 24;  // format 2: payload length, compressed length, hash
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

using CCtxPtr = std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)>;
using HashPtr = std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)>;

// Compresses `payload` as one frame in pieces straight into the file at its
// current offset (no buffer the size of the payload beside it), hashing the
// compressed bytes as they go into `hash` (reset by the caller).
Status CompressInto(int fd, const std::string& tmp, ZSTD_CCtx* cctx, XXH3_state_t* hash,
                    std::string_view payload, uint64_t* compressed) {
  ZSTD_CCtx_reset(cctx, ZSTD_reset_session_only);
  ZSTD_CCtx_setPledgedSrcSize(cctx, payload.size());
  std::vector<char> buf(kStreamBytes);
  ZSTD_inBuffer in{payload.data(), payload.size(), 0};
  Status st;
  for (bool done = false; st.ok() && !done;) {
    ZSTD_outBuffer out{buf.data(), buf.size(), 0};
    size_t left = ZSTD_compressStream2(cctx, &out, &in, ZSTD_e_end);
    if (ZSTD_isError(left))
      return Status::IOError(std::string("checkpoint compression: ") + ZSTD_getErrorName(left));
    done = left == 0;
    XXH3_64bits_update(hash, buf.data(), out.pos);
    *compressed += out.pos;
    st = WriteAll(fd, buf.data(), out.pos, tmp);
  }
  return st;
}

// Format 1: the payload as one frame; the header, whose compressed length
// is known only at the end, is written last, at offset 0.
// Format 2: the sections' frames after room for the index; the index and
// the header, known only at the end, are written last, at offset 0.
Status WriteFile(const std::string& tmp, Header h, const std::vector<std::string_view>& sections) {
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("cannot create", tmp);
  CCtxPtr cctx(ZSTD_createCCtx(), ZSTD_freeCCtx);
  HashPtr hash(XXH3_createState(), XXH3_freeState);
  Status st = cctx && hash ? Status::OK() : Status::IOError("checkpoint: out of memory");
  bool v1 = h.format == 1;
  // Format 2's S and index, as u64s.
  std::vector<uint64_t> index(v1 ? 0 : 1 + 3 * sections.size());
  if (!v1) index[0] = sections.size();
  uint64_t compressed = index.size() * 8;
  if (st.ok()) {
    ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_compressionLevel, kZstdLevel);
    XXH3_64bits_reset(hash.get());
    if (::lseek(fd, off_t(kHeaderBytes + compressed), SEEK_SET) < 0)
      st = Errno("cannot seek in", tmp);
  }
  for (size_t i = 0; st.ok() && i < sections.size(); ++i) {
    uint64_t before = compressed;
    if (!v1) XXH3_64bits_reset(hash.get());
    st = CompressInto(fd, tmp, cctx.get(), hash.get(), sections[i], &compressed);
    if (!v1) {
      index[1 + 3 * i] = sections[i].size(), index[2 + 3 * i] = compressed - before;
      index[3 + 3 * i] = XXH3_64bits_digest(hash.get());
    }
  }
  if (st.ok()) {
    h.compressed_len = compressed;
    std::string head(kHeaderBytes, '\0');
    Encode(h, head.data());
    uint64_t checksum;
    if (v1) {
      checksum = Checksum(head.data(), XXH3_64bits_digest(hash.get()));
    } else {
      head.append(reinterpret_cast<const char*>(index.data()), index.size() * 8);
      checksum = XXH3_64bits(head.data(), head.size());
    }
    st = WriteAll(fd, reinterpret_cast<const char*>(&checksum), 8, tmp);
    if (st.ok() && ::pwrite(fd, head.data(), head.size(), 0) != ssize_t(head.size()))
      st = Errno("cannot write", tmp);
  }
  if (st.ok() && ::fsync(fd) != 0) st = Errno("cannot sync", tmp);
  ::close(fd);
  return st;
}

}  // namespace

Status WriteCheckpointFile(const std::string& path, const Checkpoint& c, uint32_t format) {
  if (format != 1 && format != kFormatVersion)
    return Status::InvalidArgument("checkpoint: no file format " + std::to_string(format));
  if (format == 1 && !c.sections.empty())
    return Status::InvalidArgument("checkpoint: format 1 holds one payload, not sections");
  std::vector<std::string_view> sections(c.sections.begin(), c.sections.end());
  if (sections.empty()) sections.push_back(c.payload);
  uint64_t payload_len = 0;
  for (std::string_view sec : sections) payload_len += sec.size();
  Header h{.format = format,
           .payload_version = c.payload_version,
           .options_hash = c.options_hash,
           .seq = c.through.seq,
           .received_max = c.through.received_max,
           .n = c.through.n,
           .written_at = c.written_at,
           .payload_len = payload_len,
           .compressed_len = 0};
  std::string tmp = path + ".tmp";
  Status st = WriteFile(tmp, h, sections);
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

  // Format 2: each section's frame is decompressed on its own (no
  // read-ahead thread: the owner reads sections on threads of its own).
  uint32_t format = 1;
  struct Section {
    uint64_t size = 0, compressed = 0, hash = 0;  // from the index
    uint64_t offset = 0;                          // of its frame in the file
    uint64_t pulled = 0;                          // compressed bytes read
    uint64_t produced = 0;                        // payload bytes handed out
    bool frame_done = false, finished = false;
    std::vector<char> buf;
    ZSTD_inBuffer in{nullptr, 0, 0};
    std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> dctx{nullptr, ZSTD_freeDCtx};
    HashPtr xxh{nullptr, XXH3_freeState};
  };
  std::vector<Section> secs;
  size_t next_section = 0;  // Read() over format 2: the section being handed out
  Status OpenSections(uint64_t file_size, uint64_t payload_len);
  Result<size_t> DecompressSection(size_t i, char* p, size_t n);
  Status FinishSection(size_t i);
  Result<size_t> ReadSections(char* p, size_t n);
  // Hashes the rest of a damaged section's frame: a checksum mismatch says
  // more than a frame that does not decompress.
  Status Damaged(size_t i);
  Status PreadExactly(char* p, size_t n, uint64_t at) const {
    while (n > 0) {
      ssize_t r = ::pread(fd, p, n, off_t(at));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return Errno("cannot read", path);
      if (r == 0) return Bad("truncated or trailing bytes");
      p += r, n -= size_t(r), at += uint64_t(r);
    }
    return Status::OK();
  }

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
  if (h.format != 1 && h.format != kFormatVersion)
    return m.Bad("format version " + std::to_string(h.format) + ", want 1 or " +
                 std::to_string(kFormatVersion));
  if (h.compressed_len != size - kHeaderBytes - 8) return m.Bad("truncated or trailing bytes");
  m.format = h.format;
  m.header.payload_version = h.payload_version;
  m.header.options_hash = h.options_hash;
  m.header.through = {h.seq, h.received_max, h.n};
  m.header.written_at = h.written_at;
  m.payload_len = h.payload_len;
  if (m.format != 1) {
    BR_RETURN_IF_ERROR(m.OpenSections(size, h.payload_len));
    return r;
  }
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

Status CheckpointReader::Impl::OpenSections(uint64_t file_size, uint64_t payload) {
  uint64_t count = 0;
  BR_RETURN_IF_ERROR(PreadExactly(reinterpret_cast<char*>(&count), 8, kHeaderBytes));
  uint64_t room = file_size - kHeaderBytes - 16;  // for the index and the frames
  if (count > room / kIndexEntryBytes) return Bad("truncated or trailing bytes");
  std::string head(raw_header, kHeaderBytes);
  head.append(reinterpret_cast<const char*>(&count), 8);
  head.resize(head.size() + count * kIndexEntryBytes);
  BR_RETURN_IF_ERROR(
      PreadExactly(head.data() + kHeaderBytes + 8, count * kIndexEntryBytes, kHeaderBytes + 8));
  uint64_t want;
  BR_RETURN_IF_ERROR(PreadExactly(reinterpret_cast<char*>(&want), 8, file_size - 8));
  if (XXH3_64bits(head.data(), head.size()) != want) return Bad("checksum mismatch");
  secs = std::vector<Section>(count);
  const char* at = head.data() + kHeaderBytes + 8;
  uint64_t offset = kHeaderBytes + 8 + count * kIndexEntryBytes, sum = 0;
  for (Section& sec : secs) {
    sec.size = Get<uint64_t>(at), sec.compressed = Get<uint64_t>(at), sec.hash = Get<uint64_t>(at);
    sec.offset = offset;
    if (sec.compressed > file_size - 8 - offset) return Bad("index does not match the file");
    offset += sec.compressed, sum += sec.size;
  }
  if (offset != file_size - 8 || sum != payload) return Bad("index does not match the file");
  return Status::OK();
}

Result<size_t> CheckpointReader::Impl::DecompressSection(size_t i, char* p, size_t n) {
  Section& s = secs[i];
  if (s.finished) return size_t(0);
  if (!s.dctx) {
    s.dctx.reset(ZSTD_createDCtx());
    s.xxh.reset(XXH3_createState());
    if (!s.dctx || !s.xxh) return Status::IOError("checkpoint: out of memory");
    XXH3_64bits_reset(s.xxh.get());
    s.buf.resize(size_t(std::min<uint64_t>(kStreamBytes, std::max<uint64_t>(s.compressed, 1))));
  }
  ZSTD_outBuffer out{p, n, 0};
  while (out.pos < n && !s.frame_done) {
    if (s.in.pos == s.in.size && s.pulled < s.compressed) {
      size_t k = size_t(std::min<uint64_t>(s.buf.size(), s.compressed - s.pulled));
      BR_RETURN_IF_ERROR(PreadExactly(s.buf.data(), k, s.offset + s.pulled));
      XXH3_64bits_update(s.xxh.get(), s.buf.data(), k);
      s.pulled += k;
      s.in = {s.buf.data(), k, 0};
    }
    size_t before = out.pos, used = s.in.pos;
    size_t r = ZSTD_decompressStream(s.dctx.get(), &out, &s.in);
    if (ZSTD_isError(r)) return Damaged(i);
    if (r == 0) {
      s.frame_done = true;
    } else if (out.pos == before && s.in.pos == used && s.pulled == s.compressed) {
      break;  // the frame is cut short
    }
  }
  s.produced += out.pos;
  if (s.produced > s.size) return Damaged(i);
  return out.pos;
}

Status CheckpointReader::Impl::Damaged(size_t i) {
  Section& s = secs[i];
  while (s.pulled < s.compressed) {
    size_t k = size_t(std::min<uint64_t>(s.buf.size(), s.compressed - s.pulled));
    BR_RETURN_IF_ERROR(PreadExactly(s.buf.data(), k, s.offset + s.pulled));
    XXH3_64bits_update(s.xxh.get(), s.buf.data(), k);
    s.pulled += k;
  }
  if (XXH3_64bits_digest(s.xxh.get()) != s.hash) return Bad("checksum mismatch");
  return Bad("section " + std::to_string(i) + " does not decompress to its length");
}

Status CheckpointReader::Impl::FinishSection(size_t i) {
  Section& s = secs[i];
  if (s.finished) return Status::OK();
  char extra;
  BR_ASSIGN_OR_RETURN(size_t more, DecompressSection(i, &extra, 1));
  if (more != 0 || !s.frame_done || s.produced != s.size || s.in.pos != s.in.size ||
      s.pulled != s.compressed)
    return Damaged(i);
  if (XXH3_64bits_digest(s.xxh.get()) != s.hash) return Bad("checksum mismatch");
  s.finished = true;
  s.dctx.reset(), s.xxh.reset(), s.buf = {};
  return Status::OK();
}

Result<size_t> CheckpointReader::Impl::ReadSections(char* p, size_t n) {
  size_t got = 0;
  while (got < n && next_section < secs.size()) {
    Section& s = secs[next_section];
    BR_ASSIGN_OR_RETURN(size_t k, DecompressSection(next_section, p + got, n - got));
    got += k;
    if (s.produced == s.size) {
      BR_RETURN_IF_ERROR(FinishSection(next_section));
      ++next_section;
    } else if (k == 0) {
      return Damaged(next_section);
    }
  }
  return got;
}

size_t CheckpointReader::sections() const { return impl_->secs.size(); }
uint64_t CheckpointReader::section_size(size_t i) const { return impl_->secs.at(i).size; }
Result<size_t> CheckpointReader::ReadSection(size_t i, char* p, size_t n) {
  if (i >= impl_->secs.size()) return Status::InvalidArgument("checkpoint: no such section");
  return impl_->DecompressSection(i, p, n);
}
Status CheckpointReader::FinishSection(size_t i) {
  if (i >= impl_->secs.size()) return Status::InvalidArgument("checkpoint: no such section");
  return impl_->FinishSection(i);
}

Result<size_t> CheckpointReader::Read(char* p, size_t n) {
  Impl& m = *impl_;
  if (m.format != 1) return m.ReadSections(p, n);
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
  if (m.format != 1) {
    for (size_t i = 0; i < m.secs.size(); ++i) {
      if (!m.secs[i].finished) BR_RETURN_IF_ERROR(m.FinishSection(i));
    }
    return Status::OK();
  }
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
  for (size_t i = 0; i < r->sections(); ++i) {
    std::string& sec = c.sections.emplace_back(r->section_size(i), '\0');
    BR_ASSIGN_OR_RETURN(size_t n, r->ReadSection(i, sec.data(), sec.size()));
    BR_RETURN_IF_ERROR(r->FinishSection(i));
    if (n != sec.size())
      return Status::IOError("checkpoint " + path + ": payload does not decompress to its length");
    c.payload += sec;
  }
  if (r->sections() > 0) return c;
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
