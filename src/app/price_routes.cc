// The price table in use and the models without an exact price
// (GET /v1/prices), and reloading the price file (POST /v1/prices/reload,
// also SIGHUP through App::ReloadPrices). docs/pricing.md.
#include <algorithm>

#include "app/app_impl.h"

namespace burnrate::app {
namespace {

using http::ErrorResponse;
using http::Request;
using http::Response;
using http::Role;

// pico-USD per token -> USD per million tokens.
double PerMillion(int64_t pico) { return double(pico) / 1e6; }

void WritePrice(JsonWriter& w, const model::ModelPrice& p) {
  w.Key("input_usd_per_mtok").Double(PerMillion(p.input));
  w.Key("output_usd_per_mtok").Double(PerMillion(p.output));
  w.Key("cache_read_usd_per_mtok").Double(PerMillion(p.cache_read));
  w.Key("cache_write_usd_per_mtok").Double(PerMillion(p.cache_write));
  if (p.cache_write_1h) w.Key("cache_write_1h_usd_per_mtok").Double(PerMillion(p.cache_write_1h));
  if (p.tier_threshold) {
    w.Key("tier_threshold_tokens").Int(p.tier_threshold);
    w.Key("input_above_usd_per_mtok").Double(PerMillion(p.input_above));
    w.Key("output_above_usd_per_mtok").Double(PerMillion(p.output_above));
  }
}

void WriteSource(JsonWriter& w, const model::PriceSnapshot& snap) {
  w.Key("source").String(snap.file().empty() ? "built-in" : "built-in + " + snap.file());
  w.Key("file");
  if (snap.file().empty())
    w.Null();
  else
    w.String(snap.file());
  w.Key("tested").String(model::PriceTable::kBuiltinTested);
  w.Key("count").Uint(snap.table().size());
  w.Key("generation").Uint(snap.generation());
}

}  // namespace

Status App::Impl::ReloadPrices() {
  Status st = prices.Reload();
  std::lock_guard lock(price_mu);
  if (st.ok()) {
    price_reloads++;
    last_price_error.clear();
  } else {
    price_reload_errors++;
    last_price_error = st.message();
  }
  return st;
}

void App::Impl::RegisterPriceRoutes() {
  router.AddSync("GET", "/v1/prices", Role::kViewer, [this](Request&) {
    std::shared_ptr<const model::PriceSnapshot> snap = prices.Current();
    JsonWriter w;
    w.BeginObject();
    WriteSource(w, *snap);
    w.Key("reloads").Int(price_reloads.load());
    w.Key("last_reload_error");
    {
      std::lock_guard lock(price_mu);
      if (last_price_error.empty())
        w.Null();
      else
        w.String(last_price_error);
    }
    // Models seen without an exact price, most tokens first, with the
    // family price used for them now (priced_as) if any.
    std::vector<engine::UnpricedModel> seen = engine->UnpricedModels();
    std::stable_sort(seen.begin(), seen.end(), [](const auto& a, const auto& b) {
      return a.estimated_tokens + a.unpriced_tokens > b.estimated_tokens + b.unpriced_tokens;
    });
    w.Key("unpriced").BeginArray();
    for (const engine::UnpricedModel& m : seen) {
      model::PriceResolution r = snap->Resolve(m.model);
      w.BeginObject().Key("model").String(m.model);
      w.Key("tokens").Int(m.estimated_tokens + m.unpriced_tokens);
      w.Key("estimated_tokens").Int(m.estimated_tokens);
      w.Key("estimated_cost_usd").NanoUsd(m.estimated_cost_nanos);
      w.Key("unpriced_tokens").Int(m.unpriced_tokens);
      w.Key("pricing").String(r.match == model::PriceMatch::kExact    ? "exact"
                              : r.match == model::PriceMatch::kFamily ? "estimated"
                                                                      : "unpriced");
      w.Key("family").String(model::PriceTable::FamilyOf(m.model));
      w.Key("priced_as");
      if (r.price)
        w.String(r.priced_as);
      else
        w.Null();
      if (r.price) WritePrice(w, *r.price);
      w.EndObject();
    }
    w.EndArray();
    std::vector<const std::pair<const std::string, model::ModelPrice>*> table;
    for (const auto& e : snap->table().entries()) table.push_back(&e);
    std::sort(table.begin(), table.end(), [](auto* a, auto* b) { return a->first < b->first; });
    w.Key("prices").BeginArray();
    for (const auto* e : table) {
      w.BeginObject().Key("model").String(e->first);
      WritePrice(w, e->second);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
    return Response::Json(w.Take());
  });

  router.AddSync("POST", "/v1/prices/reload", Role::kAdmin, [this](Request&) {
    Status st = ReloadPrices();
    if (!st.ok()) return ErrorResponse(st, "file");
    JsonWriter w;
    w.BeginObject().Key("reloaded").Bool(true);
    WriteSource(w, *prices.Current());
    w.EndObject();
    return Response::Json(w.Take());
  });
}

}  // namespace burnrate::app
