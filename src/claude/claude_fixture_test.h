// Test helpers: write Claude Code transcript fixtures into a temp dir.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace burnrate::claude::testing {

struct LineSpec {
  std::string msg = "msg_1";  // "" = field absent
  std::string req = "req_1";  // "" = field absent
  std::string ts = "2026-03-21T14:03:04.577Z";
  std::string model = "claude-sonnet-4-5-20250929";
  std::string session = "sess-1";
  int64_t in = 1, out = 2, cw = 0, cr = 0, cw5m = -1, cw1h = -1;
  bool sidechain = false;
  bool api_error = false;
  double cost = -1;  // costUSD; < 0 = absent
  std::string text = "hello";
};

inline std::string Line(const LineSpec& s) {
  std::string l =
      "{\"parentUuid\":\"p\",\"isSidechain\":" + std::string(s.sidechain ? "true" : "false") +
      ",\"userType\":\"external\",\"cwd\":\"/home/dev/app\",\"sessionId\":\"" + s.session +
      "\",\"version\":\"2.1.81\",\"message\":{";
  if (!s.msg.empty()) l += "\"id\":\"" + s.msg + "\",";
  l += "\"type\":\"message\",\"role\":\"assistant\",\"model\":\"" + s.model +
       "\",\"content\":[{\"type\":\"text\",\"text\":\"" + s.text +
       "\"}],\"stop_reason\":\"end_turn\",\"usage\":{\"input_tokens\":" + std::to_string(s.in) +
       ",\"cache_creation_input_tokens\":" + std::to_string(s.cw) +
       ",\"cache_read_input_tokens\":" + std::to_string(s.cr) +
       ",\"output_tokens\":" + std::to_string(s.out);
  if (s.cw5m >= 0 || s.cw1h >= 0) {
    l += ",\"cache_creation\":{\"ephemeral_1h_input_tokens\":" +
         std::to_string(s.cw1h < 0 ? 0 : s.cw1h) +
         ",\"ephemeral_5m_input_tokens\":" + std::to_string(s.cw5m < 0 ? 0 : s.cw5m) + "}";
  }
  l += "}}";
  if (!s.req.empty()) l += ",\"requestId\":\"" + s.req + "\"";
  if (s.api_error) l += ",\"isApiErrorMessage\":true";
  if (s.cost >= 0) l += ",\"costUSD\":" + std::to_string(s.cost);
  l += ",\"type\":\"assistant\",\"uuid\":\"u\",\"timestamp\":\"" + s.ts + "\"}";
  return l;
}

inline std::string UserLine(const std::string& text,
                            const std::string& ts = "2026-03-21T14:00:00.000Z") {
  return "{\"type\":\"user\",\"sessionId\":\"sess-1\",\"message\":{\"role\":\"user\",\"content\":"
         "\"" +
         text + "\"},\"uuid\":\"x\",\"timestamp\":\"" + ts + "\"}";
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/burnrate_claude_XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }
  // Writes <root>/projects/<project>/<file> with `content` as is.
  std::string Write(const std::string& project, const std::string& file,
                    const std::string& content) {
    auto dir = std::filesystem::path(path_) / "projects" / project;
    std::filesystem::create_directories(dir);
    std::string p = (dir / file).string();
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }
  std::string Append(const std::string& project, const std::string& file,
                     const std::string& content) {
    std::string p = (std::filesystem::path(path_) / "projects" / project / file).string();
    std::ofstream(p, std::ios::binary | std::ios::app) << content;
    return p;
  }

 private:
  std::string path_;
};

}  // namespace burnrate::claude::testing
