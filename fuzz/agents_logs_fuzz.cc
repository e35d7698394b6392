// Fuzzes the Codex CLI and Gemini CLI log readers: arbitrary bytes as a
// rollout file and as a chat file must never crash, and every entry must
// have non-negative tokens and valid string and file indexes.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "agents/agents.h"

namespace {

namespace fs = std::filesystem;

void Check(const burnrate::claude::ScanResult& r) {
  for (const auto& e : r.entries) {
    const auto& t = e.tokens;
    if (t.input < 0 || t.output < 0 || t.cache_read < 0 || t.cache_write < 0) std::abort();
    if (e.model >= r.strings.size() || e.session >= r.strings.size() ||
        e.project >= r.strings.size())
      std::abort();
    if (e.file >= r.files.size()) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace burnrate::agents;
  static const fs::path dir =
      fs::temp_directory_path() / ("agents_fuzz_" + std::to_string(::getpid()));
  static const fs::path codex = dir / "codex/sessions/2026/11/20/rollout-fuzz.jsonl";
  static const fs::path gemini = dir / "gemini/tmp/p/chats/session-fuzz.jsonl";
  static bool made = [] {
    fs::create_directories(codex.parent_path());
    fs::create_directories(gemini.parent_path());
    return true;
  }();
  (void)made;
  for (const fs::path& p : {codex, gemini}) {
    std::ofstream(p, std::ios::binary | std::ios::trunc)
        .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  auto cf = FindCodexFiles({(dir / "codex").string()});
  if (!cf.ok()) std::abort();
  auto cr = ScanCodex(*cf, {});
  if (cr.ok()) Check(*cr);
  auto gf = FindGeminiFiles({(dir / "gemini").string()});
  if (!gf.ok()) std::abort();
  auto gr = ScanGemini(*gf, {});
  if (gr.ok()) Check(*gr);
  return 0;
}
