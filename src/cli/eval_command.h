// `burnrate eval-detection`: runs a labelled persona simulation through the
// detectors and reports precision, recall and false-positive rate per persona
// and overall.
//
// Events reach the detectors through an IngestFn. The default feeds
// DetectionEngine::Observe directly; the app passes its real ingest path
// (e.g. [&](auto evs) { return app.IngestEvents(std::move(evs)); }) with the
// engine it wired as the ingest listener. Swapping is that one argument.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "detect/detect.h"
#include "sim/corpus_org.h"
#include "sim/personas.h"

namespace CLI {
class App;
}

namespace burnrate::cli {

struct EvalOptions {
  // "personas" (sim/personas.h) or "corpus" (sim/corpus_org.h, written
  // independently, real text from corpus_dir). users, days, seed and
  // farm_share of `sim` apply to both.
  std::string generator = "personas";
  std::string corpus_dir = "tests/data/real_text";
  sim::PersonaOptions sim;
  int min_flag_days = 2;  // a user counts as flagged after this many flagged days
  bool check = false;     // exit code 1 when a target is missed
  bool json = false;      // print the report as JSON
  int foreign_users = 0;  // > 0: also run the foundation simulator's org (all legit)
};

// False positives on an organisation from a different generator
// (sim::Simulator, no farmers): every flagged user is a false positive.
struct ForeignOrgResult {
  int users = 0, active_users = 0, flagged_users = 0;
  int64_t events = 0, flagged_days = 0;
  double fpr = 0;
};
Result<ForeignOrgResult> RunForeignOrg(int users, int days, uint64_t seed, int min_flag_days);

// Prompt texts for --legit-prompts: one per line, a literal \n is a line
// break, blank lines and lines starting with '#' are skipped. Load: the
// same from a file; InvalidArgument naming the file when it cannot be read
// or holds no prompt.
std::vector<std::string> ParsePromptLines(std::string_view content);
Result<std::vector<std::string>> LoadPromptLines(const std::string& path);

struct PersonaResult {
  std::string persona;
  bool farming = false;
  int users = 0, flagged_users = 0;
  int64_t user_days = 0, flagged_days = 0;
  std::map<std::string, int> detectors;  // flagged days on which each detector fired
};

// What the evaluation loop needs of a labelled organisation, whichever
// generator made it. ordinary: the persona whose users are left out of the
// "non-ordinary" FPR.
struct OrgUnderTest {
  std::string generator;
  std::vector<sim::LabelledUser> users;
  std::vector<std::string> persona_order;  // table rows, in this order
  std::string ordinary;
  int days = 0;
  TimeMs start = 0;
  std::function<void(int day, std::vector<model::Event>*)> generate;
};
OrgUnderTest PersonaOrg(const sim::PersonaOptions& o);
Result<OrgUnderTest> CorpusOrgUnderTest(const sim::PersonaOptions& o,
                                        const std::string& corpus_dir);

struct EvalReport {
  std::string generator;
  std::vector<PersonaResult> personas;
  double precision = 0, recall = 0, fpr_legit = 0, fpr_heavy_legit = 0;
  int legit_high_confidence_users = 0;  // legitimate users with any high-confidence flag
  double day_precision = 0, day_recall = 0;
  int64_t events = 0, scored_days = 0;
  double seconds = 0, max_score_seconds = 0;
  size_t feature_bytes = 0;
  ForeignOrgResult foreign;
  bool MeetsTargets() const {
    return precision >= 0.95 && recall >= 0.90 && fpr_legit <= 0.005 && fpr_heavy_legit <= 0.005 &&
           legit_high_confidence_users == 0;
  }
};

using IngestFn = std::function<Status(std::vector<model::Event>)>;

// Generates options.sim.days (+1 for spill-over) days, ingests each, scores
// the completed UTC days on `engine`, and compares flags with the labels.
// `ingest` defaults to engine.Observe for every event.
Result<EvalReport> RunEvaluation(const EvalOptions& options, detect::DetectionEngine& engine,
                                 IngestFn ingest = nullptr);
// The same loop on any labelled organisation.
Result<EvalReport> RunEvaluationOn(const OrgUnderTest& org, int min_flag_days,
                                   detect::DetectionEngine& engine, IngestFn ingest = nullptr);
// Builds an IngestFn that sends events through the real ingest path (parse
// checks, identity, cost, de-duplication, durable SQLite commit) and on to
// `engine` as its listener. The CLI layer, which may depend on the ingest
// layer, installs one at start-up; without it RunEvalDetection feeds
// Observe directly.
using IngestPathFactory =
    std::function<Result<IngestFn>(detect::DetectionEngine& engine, const Clock& clock)>;
void SetIngestPathFactory(IngestPathFactory f);

std::string FormatReport(const EvalReport& r);  // human-readable table
std::string ReportJson(const EvalReport& r);

// Builds an engine (exempting the simulation's declared batch jobs), runs the
// evaluation, prints the report. Returns the process exit code.
int RunEvalDetection(const EvalOptions& options);
void AddEvalDetectionCommand(CLI::App& app);

}  // namespace burnrate::cli
