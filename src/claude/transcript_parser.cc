// Reading transcripts fast.
//
// A transcript is mostly long message text: tool results, file contents,
// assistant prose. Only assistant lines carry `message.usage`, and their
// numbers sit near the end of a long line. So the parser does not parse
// every line: it searches the chunk for the bytes `"usage"` (which can only
// occur unescaped as a key or an exact string value, because quotes inside
// JSON strings are escaped) and parses just the lines that contain them,
// with simdjson's on-demand API in one forward pass over each object's
// fields (no DOM, no copies; the big `content` value is skipped by the
// structural index). Line numbers come from counting newlines with memchr.
// Files are read with pread() into one reusable buffer of a few MiB per
// thread, so memory does not grow with file size.
//
// The field checks follow ccusage 17.2.1's `usageDataSchema` so that the set
// of counted lines, and therefore the token totals, are the same: the
// timestamp must match ^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$,
// usage.input_tokens and usage.output_tokens must be numbers, and optional
// strings (message.id, requestId, model, sessionId) must be non-empty when
// present. A usage line that fails these checks is skipped and counted.
#include "claude/transcript_parser.h"

#include <fcntl.h>
#include <simdjson.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>

#include "claude/usage_event.h"
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <cstring>
#include <memory>

#include "claude/line_parser.h"
#include "common/hash.h"
#include "common/time_util.h"
#include "model/prompt_features.h"

namespace burnrate::claude {
namespace {

constexpr std::string_view kUsageKey = "\"usage\"";
constexpr size_t kChunk = 4 << 20;
constexpr uint64_t kKeySeedHi = kUsageKeySeedHi;  // shared with UsageEventIdForIds
constexpr uint64_t kKeySeedLo = kUsageKeySeedLo;

// Finds `"usage"` in [p, end). The SSE2 loop compares 16 positions at a
// time on two needle bytes ('u' at +1 and '"' at +6, a pair rare in prose
// and code) and confirms candidates with memcmp: several times faster than
// glibc memmem on this input, which was a fifth of the run time.
const char* FindUsageKey(const char* p, const char* end) {
  constexpr size_t kLen = 7;  // "usage" with its quotes
#if defined(__SSE2__)
  const __m128i u = _mm_set1_epi8('u'), q = _mm_set1_epi8('"');
  while (end - p >= static_cast<ptrdiff_t>(16 + kLen)) {
    __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 1));
    __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 6));
    unsigned mask = static_cast<unsigned>(
        _mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(a, u), _mm_cmpeq_epi8(b, q))));
    while (mask) {
      int i = __builtin_ctz(mask);
      if (std::memcmp(p + i, kUsageKey.data(), kLen) == 0) return p + i;
      mask &= mask - 1;
    }
    p += 16;
  }
#endif
  if (end - p < static_cast<ptrdiff_t>(kLen)) return nullptr;
  return static_cast<const char*>(memmem(p, end - p, kUsageKey.data(), kLen));
}

int Digits(const char* p, int n) {
  int v = 0;
  for (int i = 0; i < n; ++i) {
    if (p[i] < '0' || p[i] > '9') return -1;
    v = v * 10 + (p[i] - '0');
  }
  return v;
}

}  // namespace

bool ParseTranscriptTimestamp(std::string_view s, TimeMs* out) {
  if (s.size() != 20 && s.size() != 24) return false;
  const char* p = s.data();
  if (p[4] != '-' || p[7] != '-' || p[10] != 'T' || p[13] != ':' || p[16] != ':' || s.back() != 'Z')
    return false;
  int y = Digits(p, 4), mo = Digits(p + 5, 2), d = Digits(p + 8, 2);
  int h = Digits(p + 11, 2), mi = Digits(p + 14, 2), se = Digits(p + 17, 2), ms = 0;
  if (s.size() == 24) {
    if (p[19] != '.') return false;
    ms = Digits(p + 20, 3);
  }
  // As JavaScript's Date (ccusage): days up to 31 roll over into the next
  // month, and 24:00:00.000 is midnight of the next day.
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 24 || mi < 0 || mi > 59 ||
      se < 0 || se > 59 || ms < 0 || (h == 24 && (mi || se || ms)))
    return false;
  *out = ((DaysFromCivil(y, mo, d) * 24 + h) * 60 + mi) * kMinuteMs + se * kSecondMs + ms;
  return true;
}

struct TranscriptParser::Impl {
  std::unique_ptr<LineParser> line_parser = NewLineParser();
  bool extract_prompts = false;
  std::string key_buf;
  std::unique_ptr<char[]> read_buf;
  size_t read_buf_size = 0;
  // The last interned model and session: lines of a file mostly repeat them.
  StringTable* cached_table = nullptr;
  std::string last_model, last_session;
  uint32_t last_model_id = 0, last_session_id = 0;

  uint32_t Intern(StringTable* t, std::string_view s, std::string* last, uint32_t* last_id) {
    if (t != cached_table) {
      cached_table = t;
      last_model.clear(), last_session.clear();
      last_model_id = t->Intern(""), last_session_id = last_model_id;
    }
    if (s != *last) {
      last->assign(s);
      *last_id = t->Intern(s);
    }
    return *last_id;
  }

  bool Parse(const char* p, size_t len, size_t cap, LineFields* f) {
    return line_parser->Parse(p, len, cap, f);
  }

  // Parses one line; appends an entry or a skipped line.
  void Line(const char* p, size_t len, size_t cap, uint32_t line_no, const FileContext& ctx,
            ParseOutput* out) {
    LineFields f;
    if (!Parse(p, len, cap, &f)) {
      bool blank = true;
      for (size_t i = 0; i < len && blank; ++i) blank = p[i] == ' ' || p[i] == '\t' || p[i] == '\r';
      if (!blank) out->skipped.push_back({ctx.file, line_no, "malformed or truncated JSON"});
      return;
    }
    if (!f.has_usage) {  // not a usage line; maybe a user prompt
      if (extract_prompts && f.IsPrompt())
        out->prompts.push_back({line_no, model::ComputePromptFeatures(f.prompt)});
      return;
    }
    UsageEntry e;
    if (!f.has_in || !f.has_out) f.bad = f.bad ? f.bad : "usage lacks input_tokens/output_tokens";
    if (!f.bad && !ParseTranscriptTimestamp(f.timestamp, &e.ts))
      f.bad = "timestamp missing or not ISO";
    if (f.bad) {
      out->skipped.push_back({ctx.file, line_no, f.bad});
      return;
    }
    e.tokens = f.tokens;
    if (e.tokens.cache_write_1h > e.tokens.cache_write)
      e.tokens.cache_write_1h = e.tokens.cache_write;
    if (e.tokens.cache_write_1h < 0) e.tokens.cache_write_1h = 0;
    e.line_cost_nanos = f.cost_nanos;
    e.sidechain = f.sidechain;
    e.api_error = f.api_error;
    e.line = line_no;
    e.file = ctx.file;
    e.project = ctx.project;
    e.model = Intern(out->strings, f.model, &last_model, &last_model_id);
    e.session = f.session.empty()
                    ? ctx.session_fallback
                    : Intern(out->strings, f.session, &last_session, &last_session_id);
    e.has_ids = !f.msg_id.empty() && !f.req_id.empty();
    if (!f.msg_id.empty()) e.msg_hash = Hash64(f.msg_id) | 1;
    if (!f.req_id.empty()) e.req_hash = Hash64(f.req_id) | 1;
    key_buf.clear();
    if (e.has_ids) {
      key_buf.append(f.msg_id).push_back('\n');
      key_buf.append(f.req_id);
    } else {
      key_buf.append(ctx.key_prefix).push_back('\n');
      key_buf.append(std::to_string(line_no)).push_back('\n');
      key_buf.append(p, len);
    }
    e.key_hi = Hash64(key_buf, kKeySeedHi);
    e.key_lo = Hash64(key_buf, kKeySeedLo);
    if (e.ts < out->earliest) out->earliest = e.ts;
    out->entries.push_back(e);
  }
};

TranscriptParser::TranscriptParser() : impl_(new Impl) {}

char* TranscriptParser::ReadBuffer(size_t n, size_t keep) {
  if (n > impl_->read_buf_size) {
    std::unique_ptr<char[]> bigger(new char[n]);  // not zeroed: no memset of MiBs per file
    if (keep) std::memcpy(bigger.get(), impl_->read_buf.get(), keep);
    impl_->read_buf = std::move(bigger);
    impl_->read_buf_size = n;
  }
  return impl_->read_buf.get();
}
TranscriptParser::~TranscriptParser() { delete impl_; }

void TranscriptParser::set_extract_prompts(bool on) { impl_->extract_prompts = on; }

// Prompt mode: every line is looked at (user prompts do not contain
// "usage"); lines with neither "usage" nor a user role are still skipped
// without parsing.
uint32_t TranscriptParser::ParseLinesWithPrompts(const char* data, size_t len, size_t capacity,
                                                 uint32_t first_line, const FileContext& ctx,
                                                 ParseOutput* out) {
  constexpr std::string_view kUserRole = "\"role\":\"user\"";
  const char* end = data + len;
  uint32_t line = first_line;
  for (const char* ls = data; ls < end; ++line) {
    const char* le = static_cast<const char*>(memchr(ls, '\n', end - ls));
    if (!le) le = end;
    ++out->lines;
    std::string_view l(ls, le - ls);
    if (l.find(kUsageKey) != std::string_view::npos ||
        l.find(kUserRole) != std::string_view::npos) {
      impl_->Line(ls, le - ls, capacity - (ls - data), line, ctx, out);
    } else if (le == end) {  // an unterminated tail: still report it if malformed
      size_t before = out->entries.size();
      impl_->Line(ls, le - ls, capacity - (ls - data), line, ctx, out);
      out->entries.resize(before);
    }
    ls = le + 1;
  }
  return line;
}

uint32_t TranscriptParser::ParseLines(const char* data, size_t len, size_t capacity,
                                      uint32_t first_line, const FileContext& ctx,
                                      ParseOutput* out) {
  if (impl_->extract_prompts)
    return ParseLinesWithPrompts(data, len, capacity, first_line, ctx, out);
  const char* end = data + len;
  const char* pos = data;
  uint32_t line = first_line;
  while (pos < end) {
    const char* hit = FindUsageKey(pos, end);
    const char* scan_to = hit ? hit : end;
    // Count the lines before the line of the hit (or to the end).
    const char* ls = pos;
    for (const char* q = pos; q < scan_to;) {
      const char* nl = static_cast<const char*>(memchr(q, '\n', scan_to - q));
      if (!nl) break;
      ++line;
      ++out->lines;
      ls = q = nl + 1;
    }
    if (!hit) {
      // An unterminated tail without "usage": still report it if malformed.
      if (ls < end) {
        ++out->lines;
        size_t before = out->entries.size();
        impl_->Line(ls, end - ls, capacity - (ls - data), line, ctx, out);
        out->entries.resize(before);
      }
      return line;
    }
    const char* le = static_cast<const char*>(memchr(hit, '\n', end - hit));
    if (!le) le = end;
    impl_->Line(ls, le - ls, capacity - (ls - data), line, ctx, out);
    ++out->lines;
    ++line;
    pos = le + 1;
  }
  return line;
}

void TranscriptParser::ParseText(std::string_view text, const FileContext& ctx, ParseOutput* out) {
  std::string buf(text);
  buf.append(simdjson::SIMDJSON_PADDING, ' ');
  ParseLines(buf.data(), text.size(), buf.size(), 1, ctx, out);
}

namespace {

// Reads [offset, EOF) with pread() through the parser's buffer (small files,
// lines longer than a map window, and the last bytes of a file).
Status ReadWithPread(int fd, const std::string& path, uint64_t offset, uint32_t first_line,
                     bool include_partial_tail, const FileContext& ctx, TranscriptParser* parser,
                     ParseOutput* out, uint64_t* end_offset, uint32_t* next_line) {
  constexpr size_t kPad = simdjson::SIMDJSON_PADDING;
  size_t cap = kChunk;  // usable bytes; the buffer has kPad more
  char* buf = parser->ReadBuffer(cap + kPad, 0);
  size_t have = 0;
  uint64_t base = offset;
  uint32_t line = first_line;
  for (;;) {
    if (have == cap) {  // one line longer than the buffer: grow
      cap *= 2;
      buf = parser->ReadBuffer(cap + kPad, have);
    }
    ssize_t n = ::pread(fd, buf + have, cap - have, static_cast<off_t>(base + have));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::IOError("cannot read " + path + ": " + std::strerror(errno));
    }
    if (n == 0) {
      if (have > 0 && include_partial_tail) {
        std::memset(buf + have, ' ', kPad);
        line = parser->ParseLines(buf, have, have + kPad, line, ctx, out);
        base += have;
      }
      break;
    }
    have += static_cast<size_t>(n);
    const char* nl = static_cast<const char*>(memrchr(buf, '\n', have));
    if (!nl) continue;
    size_t upto = nl - buf + 1;
    line = parser->ParseLines(buf, upto, cap + kPad, line, ctx, out);
    std::memmove(buf, buf + upto, have - upto);
    base += upto;
    have -= upto;
  }
  *end_offset = base;
  *next_line = line;
  return Status::OK();
}

}  // namespace

// Big files are parsed in place through read-only mappings of kWindow bytes,
// which saves the kernel's copy into a buffer (a third of the run time with
// pread). Only lines that end at least SIMDJSON_PADDING bytes before the
// window's end are parsed in place, so simdjson's read-ahead stays inside
// the mapping; the next window starts at the first line not parsed. The
// last bytes of the file go through ReadWithPread.
Status ParseTranscriptFile(const std::string& path, uint64_t offset, uint32_t first_line,
                           bool include_partial_tail, const FileContext& ctx,
                           TranscriptParser* parser, ParseOutput* out, uint64_t* end_offset,
                           uint32_t* next_line) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IOError("cannot open " + path + ": " + std::strerror(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return Status::IOError("cannot stat " + path + ": " + std::strerror(errno));
  }
  constexpr size_t kPad = simdjson::SIMDJSON_PADDING;
  constexpr uint64_t kWindow = 16 << 20, kMinMapped = 64 << 10;
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  uint64_t pos = offset;
  uint32_t line = first_line;
  while (size > pos && size - pos >= kMinMapped) {
    uint64_t map_off = pos & ~(page - 1);
    size_t map_len = static_cast<size_t>(std::min<uint64_t>(kWindow, size - map_off));
    void* m = ::mmap(nullptr, map_len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd,
                     static_cast<off_t>(map_off));
    if (m == MAP_FAILED) break;  // fall back to pread
    const char* data = static_cast<const char*>(m) + (pos - map_off);
    size_t avail = map_len - (pos - map_off);
    size_t safe = avail > kPad ? avail - kPad : 0;
    const char* nl = safe ? static_cast<const char*>(memrchr(data, '\n', safe)) : nullptr;
    if (nl) {
      size_t upto = nl - data + 1;
      line = parser->ParseLines(data, upto, upto + kPad, line, ctx, out);
      pos += upto;
    }
    ::munmap(m, map_len);
    if (!nl) break;  // a line longer than the window: pread grows its buffer
  }
  Status s = ReadWithPread(fd, path, pos, line, include_partial_tail, ctx, parser, out, end_offset,
                           next_line);
  ::close(fd);
  return s;
}

}  // namespace burnrate::claude
