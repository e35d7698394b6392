#include "agents/opencode_reader.h"

#include <simdjson.h>
#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <unordered_set>

#include "agents/log_files.h"
#include "common/hash.h"
#include "store/sqlite_db.h"

namespace burnrate::agents {
namespace {

namespace fs = std::filesystem;
using claude::ScanResult;

// One message, from a database row or a JSON file.
struct Row {
  std::string_view id, session, directory;  // id/session: empty = from the JSON itself
  std::string_view json;                    // with simdjson padding readable after it
  uint32_t file = 0, line = 0;
};

class MessageReader {
 public:
  MessageReader(const claude::ScanOptions& opts, ScanResult* res) : opts_(opts), res_(res) {}

  void Add(const Row& row) {
    ++res_->stats.lines;
    if (row.json.find("\"assistant\"") == std::string_view::npos) return;
    simdjson::dom::element m;
    if (parser_.parse(row.json.data(), row.json.size(), false).get(m)) {
      res_->skipped.push_back({row.file, row.line, "malformed message JSON"});
      return;
    }
    std::string_view role, id = row.id, session = row.session, dir = row.directory, model;
    if (m["role"].get(role) || role != "assistant") return;
    // Absent optional fields keep their defaults.
    auto opt = [](simdjson::simdjson_result<simdjson::dom::element> v, auto* dst) {
      if (v.get(*dst) != simdjson::SUCCESS) return false;
      return true;
    };
    if (id.empty()) opt(m["id"], &id);
    if (session.empty()) opt(m["sessionID"], &session);
    if (dir.empty()) opt(m.at_pointer("/path/cwd"), &dir);
    opt(m["modelID"], &model);
    int64_t created = 0, completed = 0;
    if (!opt(m.at_pointer("/time/completed"), &completed) || completed <= 0)
      return;  // still running
    opt(m.at_pointer("/time/created"), &created);
    if (id.empty()) {
      res_->skipped.push_back({row.file, row.line, "assistant message without id"});
      return;
    }
    model::TokenCounts t;
    int64_t reasoning = 0;
    const char* bad = ReadTokens(m, &t, &reasoning);
    if (bad) {
      res_->skipped.push_back({row.file, row.line, std::string("tokens.") + bad + ": not a count"});
      return;
    }
    t.output += reasoning;
    ++res_->stats.usage_lines;
    if (t.Total() == 0) return;
    std::string key = "opencode|" + std::string(id);
    claude::UsageEntry e;
    e.key_hi = Hash64(key, 0x6f70656eull);
    e.key_lo = Hash64(key, 0x636f6465ull);
    if (!seen_.insert(e.key_hi ^ (e.key_lo * 0x9E3779B97F4A7C15ull)).second) {
      ++res_->stats.duplicates;
      return;
    }
    std::string project = dir.empty() ? "unknown" : fs::path(std::string(dir)).filename().string();
    if (!opts_.project.empty() && project != opts_.project) return;
    double cost = 0;
    if (!m["cost"].get(cost) && cost > 0) e.line_cost_nanos = std::llround(cost * 1e9);
    e.ts = created > 0 ? created : completed;
    e.tokens = t;
    e.model = res_->strings.Intern(model);
    e.session = res_->strings.Intern(session);
    e.project = res_->strings.Intern(project);
    e.file = row.file;
    e.line = row.line;
    e.has_ids = true;
    res_->entries.push_back(e);
  }

 private:
  // Returns the name of a wrongly typed field, or nullptr.
  static const char* ReadTokens(simdjson::dom::element m, model::TokenCounts* t,
                                int64_t* reasoning) {
    struct Field {
      const char* pointer;
      const char* name;
      int64_t* dst;
    } fields[] = {{"/tokens/input", "input", &t->input},
                  {"/tokens/output", "output", &t->output},
                  {"/tokens/reasoning", "reasoning", reasoning},
                  {"/tokens/cache/read", "cache.read", &t->cache_read},
                  {"/tokens/cache/write", "cache.write", &t->cache_write}};
    for (const Field& f : fields) {
      simdjson::dom::element v;
      if (m.at_pointer(f.pointer).get(v) || v.is_null()) continue;
      double d = 0;
      if (v.get(*f.dst)) {
        if (v.get(d) || d < 0 || d != std::floor(d)) return f.name;  // JS numbers may be doubles
        *f.dst = static_cast<int64_t>(d);
      }
      if (*f.dst < 0) return f.name;
    }
    return nullptr;
  }

  const claude::ScanOptions& opts_;
  ScanResult* res_;
  simdjson::dom::parser parser_;
  std::unordered_set<uint64_t> seen_;
};

Status ReadDatabase(const std::string& path, uint32_t file, MessageReader* reader) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  std::unique_ptr<sqlite3, int (*)(sqlite3*)> owner(db, sqlite3_close);
  if (rc != SQLITE_OK) return Status::IOError(path + ": cannot open: " + sqlite3_errstr(rc));
  sqlite3_busy_timeout(db, 5000);  // OpenCode may be writing
  store::SqliteStmt st(
      db,
      "SELECT m.id, m.session_id, coalesce(s.directory, ''), m.data FROM message m "
      "LEFT JOIN session s ON s.id = m.session_id ORDER BY m.time_created, m.id");
  if (!st.ok())
    return Status::IOError(path +
                           ": not an OpenCode database (table message): " + sqlite3_errmsg(db));
  std::string padded;
  uint32_t row_no = 0;
  while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
    auto col = [&](int i) {
      const char* t = reinterpret_cast<const char*>(sqlite3_column_text(st.get(), i));
      return t ? std::string_view(t, static_cast<size_t>(sqlite3_column_bytes(st.get(), i)))
               : std::string_view();
    };
    std::string_view data = col(3);
    padded.assign(data);
    padded.append(64, '\0');
    reader->Add(
        {col(0), col(1), col(2), std::string_view(padded.data(), data.size()), file, ++row_no});
  }
  if (rc != SQLITE_DONE) return Status::IOError(path + ": reading messages: " + sqlite3_errmsg(db));
  return Status::OK();
}

}  // namespace

Result<std::vector<std::string>> DefaultOpenCodeRoots(const EnvFn& env) {
  std::string base;
  if (const char* x = env("XDG_DATA_HOME"); x && *x) {
    base = x;
  } else if (const char* home = env("HOME"); home && *home) {
    base = std::string(home) + "/.local/share";
  }
  std::string root = base + "/opencode";
  std::error_code ec;
  if (!base.empty() &&
      (fs::exists(root + "/opencode.db", ec) || fs::is_directory(root + "/storage/message", ec)))
    return std::vector<std::string>{root};
  return Status::NotFound("no OpenCode data found (looked in " +
                          (base.empty() ? std::string("~/.local/share") : base) +
                          "/opencode); use --dir");
}

Result<ScanResult> ScanOpenCode(const std::vector<std::string>& roots,
                                const claude::ScanOptions& opts) {
  ScanResult res;
  MessageReader reader(opts, &res);
  for (const std::string& r : roots) {
    std::error_code ec;
    std::vector<std::string> dbs, jsons;
    if (fs::is_regular_file(r, ec)) {
      dbs.push_back(r);
    } else {
      if (fs::exists(r + "/opencode.db", ec)) dbs.push_back(r + "/opencode.db");
      std::string msgs = fs::is_directory(r + "/storage/message", ec) ? r + "/storage/message" : "";
      if (msgs.empty() && dbs.empty()) msgs = r;
      if (!msgs.empty()) BR_RETURN_IF_ERROR(FindLogFiles(msgs, {".json"}, "", &jsons));
    }
    // The database first: when OpenCode migrated files into it, both hold a
    // message and the database's copy is the one that counts.
    for (const std::string& db : dbs) {
      uint32_t fi = static_cast<uint32_t>(res.files.size());
      res.files.push_back({db, "unknown", fs::path(db).filename().string()});
      BR_RETURN_IF_ERROR(ReadDatabase(db, fi, &reader));
      res.stats.bytes += fs::file_size(db, ec);
    }
    for (const std::string& path : jsons) {
      uint32_t fi = static_cast<uint32_t>(res.files.size());
      res.files.push_back({path, "unknown", fs::path(path).filename().string()});
      auto bytes = ReadWholeFile(path);
      if (!bytes.ok()) {
        res.skipped.push_back({fi, 0, bytes.status().message()});
        continue;
      }
      res.stats.bytes += bytes->size();
      reader.Add({{}, {}, {}, bytes->view(), fi, 1});
    }
  }
  res.stats.files = res.files.size();
  std::stable_sort(
      res.entries.begin(), res.entries.end(),
      [](const claude::UsageEntry& a, const claude::UsageEntry& b) { return a.ts < b.ts; });
  return res;
}

}  // namespace burnrate::agents
