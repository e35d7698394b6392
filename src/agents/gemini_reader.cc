#include "agents/gemini_reader.h"

#include <simdjson.h>

#include <algorithm>
#include <filesystem>
#include <unordered_map>

#include "agents/log_files.h"
#include "common/hash.h"
#include "common/time_util.h"

namespace burnrate::agents {
namespace {

namespace fs = std::filesystem;
using claude::ScanResult;
using claude::TranscriptFile;

struct MessageRecord {
  uint32_t line = 0;
  std::string id, model;
  TimeMs ts = 0;
  model::TokenCounts tokens;
};

struct ParsedFile {
  std::string session;
  std::vector<MessageRecord> records;
  std::vector<claude::SkippedLine> skipped;
  uint64_t lines = 0, bytes = 0;
  TimeMs earliest = INT64_MAX;
};

std::string_view StringAt(simdjson::dom::element e, const char* key) {
  std::string_view s;
  if (e[key].get(s)) return {};
  return s;
}

// The project of a chat file: the directory above its `chats` directory.
std::string ProjectOf(const std::string& path) {
  fs::path p(path);
  for (fs::path dir = p.parent_path(); dir.has_filename(); dir = dir.parent_path()) {
    if (dir.filename() == "chats") {
      std::string name = dir.parent_path().filename().string();
      return name.empty() ? "unknown" : name;
    }
  }
  return "unknown";
}

class FileParser {
 public:
  ParsedFile Parse(const std::string& path, uint32_t file_index) {
    ParsedFile pf;
    file_ = file_index;
    auto bytes = ReadWholeFile(path);
    if (!bytes.ok()) {
      pf.skipped.push_back({file_index, 0, bytes.status().message()});
      return pf;
    }
    pf.bytes = bytes->size();
    bool legacy = path.size() >= 5 && path.compare(path.size() - 5, 5, ".json") == 0;
    if (legacy) {
      pf.lines = 1;
      simdjson::dom::element root;
      if (parser_.parse(bytes->data.data(), bytes->size(), false).get(root)) {
        pf.skipped.push_back({file_index, 1, "malformed JSON document"});
        return pf;
      }
      Record(root, 1, &pf);
      return pf;
    }
    ForEachLine(bytes->view(), [&](std::string_view line, uint32_t no, bool terminated) {
      ++pf.lines;
      simdjson::dom::element root;
      if (parser_.parse(line.data(), line.size(), false).get(root)) {
        if (terminated) pf.skipped.push_back({file_index, no, "malformed JSON"});
        return;
      }
      Record(root, no, &pf);
    });
    return pf;
  }

 private:
  // One record: metadata, an update, a rewind, or a message.
  void Record(simdjson::dom::element r, uint32_t no, ParsedFile* pf) {
    simdjson::dom::element set;
    simdjson::dom::array messages;
    if (!r["$set"].get(set)) {
      if (!set["messages"].get(messages))
        for (simdjson::dom::element m : messages) Message(m, no, pf);
      return;
    }
    if (auto s = StringAt(r, "sessionId"); !s.empty() && pf->session.empty())
      pf->session = std::string(s);
    if (!r["messages"].get(messages)) {  // a whole-session document (.json)
      for (simdjson::dom::element m : messages) Message(m, no, pf);
      return;
    }
    Message(r, no, pf);
  }

  void Message(simdjson::dom::element m, uint32_t no, ParsedFile* pf) {
    if (StringAt(m, "type") != "gemini") return;
    simdjson::dom::element tok;
    if (m["tokens"].get(tok) || tok.is_null()) return;
    std::string_view id = StringAt(m, "id");
    auto ts = ParseRfc3339(StringAt(m, "timestamp"));
    if (id.empty() || !ts.ok()) {
      pf->skipped.push_back({file_, no, "gemini message without id or valid timestamp"});
      return;
    }
    int64_t in = 0, out = 0, cached = 0, thoughts = 0, tool = 0;
    struct Field {
      const char* name;
      int64_t* dst;
    } fields[] = {{"input", &in},
                  {"output", &out},
                  {"cached", &cached},
                  {"thoughts", &thoughts},
                  {"tool", &tool}};
    for (const Field& f : fields) {
      simdjson::dom::element v;
      if (tok[f.name].get(v) || v.is_null()) continue;
      if (v.get(*f.dst) || *f.dst < 0) {
        pf->skipped.push_back({file_, no, std::string("tokens.") + f.name + ": not a count"});
        return;
      }
    }
    MessageRecord rec;
    rec.line = no;
    rec.id = std::string(id);
    rec.model = std::string(StringAt(m, "model"));
    rec.ts = *ts;
    rec.tokens.cache_read = cached;
    rec.tokens.input = std::max<int64_t>(0, in - cached) + tool;
    rec.tokens.output = out + thoughts;
    pf->earliest = std::min(pf->earliest, rec.ts);
    pf->records.push_back(std::move(rec));
  }

  simdjson::dom::parser parser_;
  uint32_t file_ = 0;
};

}  // namespace

Result<std::vector<std::string>> DefaultGeminiRoots(const EnvFn& env) {
  std::string root;
  if (const char* h = env("GEMINI_CLI_HOME"); h && *h) {
    root = std::string(h) + "/.gemini";
  } else if (const char* home = env("HOME"); home && *home) {
    root = std::string(home) + "/.gemini";
  }
  std::error_code ec;
  if (!root.empty() && fs::is_directory(root + "/tmp", ec)) return std::vector<std::string>{root};
  return Status::NotFound("no Gemini CLI chats found (looked in " +
                          (root.empty() ? std::string("~/.gemini") : root) + "/tmp); use --dir");
}

Result<std::vector<TranscriptFile>> FindGeminiFiles(const std::vector<std::string>& roots) {
  std::vector<std::string> paths;
  for (const std::string& r : roots) {
    std::error_code ec;
    std::string base = fs::is_directory(r + "/tmp", ec) ? r + "/tmp" : r;
    bool in_chats = base.find("/chats") != std::string::npos;
    BR_RETURN_IF_ERROR(FindLogFiles(base, {".jsonl", ".json"}, in_chats ? "" : "/chats/", &paths));
  }
  std::sort(paths.begin(), paths.end());
  paths.erase(std::unique(paths.begin(), paths.end()), paths.end());
  std::vector<TranscriptFile> files;
  for (std::string& p : paths) {
    std::string project = ProjectOf(p);
    std::string rel = project + "/" + fs::path(p).filename().string();
    files.push_back({std::move(p), std::move(project), std::move(rel)});
  }
  return files;
}

Result<ScanResult> ScanGemini(std::vector<TranscriptFile> files, const claude::ScanOptions& opts) {
  std::vector<ParsedFile> parsed(files.size());
  FileParser fp;
  for (size_t i = 0; i < files.size(); ++i) {
    if (!opts.project.empty() && files[i].project != opts.project) continue;
    parsed[i] = fp.Parse(files[i].path, static_cast<uint32_t>(i));
  }
  std::vector<uint32_t> order(files.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](uint32_t a, uint32_t b) { return parsed[a].earliest < parsed[b].earliest; });
  ScanResult res;
  std::unordered_map<std::string, size_t> by_key;  // "session|message id" -> entry
  for (uint32_t fi : order) {
    ParsedFile& pf = parsed[fi];
    res.stats.lines += pf.lines;
    res.stats.bytes += pf.bytes;
    for (auto& s : pf.skipped) res.skipped.push_back(std::move(s));
    std::string session =
        pf.session.empty() ? fs::path(files[fi].path).stem().string() : pf.session;
    uint32_t session_id = res.strings.Intern(session);
    uint32_t project = res.strings.Intern(files[fi].project);
    for (const MessageRecord& r : pf.records) {
      ++res.stats.usage_lines;
      std::string key = session + "|" + r.id;
      auto [it, inserted] = by_key.try_emplace(key, res.entries.size());
      if (!inserted) {
        ++res.stats.duplicates;
        claude::UsageEntry& e = res.entries[it->second];
        e.tokens = r.tokens;  // the last record of a message wins
        if (!r.model.empty()) e.model = res.strings.Intern(r.model);
        continue;
      }
      EntrySite site{res.strings.Intern(r.model), session_id, project, fi, r.line};
      res.entries.push_back(MakeLogEntry(r.ts, Hash64(key, 0x67656d696e69ull),
                                         Hash64(key, 0x636c69ull), r.tokens, site));
    }
  }
  res.stats.files = files.size();
  res.files = std::move(files);
  return res;
}

}  // namespace burnrate::agents
