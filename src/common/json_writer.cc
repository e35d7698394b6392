#include "common/json_writer.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace burnrate {

void JsonWriter::Separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!has_items_.empty()) {
    if (has_items_.back()) out_.push_back(',');
    has_items_.back() = true;
  }
}

JsonWriter& JsonWriter::Open(char c) {
  Separate();
  out_.push_back(c);
  has_items_.push_back(false);
  return *this;
}

JsonWriter& JsonWriter::Close(char c) {
  out_.push_back(c);
  has_items_.pop_back();
  return *this;
}

JsonWriter& JsonWriter::Key(std::string_view k) {
  Separate();
  out_.push_back('"');
  AppendEscaped(out_, k);
  out_ += "\":";
  after_key_ = true;
  return *this;
}

// Most text needs no escape: the runs between escapes are appended whole,
// not byte by byte (a 100-row board's answer spent a quarter of its time
// here, one push_back per byte).
void JsonWriter::AppendEscaped(std::string& out, std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  auto plain = [](unsigned char c) { return c >= 0x20 && c != '"' && c != '\\'; };
  const char* p = s.data();
  const char* end = p + s.size();
  while (p < end) {
    const char* run = p;
    while (p < end && plain(static_cast<unsigned char>(*p))) ++p;
    out.append(run, p);
    if (p == end) break;
    unsigned char c = static_cast<unsigned char>(*p++);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 15]);
    }
  }
}

JsonWriter& JsonWriter::String(std::string_view s) {
  Separate();
  out_.push_back('"');
  AppendEscaped(out_, s);
  out_.push_back('"');
  return *this;
}

JsonWriter& JsonWriter::Int(int64_t v) {
  Separate();
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out_.append(buf, r.ptr);
  return *this;
}

JsonWriter& JsonWriter::Uint(uint64_t v) {
  Separate();
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out_.append(buf, r.ptr);
  return *this;
}

JsonWriter& JsonWriter::Double(double v) {
  Separate();
  if (!std::isfinite(v)) {
    out_ += "null";
    return *this;
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out_.append(buf, r.ptr);
  return *this;
}

JsonWriter& JsonWriter::Bool(bool v) {
  Separate();
  out_ += v ? "true" : "false";
  return *this;
}

JsonWriter& JsonWriter::Null() {
  Separate();
  out_ += "null";
  return *this;
}

JsonWriter& JsonWriter::Raw(std::string_view json) {
  Separate();
  out_ += json;
  return *this;
}

JsonWriter& JsonWriter::NanoUsd(int64_t nanos) {
  Separate();
  char buf[40];
  uint64_t a = nanos < 0 ? uint64_t(-(nanos + 1)) + 1 : uint64_t(nanos);
  int n = std::snprintf(buf, sizeof buf, "%s%llu.%09llu", nanos < 0 ? "-" : "",
                        static_cast<unsigned long long>(a / 1000000000ULL),
                        static_cast<unsigned long long>(a % 1000000000ULL));
  // Trim trailing zeros but keep at least two decimals ("1.50", "0.000123").
  while (n > 0 && buf[n - 1] == '0' && buf[n - 3] != '.') --n;
  out_.append(buf, n);
  return *this;
}

}  // namespace burnrate
