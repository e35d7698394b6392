// HTTP routes of the review queue (DetectionEngine::RegisterRoutes) and the
// review body parser.
#include <simdjson.h>

#include <charconv>
#include <cmath>

#include "common/json_writer.h"
#include "common/time_util.h"
#include "detect/detection_engine.h"

namespace burnrate::detect {
namespace {

void WriteFlag(JsonWriter& w, const Flag& f) {
  w.BeginObject();
  w.Key("id").String(f.id);
  w.Key("user").String(f.user);
  w.Key("team").String(f.team);
  w.Key("date").String(f.date);
  w.Key("score").Double(std::round(f.score * 10) / 10);
  w.Key("flagged").Bool(f.flagged);
  w.Key("high_confidence").Bool(f.high_confidence);
  w.Key("tokens").Int(f.tokens);
  w.Key("wasted_tokens").Int(f.wasted_tokens);
  w.Key("counts_as_waste").Bool(f.CountsAsWaste());
  w.Key("state").String(ReviewStateName(f.state));
  if (f.state == ReviewState::kConfirmed || f.state == ReviewState::kDismissed) {
    w.Key("note").String(f.note);
    w.Key("reviewer").String(f.reviewer);
    w.Key("reviewed_at").String(FormatRfc3339(f.reviewed_at));
  }
  if (f.state == ReviewState::kRetracted) {
    w.Key("retraction").String(f.retraction);
    w.Key("retracted_at").String(FormatRfc3339(f.retracted_at));
  }
  w.Key("reasons").BeginArray();
  for (const Reason& r : f.reasons) {
    w.BeginObject();
    w.Key("detector").String(r.detector);
    w.Key("summary").String(r.summary);
    w.Key("score").Double(std::round(r.score * 10) / 10);
    w.Key("evidence").BeginObject();
    for (const Evidence& e : r.evidence) w.Key(e.name).Double(e.value);
    w.EndObject();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

// A day number from YYYY-MM-DD.
Result<int64_t> ParseDay(std::string_view date) {
  auto t = ParseRfc3339(std::string(date) + "T00:00:00Z");
  if (!t.ok() || date.size() != 10) return Status::InvalidArgument("date must be YYYY-MM-DD");
  return FloorDiv(*t, kDayMs);
}

// Resolves ?date= or ?window=Nd to an inclusive day range; errors name the field.
Result<std::pair<int64_t, int64_t>> DayRange(const http::Request& req, int64_t today) {
  std::string_view date = req.Query("date"), window = req.Query("window");
  if (!date.empty() && !window.empty())
    return Status::InvalidArgument("give either date or window, not both");
  if (!date.empty()) {
    auto t = ParseRfc3339(std::string(date) + "T00:00:00Z");
    if (!t.ok() || date.size() != 10) return Status::InvalidArgument("date must be YYYY-MM-DD");
    int64_t d = FloorDiv(*t, kDayMs);
    return std::make_pair(d, d);
  }
  if (window.empty()) window = "1d";
  int n = 0;
  auto [p, ec] = std::from_chars(window.data(), window.data() + window.size(), n);
  if (ec != std::errc() || p + 1 != window.data() + window.size() || *p != 'd' || n < 1 || n > 366)
    return Status::InvalidArgument("window must be Nd with 1 <= N <= 366, e.g. 7d");
  // Scoring happens after a day ends, so a window ends with yesterday's flags too.
  return std::make_pair(today - n, today);
}

}  // namespace

Result<std::string> ParseReviewNote(std::string_view body) {
  size_t i = body.find_first_not_of(" \t\r\n");
  if (i == std::string_view::npos) return std::string();
  simdjson::padded_string padded(body);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(padded).get(doc) != simdjson::SUCCESS)
    return Status::InvalidArgument("body is not valid JSON");
  simdjson::dom::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS)
    return Status::InvalidArgument("body must be a JSON object");
  simdjson::dom::element note;
  if (obj["note"].get(note) != simdjson::SUCCESS) return std::string();
  std::string_view s;
  if (note.get_string().get(s) != simdjson::SUCCESS)
    return Status::InvalidArgument("note must be a string");
  if (s.size() > 4096) return Status::InvalidArgument("note must be at most 4096 bytes");
  return std::string(s);
}

void DetectionEngine::RegisterRoutes(http::Router& router) {
  router.AddSync("GET", "/v1/flags", http::Role::kViewer, [this](http::Request& req) {
    auto range = DayRange(req, DayOf(clock_.NowMs()));
    if (!range.ok())
      return http::ErrorResponse(range.status(), req.query.count("date") ? "date" : "window");
    std::string_view state = req.Query("state"), user = req.Query("user");
    if (!state.empty() && !ParseReviewState(state))
      return http::ErrorResponse(
          Status::InvalidArgument("state must be open, confirmed, dismissed or retracted"),
          "state");
    JsonWriter w;
    w.BeginObject().Key("flags").BeginArray();
    for (const Flag& f : store_->List(range->first, range->second)) {
      if (!state.empty() && state != ReviewStateName(f.state)) continue;
      if (!user.empty() && user != f.user) continue;
      WriteFlag(w, f);
    }
    w.EndArray().EndObject();
    return http::Response::Json(w.Take());
  });
  // Before /v1/flags/{id}/...: "rescore" is not a flag id.
  router.AddSync("POST", "/v1/flags/rescore", http::Role::kAdmin, [this](http::Request& req) {
    int64_t days[2];
    const char* names[2] = {"from", "to"};
    for (int i = 0; i < 2; ++i) {
      auto d = ParseDay(req.Query(names[i]));
      if (!d.ok())
        return http::ErrorResponse(
            Status::InvalidArgument(std::string(names[i]) + " must be a date YYYY-MM-DD"),
            names[i]);
      days[i] = *d;
    }
    if (days[1] < days[0])
      return http::ErrorResponse(Status::InvalidArgument("to must not be before from"), "to");
    if (days[1] - days[0] >= 62)
      return http::ErrorResponse(Status::InvalidArgument("at most 62 days per rescore"), "to");
    auto stats = Rescore(days[0], days[1]);
    if (!stats.ok()) return http::ErrorResponse(stats.status(), "from");
    JsonWriter w;
    w.BeginObject().Key("days").BeginArray();
    for (const ScoreDayStats& s : *stats) {
      w.BeginObject().Key("date").String(FormatDate(s.day * kDayMs)).Key("users").Uint(s.users);
      w.Key("flagged").Uint(s.flagged).Key("retracted").Uint(s.retracted).EndObject();
    }
    w.EndArray().EndObject();
    return http::Response::Json(w.Take());
  });
  for (const auto& route :
       {std::pair{"confirm", ReviewState::kConfirmed}, {"dismiss", ReviewState::kDismissed}}) {
    ReviewState st = route.second;  // a plain variable: clang 14 cannot capture bindings
    router.AddSync("POST", std::string("/v1/flags/{id}/") + route.first, http::Role::kAdmin,
                   [this, st](http::Request& req) {
                     auto note = ParseReviewNote(req.body);
                     if (!note.ok()) return http::ErrorResponse(note.status(), "note");
                     auto f = Review(req.params["id"], st, std::move(*note), req.principal);
                     if (!f.ok()) return http::ErrorResponse(f.status(), "id");
                     JsonWriter w;
                     WriteFlag(w, *f);
                     return http::Response::Json(w.Take());
                   });
  }
}

}  // namespace burnrate::detect
