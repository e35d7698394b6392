// `burnrate keys create|list|revoke --db FILE`: API keys, managed on the
// database file directly (the first admin key cannot come from the API).
#include <iostream>

#include "app/app.h"
#include "cli/cli.h"
#include "store/store.h"

namespace burnrate::cli {

void AddKeysCommand(CLI::App& app) {
  auto* keys = app.add_subcommand("keys", "Manage API keys (stored hashed)");
  keys->require_subcommand(1);
  auto db = std::make_shared<std::string>("burnrate.db");
  auto role = std::make_shared<std::string>();
  auto label = std::make_shared<std::string>();
  auto user = std::make_shared<std::string>();
  auto team = std::make_shared<std::string>();
  auto project = std::make_shared<std::string>();
  auto id = std::make_shared<std::string>();
  auto open = [db]() -> std::unique_ptr<store::Store> {
    auto s = app::OpenStore(*db);
    if (!s.ok()) {
      std::cerr << "burnrate: " << s.status().message() << "\n";
      ExitCode() = 1;
      return nullptr;
    }
    return std::move(*s);
  };

  auto* create = keys->add_subcommand("create", "Create a key and print it once");
  create->add_option("--db", *db, "SQLite database file or postgresql:// URL")
      ->default_val("burnrate.db");
  create->add_option("--role", *role, "admin, viewer, ingest, self or gateway")->required();
  create->add_option("--label,--name", *label, "A note for humans");
  create->add_option("--user", *user, "For roles self and gateway: the user the key belongs to");
  create->add_option("--team", *team, "For role gateway: the team its usage counts for");
  create->add_option("--project", *project, "For role gateway: the project its usage counts for");
  create->callback([=] {
    auto s = open();
    if (!s) return;
    auto secret =
        app::CreateApiKey(*s, *role, *label, *user, SystemClock::Get().NowMs(), *team, *project);
    if (!secret.ok()) {
      std::cerr << "burnrate keys create: " << secret.status().message() << "\n";
      ExitCode() = 2;
      return;
    }
    std::cout << *secret << "\n";
  });

  auto* list = keys->add_subcommand("list", "List keys (ids and roles, never secrets)");
  list->add_option("--db", *db, "SQLite database file or postgresql:// URL")
      ->default_val("burnrate.db");
  list->callback([=] {
    auto s = open();
    if (!s) return;
    auto all = s->ListKeys();
    if (!all.ok()) {
      std::cerr << "burnrate: " << all.status().message() << "\n";
      ExitCode() = 1;
      return;
    }
    for (const auto& k : *all) {
      std::cout << k.id << "\t" << k.role << "\t" << (k.revoked ? "revoked" : "active") << "\t"
                << k.label;
      if (k.role == "gateway") std::cout << "\t" << k.user << "\t" << k.team << "\t" << k.project;
      std::cout << "\n";
    }
  });

  auto* revoke = keys->add_subcommand("revoke", "Revoke a key by id");
  revoke->add_option("--db", *db, "SQLite database file or postgresql:// URL")
      ->default_val("burnrate.db");
  revoke->add_option("id", *id, "Key id (k_...)")->required();
  revoke->callback([=] {
    auto s = open();
    if (!s) return;
    Status st = s->RevokeKey(*id);
    if (!st.ok()) {
      std::cerr << "burnrate keys revoke: " << st.message() << "\n";
      ExitCode() = 1;
    }
  });
}

}  // namespace burnrate::cli
