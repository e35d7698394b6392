#include "agents/source.h"

#include <cstdlib>

#include "agents/codex_reader.h"
#include "agents/gemini_reader.h"
#include "agents/opencode_reader.h"

namespace burnrate::agents {

claude::UsageEntry MakeLogEntry(TimeMs ts, uint64_t key_hi, uint64_t key_lo,
                                const model::TokenCounts& tokens, const EntrySite& site) {
  claude::UsageEntry e;
  e.ts = ts;
  e.key_hi = key_hi, e.key_lo = key_lo;
  e.tokens = tokens;
  e.model = site.model;
  e.session = site.session;
  e.project = site.project;
  e.line = site.line;
  e.file = site.file;
  e.has_ids = true;  // the key is the request's own identity, not a line's bytes
  return e;
}

std::string_view SourceName(Source s) {
  switch (s) {
    case Source::kClaude:
      return "claude";
    case Source::kCodex:
      return "codex";
    case Source::kGemini:
      return "gemini";
    case Source::kOpenCode:
      return "opencode";
  }
  return "";
}

std::string_view EventSourceName(Source s) {
  switch (s) {
    case Source::kClaude:
      return "claude_code";
    case Source::kCodex:
      return "codex";
    case Source::kGemini:
      return "gemini_cli";
    case Source::kOpenCode:
      return "opencode";
  }
  return "";
}

std::string_view EventIdPrefix(Source s) {
  switch (s) {
    case Source::kClaude:
      return "cc-";
    case Source::kCodex:
      return "cx-";
    case Source::kGemini:
      return "gm-";
    case Source::kOpenCode:
      return "oc-";
  }
  return "";
}

Result<Source> ParseSource(std::string_view name) {
  for (Source s : kAllSources)
    if (SourceName(s) == name) return s;
  return Status::InvalidArgument("--source: unknown source '" + std::string(name) +
                                 "' (claude, codex, gemini, opencode, all)");
}

Result<std::vector<std::string>> DefaultRoots(Source s, const EnvFn& env) {
  switch (s) {
    case Source::kClaude:
      return claude::DefaultClaudeRoots(env);
    case Source::kCodex:
      return DefaultCodexRoots(env);
    case Source::kGemini:
      return DefaultGeminiRoots(env);
    case Source::kOpenCode:
      return DefaultOpenCodeRoots(env);
  }
  return Status::Internal("unknown source");
}

Result<claude::ScanResult> ScanSource(Source s, const std::vector<std::string>& roots,
                                      const claude::ScanOptions& opts) {
  switch (s) {
    case Source::kClaude: {
      BR_ASSIGN_OR_RETURN(auto files, claude::FindTranscripts(roots));
      return claude::ScanTranscripts(std::move(files), opts);
    }
    case Source::kCodex: {
      BR_ASSIGN_OR_RETURN(auto files, FindCodexFiles(roots));
      return ScanCodex(std::move(files), opts);
    }
    case Source::kGemini: {
      BR_ASSIGN_OR_RETURN(auto files, FindGeminiFiles(roots));
      return ScanGemini(std::move(files), opts);
    }
    case Source::kOpenCode:
      return ScanOpenCode(roots, opts);
  }
  return Status::Internal("unknown source");
}

void MergeScan(claude::ScanResult&& from, claude::ScanResult* into) {
  std::vector<uint32_t> remap(from.strings.size());
  for (uint32_t i = 0; i < from.strings.size(); ++i)
    remap[i] = into->strings.Intern(from.strings[i]);
  uint32_t file_base = static_cast<uint32_t>(into->files.size());
  for (auto& f : from.files) into->files.push_back(std::move(f));
  for (claude::UsageEntry e : from.entries) {
    e.model = remap[e.model], e.session = remap[e.session], e.project = remap[e.project];
    e.file += file_base;
    into->entries.push_back(e);
  }
  for (auto& s : from.skipped) {
    s.file += file_base;
    into->skipped.push_back(std::move(s));
  }
  claude::ScanStats& a = into->stats;
  const claude::ScanStats& b = from.stats;
  a.files += b.files, a.lines += b.lines, a.usage_lines += b.usage_lines;
  a.duplicates += b.duplicates, a.sidechain_replays += b.sidechain_replays;
  a.missing_ids += b.missing_ids, a.bytes += b.bytes;
}

}  // namespace burnrate::agents
