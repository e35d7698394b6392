// Event block format.
//
// Why blocks: a row per event cost SQLite about 1.4 µs per event (26 bound
// columns, a B-tree cell, ~150 bytes of WAL) on the committer thread, the
// one thread every acknowledged event passes through. A group commit's
// events are written, read (recovery, retention) and deleted together, so
// storing them as one row turns per-event SQLite work into per-commit work,
// and what remains per event is this encoder: a few varints, a dictionary
// probe per name and a share of a zstd pass, well under half a microsecond.
//
// Why columnar: the same few users, teams, models and sources repeat across
// a commit, numbers are small, and timestamps of one commit are close. So
// every name is replaced by an index into a per-block dictionary, numbers
// are zig-zag varints, ts and received are deltas from the previous event,
// and like values sit next to each other, which is what zstd compresses
// best. Typical simulated traffic takes about 20 bytes per event on disk.
//
// Layout of the blob: one zstd frame (with its content size), then the
// fingerprints column uncompressed. The frame holds
//   u8      version (2)
//   varint  n events
//   varint  d dictionary strings, then d × (varint length, bytes)
//   8 columns, each varint byte length then bytes:
//     flags     n × u8: bit0 outcome, bit1 prompt features, bit2 outcome
//               value stored, bit3 requests stored (else 1), bit4 cost
//               estimated from the model's family, bit5 unpriced model
//               (model::CostBasis); other bits 0
//     ids       n × (varint length, bytes)
//     ts        n × zig-zag varint delta from the previous event's ts (0 first)
//     received  n × zig-zag varint delta from the previous event's received
//     names     n × 9 varint dictionary indexes: user team org project
//               source session client model outcome_kind
//     numbers   n × zig-zag varints: input output cache_read cache_write
//               cache_write_1h cost_nanos [requests]
//     outcomes  8-byte little-endian double per event with bit2
//     prompts   per event with bit1: varint length, f32 ratio
// and after the frame
//     fingerprints  per event with bit1: u64 simhash, u64 exact hash
//                   (little-endian), 16 bytes each, not length-prefixed
// Fingerprints are hashes, which zstd cannot shrink: sending them through
// it cost the committer 0.06 µs per event (a quarter of its encoding work)
// for nothing, so they bypass it. Version 1 blobs (everything in the frame,
// the hashes after the ratio in prompts) are still read.
// The reader checks every length against what is left, every index against
// the dictionary, and that every column is consumed exactly, so a damaged
// blob is reported, never half-read. Prompt features of an event without a
// prompt (bit1 clear) are not kept; they are zero.
#include "store/event_block.h"

#include <zstd.h>

#include <array>
#include <cstring>
#include <unordered_map>

#include "common/hash.h"

namespace burnrate::store {
namespace {

constexpr uint8_t kVersion = 2;
constexpr int kNames = 9;
constexpr int kColumns = 8;       // in the frame
constexpr int kFingerprints = 8;  // the column after it
constexpr uint8_t kFlagOutcome = 1, kFlagPrompt = 2, kFlagValue = 4, kFlagRequests = 8;
constexpr uint8_t kFlagEstimated = 16, kFlagUnpriced = 32;
constexpr const char* kColumnNames[kColumns + 1] = {
    "flags", "ids", "ts", "received", "names", "numbers", "outcomes", "prompts", "fingerprints"};

uint64_t ZigZag(int64_t v) { return (uint64_t(v) << 1) ^ uint64_t(v >> 63); }
int64_t UnZigZag(uint64_t v) { return int64_t((v >> 1) ^ (~(v & 1) + 1)); }

void PutVarint(std::string* out, uint64_t v) {
  char buf[10];
  int n = 0;
  while (v >= 0x80) {
    buf[n++] = char(v | 0x80);
    v >>= 7;
  }
  buf[n++] = char(v);
  out->append(buf, size_t(n));
}

template <typename T>
void PutFixed(std::string* out, T v) {  // little-endian hosts only (x86-64, arm64)
  char buf[sizeof(T)];
  std::memcpy(buf, &v, sizeof(T));
  out->append(buf, sizeof(T));
}

void PutBytes(std::string* out, std::string_view s) {
  PutVarint(out, s.size());
  out->append(s);
}

std::array<const std::string*, kNames> Names(const model::Event& e) {
  return {&e.user,    &e.team,   &e.org,   &e.project,     &e.source,
          &e.session, &e.client, &e.model, &e.outcome_kind};
}
std::array<std::string*, kNames> Names(model::Event& e) {
  return {&e.user,    &e.team,   &e.org,   &e.project,     &e.source,
          &e.session, &e.client, &e.model, &e.outcome_kind};
}

struct ViewHash {
  size_t operator()(std::string_view s) const { return size_t(Hash64(s)); }
};

// A bounds-checked reader over a byte range.
class Cursor {
 public:
  Cursor() = default;
  explicit Cursor(std::string_view s)
      : p_(reinterpret_cast<const uint8_t*>(s.data())), end_(p_ + s.size()) {}
  size_t left() const { return size_t(end_ - p_); }
  bool Varint(uint64_t* v) {
    uint64_t r = 0;
    for (int shift = 0; shift < 64 && p_ < end_; shift += 7) {
      uint8_t b = *p_++;
      if (shift == 63 && b > 1) return false;  // more than 64 bits
      r |= uint64_t(b & 0x7f) << shift;
      if (b < 0x80) return *v = r, true;
    }
    return false;
  }
  bool Bytes(size_t n, std::string_view* s) {
    if (n > left()) return false;
    *s = std::string_view(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return true;
  }
  bool String(std::string_view* s) {
    uint64_t n;
    return Varint(&n) && Bytes(size_t(n), s);
  }
  template <typename T>
  bool Fixed(T* v) {
    std::string_view s;
    if (!Bytes(sizeof(T), &s)) return false;
    std::memcpy(v, s.data(), sizeof(T));
    return true;
  }

 private:
  const uint8_t* p_ = nullptr;
  const uint8_t* end_ = nullptr;
};

Status Corrupt(const std::string& what) { return Status::IOError("corrupt event block: " + what); }

}  // namespace

struct EventBlockWriter::Impl {
  int level;
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  std::array<std::string, kColumns + 1> cols;  // flags ids ... prompts, fingerprints
  std::vector<std::string_view> dict;
  std::unordered_map<std::string_view, uint32_t, ViewHash> index;
  std::array<uint32_t, kNames>
      last{};  // per name field: the previous event's index (a cheap first probe)
  int64_t prev_ts = 0, prev_received = 0;
  std::string raw;
  size_t dict_bytes = 0;

  size_t RawBytes() const {
    size_t n = dict_bytes;
    for (const auto& c : cols) n += c.size();
    return n;
  }

  explicit Impl(int l) : level(l) { Reset(); }
  ~Impl() { ZSTD_freeCCtx(cctx); }

  void Reset() {
    for (auto& c : cols) c.clear();
    dict.clear();
    dict_bytes = 0;
    index.clear();
    last.fill(UINT32_MAX);
    prev_ts = prev_received = 0;
  }

  uint32_t Intern(int field, std::string_view s) {
    uint32_t l = last[size_t(field)];
    if (l != UINT32_MAX && dict[l] == s) return l;
    auto [it, inserted] = index.try_emplace(s, uint32_t(dict.size()));
    if (inserted) dict.push_back(s), dict_bytes += s.size() + 1;
    return last[size_t(field)] = it->second;
  }

  void Add(const model::Event& e) {
    uint8_t flags = e.type == model::EventType::kOutcome ? kFlagOutcome : 0;
    uint64_t value_bits;
    std::memcpy(&value_bits, &e.outcome_value, sizeof value_bits);
    if (e.prompt.present) flags |= kFlagPrompt;
    if (value_bits != 0) flags |= kFlagValue;
    if (e.requests != 1) flags |= kFlagRequests;
    if (e.cost_basis == model::CostBasis::kEstimated) flags |= kFlagEstimated;
    if (e.cost_basis == model::CostBasis::kUnpriced) flags |= kFlagUnpriced;
    cols[0].push_back(char(flags));
    PutBytes(&cols[1], e.id);
    PutVarint(&cols[2], ZigZag(int64_t(uint64_t(e.ts) - uint64_t(prev_ts))));
    PutVarint(&cols[3], ZigZag(int64_t(uint64_t(e.received) - uint64_t(prev_received))));
    prev_ts = e.ts, prev_received = e.received;
    auto names = Names(e);
    for (int f = 0; f < kNames; ++f) PutVarint(&cols[4], Intern(f, *names[size_t(f)]));
    for (int64_t v : {e.tokens.input, e.tokens.output, e.tokens.cache_read, e.tokens.cache_write,
                      e.tokens.cache_write_1h, e.cost_nanos})
      PutVarint(&cols[5], ZigZag(v));
    if (flags & kFlagRequests) PutVarint(&cols[5], ZigZag(e.requests));
    if (flags & kFlagValue) PutFixed(&cols[6], e.outcome_value);
    if (flags & kFlagPrompt) {
      PutVarint(&cols[7], e.prompt.length);
      PutFixed(&cols[7], e.prompt.compress_ratio);
      PutFixed(&cols[kFingerprints], e.prompt.simhash);
      PutFixed(&cols[kFingerprints], e.prompt.exact_hash);
    }
  }

  Status Finish(size_t n, std::string* out) {
    raw.clear();
    raw.push_back(char(kVersion));
    PutVarint(&raw, n);
    PutVarint(&raw, dict.size());
    for (std::string_view s : dict) PutBytes(&raw, s);
    for (int i = 0; i < kColumns; ++i) PutBytes(&raw, cols[size_t(i)]);
    const std::string& tail = cols[kFingerprints];
    out->resize(ZSTD_compressBound(raw.size()) + tail.size());
    size_t z = ZSTD_compressCCtx(cctx, out->data(), out->size() - tail.size(), raw.data(),
                                 raw.size(), level);
    if (ZSTD_isError(z)) {
      Reset();
      return Status::Internal(std::string("zstd: ") + ZSTD_getErrorName(z));
    }
    std::memcpy(out->data() + z, tail.data(), tail.size());
    out->resize(z + tail.size());
    Reset();
    return Status::OK();
  }
};

EventBlockWriter::EventBlockWriter(int zstd_level) : impl_(std::make_unique<Impl>(zstd_level)) {}
EventBlockWriter::~EventBlockWriter() = default;

void EventBlockWriter::Add(const model::Event& e) {
  impl_->Add(e);
  ++n_;
}

Status EventBlockWriter::Finish(std::string* out) {
  size_t n = n_;
  n_ = 0;
  return impl_->Finish(n, out);
}

size_t EventBlockWriter::raw_bytes() const { return impl_->RawBytes(); }

void EventBlockWriter::Clear() {
  impl_->Reset();
  n_ = 0;
}

struct EventBlockReader::Impl {
  ZSTD_DCtx* dctx = ZSTD_createDCtx();
  std::string raw;
  std::string_view tail;  // the blob after the frame: version 2's fingerprints
  std::vector<std::string_view> dict;
  int fingerprints = kFingerprints;  // the column the hashes are read from (version 1: prompts)
  ~Impl() { ZSTD_freeDCtx(dctx); }

  Status Inflate(std::string_view blob, size_t max_raw) {
    unsigned long long size = ZSTD_getFrameContentSize(blob.data(), blob.size());
    if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN)
      return Corrupt("not a zstd frame with a known size");
    size_t frame = ZSTD_findFrameCompressedSize(blob.data(), blob.size());
    if (ZSTD_isError(frame)) return Corrupt(std::string("zstd: ") + ZSTD_getErrorName(frame));
    tail = blob.substr(frame);
    blob = blob.substr(0, frame);
    if (size > max_raw)
      return Corrupt("decoded size " + std::to_string(size) + " bytes is over the limit");
    raw.resize(size_t(size));
    size_t got = ZSTD_decompressDCtx(dctx, raw.data(), raw.size(), blob.data(), blob.size());
    if (ZSTD_isError(got)) return Corrupt(std::string("zstd: ") + ZSTD_getErrorName(got));
    if (got != size) return Corrupt("decoded size differs from the frame header");
    return Status::OK();
  }

  // Splits the raw payload into the dictionary and the columns.
  Status Layout(uint64_t* n, std::array<Cursor, kColumns + 1>* cols) {
    Cursor c(raw);
    uint8_t version;
    if (!c.Fixed(&version)) return Corrupt("empty");
    if (version != 1 && version != kVersion)
      return Corrupt("unknown version " + std::to_string(version));
    if (version == 1 && !tail.empty()) return Corrupt("trailing bytes after the frame");
    fingerprints = version == 1 ? 7 : kFingerprints;
    (*cols)[kFingerprints] = Cursor(tail);
    uint64_t d;
    if (!c.Varint(n) || *n > c.left()) return Corrupt("bad event count");
    if (!c.Varint(&d) || d > c.left()) return Corrupt("bad dictionary size");
    dict.resize(size_t(d));
    for (auto& s : dict)
      if (!c.String(&s)) return Corrupt("truncated dictionary");
    for (int i = 0; i < kColumns; ++i) {
      std::string_view s;
      if (!c.String(&s)) return Corrupt(std::string("truncated column ") + kColumnNames[i]);
      (*cols)[size_t(i)] = Cursor(s);
    }
    if (c.left() != 0) return Corrupt("trailing bytes after the columns");
    // Every event takes at least one byte in flags, ids, ts and received,
    // nine in names and six in numbers: checked before anything is sized by n.
    if (*n > kMaxEventBlockEvents || (*cols)[0].left() != *n)
      return Corrupt("event count differs from the flags column");
    if ((*cols)[1].left() < *n || (*cols)[2].left() < *n || (*cols)[3].left() < *n ||
        (*cols)[4].left() / kNames < *n || (*cols)[5].left() / 6 < *n)
      return Corrupt("columns too short for the event count");
    return Status::OK();
  }

  Status Next(std::array<Cursor, kColumns + 1>& c, int64_t* ts, int64_t* received,
              model::Event* e) {
    uint8_t flags;
    std::string_view id;
    uint64_t ts_delta, received_delta;
    if (!c[0].Fixed(&flags) || (flags & ~0x3f) || (flags & kFlagEstimated && flags & kFlagUnpriced))
      return Corrupt("bad flags");
    if (!c[1].String(&id)) return Corrupt("truncated ids");
    if (!c[2].Varint(&ts_delta) || !c[3].Varint(&received_delta)) return Corrupt("truncated times");
    e->type = (flags & kFlagOutcome) ? model::EventType::kOutcome : model::EventType::kUsage;
    e->cost_basis = (flags & kFlagEstimated)  ? model::CostBasis::kEstimated
                    : (flags & kFlagUnpriced) ? model::CostBasis::kUnpriced
                                              : model::CostBasis::kPriced;
    e->id.assign(id);
    *ts = int64_t(uint64_t(*ts) + uint64_t(UnZigZag(ts_delta)));
    *received = int64_t(uint64_t(*received) + uint64_t(UnZigZag(received_delta)));
    e->ts = *ts, e->received = *received;
    for (std::string* f : Names(*e)) {
      uint64_t i;
      if (!c[4].Varint(&i) || i >= dict.size()) return Corrupt("bad name index");
      f->assign(dict[size_t(i)]);
    }
    uint64_t v[7] = {0, 0, 0, 0, 0, 0, ZigZag(1)};
    for (int i = 0; i < ((flags & kFlagRequests) ? 7 : 6); ++i)
      if (!c[5].Varint(&v[i])) return Corrupt("truncated numbers");
    e->tokens = {UnZigZag(v[0]), UnZigZag(v[1]), UnZigZag(v[2]), UnZigZag(v[3]), UnZigZag(v[4])};
    e->cost_nanos = UnZigZag(v[5]);
    e->requests = UnZigZag(v[6]);
    e->outcome_value = 0;
    if ((flags & kFlagValue) && !c[6].Fixed(&e->outcome_value))
      return Corrupt("truncated outcomes");
    e->prompt = {};
    if (flags & kFlagPrompt) {
      uint64_t len;
      if (!c[7].Varint(&len) || len > UINT32_MAX || !c[7].Fixed(&e->prompt.compress_ratio))
        return Corrupt("truncated prompts");
      Cursor& f = c[size_t(fingerprints)];
      if (!f.Fixed(&e->prompt.simhash) || !f.Fixed(&e->prompt.exact_hash))
        return Corrupt(std::string("truncated ") + kColumnNames[fingerprints]);
      e->prompt.present = true;
      e->prompt.length = uint32_t(len);
    }
    return Status::OK();
  }

  Status Decode(std::string_view blob, std::vector<model::Event>* out, size_t max_raw) {
    BR_RETURN_IF_ERROR(Inflate(blob, max_raw));
    uint64_t n = 0;
    std::array<Cursor, kColumns + 1> cols;
    BR_RETURN_IF_ERROR(Layout(&n, &cols));
    out->resize(size_t(n));
    int64_t ts = 0, received = 0;
    for (model::Event& e : *out) BR_RETURN_IF_ERROR(Next(cols, &ts, &received, &e));
    for (int i = 0; i <= kColumns; ++i)
      if (cols[size_t(i)].left() != 0)
        return Corrupt(std::string("trailing bytes in column ") + kColumnNames[i]);
    return Status::OK();
  }
};

EventBlockReader::EventBlockReader() : impl_(std::make_unique<Impl>()) {}
EventBlockReader::~EventBlockReader() = default;

Status EventBlockReader::Decode(std::string_view blob, std::vector<model::Event>* out,
                                size_t max_raw_bytes) {
  return impl_->Decode(blob, out, max_raw_bytes);
}

}  // namespace burnrate::store
