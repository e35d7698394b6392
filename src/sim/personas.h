// Labelled personas for evaluating the farming detectors.
//
// PersonaSim generates an organisation of users, each with a ground-truth
// persona: legitimate (ordinary engineer, heavy agentic coder, night shift /
// other time zones, bursty on-call, declared batch evaluation job, CI service
// account, newcomer) or farming (idle loop, prompt stuffer, output farmer,
// parallel-session farm, distributed bot farm (even-numbered farms share
// prompt templates, odd-numbered ones fire on a shared schedule with varied
// prompts), cache replayer, adaptive
// farmer with jitter, varied prompts and a few fake outcomes).
// GenerateDay() yields model::Events whose prompt features are computed from
// generated prompt TEXT by model::ComputePromptFeatures (the text can be
// returned too, for NDJSON output). Deterministic for a given options value.
// Thread-safety: GenerateDay may be called concurrently for different days.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "model/event.h"

namespace burnrate::sim {

enum class Persona : uint8_t {
  kNormal,
  kHeavyAgentic,
  kNightShift,
  kOnCall,
  kBatchEval,
  kCiService,
  kNewcomer,
  kIdleLoop,
  kPromptStuffer,
  kOutputFarmer,
  kParallelFarm,
  kBotFarm,
  kCacheReplayer,
  kAdaptiveFarmer,
};
inline constexpr int kPersonaCount = 14;
const char* PersonaName(Persona p);
bool IsFarming(Persona p);

struct PersonaOptions {
  int users = 10000;
  int days = 14;
  uint64_t seed = 1;
  TimeMs start = 1772409600000;  // 2026-03-02T00:00:00Z, a Monday
  double rate_scale = 1.0;       // multiplies request rates of every persona
  double token_scale = 1.0;      // multiplies token counts of every request
  double farm_share = 0.06;      // share of users that farm
  int team_size = 12;
  int bot_farm_size = 20;  // accounts per distributed bot farm
  // When set, legitimate personas take each prompt from these texts (drawn
  // uniformly) instead of generating words: other prompt texts for the same
  // organisation (eval-detection --legit-prompts).
  std::shared_ptr<const std::vector<std::string>> legit_prompts;
};

struct PersonaUser {
  std::string name, team;
  Persona persona = Persona::kNormal;
  int tz_offset_min = 0;  // local = UTC + offset
  uint64_t seed = 0;
  int group = -1;  // bot farm index
};

class PersonaSim {
 public:
  explicit PersonaSim(PersonaOptions o);

  const std::vector<PersonaUser>& users() const { return users_; }
  std::unordered_map<std::string, Persona> Labels() const;
  // Declared batch jobs: the exemption list a real deployment would configure.
  std::vector<std::string> ExemptUsers() const;

  // Appends the events of simulated day `d` (0-based; local days of each
  // user, so timestamps may spill into the neighbouring UTC days), sorted by
  // ts. When `texts` is given it receives the prompt text of each appended
  // event ("" when none), index-aligned with the appended events.
  void GenerateDay(int d, std::vector<model::Event>* out,
                   std::vector<std::string>* texts = nullptr) const;

 private:
  PersonaOptions o_;
  std::vector<PersonaUser> users_;
  std::vector<std::vector<std::string>> farm_templates_;  // per bot farm
};

}  // namespace burnrate::sim
