// Aggregation of one user-day. The point is to keep, in constant memory per
// user, exactly the statistics that separate scripted from human use:
//
// * Inter-arrival regularity: Welford mean/variance of gaps between
//   consecutive requests (in arrival order; negative gaps from out-of-order
//   delivery and gaps over idle_max_gap_ms, i.e. breaks, are skipped). A
//   timer loop has a coefficient of variation near 0, uniform jitter of +-50%
//   gives 0.29, Poisson arrivals give 1, human work is burstier than that.
// * Prompt repetition: exact repeats from an adaptive distinct-count sample
//   (1 - distinct/prompts), near repeats from a ring of the last 16 SimHashes.
// * Templates: a Misra-Gries summary keyed by SimHash neighbourhoods, whose
//   dominant entries are compared across accounts by the cluster pass.
// * Concurrency: each session keeps a 96-bit bitmap of the 15-minute slots in
//   which it made requests; the maximum over slots of active sessions is the
//   concurrency, which is robust to long idle sessions that merely stay open.
// * Outcome coverage: tokens of sessions that produced no outcome. Outcomes
//   without a session id are taken to cover the whole day.
// * Plausibility (plausibility.h): each event is checked on its own; each
//   session keeps its time span and output for the output-rate check.
#include "detect/user_day_stats.h"

#include <algorithm>
#include <cmath>

#include "common/hash.h"

namespace burnrate::detect {

void DistinctSampler::Add(uint64_t h) {
  h *= 0x9E3779B97F4A7C15ull;  // spread bits; low bits decide sampling
  h ^= h >> 29;
  uint64_t mask = (1ull << level_) - 1;
  if ((h & mask) != 0) return;
  if (std::find(kept_.begin(), kept_.end(), h) != kept_.end()) return;
  kept_.push_back(h);
  while (kept_.size() > kCapacity && level_ < 63) {
    ++level_;
    mask = (1ull << level_) - 1;
    std::erase_if(kept_, [mask](uint64_t v) { return (v & mask) != 0; });
  }
}

void TemplateSummary::Add(uint64_t simhash, int bits) {
  uint32_t near = 0, empty = 0;  // bit i: slot i holds a near prototype / is free
  for (int i = 0; i < kSlots; ++i) {
    bool used = count_[size_t(i)] > 0;
    near |= uint32_t(used && __builtin_popcountll(simhash_[size_t(i)] ^ simhash) <= bits) << i;
    empty |= uint32_t(!used) << i;
  }
  if (near != 0) {  // the first near slot counts it
    ++count_[size_t(__builtin_ctz(near))];
  } else if (empty != 0) {  // else the first free slot takes it
    size_t i = size_t(__builtin_ctz(empty));
    simhash_[i] = simhash, count_[i] = 1;
  } else {  // else every slot loses one (Misra-Gries)
    for (uint32_t& c : count_) --c;
  }
}

std::array<TemplateSummary::Item, TemplateSummary::kSlots> TemplateSummary::items() const {
  std::array<Item, kSlots> out;
  for (size_t i = 0; i < out.size(); ++i) out[i] = {simhash_[i], count_[i]};
  return out;
}

void UserDayStats::AddGap(TimeMs ts, const DetectConfig& cfg) {
  if (last_ts_ >= 0 && ts >= last_ts_ && ts - last_ts_ <= cfg.idle_max_gap_ms) {
    double g = static_cast<double>(ts - last_ts_);
    ++gap_n_;
    double d = g - gap_mean_;
    gap_mean_ += d / static_cast<double>(gap_n_);
    gap_m2_ += d * (g - gap_mean_);
  }
  if (ts >= last_ts_) last_ts_ = ts;
}

void UserDayStats::AddPrompt(const model::PromptFeatures& p, const DetectConfig& cfg) {
  if (!prompt_) prompt_ = std::make_unique<PromptStats>();
  PromptStats& ps = *prompt_;
  ++ps.prompts;
  if (p.length >= cfg.repeat_min_len) {
    ++ps.repeat_prompts;
    ps.distinct.Add(p.exact_hash);
    bool near = false;  // all 16 compared, without a branch each: most prompts are near none
    for (size_t i = 0; i < ps.recent_sim.size(); ++i)
      near |= (i < ps.recent_n) &
              (__builtin_popcountll(ps.recent_sim[i] ^ p.simhash) <= cfg.near_dup_bits);
    ps.near_dups += near;
    ps.recent_sim[ps.recent_pos] = p.simhash;
    ps.recent_pos = static_cast<uint8_t>((ps.recent_pos + 1) % ps.recent_sim.size());
    if (ps.recent_n < ps.recent_sim.size()) ++ps.recent_n;
  }
  if (p.length >= cfg.low_entropy_min_len && p.compress_ratio <= cfg.low_entropy_ratio)
    ++ps.low_entropy;
  if (p.length >= cfg.cluster_min_prompt_len) {
    ++ps.long_prompts;
    ps.templates.Add(p.simhash, cfg.near_dup_bits);
  }
}

UserDayStats::Session* UserDayStats::FindSession(uint64_t key) {
  if (last_session_ < sessions_.size() && sessions_[last_session_].key == key)
    return &sessions_[last_session_];  // events come in runs of one session
  if (sessions_.size() <= kIndexedSessions) {
    for (uint32_t i = 0; i < sessions_.size(); ++i)
      if (sessions_[i].key == key) return &sessions_[last_session_ = i];
  } else {
    auto it = session_index_->find(key);
    if (it != session_index_->end()) return &sessions_[last_session_ = it->second];
  }
  if (sessions_.size() >= kMaxSessions) return nullptr;
  last_session_ = static_cast<uint32_t>(sessions_.size());
  sessions_.push_back(Session{.key = key});
  if (sessions_.size() == kIndexedSessions + 1) {
    session_index_ = std::make_unique<std::unordered_map<uint64_t, uint32_t>>();
    for (uint32_t i = 0; i < sessions_.size(); ++i) session_index_->emplace(sessions_[i].key, i);
  } else if (sessions_.size() > kIndexedSessions + 1) {
    session_index_->emplace(key, last_session_);
  }
  return &sessions_.back();
}

void UserDayStats::AddUsage(const model::Event& e, TimeMs ts, TimeMs day_start,
                            const DetectConfig& cfg, const model::PriceSnapshot* prices) {
  CheckUsageEvent(e, prices, cfg, implausible_);
  if (!e.team.empty()) team_ = e.team;
  ++requests_;
  int64_t t = e.tokens.Total();
  tokens_ += t;
  input_side_ += e.tokens.input + e.tokens.cache_read + e.tokens.cache_write;
  output_ += e.tokens.output;
  cache_read_ += e.tokens.cache_read;
  int64_t off = std::clamp<int64_t>(ts - day_start, 0, kDayMs - 1);
  ++hour_requests_[off / kHourMs];
  hour_tokens_[off / kHourMs] += t;
  int64_t minute = off / kMinuteMs;
  minutes_[minute / 64] |= 1ull << (minute % 64);
  AddGap(ts, cfg);
  if (e.prompt.present) AddPrompt(e.prompt, cfg);
  auto src = std::find_if(sources_.begin(), sources_.end(),
                          [&](const auto& s) { return s.first == e.source; });
  if (src != sources_.end())
    ++src->second;
  else if (sources_.size() < 4)
    sources_.emplace_back(e.source, 1);

  Session* sp = FindSession(Hash64(e.session));
  if (sp == nullptr) {
    overflow_tokens_ += t;
    return;
  }
  Session& s = *sp;
  int slot = static_cast<int>(off / (15 * kMinuteMs));
  s.slots[slot / 32] |= 1u << (slot % 32);
  s.tokens += t;
  AddSessionTime(s, e, ts, cfg);
  if (clients_.size() < 64) {
    uint64_t ck = Hash64(e.client);
    if (std::find(clients_.begin(), clients_.end(), ck) == clients_.end()) clients_.push_back(ck);
  }
}

void UserDayStats::AddSessionTime(Session& s, const model::Event& e, TimeMs ts,
                                  const DetectConfig& cfg) {
  s.named = !e.session.empty();
  if (s.first_ts < 0) {
    s.first_ts = s.last_ts = ts;
    return;
  }
  TimeMs behind = s.last_ts - ts;
  if (behind > TimeMs(cfg.implausible_reorder_seconds) * kSecondMs)
    TallyOf(implausible_)
        .Add(Implausible::kOutOfOrder, double(behind) / double(kSecondMs), nullptr);
  s.first_ts = std::min(s.first_ts, ts);
  s.last_ts = std::max(s.last_ts, ts);
  s.later_output += e.tokens.output;
}

void UserDayStats::AddOutcome(const model::Event& e) {
  if (!e.team.empty() && team_.empty()) team_ = e.team;
  if (e.outcome_kind == "edit_rejected") return;
  ++outcomes_;
  if (e.session.empty()) {
    sessionless_outcome_ = true;
    return;
  }
  if (Session* s = FindSession(Hash64(e.session))) s->has_outcome = true;
}

static double SafeDiv(double a, double b) { return b > 0 ? a / b : 0; }

UserDayFeatures UserDayStats::Finish(const DetectConfig& cfg) const {
  UserDayFeatures f;
  f.team = team_;
  int64_t most = 0;
  for (const auto& [source, n] : sources_)
    if (n > most) most = n, f.source = source;
  f.requests = requests_, f.tokens = tokens_, f.input_side = input_side_;
  f.output = output_, f.cache_read = cache_read_, f.outcomes = outcomes_;
  for (uint32_t h : hour_requests_) f.hours_active += h > 0;
  f.gaps = gap_n_;
  double var = gap_n_ > 1 ? gap_m2_ / static_cast<double>(gap_n_ - 1) : 0;
  f.gap_cv = SafeDiv(std::sqrt(var), gap_mean_);
  if (prompt_) {
    const PromptStats& ps = *prompt_;
    f.prompts = ps.prompts, f.low_entropy_prompts = ps.low_entropy;
    f.repeat_prompts = ps.repeat_prompts;
    f.exact_dup_rate = ps.repeat_prompts
                           ? std::max(0.0, 1.0 - ps.distinct.Estimate() / double(ps.repeat_prompts))
                           : 0;
    f.near_dup_rate = SafeDiv(double(ps.near_dups), double(ps.repeat_prompts));
  }

  std::array<int, kSlots> active{};
  int64_t free_tokens = overflow_tokens_;
  int sessions_with_usage = 0;
  if (implausible_) f.implausible = *implausible_;
  for (const Session& s : sessions_) {
    if (s.tokens > 0) ++sessions_with_usage;
    if (s.named && s.later_output >= cfg.implausible_rate_min_output) {
      double seconds = double(s.last_ts - s.first_ts) / double(kSecondMs);
      double rate = seconds > 0 ? double(s.later_output) / seconds : double(s.later_output);
      if (rate > cfg.implausible_output_per_second) {
        f.implausible.Add(Implausible::kOutputRate, rate, nullptr);
        f.implausible.tokens += s.tokens;
      }
    }
    if (!s.has_outcome && !sessionless_outcome_) free_tokens += s.tokens;
    for (int i = 0; i < kSlots; ++i) active[i] += (s.slots[i / 32] >> (i % 32)) & 1;
  }
  f.sessions = sessions_with_usage;
  f.clients = static_cast<int>(clients_.size());
  f.max_concurrency = *std::max_element(active.begin(), active.end());
  f.outcome_free_tokens = sessionless_outcome_ ? 0 : free_tokens;

  double rq = static_cast<double>(requests_);
  f.outcomes_per_mtok = SafeDiv(static_cast<double>(outcomes_) * 1e6, static_cast<double>(tokens_));
  f.output_ratio = SafeDiv(static_cast<double>(output_), static_cast<double>(input_side_));
  f.output_per_request = SafeDiv(static_cast<double>(output_), rq);
  f.cache_read_share = SafeDiv(static_cast<double>(cache_read_), static_cast<double>(tokens_));
  f.cache_read_per_request = SafeDiv(static_cast<double>(cache_read_), rq);
  f.outcome_free_share =
      SafeDiv(static_cast<double>(f.outcome_free_tokens), static_cast<double>(tokens_));
  int active_minutes = 0;
  for (uint64_t w : minutes_) active_minutes += __builtin_popcountll(w);
  if (active_minutes >= cfg.sync_min_minutes) f.minutes.assign(minutes_.begin(), minutes_.end());
  if (prompt_ && prompt_->long_prompts > 0) {
    for (const auto& it : prompt_->templates.items()) {
      double share = static_cast<double>(it.count) / static_cast<double>(prompt_->long_prompts);
      if (it.count >= 3 && share >= cfg.cluster_key_share)
        f.templates.emplace_back(it.simhash, share);
    }
  }
  return f;
}

size_t UserDayStats::ApproxBytes() const {
  return sizeof(*this) + team_.capacity() + clients_.capacity() * 8 + sources_.capacity() * 40 +
         sessions_.capacity() * sizeof(Session) +
         (session_index_ ? session_index_->size() * 32 : 0) +
         (implausible_ ? sizeof(ImplausibleTally) : 0) +
         (prompt_ ? sizeof(PromptStats) + DistinctSampler::kCapacity * 8 : 0);
}

}  // namespace burnrate::detect
