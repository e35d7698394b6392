// Codex rollout reading in two passes.
//
// Pass 1 parses each file on its own (in parallel when there are many): the
// thread id and parent of its first session_meta, its working directory,
// and its token_count records with the model of the turn they belong to.
// Only lines that mention one of the three record types are given to the
// JSON parser; the rest (messages, tool calls, reasoning) are most of the
// bytes and are skipped by a substring search.
//
// Pass 2 needs every file: a forked thread's records are keyed by the root
// of its lineage (parent of parent ...), so the lineage map is built first,
// then files are walked in a fixed order (earliest record, then path),
// totals turned into increases, and keys de-duplicated over all files.
#include "agents/codex_reader.h"

#include <simdjson.h>

#include <algorithm>
#include <filesystem>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "agents/log_files.h"
#include "common/hash.h"
#include "common/time_util.h"
#include "model/request_key.h"

namespace burnrate::agents {
namespace {

namespace fs = std::filesystem;
using claude::ScanResult;
using claude::TranscriptFile;

struct Usage {
  int64_t input = 0, cached = 0, cache_write = 0, output = 0, reasoning = 0, total = 0;
  bool operator==(const Usage&) const = default;
  bool AtLeast(const Usage& o) const {
    return input >= o.input && cached >= o.cached && cache_write >= o.cache_write &&
           output >= o.output && reasoning >= o.reasoning && total >= o.total;
  }
  Usage Minus(const Usage& o) const {
    return {input - o.input,   cached - o.cached,       cache_write - o.cache_write,
            output - o.output, reasoning - o.reasoning, total - o.total};
  }
  bool Zero() const { return *this == Usage{}; }
};

struct TokenRecord {
  uint32_t line = 0;
  TimeMs ts = 0;
  std::string model;
  bool has_total = false, has_last = false;
  Usage total, last;
};

struct ParsedFile {
  std::string thread_id, parent_id, cwd;
  std::vector<TokenRecord> records;
  std::vector<claude::SkippedLine> skipped;
  uint64_t lines = 0, bytes = 0;
  TimeMs earliest = INT64_MAX;
};

// Reads a usage object; absent or null fields are 0. False on a wrong type.
bool ReadUsage(simdjson::dom::element e, Usage* u) {
  simdjson::dom::object o;
  if (e.get(o)) return false;
  struct Field {
    const char* name;
    int64_t* dst;
  } fields[] = {{"input_tokens", &u->input},
                {"cached_input_tokens", &u->cached},
                {"cache_write_input_tokens", &u->cache_write},
                {"output_tokens", &u->output},
                {"reasoning_output_tokens", &u->reasoning},
                {"total_tokens", &u->total}};
  for (const Field& f : fields) {
    simdjson::dom::element v;
    if (o[f.name].get(v) || v.is_null()) continue;
    if (v.get(*f.dst) || *f.dst < 0) return false;
  }
  return true;
}

std::string_view StringAt(simdjson::dom::element e, const char* key) {
  std::string_view s;
  if (e[key].get(s)) return {};
  return s;
}

// The parent thread a session_meta names, in any of the forms Codex used.
std::string_view ParentOf(simdjson::dom::element meta) {
  for (const char* k : {"forked_from_id", "parent_thread_id"}) {
    if (auto s = StringAt(meta, k); !s.empty()) return s;
  }
  simdjson::dom::element spawn;
  if (!meta.at_pointer("/source/subagent/thread_spawn").get(spawn)) {
    if (auto s = StringAt(spawn, "parent_thread_id"); !s.empty()) return s;
  }
  return {};
}

class FileParser {
 public:
  ParsedFile Parse(const std::string& path, uint32_t file_index) {
    ParsedFile pf;
    auto bytes = ReadWholeFile(path);
    if (!bytes.ok()) {
      pf.skipped.push_back({file_index, 0, bytes.status().message()});
      return pf;
    }
    pf.bytes = bytes->size();
    std::string model;
    bool have_meta = false;
    ForEachLine(bytes->view(), [&](std::string_view line, uint32_t no, bool terminated) {
      ++pf.lines;
      bool token = line.find("\"token_count\"") != std::string_view::npos;
      bool turn = !token && line.find("\"turn_context\"") != std::string_view::npos;
      bool meta = !token && !turn && line.find("\"session_meta\"") != std::string_view::npos;
      if (!token && !turn && !meta) return;
      simdjson::dom::element root;
      if (parser_.parse(line.data(), line.size(), false).get(root)) {
        if (terminated) pf.skipped.push_back({file_index, no, "malformed JSON"});
        return;
      }
      std::string_view type = StringAt(root, "type");
      simdjson::dom::element payload;
      if (root["payload"].get(payload)) return;
      if (type == "session_meta" && !have_meta) {
        have_meta = true;
        pf.thread_id = std::string(StringAt(payload, "id"));
        pf.parent_id = std::string(ParentOf(payload));
        pf.cwd = std::string(StringAt(payload, "cwd"));
      } else if (type == "turn_context") {
        if (auto m = StringAt(payload, "model"); !m.empty()) model = std::string(m);
        if (auto c = StringAt(payload, "cwd"); !c.empty() && pf.cwd.empty())
          pf.cwd = std::string(c);
      } else if (type == "event_msg" && StringAt(payload, "type") == "token_count") {
        ParseTokenCount(root, payload, no, file_index, model, &pf);
      }
    });
    return pf;
  }

 private:
  void ParseTokenCount(simdjson::dom::element root, simdjson::dom::element payload, uint32_t no,
                       uint32_t file_index, const std::string& model, ParsedFile* pf) {
    simdjson::dom::element info, v;
    if (payload["info"].get(info) || info.is_null()) return;  // rate-limit-only update
    TokenRecord r;
    r.line = no;
    r.model = model;
    std::string_view ts = StringAt(root, "timestamp");
    auto t = ParseRfc3339(ts);
    if (!t.ok()) {
      pf->skipped.push_back({file_index, no, "token_count without a valid timestamp"});
      return;
    }
    r.ts = *t;
    if (!info["total_token_usage"].get(v) && !v.is_null()) {
      if (!ReadUsage(v, &r.total)) {
        pf->skipped.push_back({file_index, no, "total_token_usage: wrong field type"});
        return;
      }
      r.has_total = true;
    }
    if (!info["last_token_usage"].get(v) && !v.is_null()) {
      if (!ReadUsage(v, &r.last)) {
        pf->skipped.push_back({file_index, no, "last_token_usage: wrong field type"});
        return;
      }
      r.has_last = !r.last.Zero();
    }
    if (!r.has_total && !r.has_last) return;
    pf->earliest = std::min(pf->earliest, r.ts);
    pf->records.push_back(std::move(r));
  }

  simdjson::dom::parser parser_;
};

// The root of a thread's lineage: follows parents as far as they are known.
std::string RootOf(const std::string& thread,
                   const std::unordered_map<std::string, std::string>& parent) {
  std::string cur = thread;
  for (int depth = 0; depth < 64; ++depth) {  // bounded: a cycle would be a corrupt log
    auto it = parent.find(cur);
    if (it == parent.end() || it->second.empty()) break;
    cur = it->second;
  }
  return cur;
}

void AppendUsageKey(const Usage& u, std::string* k) {
  for (int64_t v : {u.input, u.cached, u.cache_write, u.output, u.reasoning, u.total}) {
    k->append(std::to_string(v));
    k->push_back(',');
  }
}

struct Key {
  uint64_t hi, lo;
  bool operator==(const Key&) const = default;
};
struct KeyHash {
  size_t operator()(const Key& k) const { return k.hi ^ (k.lo * 0x9E3779B97F4A7C15ull); }
};

model::TokenCounts ToTokens(const Usage& d) {
  model::TokenCounts t;
  t.cache_read = d.cached;
  t.cache_write = d.cache_write;
  t.input = std::max<int64_t>(0, d.input - d.cached - d.cache_write);
  t.output = d.output;
  return t;
}

}  // namespace

Result<std::vector<std::string>> DefaultCodexRoots(const EnvFn& env) {
  std::string root;
  if (const char* h = env("CODEX_HOME"); h && *h) {
    root = h;
  } else if (const char* home = env("HOME"); home && *home) {
    root = std::string(home) + "/.codex";
  }
  std::error_code ec;
  if (!root.empty() && (fs::is_directory(root + "/sessions", ec) ||
                        fs::is_directory(root + "/archived_sessions", ec)))
    return std::vector<std::string>{root};
  return Status::NotFound("no Codex CLI sessions found (looked in " +
                          (root.empty() ? std::string("$CODEX_HOME, ~/.codex") : root) +
                          "/sessions); use --dir");
}

Result<std::vector<TranscriptFile>> FindCodexFiles(const std::vector<std::string>& roots) {
  std::vector<std::string> paths;
  for (const std::string& r : roots) {
    std::error_code ec;
    bool home =
        fs::is_directory(r + "/sessions", ec) || fs::is_directory(r + "/archived_sessions", ec);
    if (!home) {
      BR_RETURN_IF_ERROR(FindLogFiles(r, {".jsonl"}, "", &paths));
      continue;
    }
    for (const char* sub : {"/sessions", "/archived_sessions"})
      BR_RETURN_IF_ERROR(FindLogFiles(r + sub, {".jsonl"}, "", &paths));
  }
  std::sort(paths.begin(), paths.end());
  paths.erase(std::unique(paths.begin(), paths.end()), paths.end());
  std::vector<TranscriptFile> files;
  for (std::string& p : paths) {
    std::string name = fs::path(p).filename().string();
    if (name.rfind("rollout-", 0) != 0) continue;
    files.push_back({std::move(p), "unknown", name});
  }
  return files;
}

// long: a parallel parse of the files, then one in-order pass that turns
// running totals into per-request events and keys them (the comments inside
// say why each key is what it is); the pass shares all its state.
Result<ScanResult> ScanCodex(std::vector<TranscriptFile> files, const claude::ScanOptions& opts) {
  std::vector<ParsedFile> parsed(files.size());
  int threads = opts.threads > 0 ? opts.threads : (files.size() >= 8 ? 2 : 1);
  std::vector<std::thread> pool;
  std::atomic<size_t> next{0};
  auto work = [&] {
    FileParser fp;
    for (size_t i; (i = next.fetch_add(1)) < files.size();)
      parsed[i] = fp.Parse(files[i].path, static_cast<uint32_t>(i));
  };
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();

  std::unordered_map<std::string, std::string> parent;
  for (const ParsedFile& pf : parsed)
    if (!pf.thread_id.empty()) parent.emplace(pf.thread_id, pf.parent_id);
  std::vector<uint32_t> order(files.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](uint32_t a, uint32_t b) { return parsed[a].earliest < parsed[b].earliest; });

  ScanResult res;
  std::unordered_set<Key, KeyHash> seen;
  for (size_t i = 0; i < files.size(); ++i) {
    ParsedFile& pf = parsed[i];
    std::string project = pf.cwd.empty() ? "unknown" : fs::path(pf.cwd).filename().string();
    files[i].project = project.empty() ? "unknown" : project;
    res.stats.lines += pf.lines;
    res.stats.bytes += pf.bytes;
    for (auto& s : pf.skipped) res.skipped.push_back(std::move(s));
  }
  for (uint32_t fi : order) {
    const ParsedFile& pf = parsed[fi];
    if (!opts.project.empty() && files[fi].project != opts.project) continue;
    std::string stem = fs::path(files[fi].path).stem().string();
    const std::string& thread = pf.thread_id.empty() ? stem : pf.thread_id;
    uint32_t session = res.strings.Intern(thread);
    uint32_t project = res.strings.Intern(files[fi].project);
    std::string root = pf.thread_id.empty() ? files[fi].rel : RootOf(pf.thread_id, parent);
    Usage prev;
    bool have_prev = false;
    for (const TokenRecord& r : pf.records) {
      ++res.stats.usage_lines;
      Usage delta;
      std::string key = root;
      key.push_back('|');
      if (r.has_total) {
        if (have_prev && r.total == prev) {
          ++res.stats.duplicates;
          continue;
        }
        bool grew = !have_prev || r.total.AtLeast(prev);
        delta = grew ? r.total.Minus(prev) : (r.has_last ? r.last : r.total);
        prev = r.total;
        have_prev = true;
        AppendUsageKey(r.total, &key);
        key.push_back('|');
        AppendUsageKey(r.last, &key);
      } else {
        delta = r.last;  // no running total: the record itself is the unit
        key += files[fi].rel + "|" + std::to_string(r.line);
      }
      if (delta.Zero()) continue;
      Key k{Hash64(key, 0x636f646578ull), Hash64(key, 0x726f6c6c6f7574ull)};
      if (!seen.insert(k).second) {
        ++res.stats.sidechain_replays;
        continue;
      }
      // With a running total, the event's key is the request's own (thread,
      // usage), which Codex's OTLP export carries too, so either path counts
      // it once; `k` only finds replays across files. Records without a
      // total come from versions older than Codex's OTLP export: their key
      // stays (file, line), as two of them may carry the same usage.
      model::RequestKey rk{k.hi, k.lo};
      if (r.has_total) {
        const Usage& own = r.has_last ? r.last : delta;
        rk = model::CodexRequestKey(
            thread, {own.input, own.cached, own.cache_write, own.output, own.reasoning});
      }
      EntrySite site{res.strings.Intern(r.model), session, project, fi, r.line};
      res.entries.push_back(MakeLogEntry(r.ts, rk.hi, rk.lo, ToTokens(delta), site));
    }
  }
  res.stats.files = files.size();
  res.files = std::move(files);
  return res;
}

}  // namespace burnrate::agents
