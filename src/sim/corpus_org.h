// CorpusOrg: a labelled organisation generated independently of
// PersonaSim (sim/personas.h), for evaluating the farming detectors on data
// they were not built on. Its prompt texts are real documents (the Debian
// text corpus of tests/data/real_text: licence notices, C headers, man
// pages, changelogs, dpkg logs), not generated words.
//
// Legitimate personas: engineer (questions about code excerpts, short
// follow-ups, commits), researcher (a different long document each time
// under one shared instruction, no outcomes), log_paster (CI and install
// logs, some pasted again after a re-run), reviewer (changelog entries to
// review, few outcomes), night_owl (an engineer in another time zone with
// late hours). A third of the teams have no outcome integration: none of
// their members ever reports an outcome, and they use another source.
// Farming personas: timer_loop (a fixed prompt on a jittered timer most of
// the day), repeat_varied (one long prompt sent again and again with a few
// words changed), output_farm (essay requests with huge outputs),
// parallel_sessions (dozens of sessions at once), bot_farm (groups of
// accounts sharing prompt templates and a schedule).
//
// Deterministic for given options and corpus. Thread-safety: GenerateDay is
// const and may run concurrently.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "model/event.h"

namespace burnrate::sim {

// The real-text corpus: kind ("copyright", "header", "man", "changelog",
// "log") -> documents. InvalidArgument naming the directory when it holds
// no kind or a kind holds no document.
using TextCorpus = std::map<std::string, std::vector<std::string>>;
Result<TextCorpus> LoadTextCorpus(const std::string& dir);

struct LabelledUser {
  std::string name, team, persona;
  bool farming = false;
  bool exempt = false;  // a declared batch job (none here; kept for the evaluator)
};

struct CorpusOrgOptions {
  int users = 600;
  int days = 5;
  uint64_t seed = 1;
  TimeMs start = 1772409600000;  // 2026-03-02T00:00:00Z, a Monday
  double farm_share = 0.08;
  int team_size = 10;
  double no_outcome_teams = 0.33;  // share of teams without outcome integration
  int bot_group = 8;               // accounts per bot farm
};

class CorpusOrg {
 public:
  CorpusOrg(CorpusOrgOptions o, TextCorpus corpus);

  const std::vector<LabelledUser>& users() const { return users_; }
  // Appends the events of day d (0-based) of every user, prompt features
  // computed from the text (text not kept).
  void GenerateDay(int d, std::vector<model::Event>* out) const;

 private:
  struct Member {
    int persona = 0;
    int tz_min = 0;        // local = UTC + tz_min
    bool outcomes = true;  // the team reports outcomes
    int group = -1;        // bot farm
    uint64_t seed = 0;
  };
  CorpusOrgOptions o_;
  TextCorpus corpus_;
  std::vector<LabelledUser> users_;
  std::vector<Member> members_;
  std::vector<std::string> log_lines_;  // every log document's lines, in order
};

}  // namespace burnrate::sim
