#include <algorithm>
#include <charconv>

#include "common/hash.h"
#include "common/json_writer.h"
#include "http/http.h"

namespace burnrate::http {

const char* RoleName(Role r) {
  switch (r) {
    case Role::kNone:
      return "none";
    case Role::kSelf:
      return "self";
    case Role::kIngest:
      return "ingest";
    case Role::kViewer:
      return "viewer";
    case Role::kAdmin:
      return "admin";
    case Role::kAnyKey:
      return "any";
    case Role::kGateway:
      return "gateway";
  }
  return "none";
}

Result<Role> ParseRole(std::string_view s) {
  if (s == "admin") return Role::kAdmin;
  if (s == "viewer") return Role::kViewer;
  if (s == "ingest") return Role::kIngest;
  if (s == "self") return Role::kSelf;
  if (s == "gateway") return Role::kGateway;
  return Status::InvalidArgument("role must be one of admin, viewer, ingest, self, gateway");
}

bool Allows(Role have, Role need) {
  if (need == Role::kNone) return true;
  if (need == Role::kAnyKey) return have != Role::kNone;
  // Gateway endpoints need a key bound to a user whose usage they count.
  if (need == Role::kGateway) return have == Role::kGateway;
  if (have == Role::kAdmin) return true;
  if (need == Role::kIngest) return have == Role::kIngest;
  if (need == Role::kViewer) return have == Role::kViewer;
  if (need == Role::kSelf) return have == Role::kViewer || have == Role::kSelf;
  return false;
}

HeaderMap HeaderMap::FromFields(std::vector<value_type> fields) {
  const size_t n = fields.size();
  // Which fields a later one of the same name overrides. A head has a
  // handful, compared pairwise; a head of thousands (the header limit
  // allows them) is sorted instead, so that it costs n log n, not n².
  constexpr size_t kPairwise = 32;
  char few[kPairwise] = {};
  std::vector<char> many;
  char* dropped = few;
  if (n <= kPairwise) {
    for (size_t i = 0; i < n; ++i)
      for (size_t j = i + 1; j < n && !dropped[i]; ++j)
        dropped[i] = fields[i].first == fields[j].first;
  } else {
    many.assign(n, 0);
    dropped = many.data();
    std::vector<size_t> order(n);
    for (size_t i = 0; i < n; ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return fields[a].first < fields[b].first; });
    for (size_t i = 0; i + 1 < n; ++i)
      dropped[order[i]] = fields[order[i]].first == fields[order[i + 1]].first;
  }
  size_t kept = 0;
  for (size_t i = 0; i < n; ++i) {
    if (dropped[i]) continue;
    if (kept != i) fields[kept] = std::move(fields[i]);
    ++kept;
  }
  fields.erase(fields.begin() + ptrdiff_t(kept), fields.end());
  HeaderMap m;
  m.fields_ = std::move(fields);
  return m;
}

const std::string* HeaderMap::Find(std::string_view name) const {
  for (const auto& [k, v] : fields_)
    if (k == name) return &v;
  return nullptr;
}

std::string& HeaderMap::operator[](std::string_view name) {
  for (auto& [k, v] : fields_)
    if (k == name) return v;
  return fields_.emplace_back(std::string(name), std::string()).second;
}

void HeaderMap::insert_or_assign(std::string name, std::string value) {
  (*this)[name] = std::move(value);
}

std::string_view Request::Header(std::string_view name) const {
  const std::string* v = headers.Find(name);
  return v == nullptr ? std::string_view() : std::string_view(*v);
}

std::string_view Request::Query(std::string_view name, std::string_view fallback) const {
  auto it = query.find(std::string(name));
  return it == query.end() ? fallback : std::string_view(it->second);
}

Response Response::Json(std::string body, int status) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

Response Response::Text(std::string body, std::string content_type) {
  Response r;
  r.content_type = std::move(content_type);
  r.body = std::move(body);
  return r;
}

Response Response::Stream(std::function<void(std::shared_ptr<SseChannel>)> on_open) {
  Response r;
  r.content_type = "text/event-stream";
  r.on_stream = std::move(on_open);
  return r;
}

int HttpStatusFor(const Status& s) {
  using C = Status::Code;
  switch (s.code()) {
    case C::kOk:
      return 200;
    case C::kInvalidArgument:
      return 400;
    case C::kUnauthenticated:
      return 401;
    case C::kPermissionDenied:
      return 403;
    case C::kNotFound:
      return 404;
    case C::kAlreadyExists:
      return 409;
    case C::kTooLarge:
      return 413;
    case C::kUnsupported:
      return 415;
    case C::kResourceExhausted:
      return 429;
    case C::kUnavailable:
      return 503;
    case C::kIOError:
    case C::kInternal:
      return 500;
  }
  return 500;
}

Response ErrorResponse(const Status& s, std::string_view field) {
  JsonWriter w;
  w.BeginObject().Key("error").String(s.message());
  if (field.empty()) field = s.field();
  if (!field.empty()) w.Key("field").String(field);
  w.EndObject();
  Response r = Response::Json(w.Take(), HttpStatusFor(s));
  // Unavailable is temporary (busy, shutting down, the database away):
  // a client that honours Retry-After comes back instead of giving up.
  if (s.code() == Status::Code::kUnavailable) r.headers.emplace_back("Retry-After", "1");
  return r;
}

static std::vector<std::string> PathParts(std::string_view path) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) parts.emplace_back(path.substr(i, j - i));
    i = j;
  }
  return parts;
}

void Router::SetAuthenticator(Authenticator a) {
  auth_ = [a = std::move(a)](std::string_view key) -> Result<Caller> {
    BR_ASSIGN_OR_RETURN(auto who, a(key));
    Caller c;
    c.role = who.first;
    c.principal = std::move(who.second);
    return c;
  };
}

void Router::Add(std::string method, std::string pattern, Role need, Handler h) {
  routes_.push_back({std::move(method), PathParts(pattern), need, std::move(h)});
}

void Router::AddSync(std::string method, std::string pattern, Role need, SyncHandler h) {
  Add(std::move(method), std::move(pattern), need,
      [h = std::move(h)](Request& req, Respond respond) { respond(h(req)); });
}

void Router::AddStream(std::string method, std::string pattern, Role need, SyncHandler h) {
  AddSync(std::move(method), std::move(pattern), need, std::move(h));
  routes_.back().query_key = true;
}

// Matches the route's pattern against the request's path parts, collecting
// {name} parameters (decoded).
static bool MatchPath(const std::vector<std::string>& pattern,
                      const std::vector<std::string>& parts,
                      std::unordered_map<std::string, std::string>* params) {
  if (pattern.size() != parts.size()) return false;
  for (size_t i = 0; i < parts.size(); ++i) {
    const auto& p = pattern[i];
    if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
      (*params)[p.substr(1, p.size() - 2)] = ParseQuery("x=" + parts[i])["x"];
    } else if (p != parts[i]) {
      return false;
    }
  }
  return true;
}

std::optional<Status> Router::Authorize(const Route& route, Request& req) const {
  Role need = route.need;
  if (need == Role::kNone) return std::nullopt;
  std::string_view authz = req.Header("authorization");
  std::string_view key;
  if (authz.size() > 7 && (authz.substr(0, 7) == "Bearer " || authz.substr(0, 7) == "bearer ")) {
    key = authz.substr(7);
  } else if (std::string_view x = req.Header("x-api-key"); !x.empty()) {
    key = x;
  } else if (auto it = req.query.find("key"); it != req.query.end()) {
    if (!route.query_key) {
      return Status::Unauthenticated(
          "an API key in the query (?key=) is accepted only on event "
          "streams: send Authorization: Bearer <key>");
    }
    key = it->second;  // EventSource cannot set headers
  }
  if (key.empty() || !auth_) {
    return Status::Unauthenticated("missing API key: send Authorization: Bearer <key>");
  }
  auto who = auth_(key);
  if (!who.ok()) return who.status();
  req.caller = std::move(*who);
  if (req.caller.key_hash.empty()) req.caller.key_hash = Sha256Hex(key);
  req.role = req.caller.role;
  req.principal = req.caller.principal;
  if (!Allows(req.role, need)) {
    return Status::PermissionDenied(std::string("this endpoint needs role ") + RoleName(need) +
                                    ", the key has role " + RoleName(req.role));
  }
  return std::nullopt;
}

std::optional<Response> Router::Admit(Request& req) const {
  auto parts = PathParts(req.path);
  bool path_matched = false;
  for (size_t i = 0; i < routes_.size(); ++i) {
    const Route& r = routes_[i];
    std::unordered_map<std::string, std::string> params;
    if (!MatchPath(r.parts, parts, &params)) continue;
    path_matched = true;
    if (r.method != req.method && !(req.method == "HEAD" && r.method == "GET")) continue;
    if (std::optional<Status> why = Authorize(r, req))
      return r.refusal ? r.refusal(req, *why) : ErrorResponse(*why);
    req.params = std::move(params);
    req.admitted_route = int(i);
    return std::nullopt;
  }
  if (path_matched) {
    // 405, not 400: the request is fine, the resource does not take it.
    Response r = ErrorResponse(
        Status::InvalidArgument("method " + req.method + " not allowed on " + req.path));
    r.status = 405;
    return r;
  }
  if (fallback_ && (req.method == "GET" || req.method == "HEAD") &&
      req.path.rfind("/v1/", 0) != 0) {
    req.admitted_route = Request::kFallbackRoute;
    return std::nullopt;
  }
  return ErrorResponse(Status::NotFound("no such endpoint: " + req.path));
}

void Router::Dispatch(Request& req, Respond respond) const {
  // A request the server admitted before reading its body is not looked up
  // or authenticated a second time.
  if (req.admitted_route == Request::kNotAdmitted) {
    if (auto refusal = Admit(req)) return respond(std::move(*refusal));
  }
  if (req.admitted_route == Request::kFallbackRoute) return fallback_(req, std::move(respond));
  routes_.at(size_t(req.admitted_route)).handler(req, std::move(respond));
}

static int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static std::string Decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 &&
               HexValue(s[i + 2]) >= 0) {
      out.push_back(char(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::unordered_map<std::string, std::string> ParseQuery(std::string_view qs) {
  std::unordered_map<std::string, std::string> out;
  size_t i = 0;
  while (i <= qs.size()) {
    size_t amp = qs.find('&', i);
    if (amp == std::string_view::npos) amp = qs.size();
    std::string_view kv = qs.substr(i, amp - i);
    if (!kv.empty()) {
      size_t eq = kv.find('=');
      if (eq == std::string_view::npos) {
        out[Decode(kv)] = "";
      } else {
        out[Decode(kv.substr(0, eq))] = Decode(kv.substr(eq + 1));
      }
    }
    i = amp + 1;
  }
  return out;
}

}  // namespace burnrate::http
