// Leaderboard extras over HTTP: OTLP/HTTP JSON ingestion (docs/otlp.md),
// badges and profiles (docs/leaderboards.md). Handlers translate; the logic
// lives in the otlp, badges and engine layers.
#include <toml++/toml.h>

#include "app/app_impl.h"
#include "app/board_state.h"
#include "common/json_writer.h"
#include "otlp/otlp.h"

namespace burnrate::app {
namespace {

using http::ErrorResponse;
using http::Request;
using http::Respond;
using http::Response;
using http::Role;

// "resourceMetrics[0]...asInt must be ..." -> the path; otherwise "body".
std::string_view PathOf(const Status& s) {
  std::string_view m = s.message();
  std::string_view first = m.substr(0, m.find(' '));
  return first.find('[') != std::string_view::npos || first.find('.') != std::string_view::npos ? first : "body";
}

void HandleOtlp(ingest::Ingestor& ingestor, BoardState* board, bool metrics, Request& r, Respond respond) {
  if (Status ct = otlp::CheckContentType(r.Header("content-type")); !ct.ok()) {
    return respond(ErrorResponse(ct, "Content-Type"));
  }
  auto body = ingest::Decompress(r.body, r.Header("content-encoding"), 256u << 20);
  if (!body.ok()) return respond(ErrorResponse(body.status(), "Content-Encoding"));
  auto conv = metrics ? board->otlp.Metrics(*body) : board->otlp.Logs(*body);
  if (!conv.ok()) return respond(ErrorResponse(conv.status(), PathOf(conv.status())));
  auto info = std::make_shared<otlp::Converted>();
  info->rejected = std::move(conv->rejected);
  info->points = conv->points, info->ignored = conv->ignored;
  info->deferred_to_logs = conv->deferred_to_logs, info->undo = conv->undo;
  ingestor.SubmitEvents(std::move(conv->events), [respond, info, board, metrics](Result<ingest::IngestResult> res) {
    if (!res.ok()) {
      board->otlp.Rollback(*info);  // the exporter retries; count it then
      return respond(ErrorResponse(res.status()));
    }
    // ExportMetricsServiceResponse / ExportLogsServiceResponse, plus counts.
    JsonWriter w;
    w.BeginObject();
    int64_t rejected = int64_t(info->rejected.size() + res->rejected.size());
    if (rejected > 0) {
      std::string msg = !info->rejected.empty() ? info->rejected[0].error : res->rejected[0].error;
      w.Key("partialSuccess").BeginObject();
      w.Key(metrics ? "rejectedDataPoints" : "rejectedLogRecords").Int(rejected);
      w.Key("errorMessage").String(msg).EndObject();
    }
    w.Key("accepted").Int(res->accepted).Key("duplicates").Int(res->duplicates);
    w.Key("points").Int(info->points).Key("ignored").Int(info->ignored);
    w.Key("deferred_to_logs").Int(info->deferred_to_logs);
    w.EndObject();
    respond(Response::Json(w.Take()));
  });
}

}  // namespace

Status ConfigureBoardEngine(const Config& cfg, engine::EngineOptions* eo) {
  if (!cfg.toml) return Status::OK();
  const toml::table& t = *cfg.toml;
  if (auto w = t.at_path("outcomes.weights").as_table()) {
    for (const auto& [k, v] : *w) {
      auto d = v.value<double>();
      if (!d || *d < 0) {
        return Status::InvalidArgument(cfg.config_path + ": outcomes.weights." + std::string(k.str()) +
                                       " must be a number >= 0");
      }
      eo->outcome_weights[std::string(k.str())] = *d;
    }
  }
  if (auto v = t.at_path("efficiency.min_tokens").value<int64_t>()) eo->efficiency_min_tokens = *v;
  if (auto v = t.at_path("efficiency.prior_mtokens").value<double>()) {
    if (*v < 0) return Status::InvalidArgument(cfg.config_path + ": efficiency.prior_mtokens must be >= 0");
    eo->efficiency_prior_mtokens = *v;
  }
  return Status::OK();
}

void App::Impl::RegisterBoardRoutes() {
  board = std::make_shared<BoardState>();
  for (bool metrics : {true, false}) {
    router.Add("POST", metrics ? "/v1/otlp/v1/metrics" : "/v1/otlp/v1/logs", Role::kIngest,
               [this, metrics](Request& r, Respond respond) {
                 ingest_requests++;
                 HandleOtlp(*ingestor, board.get(), metrics, r, std::move(respond));
               });
  }
}

}  // namespace burnrate::app
