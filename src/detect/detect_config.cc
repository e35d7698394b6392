#include "detect/detect_config.h"

#include <toml++/toml.h>

#include <cmath>
#include <utility>

namespace burnrate::detect {
namespace {

struct Field {
  const char* name;
  double DetectConfig::*d = nullptr;
  int DetectConfig::*i = nullptr;
  uint32_t DetectConfig::*u = nullptr;
  TimeMs DetectConfig::*t = nullptr;
  double lo, hi;
};

const Field kFields[] = {
    {"prompt_features", nullptr, &DetectConfig::prompt_features, nullptr, nullptr, 0, 1},
    {"retain_days", nullptr, &DetectConfig::retain_days, nullptr, nullptr, 2, 60},
    {"rescore_settle_seconds", nullptr, &DetectConfig::rescore_settle_seconds, nullptr, nullptr, 0,
     86400},
    {"rescore_chunk_days", nullptr, &DetectConfig::rescore_chunk_days, nullptr, nullptr, 1, 60},
    {"rescore_max_age_days", nullptr, &DetectConfig::rescore_max_age_days, nullptr, nullptr, 2,
     3660},
    {"flag_score", &DetectConfig::flag_score, nullptr, nullptr, nullptr, 1, 100},
    {"high_confidence_score", &DetectConfig::high_confidence_score, nullptr, nullptr, nullptr, 1,
     100},
    {"retract_margin", &DetectConfig::retract_margin, nullptr, nullptr, nullptr, 0, 100},
    {"min_requests", nullptr, &DetectConfig::min_requests, nullptr, nullptr, 1, 1e9},
    {"min_peers", nullptr, &DetectConfig::min_peers, nullptr, nullptr, 1, 1e9},
    {"productive_ratio", &DetectConfig::productive_ratio, nullptr, nullptr, nullptr, 0, 100},
    {"min_outcome_coverage", &DetectConfig::min_outcome_coverage, nullptr, nullptr, nullptr, 0, 1},
    {"idle_min_hours", nullptr, &DetectConfig::idle_min_hours, nullptr, nullptr, 1, 24},
    {"idle_max_gap_cv", &DetectConfig::idle_max_gap_cv, nullptr, nullptr, nullptr, 0, 10},
    {"idle_max_gap_seconds", nullptr, nullptr, nullptr, &DetectConfig::idle_max_gap_ms, 1, 86400},
    {"idle_min_gaps", nullptr, &DetectConfig::idle_min_gaps, nullptr, nullptr, 1, 1e9},
    {"idle_conclusive_hours", nullptr, &DetectConfig::idle_conclusive_hours, nullptr, nullptr, 1,
     24},
    {"idle_conclusive_gap_cv", &DetectConfig::idle_conclusive_gap_cv, nullptr, nullptr, nullptr, 0,
     10},
    {"min_prompts", nullptr, &DetectConfig::min_prompts, nullptr, nullptr, 1, 1e9},
    {"repeat_min_len", nullptr, nullptr, &DetectConfig::repeat_min_len, nullptr, 0, 1e9},
    {"dup_rate", &DetectConfig::dup_rate, nullptr, nullptr, nullptr, 0, 1},
    {"near_dup_rate", &DetectConfig::near_dup_rate, nullptr, nullptr, nullptr, 0, 1},
    {"near_dup_bits", nullptr, &DetectConfig::near_dup_bits, nullptr, nullptr, 0, 32},
    {"low_entropy_min_len", nullptr, nullptr, &DetectConfig::low_entropy_min_len, nullptr, 0, 1e9},
    {"low_entropy_ratio", &DetectConfig::low_entropy_ratio, nullptr, nullptr, nullptr, 0, 2},
    {"low_entropy_share", &DetectConfig::low_entropy_share, nullptr, nullptr, nullptr, 0, 1},
    {"repeat_conclusive_rate", &DetectConfig::repeat_conclusive_rate, nullptr, nullptr, nullptr, 0,
     1},
    {"output_ratio_min", &DetectConfig::output_ratio_min, nullptr, nullptr, nullptr, 0, 1e6},
    {"output_peer_multiple", &DetectConfig::output_peer_multiple, nullptr, nullptr, nullptr, 1,
     1e6},
    {"output_conclusive_ratio", &DetectConfig::output_conclusive_ratio, nullptr, nullptr, nullptr,
     0, 1e6},
    {"parallel_min_sessions", nullptr, &DetectConfig::parallel_min_sessions, nullptr, nullptr, 2,
     1e6},
    {"parallel_peer_multiple", &DetectConfig::parallel_peer_multiple, nullptr, nullptr, nullptr, 1,
     1e6},
    {"parallel_conclusive_multiple", &DetectConfig::parallel_conclusive_multiple, nullptr, nullptr,
     nullptr, 1, 1e6},
    {"cluster_min_accounts", nullptr, &DetectConfig::cluster_min_accounts, nullptr, nullptr, 2,
     1e6},
    {"cluster_key_share", &DetectConfig::cluster_key_share, nullptr, nullptr, nullptr, 0, 1},
    {"cluster_min_prompt_len", nullptr, nullptr, &DetectConfig::cluster_min_prompt_len, nullptr, 0,
     1e9},
    {"cluster_bits", nullptr, &DetectConfig::cluster_bits, nullptr, nullptr, 0, 32},
    {"cluster_max_productive", &DetectConfig::cluster_max_productive, nullptr, nullptr, nullptr, 0,
     1},
    {"sync_min_minutes", nullptr, &DetectConfig::sync_min_minutes, nullptr, nullptr, 1, 1440},
    {"sync_min_jaccard", &DetectConfig::sync_min_jaccard, nullptr, nullptr, nullptr, 0, 1},
    {"sync_chance_multiple", &DetectConfig::sync_chance_multiple, nullptr, nullptr, nullptr, 1,
     1e6},
    {"cache_peer_multiple", &DetectConfig::cache_peer_multiple, nullptr, nullptr, nullptr, 1, 1e6},
    {"cache_output_fraction", &DetectConfig::cache_output_fraction, nullptr, nullptr, nullptr, 0,
     1},
    {"burn_peer_multiple", &DetectConfig::burn_peer_multiple, nullptr, nullptr, nullptr, 1, 1e6},
    {"burn_outcome_free_share", &DetectConfig::burn_outcome_free_share, nullptr, nullptr, nullptr,
     0, 1},
    {"burn_max_outcome_ratio", &DetectConfig::burn_max_outcome_ratio, nullptr, nullptr, nullptr, 0,
     100},
    {"implausible_max_output", &DetectConfig::implausible_max_output, nullptr, nullptr, nullptr, 1,
     1e12},
    {"implausible_max_context", &DetectConfig::implausible_max_context, nullptr, nullptr, nullptr,
     1, 1e12},
    {"implausible_output_per_second", &DetectConfig::implausible_output_per_second, nullptr,
     nullptr, nullptr, 1, 1e9},
    {"implausible_rate_min_output", &DetectConfig::implausible_rate_min_output, nullptr, nullptr,
     nullptr, 0, 1e12},
    {"implausible_future_seconds", nullptr, &DetectConfig::implausible_future_seconds, nullptr,
     nullptr, 0, 1e8},
    {"implausible_reorder_seconds", nullptr, &DetectConfig::implausible_reorder_seconds, nullptr,
     nullptr, 0, 1e8},
    {"implausible_cost_band", &DetectConfig::implausible_cost_band, nullptr, nullptr, nullptr, 1,
     1e6},
    {"implausible_min_input_per_request", &DetectConfig::implausible_min_input_per_request, nullptr,
     nullptr, nullptr, 0, 1e9},
    {"implausible_min_share", &DetectConfig::implausible_min_share, nullptr, nullptr, nullptr, 0,
     1},
};

}  // namespace

Status SetDetectOption(DetectConfig& cfg, std::string_view key, double value) {
  for (const Field& f : kFields) {
    if (key != f.name) continue;
    if (!std::isfinite(value) || value < f.lo || value > f.hi)
      return Status::InvalidArgument("detect." + std::string(key) + " must be between " +
                                     std::to_string(f.lo) + " and " + std::to_string(f.hi));
    bool integral = f.i || f.u || f.t;
    if (integral && value != std::floor(value))
      return Status::InvalidArgument("detect." + std::string(key) + " must be an integer");
    if (f.d) cfg.*f.d = value;
    if (f.i) cfg.*f.i = static_cast<int>(value);
    if (f.u) cfg.*f.u = static_cast<uint32_t>(value);
    if (f.t) cfg.*f.t = static_cast<TimeMs>(value) * kSecondMs;
    return Status::OK();
  }
  return Status::InvalidArgument("unknown option detect." + std::string(key));
}

std::vector<std::string> DetectOptionNames() {
  std::vector<std::string> v;
  for (const Field& f : kFields) v.emplace_back(f.name);
  return v;
}

Status ApplyDetectionToml(const toml::table& root, const std::string& origin, DetectConfig* cfg) {
  const toml::table* t = root["detection"].as_table();
  if (t == nullptr) return Status::OK();
  for (const auto& [key, value] : *t) {
    std::string k(key.str());
    if (k == "score_interval_seconds") continue;
    if (k == "exempt") {
      const toml::array* a = value.as_array();
      if (a == nullptr)
        return Status::InvalidArgument(origin + ": detection.exempt must be a list of user ids");
      for (size_t i = 0; i < a->size(); ++i) {
        auto s = (*a)[i].value<std::string>();
        if (!s)
          return Status::InvalidArgument(origin + ": detection.exempt[" + std::to_string(i) +
                                         "] must be a user id (a string)");
        cfg->exempt.insert(*s);
      }
      continue;
    }
    auto v = value.value<double>();
    if (!v) return Status::InvalidArgument(origin + ": detection." + k + " must be a number");
    Status st = SetDetectOption(*cfg, k, *v);
    if (!st.ok()) return Status::InvalidArgument(origin + ": detection." + k + ": " + st.message());
  }
  return Status::OK();
}

}  // namespace burnrate::detect
