// Parallel parse, ordered merge.
//
// Workers take files from a shared counter and parse each into its own
// ParseOutput (entries with string ids local to the worker's StringTable).
// The merge then visits the files in ccusage's order (earliest usage
// timestamp first; ties by path), remaps string ids into the result's table
// and offers each entry to the Deduplicator. Keeping the first copy in that
// order is what makes our totals equal ccusage's even when duplicate copies
// differ. Peak memory is the entries (about 100 bytes each) plus one read
// buffer per worker.
#include "claude/transcript_scan.h"

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <thread>

#include "claude/deduplicator.h"
#include "claude/transcript_parser.h"

namespace burnrate::claude {
namespace fs = std::filesystem;
namespace {

bool IsDir(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string StemOf(const std::string& name) {
  auto dot = name.rfind('.');
  return dot == std::string::npos ? name : name.substr(0, dot);
}

struct FileOutput {
  ParseOutput out;
  int worker = 0;
  uint64_t bytes = 0;
  Status status;
};

}  // namespace

Result<std::vector<std::string>> DefaultClaudeRoots(
    const std::function<const char*(const char*)>& getenv_fn) {
  std::vector<std::string> roots;
  auto add = [&](std::string p) {
    while (p.size() > 1 && p.back() == '/') p.pop_back();
    if (IsDir(p + "/projects") && std::find(roots.begin(), roots.end(), p) == roots.end())
      roots.push_back(std::move(p));
  };
  const char* env = getenv_fn("CLAUDE_CONFIG_DIR");
  if (env && *env) {
    std::string list(env);
    size_t start = 0;
    while (start <= list.size()) {
      size_t comma = list.find(',', start);
      if (comma == std::string::npos) comma = list.size();
      std::string item = list.substr(start, comma - start);
      item.erase(0, item.find_first_not_of(" \t"));
      item.erase(item.find_last_not_of(" \t") + 1);
      if (!item.empty()) add(item);
      start = comma + 1;
    }
    if (roots.empty())
      return Status::NotFound("no directory in CLAUDE_CONFIG_DIR=" + list + " holds projects/");
    return roots;
  }
  const char* home = getenv_fn("HOME");
  const char* xdg = getenv_fn("XDG_CONFIG_HOME");
  std::string h = home ? home : "";
  add((xdg && *xdg) ? std::string(xdg) + "/claude" : h + "/.config/claude");
  add(h + "/.claude");
  if (roots.empty())
    return Status::NotFound(
        "no Claude data found in ~/.config/claude/projects or ~/.claude/projects");
  return roots;
}

Result<std::vector<TranscriptFile>> FindTranscripts(const std::vector<std::string>& roots) {
  std::vector<TranscriptFile> files;
  for (const std::string& root : roots) {
    std::string base = IsDir(root + "/projects") ? root + "/projects" : root;
    if (!IsDir(base)) return Status::NotFound("not a directory: " + root);
    std::error_code ec;
    auto opts = fs::directory_options::skip_permission_denied;
    for (fs::recursive_directory_iterator it(base, opts, ec), end; it != end; it.increment(ec)) {
      if (ec) break;
      if (!it->is_regular_file(ec) || it->path().extension() != ".jsonl") continue;
      fs::path rel = it->path().lexically_relative(base);
      TranscriptFile f;
      f.path = it->path().string();
      auto first = rel.begin();
      f.project = std::distance(rel.begin(), rel.end()) > 1 ? first->string() : "unknown";
      f.rel = f.project + "/" + it->path().filename().string();
      files.push_back(std::move(f));
    }
    if (ec) return Status::IOError("cannot list " + base + ": " + ec.message());
  }
  std::sort(files.begin(), files.end(),
            [](const TranscriptFile& a, const TranscriptFile& b) { return a.path < b.path; });
  files.erase(std::unique(files.begin(), files.end(),
                          [](const TranscriptFile& a, const TranscriptFile& b) {
                            return a.path == b.path;
                          }),
              files.end());
  return files;
}

Result<ScanResult> ScanTranscripts(std::vector<TranscriptFile> files, const ScanOptions& opts) {
  if (!opts.project.empty()) {
    std::erase_if(files, [&](const TranscriptFile& f) { return f.project != opts.project; });
  }
  ScanResult result;
  result.files = std::move(files);
  const size_t n = result.files.size();
  int threads = opts.threads > 0 ? opts.threads : (n >= 8 ? 2 : 1);
  std::vector<StringTable> tables(threads);
  std::vector<FileOutput> outs(n);
  std::atomic<size_t> next{0};
  auto work = [&](int w) {
    TranscriptParser parser;
    for (size_t i; (i = next.fetch_add(1)) < n;) {
      const TranscriptFile& f = result.files[i];
      FileContext ctx;
      ctx.file = static_cast<uint32_t>(i);
      ctx.project = tables[w].Intern(f.project);
      ctx.session_fallback = tables[w].Intern(StemOf(fs::path(f.path).filename().string()));
      ctx.key_prefix = f.rel;
      outs[i].worker = w;
      outs[i].out.strings = &tables[w];
      uint32_t next_line = 0;
      outs[i].status = ParseTranscriptFile(f.path, 0, 1, true, ctx, &parser, &outs[i].out,
                                           &outs[i].bytes, &next_line);
    }
  };
  std::vector<std::thread> pool;
  for (int w = 1; w < threads; ++w) pool.emplace_back(work, w);
  work(0);
  for (auto& t : pool) t.join();

  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return outs[a].out.earliest < outs[b].out.earliest; });
  std::vector<std::vector<uint32_t>> remap(threads);
  for (int w = 0; w < threads; ++w) {
    remap[w].resize(tables[w].size());
    for (uint32_t s = 0; s < tables[w].size(); ++s)
      remap[w][s] = result.strings.Intern(tables[w][s]);
  }
  Deduplicator dedup;
  ScanStats& st = result.stats;
  st.files = n;
  for (size_t i : order) {
    FileOutput& fo = outs[i];
    if (!fo.status.ok()) {
      result.skipped.push_back({static_cast<uint32_t>(i), 0, fo.status.message()});
      continue;
    }
    st.lines += fo.out.lines;
    st.bytes += fo.bytes;
    const auto& map = remap[fo.worker];
    for (UsageEntry e : fo.out.entries) {
      ++st.usage_lines;
      auto v = dedup.Offer(e);
      if (v == Deduplicator::Verdict::kDuplicate) ++st.duplicates;
      if (v == Deduplicator::Verdict::kSidechainReplay) ++st.sidechain_replays;
      if (v == Deduplicator::Verdict::kNoIds) ++st.missing_ids;
      if (!Deduplicator::Counts(v)) continue;
      e.model = map[e.model], e.session = map[e.session], e.project = map[e.project];
      result.entries.push_back(e);
    }
    for (auto& s : fo.out.skipped) result.skipped.push_back(std::move(s));
    std::vector<UsageEntry>().swap(fo.out.entries);
  }
  std::sort(result.skipped.begin(), result.skipped.end(), [](const auto& a, const auto& b) {
    return a.file != b.file ? a.file < b.file : a.line < b.line;
  });
  return result;
}

}  // namespace burnrate::claude
