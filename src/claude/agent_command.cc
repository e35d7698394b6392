#include "claude/agent_command.h"

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>

#include "claude/claude_agent.h"

namespace burnrate::claude {
namespace {

std::atomic<bool> g_stop{false};
extern "C" void OnSignal(int) { g_stop.store(true); }

const char* Env(const AgentCommandOptions& o, const char* k) {
  return o.getenv_fn ? o.getenv_fn(k) : std::getenv(k);
}

// Validates the common options and fills AgentOptions; returns 0 or an exit code.
int Prepare(const AgentCommandOptions& o, const std::atomic<bool>* stop, AgentOptions* a,
            std::ostream& err, const char* cmd) {
  if (o.server.empty() || o.key.empty()) {
    err << cmd << ": --server URL and --key KEY are required\n";
    return 2;
  }
  a->roots = o.dirs;
  if (a->roots.empty()) {
    auto r = DefaultClaudeRoots([&](const char* k) { return Env(o, k); });
    if (!r.ok()) {
      err << cmd << ": " << r.status().message() << '\n';
      return 1;
    }
    a->roots = *r;
  }
  a->user = o.user;
  a->client = o.client;
  if (a->user.empty()) {
    const char* u = Env(o, "USER");
    a->user = u && *u ? u : "unknown";
  }
  a->batch_events = o.batch;
  a->stop = stop;
  return 0;
}

void Summary(const AgentStats& s, std::ostream& out) {
  out << "files " << s.files << ", events sent " << s.shipped << ", accepted " << s.accepted
      << ", duplicates " << s.duplicates << ", rejected " << s.rejected << ", malformed lines "
      << s.skipped_lines << '\n';
  if (s.rejected) out << "first rejection: " << s.first_rejection << '\n';
}

}  // namespace

int RunIngestClaude(const AgentCommandOptions& o, std::ostream& out, std::ostream& err) {
  AgentOptions a;
  if (int rc = Prepare(o, nullptr, &a, err, "burnrate ingest --claude")) return rc;
  a.checkpoint_path = o.checkpoint;
  a.max_retries = o.max_retries;
  auto sink = NewHttpEventSink(o.server, o.key);
  if (!sink.ok()) {
    err << "burnrate ingest --claude: " << sink.status().message() << '\n';
    return 2;
  }
  ClaudeAgent agent(a, sink->get());
  Status s = agent.Init();
  Summary(agent.stats(), out);
  if (!s.ok()) {
    err << "burnrate ingest --claude: " << s.message() << '\n';
    return 1;
  }
  return agent.stats().rejected ? 1 : 0;
}

int RunAgent(const AgentCommandOptions& o, const std::atomic<bool>& stop, std::ostream& out,
             std::ostream& err) {
  AgentOptions a;
  if (int rc = Prepare(o, &stop, &a, err, "burnrate agent")) return rc;
  a.checkpoint_path = o.checkpoint;
  if (a.checkpoint_path.empty()) {
    const char* home = Env(o, "HOME");
    std::string dir = std::string(home ? home : ".") + "/.burnrate";
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    a.checkpoint_path = dir + "/claude-agent.checkpoint";
  }
  a.max_retries = -1;
  auto sink = NewHttpEventSink(o.server, o.key);
  if (!sink.ok()) {
    err << "burnrate agent: " << sink.status().message() << '\n';
    return 2;
  }
  ClaudeAgent agent(a, sink->get());
  Status s = agent.Init();
  if (!s.ok() && s.code() != Status::Code::kIOError) {
    err << "burnrate agent: " << s.message() << '\n';
    return 1;
  }
  Summary(agent.stats(), out);
  out.flush();
  s = RunAgentLoop(&agent, stop, o.poll_ms);
  Summary(agent.stats(), out);
  if (!s.ok()) {
    err << "burnrate agent: " << s.message() << '\n';
    return 1;
  }
  return 0;
}

void AddIngestClaudeCommand(CLI::App& app, std::function<void()> other_sources) {
  auto o = std::make_shared<AgentCommandOptions>();
  CLI::App* cmd = nullptr;
  for (CLI::App* sub : app.get_subcommands([](CLI::App* s) { return s->get_name() == "ingest"; }))
    cmd = sub;
  bool shared = cmd != nullptr;
  if (!shared) {
    cmd = app.add_subcommand("ingest", "Import usage into a burnrate server");
    cmd->add_option("--server", o->server, "Server URL, e.g. http://127.0.0.1:8080");
    cmd->add_option("--key", o->key, "API key with role ingest or admin");
  } else if (CLI::Option* files = cmd->get_option_no_throw("files")) {
    files->required(false);
  }
  CLI::Option* claude =
      cmd->add_option("--claude", o->dirs, "Import Claude Code transcripts (default dirs, or DIR)")
          ->expected(0, 1);
  cmd->add_option("--user", o->user,
                  "User (email) of the imported Claude Code events (default $USER)");
  cmd->parse_complete_callback([o, claude, cmd, shared, other_sources] {
    if (other_sources) other_sources();
    if (claude->count() == 0) return;
    if (shared) {
      o->server = cmd->get_option("--server")->as<std::string>();
      o->key = cmd->get_option("--key")->as<std::string>();
    }
    int rc = RunIngestClaude(*o, std::cout, std::cerr);
    if (rc != 0) throw CLI::RuntimeError(rc);
    throw CLI::Success();
  });
}

void AddAgentCommand(CLI::App& app) {
  auto o = std::make_shared<AgentCommandOptions>();
  CLI::App* cmd = app.add_subcommand(
      "agent", "Follow Claude Code transcripts and ship new usage to a server until stopped");
  cmd->add_option("--server", o->server, "Server URL, e.g. http://127.0.0.1:8080")->required();
  cmd->add_option("--key", o->key, "API key with role ingest or admin")->required();
  cmd->add_option("--user", o->user, "User (email) of the events (default $USER)");
  cmd->add_option("--dir", o->dirs, "Claude config dir or transcript dir; repeatable");
  cmd->add_option("--checkpoint", o->checkpoint,
                  "Checkpoint file (default ~/.burnrate/claude-agent.checkpoint)");
  cmd->add_option("--poll-ms", o->poll_ms, "Poll interval in milliseconds")->default_val(1000);
  cmd->add_option("--batch", o->batch, "Events per request")->default_val(2000);
  cmd->callback([o] {
    std::signal(SIGINT, OnSignal);
    std::signal(SIGTERM, OnSignal);
    int rc = RunAgent(*o, g_stop, std::cout, std::cerr);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace burnrate::claude
