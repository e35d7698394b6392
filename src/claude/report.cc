// Report aggregation.
//
// Calendar reports bucket each entry by the local day/week/month that
// contains its timestamp in the requested time zone; a one-interval cache
// ([bucket start, next bucket start)) avoids a tz lookup per entry, since
// entries of a file arrive mostly in time order. DST days are 23 or 25
// hours long and are handled by TimeZone, not by adding 24 h.
//
// Blocks follow ccusage's identifySessionBlocks: entries sorted by time; a
// block starts at the UTC hour of its first entry and lasts 5 h; an entry
// more than 5 h after the block start, or more than 5 h after the previous
// entry, opens a new block (with a gap row in between for the latter). The
// block containing `now` (last entry within 5 h and now before the block's
// end) is active: its burn rate is tokens (and cost) per minute between its
// first and last entry, projected linearly to the block's end.
#include "claude/report.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

#include "common/time_util.h"

namespace burnrate::claude {
namespace {

constexpr TimeMs kBlockMs = 5 * kHourMs;
constexpr std::string_view kSynthetic = "<synthetic>";

struct Accum {
  ReportRow row;
  std::map<uint32_t, ModelTotals> models;  // by model string id
};

void Add(Accum* a, const UsageEntry& e, const model::Priced& cost, const StringTable& strings) {
  ReportRow& r = a->row;
  bool estimated = cost.basis == model::CostBasis::kEstimated,
       unpriced = cost.basis == model::CostBasis::kUnpriced;
  if (r.requests == 0 || e.ts < r.first_ts) r.first_ts = e.ts;
  if (r.requests == 0 || e.ts > r.last_ts) r.last_ts = e.ts;
  r.tokens += e.tokens;
  r.cost_nanos += cost.cost_nanos;
  r.cost_estimated |= estimated, r.cost_unpriced |= unpriced;
  ++r.requests;
  if (strings[e.model] == kSynthetic) return;
  ModelTotals& m = a->models[e.model];
  if (m.model.empty()) m.model = strings[e.model].empty() ? "unknown" : strings[e.model];
  m.tokens += e.tokens;
  m.cost_nanos += cost.cost_nanos;
  m.cost_estimated |= estimated, m.cost_unpriced |= unpriced;
  ++m.requests;
}

using Costs = std::vector<model::Priced>;

ReportRow Finish(Accum&& a) {
  ReportRow r = std::move(a.row);
  for (auto& [id, m] : a.models) r.models.push_back(std::move(m));
  std::sort(r.models.begin(), r.models.end(), [](const ModelTotals& x, const ModelTotals& y) {
    if (x.cost_nanos != y.cost_nanos) return x.cost_nanos > y.cost_nanos;
    if (x.tokens.Total() != y.tokens.Total()) return x.tokens.Total() > y.tokens.Total();
    return x.model < y.model;
  });
  return r;
}

// Maps instants to calendar bucket starts, caching the last interval.
class Bucketer {
 public:
  Bucketer(const ReportSpec& spec) : spec_(spec) {}
  TimeMs Start(TimeMs t) {
    if (t >= lo_ && t < hi_) return lo_;
    const TimeZone& tz = spec_.tz;
    switch (spec_.kind) {
      case ReportKind::kWeekly:
        if (spec_.week_starts_sunday) {
          lo_ = tz.AddDays(tz.WeekStart(tz.AddDays(tz.DayStart(t), 1)), -1);
        } else {
          lo_ = tz.WeekStart(t);
        }
        hi_ = tz.AddDays(lo_, 7);
        break;
      case ReportKind::kMonthly:
        lo_ = tz.MonthStart(t), hi_ = tz.AddMonths(lo_, 1);
        break;
      default:
        lo_ = tz.DayStart(t), hi_ = tz.AddDays(lo_, 1);
    }
    return lo_;
  }

 private:
  const ReportSpec& spec_;
  TimeMs lo_ = 1, hi_ = 0;
};

std::vector<ReportRow> Calendar(const ScanResult& scan, const Costs& costs,
                                const std::vector<uint32_t>& idx, const ReportSpec& spec) {
  Bucketer b(spec);
  std::map<TimeMs, Accum> groups;
  for (uint32_t i : idx)
    Add(&groups[b.Start(scan.entries[i].ts)], scan.entries[i], costs[i], scan.strings);
  std::vector<ReportRow> rows;
  for (auto& [start, acc] : groups) {
    ReportRow r = Finish(std::move(acc));
    r.key = spec.tz.FormatLocalDate(start);
    if (spec.kind == ReportKind::kMonthly) r.key.resize(7);
    rows.push_back(std::move(r));
  }
  return rows;
}

std::vector<ReportRow> Sessions(const ScanResult& scan, const Costs& costs,
                                const std::vector<uint32_t>& idx) {
  std::map<std::pair<uint32_t, uint32_t>, Accum> groups;
  for (uint32_t i : idx) {
    const UsageEntry& e = scan.entries[i];
    Add(&groups[{e.project, e.session}], e, costs[i], scan.strings);
  }
  std::vector<ReportRow> rows;
  for (auto& [key, acc] : groups) {
    ReportRow r = Finish(std::move(acc));
    r.project = scan.strings[key.first];
    r.key = scan.strings[key.second];
    rows.push_back(std::move(r));
  }
  std::sort(rows.begin(), rows.end(), [](const ReportRow& a, const ReportRow& b) {
    return a.last_ts != b.last_ts ? a.last_ts < b.last_ts : a.key < b.key;
  });
  return rows;
}

void FinishBlock(Accum&& acc, TimeMs start, TimeMs now, std::vector<ReportRow>* rows) {
  ReportRow r = Finish(std::move(acc));
  r.block_start = start;
  r.block_end = start + kBlockMs;
  r.key = FormatRfc3339(start);
  r.active = now - r.last_ts < kBlockMs && now < r.block_end;
  double minutes = static_cast<double>(r.last_ts - r.first_ts) / kMinuteMs;
  if (minutes > 0) {
    r.has_burn_rate = true;
    r.tokens_per_minute = static_cast<double>(r.tokens.Total()) / minutes;
    r.cost_per_hour_usd = static_cast<double>(r.cost_nanos) / 1e9 / minutes * 60;
    if (r.active) {
      double remaining = std::max<double>(0, static_cast<double>(r.block_end - now) / kMinuteMs);
      r.projected_tokens = r.tokens.Total() + std::llround(r.tokens_per_minute * remaining);
      r.projected_cost_nanos =
          r.cost_nanos + std::llround(static_cast<double>(r.cost_nanos) / minutes * remaining);
    }
  }
  rows->push_back(std::move(r));
}

std::vector<ReportRow> Blocks(const ScanResult& scan, const Costs& costs, std::vector<uint32_t> idx,
                              TimeMs now) {
  std::stable_sort(idx.begin(), idx.end(),
                   [&](uint32_t a, uint32_t b) { return scan.entries[a].ts < scan.entries[b].ts; });
  std::vector<ReportRow> rows;
  Accum acc;
  TimeMs start = 0, last = 0;
  bool open = false;
  for (uint32_t i : idx) {
    const UsageEntry& e = scan.entries[i];
    if (open && (e.ts - start > kBlockMs || e.ts - last > kBlockMs)) {
      FinishBlock(std::move(acc), start, now, &rows);
      acc = Accum();
      if (e.ts - last > kBlockMs) {
        ReportRow gap;
        gap.gap = true;
        gap.block_start = last + kBlockMs;
        gap.block_end = e.ts;
        gap.key = "gap-" + FormatRfc3339(gap.block_start);
        rows.push_back(std::move(gap));
      }
      open = false;
    }
    if (!open) start = FloorDiv(e.ts, kHourMs) * kHourMs, open = true;
    Add(&acc, e, costs[i], scan.strings);
    last = e.ts;
  }
  if (open) FinishBlock(std::move(acc), start, now, &rows);
  return rows;
}

}  // namespace

Result<ReportKind> ParseReportKind(std::string_view s) {
  if (s == "daily") return ReportKind::kDaily;
  if (s == "weekly") return ReportKind::kWeekly;
  if (s == "monthly") return ReportKind::kMonthly;
  if (s == "session") return ReportKind::kSession;
  if (s == "blocks") return ReportKind::kBlocks;
  return Status::InvalidArgument("report: unknown kind '" + std::string(s) +
                                 "' (daily, weekly, monthly, session, blocks)");
}

Result<CostMode> ParseCostMode(std::string_view s) {
  if (s == "auto") return CostMode::kAuto;
  if (s == "calculate") return CostMode::kCalculate;
  if (s == "display") return CostMode::kDisplay;
  return Status::InvalidArgument("--cost-mode: '" + std::string(s) +
                                 "' is not auto, calculate or display");
}

Result<int64_t> ParseDayArg(std::string_view s, const TimeZone& tz) {
  std::string d;
  for (char c : s)
    if (c != '-') d.push_back(c);
  bool ok =
      d.size() == 8 && std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
  int y = ok ? std::stoi(d.substr(0, 4)) : 0, m = ok ? std::stoi(d.substr(4, 2)) : 0,
      day = ok ? std::stoi(d.substr(6, 2)) : 0;
  if (!ok || m < 1 || m > 12 || day < 1 || day > 31)
    return Status::InvalidArgument("date '" + std::string(s) + "' is not YYYYMMDD or YYYY-MM-DD");
  (void)tz;
  return DaysFromCivil(y, m, day);
}

model::Priced PriceEntry(const UsageEntry& e, const std::string& model_name,
                         const model::PriceResolution& r, CostMode mode) {
  if (e.api_error || model_name == kSynthetic) return {};
  if (mode == CostMode::kDisplay) return {e.line_cost_nanos > 0 ? e.line_cost_nanos : 0};
  if (mode == CostMode::kAuto && e.line_cost_nanos >= 0) return {e.line_cost_nanos};
  if (model_name.empty()) return {};
  if (r.price == nullptr) return {0, model::CostBasis::kUnpriced};
  return {model::CostAt(*r.price, e.tokens), r.match == model::PriceMatch::kExact
                                                 ? model::CostBasis::kPriced
                                                 : model::CostBasis::kEstimated};
}

int64_t EntryCost(const UsageEntry& e, const std::string& model_name,
                  const model::PriceTable& prices, CostMode mode) {
  return PriceEntry(e, model_name, prices.Resolve(model_name), mode).cost_nanos;
}

namespace {

// Sums the entries priced without an exact price, per model.
std::vector<PricingNote> PricingNotes(
    const ScanResult& scan, const Costs& costs, const std::vector<uint32_t>& idx,
    const std::vector<std::optional<model::PriceResolution>>& resolved) {
  std::map<uint32_t, PricingNote> by_model;
  for (uint32_t i : idx) {
    if (costs[i].basis == model::CostBasis::kPriced) continue;
    const UsageEntry& e = scan.entries[i];
    PricingNote& n = by_model[e.model];
    if (n.model.empty()) {
      n.model = scan.strings[e.model];
      n.basis = costs[i].basis;
      n.priced_as = resolved[e.model]->priced_as;
    }
    n.tokens += e.tokens;
    n.cost_nanos += costs[i].cost_nanos;
    ++n.requests;
  }
  std::vector<PricingNote> out;
  for (auto& [id, n] : by_model) out.push_back(std::move(n));
  std::sort(out.begin(), out.end(), [](const PricingNote& a, const PricingNote& b) {
    return a.tokens.Total() != b.tokens.Total() ? a.tokens.Total() > b.tokens.Total()
                                                : a.model < b.model;
  });
  return out;
}

}  // namespace

Report BuildReport(const ScanResult& scan, const model::PriceTable& prices,
                   const ReportSpec& spec) {
  Report report;
  report.kind = spec.kind;
  Costs costs(scan.entries.size());
  std::vector<std::optional<model::PriceResolution>> resolved(scan.strings.size());
  std::vector<uint32_t> idx;
  idx.reserve(scan.entries.size());
  for (uint32_t i = 0; i < scan.entries.size(); ++i) {
    const UsageEntry& e = scan.entries[i];
    if (spec.since_day || spec.until_day) {
      int64_t day = spec.tz.LocalDay(e.ts);
      if ((spec.since_day && day < *spec.since_day) || (spec.until_day && day > *spec.until_day))
        continue;
    }
    const std::string& name = scan.strings[e.model];
    if (!resolved[e.model]) resolved[e.model] = prices.Resolve(name);
    costs[i] = PriceEntry(e, name, *resolved[e.model], spec.cost_mode);
    idx.push_back(i);
  }
  switch (spec.kind) {
    case ReportKind::kSession:
      report.rows = Sessions(scan, costs, idx);
      break;
    case ReportKind::kBlocks:
      report.rows = Blocks(scan, costs, idx, spec.now);
      break;
    default:
      report.rows = Calendar(scan, costs, idx, spec);
  }
  Accum total;
  for (uint32_t i : idx) Add(&total, scan.entries[i], costs[i], scan.strings);
  report.totals = Finish(std::move(total));
  report.totals.key = "Total";
  report.pricing = PricingNotes(scan, costs, idx, resolved);
  return report;
}

}  // namespace burnrate::claude
