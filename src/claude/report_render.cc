#include "claude/report_render.h"

#include <algorithm>
#include <cstdio>
#include <vector>

#include "common/json_writer.h"

namespace burnrate::claude {
namespace {

const char* KindName(ReportKind k) {
  switch (k) {
    case ReportKind::kDaily:
      return "daily";
    case ReportKind::kWeekly:
      return "weekly";
    case ReportKind::kMonthly:
      return "monthly";
    case ReportKind::kSession:
      return "sessions";
    case ReportKind::kBlocks:
      return "blocks";
  }
  return "daily";
}

const char* KeyName(ReportKind k) {
  switch (k) {
    case ReportKind::kWeekly:
      return "week";
    case ReportKind::kMonthly:
      return "month";
    case ReportKind::kSession:
      return "sessionId";
    case ReportKind::kBlocks:
      return "id";
    default:
      return "date";
  }
}

std::string LocalTime(TimeMs t, const TimeZone& tz) {
  std::string s = FormatRfc3339(t + tz.OffsetAt(t));  // "2026-03-21T14:00:00.000Z"
  return s.substr(0, 10) + " " + s.substr(11, 5);
}

// "claude-sonnet-4-5-20250929" -> "sonnet-4-5" for narrow table cells.
std::string ShortModel(const std::string& m) {
  std::string s = model::PriceTable::Normalize(m);
  if (s.rfind("claude-", 0) == 0) s = s.substr(7);
  return s;
}

void Tokens(JsonWriter& w, const model::TokenCounts& t) {
  w.Key("inputTokens").Int(t.input);
  w.Key("outputTokens").Int(t.output);
  w.Key("cacheCreationTokens").Int(t.cache_write);
  w.Key("cacheReadTokens").Int(t.cache_read);
  w.Key("cacheCreation1hTokens").Int(t.cache_write_1h);
  w.Key("totalTokens").Int(t.Total());
}

void RowJson(JsonWriter& w, const Report& rep, const ReportRow& r, const RenderOptions& o) {
  w.BeginObject();
  w.Key(KeyName(rep.kind)).String(r.key);
  if (rep.kind == ReportKind::kSession) {
    w.Key("projectPath").String(r.project);
    w.Key("lastActivity").String(o.tz.FormatLocalDate(r.last_ts));
  }
  if (rep.kind == ReportKind::kBlocks) {
    w.Key("startTime").String(FormatRfc3339(r.block_start));
    w.Key("endTime").String(FormatRfc3339(r.block_end));
    if (!r.gap) w.Key("actualEndTime").String(FormatRfc3339(r.last_ts));
    w.Key("isActive").Bool(r.active);
    w.Key("isGap").Bool(r.gap);
    w.Key("entries").Uint(r.requests);
  } else {
    w.Key("requests").Uint(r.requests);
  }
  Tokens(w, r.tokens);
  w.Key(rep.kind == ReportKind::kBlocks ? "costUSD" : "totalCost").NanoUsd(r.cost_nanos);
  w.Key("costEstimated").Bool(r.cost_estimated);
  w.Key("costUnpriced").Bool(r.cost_unpriced);
  w.Key("modelsUsed").BeginArray();
  for (const auto& m : r.models) w.String(m.model);
  w.EndArray();
  if (rep.kind == ReportKind::kBlocks && r.has_burn_rate) {
    w.Key("burnRate").BeginObject();
    w.Key("tokensPerMinute").Double(r.tokens_per_minute);
    w.Key("costPerHour").Double(r.cost_per_hour_usd);
    w.EndObject();
    if (r.active) {
      w.Key("projection").BeginObject();
      w.Key("totalTokens").Int(r.projected_tokens);
      w.Key("totalCost").NanoUsd(r.projected_cost_nanos);
      w.EndObject();
    }
  }
  if (o.breakdown) {
    w.Key("modelBreakdowns").BeginArray();
    for (const auto& m : r.models) {
      w.BeginObject();
      w.Key("modelName").String(m.model);
      Tokens(w, m.tokens);
      w.Key("cost").NanoUsd(m.cost_nanos);
      w.Key("costEstimated").Bool(m.cost_estimated);
      w.Key("costUnpriced").Bool(m.cost_unpriced);
      w.EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
}

struct Table {
  std::vector<std::vector<std::string>> rows;
  std::vector<bool> right;  // per column
  void Print(std::ostream& out) const {
    std::vector<size_t> width(right.size(), 0);
    for (const auto& r : rows)
      for (size_t c = 0; c < r.size(); ++c) width[c] = std::max(width[c], r[c].size());
    for (size_t i = 0; i < rows.size(); ++i) {
      std::string line;
      for (size_t c = 0; c < rows[i].size(); ++c) {
        std::string pad(width[c] - rows[i][c].size(), ' ');
        line += c ? "  " : "";
        line += right[c] ? pad + rows[i][c] : rows[i][c] + pad;
      }
      while (!line.empty() && line.back() == ' ') line.pop_back();
      out << line << '\n';
      if (i == 0 || i + 2 == rows.size()) {
        size_t total = 0;
        for (size_t w : width) total += w + 2;
        out << std::string(total - 2, '-') << '\n';
      }
    }
  }
};

// "~$1.20" when part of the cost is a family estimate, "$1.20+" when some
// tokens had no price (so the cost is a lower bound).
std::string CostCell(int64_t cost, bool estimated, bool unpriced) {
  return (estimated ? "~$" : "$") + Dollars(cost) + (unpriced ? "+" : "");
}

template <typename Row>
std::vector<std::string> Cells(std::string key, std::string models, const Row& r) {
  const model::TokenCounts& t = r.tokens;
  return {std::move(key),
          std::move(models),
          WithCommas(t.input),
          WithCommas(t.output),
          WithCommas(t.cache_write),
          WithCommas(t.cache_read),
          WithCommas(t.Total()),
          CostCell(r.cost_nanos, r.cost_estimated, r.cost_unpriced)};
}

}  // namespace

std::string WithCommas(int64_t v) {
  std::string digits = std::to_string(v < 0 ? -v : v), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return v < 0 ? "-" + out : out;
}

std::string Dollars(int64_t nanos) {
  int64_t cents = (nanos + (nanos >= 0 ? 5000000 : -5000000)) / 10000000;
  int64_t abs = cents < 0 ? -cents : cents;
  char frac[8];
  std::snprintf(frac, sizeof frac, ".%02lld", static_cast<long long>(abs % 100));
  return (cents < 0 ? "-" : "") + WithCommas(abs / 100) + frac;
}

void RenderTable(const Report& rep, const ScanResult& scan, const RenderOptions& o,
                 std::ostream& out) {
  const char* head = rep.kind == ReportKind::kSession   ? "Session"
                     : rep.kind == ReportKind::kBlocks  ? "Block start"
                     : rep.kind == ReportKind::kMonthly ? "Month"
                     : rep.kind == ReportKind::kWeekly  ? "Week"
                                                        : "Date";
  out << o.title << " usage, " << KindName(rep.kind) << " (" << o.tz.name() << ")\n";
  Table t;
  t.right = {false, false, true, true, true, true, true, true};
  t.rows.push_back({head, "Models", "Input", "Output", "Cache write", "Cache read", "Total tokens",
                    "Cost (USD)"});
  for (const ReportRow& r : rep.rows) {
    std::string key = r.key;
    if (rep.kind == ReportKind::kSession) key = r.project + " " + r.key.substr(0, 8);
    if (rep.kind == ReportKind::kBlocks) {
      key = LocalTime(r.block_start, o.tz) + (r.gap ? " (gap)" : r.active ? " ACTIVE" : "");
    }
    std::string models;
    for (const auto& m : r.models) models += (models.empty() ? "" : ", ") + ShortModel(m.model);
    t.rows.push_back(Cells(key, models, r));
    if (o.breakdown) {
      for (const auto& m : r.models) t.rows.push_back(Cells("  - " + ShortModel(m.model), "", m));
    }
  }
  t.rows.push_back(Cells("Total", "", rep.totals));
  t.Print(out);
  if (rep.totals.cost_estimated)
    out << "~ part of the cost is estimated from a model family's price\n";
  if (rep.totals.cost_unpriced)
    out << "+ some tokens have no price and count $0: the cost is a lower bound\n";
  for (const ReportRow& r : rep.rows) {
    if (!r.active) continue;
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  "Active block %s: %.0f tokens/min, $%.2f/hour; projected by %s: %s tokens, $%s\n",
                  LocalTime(r.block_start, o.tz).c_str(), r.tokens_per_minute, r.cost_per_hour_usd,
                  LocalTime(r.block_end, o.tz).c_str(), WithCommas(r.projected_tokens).c_str(),
                  Dollars(r.projected_cost_nanos).c_str());
    out << buf;
  }
  if (!scan.skipped.empty()) {
    out << "Skipped " << scan.skipped.size() << " malformed or truncated line(s)"
        << (o.verbose ? ":" : " (--verbose lists them)") << '\n';
    if (o.verbose) {
      for (const auto& s : scan.skipped)
        out << "  " << scan.files[s.file].path << ':' << s.line << ": " << s.reason << '\n';
    }
  }
}

std::string RenderJson(const Report& rep, const ScanResult& scan, const RenderOptions& o) {
  JsonWriter w;
  w.BeginObject();
  w.Key(KindName(rep.kind)).BeginArray();
  for (const ReportRow& r : rep.rows) RowJson(w, rep, r, o);
  w.EndArray();
  w.Key("totals").BeginObject();
  Tokens(w, rep.totals.tokens);
  w.Key("totalCost").NanoUsd(rep.totals.cost_nanos);
  w.Key("costEstimated").Bool(rep.totals.cost_estimated);
  w.Key("costUnpriced").Bool(rep.totals.cost_unpriced);
  w.Key("requests").Uint(rep.totals.requests);
  w.EndObject();
  w.Key("pricing").BeginArray();
  for (const PricingNote& n : rep.pricing) {
    w.BeginObject();
    w.Key("model").String(n.model);
    w.Key("basis").String(n.basis == model::CostBasis::kEstimated ? "estimated" : "unpriced");
    w.Key("pricedAs");
    if (n.priced_as.empty())
      w.Null();
    else
      w.String(n.priced_as);
    w.Key("totalTokens").Int(n.tokens.Total());
    w.Key("cost").NanoUsd(n.cost_nanos);
    w.EndObject();
  }
  w.EndArray();
  w.Key("stats").BeginObject();
  w.Key("files").Uint(scan.stats.files);
  w.Key("lines").Uint(scan.stats.lines);
  w.Key("usageLines").Uint(scan.stats.usage_lines);
  w.Key("duplicates").Uint(scan.stats.duplicates);
  w.Key("sidechainReplays").Uint(scan.stats.sidechain_replays);
  w.Key("missingIds").Uint(scan.stats.missing_ids);
  w.Key("skippedLines").Uint(scan.skipped.size());
  if (o.verbose) {
    w.Key("skipped").BeginArray();
    for (const auto& s : scan.skipped) {
      w.BeginObject();
      w.Key("file").String(scan.files[s.file].path);
      w.Key("line").Uint(s.line);
      w.Key("reason").String(s.reason);
      w.EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
  w.EndObject();
  return w.Take() + "\n";
}

void RenderPricingWarnings(const Report& rep, std::ostream& err) {
  for (const PricingNote& n : rep.pricing) {
    err << "burnrate: warning: model '" << n.model
        << "' is not in the price table: " << WithCommas(n.tokens.Total()) << " tokens ";
    if (n.basis == model::CostBasis::kEstimated) {
      err << "priced as " << n.priced_as << ", an estimate ($" << Dollars(n.cost_nanos) << ")\n";
    } else {
      err << "have no price and no known model family, counted at $0 (--prices FILE can price "
             "them)\n";
    }
  }
}

}  // namespace burnrate::claude
