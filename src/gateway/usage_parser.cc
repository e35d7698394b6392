#include "gateway/usage_parser.h"

#include <simdjson.h>

#include <algorithm>

namespace burnrate::gateway {

namespace {

using simdjson::dom::element;

// Token counts are clamped to [0, 1e12]: a provider that reports garbage
// must not make a budget go negative or overflow.
int64_t IntAt(element e, std::string_view pointer) {
  auto v = e.at_pointer(pointer);
  if (v.error()) return 0;
  int64_t i = 0;
  if (v.get_int64().get(i) != simdjson::SUCCESS) {
    uint64_t u = 0;
    if (v.get_uint64().get(u) != simdjson::SUCCESS) return 0;
    i = int64_t(std::min<uint64_t>(u, uint64_t(1e12)));
  }
  return std::clamp<int64_t>(i, 0, int64_t(1e12));
}

bool Has(element e, std::string_view pointer) {
  auto v = e.at_pointer(pointer);
  return !v.error() && !v.is_null();
}

void StringAt(element e, std::string_view pointer, std::string* out) {
  std::string_view s;
  if (e.at_pointer(pointer).get_string().get(s) == simdjson::SUCCESS && !s.empty())
    *out = std::string(s);
}

// Anthropic "usage": every field present replaces the one before (the
// message_delta counts are cumulative).
void AnthropicUsage(element u, Usage* out) {
  model::TokenCounts& t = out->tokens;
  if (Has(u, "/input_tokens")) t.input = IntAt(u, "/input_tokens");
  if (Has(u, "/output_tokens")) t.output = IntAt(u, "/output_tokens");
  if (Has(u, "/cache_read_input_tokens")) t.cache_read = IntAt(u, "/cache_read_input_tokens");
  if (Has(u, "/cache_creation_input_tokens"))
    t.cache_write = IntAt(u, "/cache_creation_input_tokens");
  if (Has(u, "/cache_creation/ephemeral_1h_input_tokens")) {
    t.cache_write_1h =
        std::min(t.cache_write, IntAt(u, "/cache_creation/ephemeral_1h_input_tokens"));
  }
  out->reported = true;
}

// OpenAI chat "usage" (prompt/completion) or Responses "usage" (input/output).
void OpenAiUsage(element u, bool responses, Usage* out) {
  int64_t in = IntAt(u, responses ? "/input_tokens" : "/prompt_tokens");
  int64_t cached = IntAt(u, responses ? "/input_tokens_details/cached_tokens"
                                      : "/prompt_tokens_details/cached_tokens");
  cached = std::min(cached, in);
  out->tokens.input = in - cached;
  out->tokens.cache_read = cached;
  out->tokens.output = IntAt(u, responses ? "/output_tokens" : "/completion_tokens");
  out->reasoning_tokens = IntAt(u, responses ? "/output_tokens_details/reasoning_tokens"
                                             : "/completion_tokens_details/reasoning_tokens");
  out->reported = true;
}

simdjson::dom::parser& Parser() {
  thread_local simdjson::dom::parser p;
  return p;
}

}  // namespace

Status ParseUsageBody(Api api, std::string_view body, Usage* out) {
  element doc;
  if (Parser().parse(body.data(), body.size()).get(doc) != simdjson::SUCCESS) {
    return Status::InvalidArgument("upstream answer is not JSON");
  }
  StringAt(doc, "/id", &out->id);
  StringAt(doc, "/model", &out->model);
  element u;
  if (doc.at_pointer("/usage").get(u) != simdjson::SUCCESS || !u.is_object()) return Status::OK();
  if (api == Api::kAnthropicMessages) {
    AnthropicUsage(u, out);
  } else {
    OpenAiUsage(u, api == Api::kOpenAiResponses, out);
  }
  return Status::OK();
}

void SseSplitter::Feed(std::string_view bytes, const OnEvent& on_event) {
  buf_.append(bytes);
  size_t start = 0;
  for (;;) {
    // An event ends at a blank line: "\n\n" (or with "\r\n").
    // A terminator may straddle the previous Feed: look back 2 bytes ("\n\r").
    size_t from = std::max(start, scanned_ > 2 ? scanned_ - 2 : 0);
    size_t end = std::string::npos, term = 0;
    for (size_t i = from; i + 1 < buf_.size(); ++i) {
      if (buf_[i] != '\n') continue;
      if (buf_[i + 1] == '\n') {
        end = i, term = 2;
        break;
      }
      if (buf_[i + 1] == '\r' && i + 2 < buf_.size() && buf_[i + 2] == '\n') {
        end = i, term = 3;
        break;
      }
    }
    if (end == std::string::npos) {
      if (buf_.size() - start > kMaxEventBytes) {
        on_event(std::string_view(buf_).substr(start), "", "");
        start = buf_.size();
      }
      break;
    }
    std::string_view raw = std::string_view(buf_).substr(start, end + term - start);
    std::string_view body = std::string_view(buf_).substr(start, end - start);
    std::string name, data;
    size_t pos = 0;
    while (pos < body.size()) {
      size_t nl = body.find('\n', pos);
      if (nl == std::string_view::npos) nl = body.size();
      std::string_view line = body.substr(pos, nl - pos);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      pos = nl + 1;
      size_t colon = line.find(':');
      std::string_view field = line.substr(0, colon), value;
      if (colon != std::string_view::npos) {
        value = line.substr(colon + 1);
        if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      }
      if (field == "event") name = std::string(value);
      if (field == "data") {
        if (!data.empty()) data.push_back('\n');
        data.append(value);
      }
    }
    on_event(raw, name, data);
    start = end + term;
    scanned_ = 0;
  }
  buf_.erase(0, start);
  scanned_ = buf_.size();
}

bool StreamUsage::OnEvent(std::string_view name, std::string_view data) {
  if (data.empty() || data == "[DONE]") return true;
  // Most events carry text, not usage: look before parsing.
  bool wanted = false;
  switch (api_) {
    case Api::kAnthropicMessages:
      wanted = data.find("\"message_start\"") != std::string_view::npos ||
               data.find("\"message_delta\"") != std::string_view::npos;
      break;
    case Api::kOpenAiChat:
      wanted = usage_.id.empty() || data.find("\"usage\"") != std::string_view::npos;
      break;
    case Api::kOpenAiResponses:
      wanted = data.find("\"response.") != std::string_view::npos &&
               (data.find("\"usage\"") != std::string_view::npos || usage_.id.empty());
      break;
  }
  if (!wanted) return true;
  element doc;
  if (Parser().parse(data.data(), data.size()).get(doc) != simdjson::SUCCESS || !doc.is_object()) {
    ++malformed_;
    return true;
  }
  std::string_view type;
  if (doc["type"].get_string().get(type)) {
  }  // absent or not a string: stays empty
  element u;
  switch (api_) {
    case Api::kAnthropicMessages:
      if (type == "message_start") {
        StringAt(doc, "/message/id", &usage_.id);
        StringAt(doc, "/message/model", &usage_.model);
        if (doc.at_pointer("/message/usage").get(u) == simdjson::SUCCESS && u.is_object())
          AnthropicUsage(u, &usage_);
      } else if (type == "message_delta") {
        if (doc.at_pointer("/usage").get(u) == simdjson::SUCCESS && u.is_object())
          AnthropicUsage(u, &usage_);
      }
      return true;
    case Api::kOpenAiChat: {
      if (usage_.id.empty()) StringAt(doc, "/id", &usage_.id);
      if (usage_.model.empty()) StringAt(doc, "/model", &usage_.model);
      if (doc.at_pointer("/usage").get(u) != simdjson::SUCCESS || !u.is_object()) return true;
      OpenAiUsage(u, false, &usage_);
      simdjson::dom::array choices;
      bool no_choices =
          doc.at_pointer("/choices").get(choices) != simdjson::SUCCESS || choices.size() == 0;
      return !(strip_ && no_choices);
    }
    case Api::kOpenAiResponses:
      if (usage_.id.empty()) StringAt(doc, "/response/id", &usage_.id);
      if (usage_.model.empty()) StringAt(doc, "/response/model", &usage_.model);
      if (doc.at_pointer("/response/usage").get(u) == simdjson::SUCCESS && u.is_object()) {
        OpenAiUsage(u, true, &usage_);
        StringAt(doc, "/response/model", &usage_.model);
      }
      return true;
  }
  return true;
}

}  // namespace burnrate::gateway
