// OTLP/HTTP JSON ingestion over HTTP (docs/otlp.md): POST /v1/metrics,
// /v1/logs and /v1/traces. The handler translates: the otlp layer turns an
// export into events, the ingestor makes them durable, and the answer is
// an Export*ServiceResponse with counts.
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
  return first.find('[') != std::string_view::npos || first.find('.') != std::string_view::npos
             ? first
             : "body";
}

// partialSuccess.errorMessage: the first few problems, each with its
// field, then how many more; the count is rejectedDataPoints/LogRecords.
std::string RejectSummary(const std::vector<otlp::PointReject>& own,
                          const std::vector<ingest::Reject>& ingested, int64_t total) {
  constexpr size_t kShown = 5;
  std::string msg;
  size_t shown = 0;
  auto add = [&](const std::string& error, const std::string& field) {
    if (shown++ >= kShown) return;
    if (!msg.empty()) msg += "; ";
    msg += error;
    if (!field.empty() && error.find(field) == std::string::npos) msg += " (" + field + ")";
  };
  for (const auto& r : own) add(r.error, r.field);
  for (const auto& r : ingested) add(r.error, r.field);
  if (total > int64_t(kShown)) msg += "; and " + std::to_string(total - int64_t(kShown)) + " more";
  return msg;
}

void HandleOtlp(ingest::Ingestor& ingestor, BoardState* board, const Clock& clock,
                otlp::Signal signal, Request& r, Respond respond) {
  if (!board->otlp_error.empty()) {
    return respond(
        ErrorResponse(Status::Unavailable("OTLP ingestion is unavailable: " + board->otlp_error)));
  }
  if (Status ct = otlp::CheckContentType(r.Header("content-type")); !ct.ok()) {
    return respond(ErrorResponse(ct, "Content-Type"));
  }
  auto body = ingest::Decompress(r.body, r.Header("content-encoding"), 256u << 20);
  if (!body.ok()) return respond(ErrorResponse(body.status(), "Content-Encoding"));
  auto conv = board->otlp.Export(signal, *body);
  if (!conv.ok()) return respond(ErrorResponse(conv.status(), PathOf(conv.status())));
  auto info = std::make_shared<otlp::Converted>();
  info->rejected = std::move(conv->rejected);
  info->rejected_total = conv->rejected_total;
  info->points = conv->points, info->ignored = conv->ignored;
  info->deferred_to_logs = conv->deferred_to_logs, info->undo = conv->undo;
  const Clock* clk = &clock;
  ingestor.SubmitEvents(std::move(conv->events), [respond, info, board, signal,
                                                  clk](Result<ingest::IngestResult> res) {
    if (!res.ok()) {
      board->otlp.Rollback(*info);  // the exporter retries; count it then
      return respond(ErrorResponse(res.status()));
    }
    // Durable cumulative state before the acknowledgement (docs/otlp.md).
    if (Status st = board->otlp.Persist(*info, clk->NowMs()); !st.ok())
      return respond(ErrorResponse(st));
    // Export{Metrics,Logs,Trace}ServiceResponse, plus counts.
    JsonWriter w;
    w.BeginObject();
    int64_t rejected = info->rejected_total + int64_t(res->rejected.size());
    if (rejected > 0) {
      w.Key("partialSuccess").BeginObject();
      w.Key(otlp::RejectedKey(signal)).Int(rejected);
      w.Key("errorMessage").String(RejectSummary(info->rejected, res->rejected, rejected));
      w.EndObject();
    }
    w.Key("accepted").Int(res->accepted).Key("duplicates").Int(res->duplicates);
    w.Key("points").Int(info->points).Key("ignored").Int(info->ignored);
    w.Key("deferred_to_logs").Int(info->deferred_to_logs);
    w.EndObject();
    respond(Response::Json(w.Take()));
  });
}

}  // namespace

void App::Impl::RegisterOtlpRoutes() {
  for (otlp::Signal signal : {otlp::Signal::kMetrics, otlp::Signal::kLogs, otlp::Signal::kTraces}) {
    router.Add("POST", std::string(otlp::SignalPath(signal)), Role::kIngest,
               [this, signal](Request& r, Respond respond) {
                 ingest_requests++;
                 HandleOtlp(*ingestor, board.get(), *clock, signal, r,
                            CountIngestResponse(std::move(respond)));
               });
  }
}

}  // namespace burnrate::app
