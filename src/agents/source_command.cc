#include "agents/source_command.h"

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <utility>

#include "agents/agent_event.h"
#include "agents/source_follower.h"
#include "claude/claude.h"

namespace burnrate::agents {
namespace {

std::atomic<bool> g_stop{false};
extern "C" void OnAgentSignal(int) { g_stop.store(true); }

EnvFn Env(const EnvFn& fn) {
  if (fn) return fn;
  return [](const char* k) { return static_cast<const char*>(std::getenv(k)); };
}

std::string TitleOf(std::string_view source) {
  if (source == "codex") return "Codex CLI";
  if (source == "gemini") return "Gemini CLI";
  if (source == "opencode") return "OpenCode";
  if (source == "all") return "All agents'";
  return "Claude Code";
}

Result<claude::ScanResult> ScanForReport(const claude::ReportOptions& o) {
  EnvFn env = Env(o.getenv_fn);
  claude::ScanOptions so;
  so.project = o.project;
  so.threads = o.threads;
  if (o.source != "all") {
    BR_ASSIGN_OR_RETURN(Source s, ParseSource(o.source));
    std::vector<std::string> roots = o.dirs;
    if (roots.empty()) {
      BR_ASSIGN_OR_RETURN(roots, DefaultRoots(s, env));
    }
    return ScanSource(s, roots, so);
  }
  if (!o.dirs.empty()) return Status::InvalidArgument("--dir needs one --source, not all");
  claude::ScanResult all;
  int found = 0;
  for (Source s : kAllSources) {
    auto roots = DefaultRoots(s, env);
    if (!roots.ok()) continue;
    BR_ASSIGN_OR_RETURN(claude::ScanResult one, ScanSource(s, *roots, so));
    MergeScan(std::move(one), &all);
    ++found;
  }
  if (found == 0) return Status::NotFound("no agent logs found on this machine (--source all)");
  return all;
}

std::string UserOf(const SourceCommandOptions& o, const EnvFn& env) {
  if (!o.user.empty()) return o.user;
  const char* u = env("USER");
  return u && *u ? u : "unknown";
}

void Summary(std::string_view name, const FollowerStats& s, std::ostream& out) {
  out << name << ": files " << s.files << ", events sent " << s.shipped << ", accepted "
      << s.accepted << ", duplicates " << s.duplicates << ", rejected " << s.rejected
      << ", malformed lines " << s.skipped_lines << '\n';
  if (s.rejected) out << "first rejection: " << s.first_rejection << '\n';
}

// One followed source of the agent: Claude Code or another.
struct Followed {
  Source source;
  std::unique_ptr<claude::ClaudeAgent> claude;
  std::unique_ptr<SourceFollower> other;
  bool started = false;
  Status Poll() {
    if (!claude) return other->Poll();
    if (std::exchange(started, true)) return claude->Poll();
    return claude->Init();  // reads everything once (a failed Init is redone by Poll)
  }
  std::vector<std::string> Directories() const {
    return claude ? claude->Directories() : other->Directories();
  }
};

}  // namespace

claude::ReportScanner ReportScanner() {
  claude::ReportScanner r;
  r.scan = ScanForReport;
  r.title = [](const claude::ReportOptions& o) { return TitleOf(o.source); };
  return r;
}

int RunIngestSource(const SourceCommandOptions& o, std::ostream& out, std::ostream& err) {
  const char* cmd = "burnrate ingest --source";
  EnvFn env = Env(o.getenv_fn);
  if (o.server.empty() || o.key.empty()) {
    err << cmd << ": --server URL and --key KEY are required\n";
    return 2;
  }
  if (o.sources.size() != 1) {
    err << cmd << ": give one source (claude, codex, gemini, opencode)\n";
    return 2;
  }
  auto source = ParseSource(o.sources[0]);
  if (!source.ok()) {
    err << cmd << ": " << source.status().message() << '\n';
    return 2;
  }
  if (*source == Source::kClaude) {
    claude::AgentCommandOptions c;
    c.dirs = o.dirs, c.server = o.server, c.key = o.key, c.user = o.user;
    c.batch = o.batch, c.max_retries = o.max_retries, c.getenv_fn = o.getenv_fn;
    c.client = MachineId(o.machine_id);
    return claude::RunIngestClaude(c, out, err);
  }
  FollowerOptions f;
  f.source = *source;
  f.roots = o.dirs;
  if (f.roots.empty()) {
    auto r = DefaultRoots(*source, env);
    if (!r.ok()) {
      err << cmd << ": " << r.status().message() << '\n';
      return 1;
    }
    f.roots = *r;
  }
  f.user = UserOf(o, env);
  f.client = MachineId(o.machine_id);
  f.batch_events = o.batch;
  f.max_retries = o.max_retries;
  auto sink = claude::NewHttpEventSink(o.server, o.key);
  if (!sink.ok()) {
    err << cmd << ": " << sink.status().message() << '\n';
    return 2;
  }
  SourceFollower follower(f, sink->get());
  Status s = follower.Poll();
  Summary(SourceName(*source), follower.stats(), out);
  if (!s.ok()) {
    err << cmd << ": " << s.message() << '\n';
    return 1;
  }
  return follower.stats().rejected ? 1 : 0;
}

// The sources `burnrate agent` follows: --source (repeated), else Claude
// Code alone with --dir (its old meaning), else every source.
static Result<std::vector<Source>> WantedSources(const SourceCommandOptions& o) {
  std::vector<Source> wanted;
  for (const std::string& name : o.sources) {
    BR_ASSIGN_OR_RETURN(Source s, ParseSource(name));
    wanted.push_back(s);
  }
  if (wanted.empty() && !o.dirs.empty()) wanted.push_back(Source::kClaude);
  if (wanted.empty()) wanted.assign(std::begin(kAllSources), std::end(kAllSources));
  if (!o.dirs.empty() && wanted.size() != 1)
    return Status::InvalidArgument("--dir needs exactly one --source");
  return wanted;
}

// The counts of every followed source, when the agent stops.
static void PrintTotals(const std::vector<Followed>& followed, std::ostream& out) {
  for (const Followed& f : followed) {
    if (f.other) {
      Summary(SourceName(f.source), f.other->stats(), out);
    } else {
      const claude::AgentStats& s = f.claude->stats();
      out << "claude: files " << s.files << ", events sent " << s.shipped << ", accepted "
          << s.accepted << ", duplicates " << s.duplicates << ", rejected " << s.rejected << '\n';
    }
  }
}

// long: set-up, then the follow loop; `discover` (a lambda, counted here)
// starts the sources whose logs appear while it runs.
int RunAgentAll(const SourceCommandOptions& o, const std::atomic<bool>& stop, std::ostream& out,
                std::ostream& err) {
  const char* cmd = "burnrate agent";
  EnvFn env = Env(o.getenv_fn);
  if (o.server.empty() || o.key.empty()) {
    err << cmd << ": --server URL and --key KEY are required\n";
    return 2;
  }
  auto wanted = WantedSources(o);
  if (!wanted.ok()) {
    err << cmd << ": " << wanted.status().message() << '\n';
    return 2;
  }
  std::string state = o.state_dir;
  if (state.empty()) {
    const char* home = env("HOME");
    state = std::string(home ? home : ".") + "/.burnrate";
  }
  std::error_code ec;
  std::filesystem::create_directories(state, ec);
  auto sink = claude::NewHttpEventSink(o.server, o.key);
  if (!sink.ok()) {
    err << cmd << ": " << sink.status().message() << '\n';
    return 2;
  }
  std::string user = UserOf(o, env), client = MachineId(o.machine_id);
  std::vector<Followed> followed;
  std::vector<Source> pending = *wanted;
  // Starts following the wanted sources whose logs now exist.
  auto discover = [&] {
    for (auto it = pending.begin(); it != pending.end();) {
      std::vector<std::string> roots = o.dirs;
      if (roots.empty()) {
        auto r = DefaultRoots(*it, env);
        if (!r.ok()) {
          ++it;
          continue;
        }
        roots = *r;
      }
      Followed f{*it, nullptr, nullptr, false};
      if (*it == Source::kClaude) {
        claude::AgentOptions a;
        a.roots = roots, a.user = user, a.client = client, a.batch_events = o.batch, a.stop = &stop;
        a.checkpoint_path =
            o.claude_checkpoint.empty() ? state + "/claude-agent.checkpoint" : o.claude_checkpoint;
        f.claude = std::make_unique<claude::ClaudeAgent>(a, sink->get());
      } else {
        FollowerOptions a;
        a.source = *it, a.roots = roots, a.user = user, a.client = client;
        a.batch_events = o.batch, a.stop = &stop;
        a.shipped_path = state + "/" + std::string(SourceName(*it)) + "-agent.shipped";
        f.other = std::make_unique<SourceFollower>(a, sink->get());
      }
      out << cmd << ": following " << SourceName(*it) << " (" << roots[0] << ")\n";
      followed.push_back(std::move(f));
      it = pending.erase(it);
    }
  };
  discover();
  if (followed.empty()) out << cmd << ": no agent logs yet; waiting for them to appear\n";
  out.flush();
  claude::ChangeWaiter waiter;
  bool first = true;
  while (!stop.load()) {
    if (!pending.empty()) discover();
    for (Followed& f : followed) {
      Status s = f.Poll();
      if (!s.ok() && s.code() != Status::Code::kIOError) {
        err << cmd << ": " << SourceName(f.source) << ": " << s.message() << '\n';
        return 1;
      }
      waiter.Watch(f.Directories());
    }
    if (first) {
      for (const Followed& f : followed)
        if (f.other) Summary(SourceName(f.source), f.other->stats(), out);
      out.flush();
      first = false;
    }
    waiter.Wait(o.poll_ms, stop);
  }
  PrintTotals(followed, out);
  return 0;
}

std::function<void()> AddIngestSourceOptions(CLI::App& app) {
  auto o = std::make_shared<SourceCommandOptions>();
  CLI::App* cmd = nullptr;
  for (CLI::App* sub : app.get_subcommands([](CLI::App* s) { return s->get_name() == "ingest"; }))
    cmd = sub;
  if (!cmd) return {};  // registered after the ingest command
  if (CLI::Option* files = cmd->get_option_no_throw("files")) files->required(false);
  CLI::Option* source =
      cmd->add_option("--source", o->sources,
                      "Import an agent's local logs: claude, codex, gemini, opencode")
          ->check(CLI::IsMember({"claude", "codex", "gemini", "opencode"}))
          ->expected(1);
  cmd->add_option("--dir", o->dirs,
                  "--source: where its logs are (default: the agent's own place)");
  cmd->add_option("--machine-id", o->machine_id,
                  "--source: this machine's id in the events (default: from /etc/machine-id)");
  return [o, source, cmd] {
    if (source->count() == 0) return;
    o->server = cmd->get_option("--server")->as<std::string>();
    o->key = cmd->get_option("--key")->as<std::string>();
    if (CLI::Option* u = cmd->get_option_no_throw("--user"); u && u->count())
      o->user = u->as<std::string>();
    int rc = RunIngestSource(*o, std::cout, std::cerr);
    if (rc != 0) throw CLI::RuntimeError(rc);
    throw CLI::Success();
  };
}

void AddAgentCommand(CLI::App& app) {
  auto o = std::make_shared<SourceCommandOptions>();
  CLI::App* cmd = app.add_subcommand(
      "agent",
      "Follow every coding agent's logs on this machine (Claude Code, Codex, Gemini CLI, OpenCode) "
      "and ship new usage to a server until stopped");
  cmd->add_option("--server", o->server, "Server URL, e.g. http://127.0.0.1:8080")->required();
  cmd->add_option("--key", o->key, "API key with role ingest or admin")->required();
  cmd->add_option("--user", o->user, "User (email) of the events (default $USER)");
  cmd->add_option("--source", o->sources, "Only these sources (repeatable; default: all found)")
      ->check(CLI::IsMember({"claude", "codex", "gemini", "opencode"}));
  cmd->add_option("--dir", o->dirs,
                  "Logs of the one --source given (default: the agent's own place)");
  cmd->add_option("--machine-id", o->machine_id,
                  "This machine's id (default: from /etc/machine-id)");
  cmd->add_option("--checkpoint", o->claude_checkpoint,
                  "Claude Code checkpoint file (default <state dir>/claude-agent.checkpoint)");
  cmd->add_option("--state-dir", o->state_dir, "Where checkpoints are kept (default ~/.burnrate)");
  cmd->add_option("--poll-ms", o->poll_ms, "Poll interval in milliseconds")->default_val(1000);
  cmd->add_option("--batch", o->batch, "Events per request")->default_val(2000);
  cmd->callback([o] {
    std::signal(SIGINT, OnAgentSignal);
    std::signal(SIGTERM, OnAgentSignal);
    int rc = RunAgentAll(*o, g_stop, std::cout, std::cerr);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace burnrate::agents
