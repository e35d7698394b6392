#include "gateway/client_request.h"

#include <simdjson.h>

#include "common/json_writer.h"

namespace burnrate::gateway {

namespace {

using simdjson::dom::element;

Status Bad(const char* name, const char* what) {
  return Status::InvalidArgument(std::string(name) + " " + what).WithField(name);
}

// Text of a message's content: a string, or an array of blocks whose
// "text" fields are joined (tool results and images carry no prompt text).
void AppendText(element content, std::string* out) {
  std::string_view s;
  if (content.get_string().get(s) == simdjson::SUCCESS) {
    out->append(s);
    return;
  }
  simdjson::dom::array blocks;
  if (content.get_array().get(blocks) != simdjson::SUCCESS) return;
  for (element b : blocks) {
    std::string_view type, text;
    if (b["type"].get_string().get(type)) {
    }  // absent or not a string: stays empty
    if (type != "text" && type != "input_text") continue;
    if (b["text"].get_string().get(text) != simdjson::SUCCESS) continue;
    if (!out->empty()) out->push_back('\n');
    out->append(text);
  }
}

// The last element of `messages` (or Responses' "input" list) with role user.
void NewestUserTurn(element list, std::string* out) {
  std::string_view s;
  if (list.get_string().get(s) == simdjson::SUCCESS) {  // Responses: "input": "text"
    out->assign(s);
    return;
  }
  simdjson::dom::array items;
  if (list.get_array().get(items) != simdjson::SUCCESS) return;
  element last_user;
  bool found = false;
  for (element m : items) {
    std::string_view role;
    if (m["role"].get_string().get(role) == simdjson::SUCCESS && role == "user")
      last_user = m, found = true;
  }
  if (!found) return;
  element content;
  if (last_user["content"].get(content) == simdjson::SUCCESS) AppendText(content, out);
}

// The body again, with stream_options.include_usage set: other fields are
// copied as they were (minified).
std::string WithIncludeUsage(simdjson::dom::object root) {
  JsonWriter w;
  w.BeginObject();
  for (auto [key, value] : root) {
    if (key == "stream_options") continue;
    w.Key(key).Raw(simdjson::minify(value));
  }
  w.Key("stream_options").BeginObject();
  simdjson::dom::object old;
  if (root["stream_options"].get_object().get(old) == simdjson::SUCCESS) {
    for (auto [key, value] : old) {
      if (key != "include_usage") w.Key(key).Raw(simdjson::minify(value));
    }
  }
  w.Key("include_usage").Bool(true).EndObject();
  w.EndObject();
  return w.Take();
}

}  // namespace

Status ParseClientRequest(Api api, std::string_view body, ClientRequest* out) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::object root;
  if (parser.parse(body.data(), body.size()).get_object().get(root) != simdjson::SUCCESS) {
    return Bad("body", "must be a JSON object");
  }
  element v;
  if (root["model"].get(v) == simdjson::SUCCESS) {
    std::string_view m;
    if (v.get_string().get(m) != simdjson::SUCCESS) return Bad("model", "must be a string");
    out->model = std::string(m);
  }
  if (out->model.empty()) return Bad("model", "is required");
  if (root["stream"].get(v) == simdjson::SUCCESS && !v.is_null()) {
    if (v.get_bool().get(out->stream) != simdjson::SUCCESS)
      return Bad("stream", "must be true or false");
  }
  for (const char* name : {"max_tokens", "max_completion_tokens", "max_output_tokens"}) {
    if (root[name].get(v) != simdjson::SUCCESS || v.is_null()) continue;
    int64_t n = 0;
    if (v.get_int64().get(n) != simdjson::SUCCESS || n < 0)
      return Bad(name, "must be a non-negative integer");
    out->max_tokens = n;
  }
  if (root.at_pointer("/stream_options/include_usage").get(v) == simdjson::SUCCESS) {
    if (v.get_bool().get(out->asked_usage)) {
    }  // not a bool: stays false
  }
  element turns;
  if (root[api == Api::kOpenAiResponses ? "input" : "messages"].get(turns) == simdjson::SUCCESS) {
    NewestUserTurn(turns, &out->newest_user_text);
  }
  if (api == Api::kOpenAiChat && out->stream && !out->asked_usage)
    out->forward_body = WithIncludeUsage(root);
  return Status::OK();
}

}  // namespace burnrate::gateway
