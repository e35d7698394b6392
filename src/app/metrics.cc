// Prometheus text exposition. Labels are bounded: no per-user or per-key
// label ever appears, only fixed names, entity kinds and model names (the
// top 50 of the last day, or the first kMaxModelLabels models seen without
// an exact price, the rest summed as "other").
#include <fmt/format.h>

#include <algorithm>

#include "app/app_impl.h"

namespace burnrate::app {
namespace {

// Label values come from clients (model names): escape them as the text
// format requires, or a quote or newline would forge series.
std::string LabelValue(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\' || c == '"')
      out.push_back('\\'), out.push_back(c);
    else if (c == '\n')
      out += "\\n";
    else
      out.push_back(c);
  }
  return out;
}

}  // namespace

// Labels go to models in the order they were first seen, so a series never
// moves between labels and the counters stay monotonic.
void AppendUnpricedMetrics(const std::vector<engine::UnpricedModel>& seen, std::string& out) {
  std::vector<engine::UnpricedModel> rows(seen.begin(),
                                          seen.begin() + std::min(seen.size(), kMaxModelLabels));
  if (seen.size() > kMaxModelLabels) {
    engine::UnpricedModel other{"other"};
    for (size_t i = kMaxModelLabels; i < seen.size(); ++i) {
      other.estimated_tokens += seen[i].estimated_tokens,
          other.unpriced_tokens += seen[i].unpriced_tokens;
      other.estimated_cost_nanos += seen[i].estimated_cost_nanos;
    }
    rows.push_back(std::move(other));
  }
  out +=
      "# HELP burnrate_unpriced_tokens_total Tokens of usage whose model had no exact price "
      "(priced from its "
      "family, or not at all), by model.\n# TYPE burnrate_unpriced_tokens_total counter\n";
  for (const auto& m : rows)
    out += fmt::format("burnrate_unpriced_tokens_total{{model=\"{}\"}} {}\n", LabelValue(m.model),
                       m.estimated_tokens + m.unpriced_tokens);
  out +=
      "# HELP burnrate_estimated_cost_usd_total Cost priced from a model family's price because "
      "the table "
      "lacks the model, by model.\n# TYPE burnrate_estimated_cost_usd_total counter\n";
  for (const auto& m : rows)
    out += fmt::format("burnrate_estimated_cost_usd_total{{model=\"{}\"}} {:.9f}\n",
                       LabelValue(m.model), double(m.estimated_cost_nanos) / 1e9);
}

namespace {
// A shared log (PostgreSQL): how far this node's tail is behind the other
// nodes' appends (docs/scale-out.md, "Tailing the shared log"); 0 on SQLite.
std::string LogLagMetrics(const ingest::IngestStats& s) {
  std::string out;
  auto metric = [&](const char* name, const char* type, const char* help, double v) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n{} {}\n", name, help, name, type, name, v);
  };
  metric("burnrate_store_log_lag_blocks", "gauge",
         "Blocks of the shared event log not yet applied by this node (newest seq minus applied "
         "seq, at the last poll).",
         double(s.log_lag_blocks));
  metric("burnrate_store_log_lag_seconds", "gauge",
         "Seconds since this node last had every block of the shared event log applied.",
         s.log_lag_seconds);
  metric("burnrate_store_log_tailed_events_total", "counter",
         "Events of other nodes' blocks applied from the shared event log.",
         double(s.tailed_events));
  metric("burnrate_store_log_tail_errors_total", "counter",
         "Polls of the shared event log that failed.", double(s.tail_errors));
  return out;
}
}  // namespace

std::string App::Impl::MetricsText() {
  std::string out;
  auto metric = [&](const char* name, const char* type, const char* help, double v) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n{} {}\n", name, help, name, type, name, v);
  };
  ingest::IngestStats s = ingestor->stats();
  metric("burnrate_events_accepted_total", "counter", "Events accepted and durable.",
         double(s.accepted));
  metric("burnrate_events_duplicate_total", "counter",
         "Events dropped as duplicates of an id already seen.", double(s.duplicates));
  metric("burnrate_events_rejected_total", "counter", "Lines rejected by validation.",
         double(s.rejected));
  metric("burnrate_commits_total", "counter", "Group commits to the store.", double(s.commits));
  metric("burnrate_commit_errors_total", "counter", "Group commits that failed.",
         double(s.commit_errors));
  metric("burnrate_ingest_queue_events", "gauge", "Events parsed and waiting for the committer.",
         double(s.queue_events));
  metric("burnrate_dedup_entries", "gauge", "Event ids in the de-duplication window.",
         double(s.dedup_entries));
  metric("burnrate_dedup_bytes", "gauge", "Memory of the de-duplication index.",
         double(s.dedup_bytes));
  metric("burnrate_dedup_evicted_days_total", "counter",
         "Days dropped early from the de-duplication window to bound memory.",
         double(s.dedup_evicted_days));
  out += LogLagMetrics(s);
  metric("burnrate_http_ingest_requests_total", "counter", "POST /v1/events requests.",
         double(ingest_requests.load()));
  out +=
      "# HELP burnrate_http_ingest_responses_total Answers to ingest requests (POST /v1/events "
      "and OTLP), by status class.\n# TYPE burnrate_http_ingest_responses_total counter\n";
  const char* classes[] = {"2xx", "4xx", "5xx"};
  for (size_t c = 0; c < 3; ++c)
    out += fmt::format("burnrate_http_ingest_responses_total{{code=\"{}\"}} {}\n", classes[c],
                       ingest_responses[c].load());
  out +=
      "# HELP burnrate_conflicting_duplicates_total Duplicates of an id their source had "
      "reported with other usage (evidence for implausible_usage), by source.\n"
      "# TYPE burnrate_conflicting_duplicates_total counter\n";
  for (const auto& [source, n] : s.conflicts_by_source)
    out += fmt::format("burnrate_conflicting_duplicates_total{{source=\"{}\"}} {}\n",
                       LabelValue(source), n);
  out +=
      "# HELP burnrate_entities Distinct entities seen, by kind.\n# TYPE burnrate_entities gauge\n";
  for (int e = 0; e < engine::kEntityCount; ++e) {
    out +=
        fmt::format("burnrate_entities{{kind=\"{}\"}} {}\n", engine::EntityName(engine::Entity(e)),
                    engine->entity_count(engine::Entity(e)));
  }
  TimeMs now = clock->NowMs();
  auto models =
      engine->TopModels(engine::WindowRange(engine::Window::k24h, now, engine->options().tz), 50);
  out +=
      "# HELP burnrate_tokens_24h Tokens in the last 24 hours, by model.\n# TYPE "
      "burnrate_tokens_24h gauge\n";
  for (const auto& [m, c] : models)
    out += fmt::format("burnrate_tokens_24h{{model=\"{}\"}} {}\n", LabelValue(m), c.Total());
  out +=
      "# HELP burnrate_cost_usd_24h Cost in the last 24 hours, by model.\n# TYPE "
      "burnrate_cost_usd_24h gauge\n";
  for (const auto& [m, c] : models)
    out += fmt::format("burnrate_cost_usd_24h{{model=\"{}\"}} {:.6f}\n", LabelValue(m),
                       double(c.cost_nanos) / 1e9);
  AppendUnpricedMetrics(engine->UnpricedModels(), out);
  metric("burnrate_price_table_models", "gauge", "Entries in the price table in use.",
         double(prices.Current()->table().size()));
  metric("burnrate_price_reloads_total", "counter", "Price file reloads that succeeded.",
         double(price_reloads.load()));
  metric("burnrate_price_reload_errors_total", "counter",
         "Price file reloads that failed (the old prices stayed).",
         double(price_reload_errors.load()));
  governor->AppendMetrics(out);
  metric("burnrate_uptime_seconds", "gauge", "Seconds since start.",
         double(now - started_at) / 1000);
  if (gateway) gateway->AppendMetrics(out);
  return out;
}

}  // namespace burnrate::app
