// PgTestServer: a PostgreSQL server of the test's own, for the conformance
// suites: initdb and pg_ctl on a temporary directory, listening on
// 127.0.0.1 on a free port (and a socket in that directory), stopped and
// removed at exit. No root daemon: when the test runs as root (initdb
// refuses to), the server runs as the unprivileged user `nobody`
// (runuser), owning only its directory.
//
// Where PostgreSQL's server binaries are not installed
// (scripts/install-deps.sh installs them), unavailable() says why and the
// suites skip with that message.
//
// Thread-safety: Get() is thread-safe (a function-local static); Database()
// is called from the test thread only.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "store/postgres/pg_db.h"

namespace burnrate::store {

class PgTestServer {
 public:
  static PgTestServer& Get() {
    static PgTestServer server;
    return server;
  }
  // Empty when the server runs; otherwise why it does not.
  const std::string& unavailable() const { return unavailable_; }

  // A connection string for a database of its own for `name`, created empty
  // on first use.
  Result<std::string> Database(const std::string& name) {
    std::string db = "t" + std::to_string(std::hash<std::string>{}(name) % 1000000000000ULL);
    BR_ASSIGN_OR_RETURN(auto admin, PgDb::Open(Conninfo("postgres"), "test admin"));
    BR_ASSIGN_OR_RETURN(PgResult r,
                        admin->Query("SELECT 1 FROM pg_database WHERE datname = $1", {db}));
    if (r.rows() == 0) BR_RETURN_IF_ERROR(admin->Exec("CREATE DATABASE " + db));
    return Conninfo(db);
  }

  ~PgTestServer() {
    if (!started_) return;
    Run(bin_ + "/pg_ctl -D " + dir_ + "/data -m immediate -w stop >/dev/null 2>&1");
    std::filesystem::remove_all(dir_);
  }

 private:
  PgTestServer() { Start(); }

  std::string Conninfo(const std::string& db) const {
    return "host=127.0.0.1 port=" + std::to_string(port_) + " user=burnrate dbname=" + db +
           " connect_timeout=10";
  }

  // As `nobody` when we are root.
  int Run(const std::string& cmd) const {
    std::string full = geteuid() == 0 ? "runuser -u nobody -- " + cmd : cmd;
    return std::system(full.c_str());
  }

  static std::string FindBin() {
    for (const char* d : {"/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin",
                          "/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/14/bin"}) {
      if (std::filesystem::exists(std::string(d) + "/initdb")) return d;
    }
    return "";
  }

  static int FreePort() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    int port = 0;
    if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
      port = ntohs(a.sin_port);
    close(fd);
    return port;
  }

  void Start() {
    bin_ = FindBin();
    if (bin_.empty()) {
      unavailable_ = "PostgreSQL server binaries not found (apt-get install postgresql)";
      return;
    }
    char tmpl[] = "/tmp/burnrate-pg-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) {
      unavailable_ = "mkdtemp failed";
      return;
    }
    dir_ = tmpl;
    if (geteuid() == 0 && std::system(("chown nobody: " + dir_).c_str()) != 0) {
      unavailable_ = "cannot give " + dir_ + " to nobody";
      return;
    }
    port_ = FreePort();
    if (Run(bin_ + "/initdb -D " + dir_ + "/data -U burnrate --auth=trust -E UTF8 --no-sync >" +
            dir_ + "/initdb.log 2>&1") != 0) {
      unavailable_ = "initdb failed (see " + dir_ + "/initdb.log)";
      return;
    }
    std::string opts = "-c listen_addresses=127.0.0.1 -p " + std::to_string(port_) + " -k " + dir_;
    if (Run(bin_ + "/pg_ctl -D " + dir_ + "/data -l " + dir_ + "/server.log -w -t 60 -o '" + opts +
            "' start >/dev/null 2>&1") != 0) {
      unavailable_ = "pg_ctl start failed (see " + dir_ + "/server.log)";
      return;
    }
    started_ = true;
  }

  std::string bin_, dir_, unavailable_;
  int port_ = 0;
  bool started_ = false;
};

}  // namespace burnrate::store
