// The detectors. Design rules, so that they hold on organisations we never
// simulated:
//
// 1. Compare with peers, not constants. Volumes and per-request sizes are
//    judged as multiples of the peer median (team, or the whole org when the
//    team has fewer than min_peers scored members). Medians ignore up to half
//    of the group being farmers, and multiples are unit-free.
// 2. Absolute thresholds only where the quantity is dimensionless and has a
//    meaning of its own: hours of 24, a coefficient of variation, a share of
//    prompts, a compression ratio, output vs input tokens.
// 3. Results excuse volume. Every detector except the cross-account one is
//    silenced when the user's outcomes per million tokens reach
//    productive_ratio of the peer median: a long agentic session that ships
//    commits is not farming however big it is. Faking a few outcomes does not
//    help a farmer, because the ratio is per token.
// 4. Each firing detector scores 50 at its threshold, rising linearly to 100
//    at a "clearly beyond" point; the day's score is the maximum plus 5 per
//    additional detector. Wasted tokens are the tokens not covered by
//    outcomes at peer efficiency: tokens x (1 - min(1, outcome ratio)).
// 5. One weak signal never convicts. High confidence counts as waste and
//    throttles without review, so it needs two detectors resting on
//    independent evidence (timing, prompt text, output size, sessions,
//    cache, volume), or one whose evidence is conclusive: a bar so far past
//    its threshold that no legitimate use reaches it (22 hours at a timer's
//    regularity, 90% exact repeats, 32 sessions at once). A near-duplicate
//    rate is never conclusive alone: it is an estimate from a 64-bit sketch,
//    and a lone missing outcome is not evidence at all where the user's team
//    or source reports no outcomes (min_outcome_coverage).
// 6. Impossible data is judged on its own (implausible_usage): physical
//    limits of the models, not peers, and no excuse from outcomes.
#include "detect/detectors.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

namespace burnrate::detect {
namespace {

// 0 at `from`, 1 at `to` (either direction), clamped.
double Lin(double x, double from, double to) {
  if (to == from) return 1;
  return std::clamp((x - from) / (to - from), 0.0, 1.0);
}

Reason Make(const char* detector, std::string summary, double strength, std::vector<Evidence> ev,
            bool conclusive = false) {
  if (conclusive) ev.push_back({"conclusive", 1});
  return Reason{detector, std::move(summary), std::move(ev),
                50 + 50 * std::clamp(strength, 0.0, 1.0)};
}

double EvidenceValue(const Reason& r, std::string_view name) {
  for (const Evidence& e : r.evidence)
    if (e.name == name) return e.value;
  return 0;
}

bool Enough(const UserDayFeatures& f, const DetectConfig& cfg) {
  return f.requests >= cfg.min_requests;
}

double Mult(double x, double median) { return median > 0 ? x / median : (x > 0 ? INFINITY : 0); }

}  // namespace

double OutcomeRatio(const UserDayFeatures& f, const PeerBaseline& p) {
  if (p.outcomes_per_mtok <= 0) return f.outcomes > 0 ? 1.0 : 0.0;
  return f.outcomes_per_mtok / p.outcomes_per_mtok;
}

bool Productive(const UserDayFeatures& f, const PeerBaseline& p, const DetectConfig& cfg) {
  return f.outcomes > 0 && OutcomeRatio(f, p) >= cfg.productive_ratio;
}

std::optional<Reason> DetectIdleLoop(const UserDayFeatures& f, const PeerBaseline& p,
                                     const DetectConfig& cfg) {
  if (!Enough(f, cfg) || Productive(f, p, cfg)) return std::nullopt;
  if (f.hours_active < cfg.idle_min_hours || f.gaps < cfg.idle_min_gaps ||
      f.gap_cv > cfg.idle_max_gap_cv)
    return std::nullopt;
  double s = 0.5 * Lin(f.hours_active, cfg.idle_min_hours, 24) +
             0.5 * Lin(f.gap_cv, cfg.idle_max_gap_cv, 0);
  return Make(
      "idle_loop",
      fmt::format("Active {} of 24 hours at a machine-regular pace (gap variation {:.2f}, {} "
                  "requests) with {} outcomes.",
                  f.hours_active, f.gap_cv, f.requests, f.outcomes),
      s,
      {{"hours_active", double(f.hours_active)},
       {"gap_cv", f.gap_cv},
       {"requests", double(f.requests)},
       {"outcomes", double(f.outcomes)}},
      f.hours_active >= cfg.idle_conclusive_hours && f.gap_cv <= cfg.idle_conclusive_gap_cv);
}

std::optional<Reason> DetectRepetitivePrompts(const UserDayFeatures& f, const PeerBaseline& p,
                                              const DetectConfig& cfg) {
  if (!Enough(f, cfg) || Productive(f, p, cfg)) return std::nullopt;
  // Repeats are judged on prompts of repeat_min_len bytes or more, filler on
  // all prompts; each needs min_prompts of them.
  bool repeats = f.repeat_prompts >= cfg.min_prompts, filler = f.prompts >= cfg.min_prompts;
  double le = filler ? double(f.low_entropy_prompts) / double(f.prompts) : 0.0;
  bool dup = repeats && f.exact_dup_rate >= cfg.dup_rate,
       near = repeats && f.near_dup_rate >= cfg.near_dup_rate;
  bool low = filler && le >= cfg.low_entropy_share;
  if (!dup && !near && !low) return std::nullopt;
  double s = std::max({dup ? Lin(f.exact_dup_rate, cfg.dup_rate, 1) : 0.0,
                       near ? Lin(f.near_dup_rate, cfg.near_dup_rate, 1) : 0.0,
                       low ? Lin(le, cfg.low_entropy_share, 1) : 0.0});
  return Make(
      "repetitive_prompts",
      fmt::format(
          "Of {} prompts of {}+ bytes, {:.0f}% were exact repeats and {:.0f}% near-duplicates "
          "of a recent prompt; of all {}, {:.0f}% were long low-entropy filler.",
          f.repeat_prompts, cfg.repeat_min_len, 100 * f.exact_dup_rate, 100 * f.near_dup_rate,
          f.prompts, 100 * le),
      s,
      {{"prompts", double(f.prompts)},
       {"repeat_prompts", double(f.repeat_prompts)},
       {"exact_dup_rate", f.exact_dup_rate},
       {"near_dup_rate", f.near_dup_rate},
       {"low_entropy_share", le}},
      (dup && f.exact_dup_rate >= cfg.repeat_conclusive_rate) ||
          (low && le >= cfg.repeat_conclusive_rate));
}

std::optional<Reason> DetectOutputFarming(const UserDayFeatures& f, const PeerBaseline& p,
                                          const DetectConfig& cfg) {
  if (!Enough(f, cfg) || Productive(f, p, cfg)) return std::nullopt;
  double mult = Mult(f.output_per_request, p.output_per_request);
  if (f.output_ratio < cfg.output_ratio_min || mult < cfg.output_peer_multiple) return std::nullopt;
  double s = std::max(Lin(f.output_ratio, cfg.output_ratio_min, 5 * cfg.output_ratio_min),
                      Lin(mult, cfg.output_peer_multiple, 4 * cfg.output_peer_multiple));
  return Make(
      "output_farming",
      fmt::format("Generated {:.1f} output tokens per input token, {:.0f} per request "
                  "({:.1f}x the peer median), with {} outcomes.",
                  f.output_ratio, f.output_per_request, mult, f.outcomes),
      s,
      {{"output_ratio", f.output_ratio},
       {"output_per_request", f.output_per_request},
       {"peer_output_per_request", p.output_per_request},
       {"outcomes", double(f.outcomes)}},
      f.output_ratio >= cfg.output_conclusive_ratio && mult >= 2 * cfg.output_peer_multiple);
}

std::optional<Reason> DetectParallelFarm(const UserDayFeatures& f, const PeerBaseline& p,
                                         const DetectConfig& cfg) {
  if (!Enough(f, cfg) || Productive(f, p, cfg)) return std::nullopt;
  double thr =
      std::max<double>(cfg.parallel_min_sessions, cfg.parallel_peer_multiple * p.concurrency);
  if (f.max_concurrency < thr) return std::nullopt;
  return Make("parallel_farm",
              fmt::format("Ran up to {} sessions at once (peer median {:.0f}), {} sessions on {} "
                          "clients, with {} outcomes.",
                          f.max_concurrency, p.concurrency, f.sessions, f.clients, f.outcomes),
              Lin(f.max_concurrency, thr, 4 * thr),
              {{"max_concurrency", double(f.max_concurrency)},
               {"peer_concurrency", p.concurrency},
               {"sessions", double(f.sessions)},
               {"clients", double(f.clients)}},
              f.max_concurrency >= cfg.parallel_conclusive_multiple * thr);
}

std::optional<Reason> DetectBotFarm(const UserDayFeatures& f, const PeerBaseline& p,
                                    const DetectConfig& cfg) {
  if (!Enough(f, cfg) || Productive(f, p, cfg)) return std::nullopt;
  bool templates = f.cluster_accounts >= cfg.cluster_min_accounts &&
                   f.cluster_share >= cfg.cluster_key_share &&
                   f.cluster_productive <= cfg.cluster_max_productive;
  bool timing = f.sync_accounts >= cfg.cluster_min_accounts;
  if (!templates && !timing) return std::nullopt;
  int accounts = std::max(templates ? f.cluster_accounts : 0, timing ? f.sync_accounts : 0);
  double s = std::max(Lin(accounts, cfg.cluster_min_accounts, 4 * cfg.cluster_min_accounts),
                      templates ? Lin(f.cluster_share, cfg.cluster_key_share, 1) : 0.0);
  std::string summary =
      templates
          ? fmt::format(
                "{:.0f}% of its prompts follow templates shared with {} other accounts, with {} "
                "outcomes.",
                100 * f.cluster_share, f.cluster_accounts - 1, f.outcomes)
          : fmt::format(
                "Active in the same minutes as {} other accounts, far beyond chance, with {} "
                "outcomes.",
                f.sync_accounts - 1, f.outcomes);
  return Make("bot_farm", std::move(summary), s,
              {{"cluster_accounts", double(f.cluster_accounts)},
               {"template_share", f.cluster_share},
               {"cluster_productive_share", f.cluster_productive},
               {"sync_accounts", double(f.sync_accounts)},
               {"outcomes", double(f.outcomes)}},
              templates && timing);  // shared templates and shared timing: two kinds of evidence
}

std::optional<Reason> DetectCacheReplay(const UserDayFeatures& f, const PeerBaseline& p,
                                        const DetectConfig& cfg) {
  if (!Enough(f, cfg) || Productive(f, p, cfg)) return std::nullopt;
  double ctx = Mult(f.cache_read_per_request, p.cache_read_per_request);
  double out = p.output_per_request > 0 ? f.output_per_request / p.output_per_request : 1;
  if (ctx < cfg.cache_peer_multiple || out > cfg.cache_output_fraction ||
      f.cache_read_share < 0.5 || f.requests < p.requests)
    return std::nullopt;
  double s = std::max(Lin(ctx, cfg.cache_peer_multiple, 4 * cfg.cache_peer_multiple),
                      Lin(out, cfg.cache_output_fraction, 0));
  return Make(
      "cache_replay",
      fmt::format("Replayed a cached context of {:.0f} tokens per request ({:.1f}x peers) for "
                  "{:.0f} output tokens per request, {} times, with {} outcomes.",
                  f.cache_read_per_request, ctx, f.output_per_request, f.requests, f.outcomes),
      s,
      {{"cache_read_per_request", f.cache_read_per_request},
       {"context_vs_peers", ctx},
       {"output_per_request", f.output_per_request},
       {"cache_read_share", f.cache_read_share},
       {"requests", double(f.requests)}});
}

std::optional<Reason> DetectOutcomeFreeBurn(const UserDayFeatures& f, const PeerBaseline& p,
                                            const DetectConfig& cfg) {
  if (!Enough(f, cfg) || p.outcomes_per_mtok <= 0)
    return std::nullopt;  // no outcome data: no opinion
  // The user's team or source has no outcome integration: nothing is missing.
  if (p.team_outcome_coverage < cfg.min_outcome_coverage ||
      p.source_outcome_coverage < cfg.min_outcome_coverage)
    return std::nullopt;
  double vol = Mult(double(f.tokens), p.tokens);
  double ratio = OutcomeRatio(f, p);
  if (vol < cfg.burn_peer_multiple || f.outcome_free_share < cfg.burn_outcome_free_share ||
      ratio > cfg.burn_max_outcome_ratio)
    return std::nullopt;
  return Make("outcome_free_burn",
              fmt::format("Used {} tokens ({:.1f}x the peer median), {:.0f}% in sessions with no "
                          "outcome, at {:.2f}x peer outcome efficiency.",
                          f.tokens, vol, 100 * f.outcome_free_share, ratio),
              Lin(vol, cfg.burn_peer_multiple, 4 * cfg.burn_peer_multiple),
              {{"tokens", double(f.tokens)},
               {"tokens_vs_peers", vol},
               {"outcome_free_share", f.outcome_free_share},
               {"outcome_ratio", ratio}});
}

namespace {

// The limit a kind of implausibility is measured against, and its unit.
std::pair<double, const char*> ImplausibleLimit(Implausible k, const DetectConfig& cfg) {
  switch (k) {
    case Implausible::kOutputPerRequest:
      return {cfg.implausible_max_output, "output tokens in one request"};
    case Implausible::kContextPerRequest:
      return {cfg.implausible_max_context, "input tokens per request"};
    case Implausible::kOutputRate:
      return {cfg.implausible_output_per_second, "output tokens/s over a session"};
    case Implausible::kFutureTime:
      return {double(cfg.implausible_future_seconds), "s after arrival"};
    case Implausible::kOutOfOrder:
      return {double(cfg.implausible_reorder_seconds), "s before the session's latest"};
    case Implausible::kUnknownModel:
      return {0, "events of a model no price or family knows"};
    case Implausible::kCostBand:
      return {cfg.implausible_cost_band, "x our price"};
    case Implausible::kRequestCount:
      return {0, "requests beyond its prompt tokens"};
    case Implausible::kConflictingDuplicate:
      return {1, "ids reported again by their source with other usage"};
  }
  return {0, ""};
}

}  // namespace

std::optional<Reason> DetectImplausibleUsage(const UserDayFeatures& f, const PeerBaseline&,
                                             const DetectConfig& cfg) {
  const ImplausibleTally& t = f.implausible;
  if (!t.Any()) return std::nullopt;
  double requests = double(std::max<int64_t>(1, f.requests)), strength = 0;
  bool conclusive = false;
  std::string parts;
  std::vector<Evidence> ev;
  for (int i = 0; i < kImplausibleKinds; ++i) {
    auto k = static_cast<Implausible>(i);
    int64_t n = t.events[size_t(i)];
    bool alone = ImplausibleAlone(k);
    if (n == 0 || (!alone && (n < 3 || double(n) / requests < cfg.implausible_min_share))) continue;
    auto [limit, unit] = ImplausibleLimit(k, cfg);
    double worst = t.worst[size_t(i)];
    if (!parts.empty()) parts += "; ";
    if (k == Implausible::kUnknownModel) {
      parts += fmt::format("{} {}", n, unit);
    } else if (k == Implausible::kConflictingDuplicate) {
      parts += fmt::format("{} {} ({}: {})", n, ImplausibleName(k), unit,
                           fmt::join(t.conflict_ids, ", "));
    } else {
      parts += fmt::format("{} {} (worst {:.0f} {}, limit {:.0f})", n, ImplausibleName(k), worst,
                           unit, limit);
    }
    ev.push_back({std::string(ImplausibleName(k)) + "_events", double(n)});
    if (k != Implausible::kUnknownModel && k != Implausible::kConflictingDuplicate)
      ev.push_back({std::string(ImplausibleName(k)) + "_worst", worst});
    if (k == Implausible::kConflictingDuplicate) {
      strength = std::max(strength, Lin(double(n), limit, 10 * limit));  // never conclusive
    } else if (alone) {
      double far = k == Implausible::kCostBand ? 10 : 2 * limit;
      conclusive |= worst >= far;
      strength = std::max(strength, Lin(worst, limit, far));
    }
  }
  if (parts.empty()) return std::nullopt;
  ev.push_back({"implausible_tokens", double(t.tokens)});
  ev.push_back({"requests", double(f.requests)});
  std::string example = t.example.empty() ? "" : fmt::format(" First: {}.", t.example);
  return Make(
      "implausible_usage",
      fmt::format("Usage no real request has, of {} requests: {}.{}", f.requests, parts, example),
      strength, std::move(ev), conclusive);
}

bool Conclusive(const Reason& r) { return EvidenceValue(r, "conclusive") > 0; }

std::string EvidenceBasis(const Reason& r, const DetectConfig& cfg) {
  if (r.detector == "idle_loop") return "timing";
  if (r.detector == "repetitive_prompts") return "prompts";
  if (r.detector == "output_farming") return "output";
  if (r.detector == "parallel_farm") return "sessions";
  if (r.detector == "cache_replay") return "cache";
  if (r.detector == "implausible_usage") return "plausibility";
  if (r.detector == "bot_farm")
    return EvidenceValue(r, "template_share") >= cfg.cluster_key_share &&
                   EvidenceValue(r, "cluster_accounts") >= cfg.cluster_min_accounts
               ? "prompts"
               : "timing";
  return "volume";  // outcome_free_burn
}

bool EvidenceSuffices(const std::vector<Reason>& reasons, const DetectConfig& cfg) {
  std::vector<std::string> bases;
  for (const Reason& r : reasons) {
    if (Conclusive(r)) return true;
    std::string b = EvidenceBasis(r, cfg);
    if (std::find(bases.begin(), bases.end(), b) == bases.end()) bases.push_back(std::move(b));
  }
  return bases.size() >= 2;
}

Verdict Evaluate(const UserDayFeatures& f, const PeerBaseline& p, const DetectConfig& cfg) {
  Verdict v;
  v.exempt = cfg.exempt.count(f.user) > 0;
  if (v.exempt) return v;
  for (auto* d :
       {DetectIdleLoop, DetectRepetitivePrompts, DetectOutputFarming, DetectParallelFarm,
        DetectBotFarm, DetectCacheReplay, DetectOutcomeFreeBurn, DetectImplausibleUsage}) {
    if (auto r = d(f, p, cfg)) v.reasons.push_back(std::move(*r));
  }
  if (v.reasons.empty()) return v;
  std::sort(v.reasons.begin(), v.reasons.end(),
            [](const Reason& a, const Reason& b) { return a.score > b.score; });
  v.score = std::min(100.0, v.reasons[0].score + 5.0 * double(v.reasons.size() - 1));
  double hold = std::max(cfg.flag_score, cfg.high_confidence_score - 1);
  if (v.score > hold && !EvidenceSuffices(v.reasons, cfg)) {
    v.score = hold;
    v.held_below_high_confidence = true;
  }
  double covered = std::min(1.0, OutcomeRatio(f, p));
  v.wasted_tokens = static_cast<int64_t>(double(f.tokens) * (1 - covered));
  // Fabricated usage is waste whatever the outcomes, and on its own only the
  // tokens of the implausible events are.
  bool implausible = std::any_of(v.reasons.begin(), v.reasons.end(),
                                 [](const Reason& r) { return r.detector == "implausible_usage"; });
  if (implausible) {
    int64_t fabricated = std::min(f.tokens, f.implausible.tokens);
    v.wasted_tokens = v.reasons.size() == 1 ? fabricated : std::max(v.wasted_tokens, fabricated);
  }
  return v;
}

}  // namespace burnrate::detect
