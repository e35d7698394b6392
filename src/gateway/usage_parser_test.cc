#include "gateway/usage_parser.h"

#include <gtest/gtest.h>

#include "gateway/client_request.h"

namespace burnrate::gateway {
namespace {

// Feeds `stream` in pieces of `step` bytes; returns what the client would see.
std::string FeedAll(StreamUsage& u, std::string_view stream, size_t step) {
  SseSplitter s;
  std::string out;
  for (size_t i = 0; i < stream.size(); i += step) {
    s.Feed(stream.substr(i, step),
           [&](std::string_view raw, std::string_view name, std::string_view data) {
             if (u.OnEvent(name, data)) out.append(raw);
           });
  }
  return out;
}

constexpr std::string_view kAnthropicStream =
    "event: message_start\n"
    "data: "
    "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"model\":\"claude-sonnet-4-5\","
    "\"usage\":"
    "{\"input_tokens\":10,\"cache_read_input_tokens\":700,\"cache_creation_input_tokens\":60,"
    "\"cache_creation\":{\"ephemeral_5m_input_tokens\":20,\"ephemeral_1h_input_tokens\":40},"
    "\"output_tokens\":1}}}\n\n"
    "event: content_block_delta\r\n"
    "data: "
    "{\"type\":\"content_block_delta\",\"delta\":{\"type\":\"text_delta\",\"text\":\"hi\"}}\r\n\r\n"
    "event: message_delta\n"
    "data: "
    "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_"
    "tokens\":57}}\n\n"
    "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";

TEST(StreamUsage, AnthropicAnyChunking) {
  for (size_t step : {1, 7, 64, 100000}) {
    StreamUsage u(Api::kAnthropicMessages);
    EXPECT_EQ(FeedAll(u, kAnthropicStream, step), kAnthropicStream) << step;
    const Usage& got = u.usage();
    EXPECT_TRUE(got.reported);
    EXPECT_EQ(got.id, "msg_1");
    EXPECT_EQ(got.model, "claude-sonnet-4-5");
    EXPECT_EQ(got.tokens.input, 10);
    EXPECT_EQ(got.tokens.cache_read, 700);
    EXPECT_EQ(got.tokens.cache_write, 60);
    EXPECT_EQ(got.tokens.cache_write_1h, 40);
    EXPECT_EQ(got.tokens.output, 57);
  }
}

TEST(StreamUsage, AnthropicCutAfterStartCountsWhatWasReported) {
  StreamUsage u(Api::kAnthropicMessages);
  FeedAll(u, kAnthropicStream.substr(0, kAnthropicStream.find("event: content_block_delta")), 5);
  EXPECT_EQ(u.usage().tokens.input, 10);
  EXPECT_EQ(u.usage().tokens.output, 1);
}

TEST(StreamUsage, MalformedEventIsPassedOnAndCounted) {
  StreamUsage u(Api::kAnthropicMessages);
  std::string s = "event: message_start\ndata: {\"type\":\"message_start\" nope\n\n" +
                  std::string(kAnthropicStream);
  EXPECT_EQ(FeedAll(u, s, 3), s);
  EXPECT_EQ(u.malformed_events(), 1);
  EXPECT_EQ(u.usage().tokens.output, 57);
}

constexpr std::string_view kChatStream =
    "data: "
    "{\"id\":\"chatcmpl-1\",\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"content\":"
    "\"hi\"}}],\"usage\":null}\n\n"
    "data: "
    "{\"id\":\"chatcmpl-1\",\"model\":\"gpt-4o\",\"choices\":[],\"usage\":{\"prompt_tokens\":100,"
    "\"completion_tokens\":20,\"prompt_tokens_details\":{\"cached_tokens\":30},"
    "\"completion_tokens_details\":{\"reasoning_tokens\":5}}}\n\n"
    "data: [DONE]\n\n";

TEST(StreamUsage, OpenAiChatUsageChunkStrippedOnlyWhenAsked) {
  StreamUsage strip(Api::kOpenAiChat, /*strip_usage_chunk=*/true);
  std::string seen = FeedAll(strip, kChatStream, 11);
  EXPECT_EQ(seen.find("prompt_tokens"), std::string::npos);
  EXPECT_NE(seen.find("[DONE]"), std::string::npos);
  EXPECT_EQ(strip.usage().tokens.input, 70);
  EXPECT_EQ(strip.usage().tokens.cache_read, 30);
  EXPECT_EQ(strip.usage().tokens.output, 20);
  EXPECT_EQ(strip.usage().reasoning_tokens, 5);
  EXPECT_EQ(strip.usage().id, "chatcmpl-1");
  StreamUsage keep(Api::kOpenAiChat, false);
  EXPECT_EQ(FeedAll(keep, kChatStream, 11), kChatStream);
}

TEST(StreamUsage, ResponsesCompleted) {
  std::string s =
      "event: response.created\ndata: "
      "{\"type\":\"response.created\",\"response\":{\"id\":\"resp_9\",\"model\":\"gpt-5\"}}\n\n"
      "event: response.completed\ndata: "
      "{\"type\":\"response.completed\",\"response\":{\"id\":\"resp_9\",\"model\":"
      "\"gpt-5\",\"usage\":{\"input_tokens\":50,\"input_tokens_details\":{\"cached_tokens\":20},"
      "\"output_tokens\":9,"
      "\"output_tokens_details\":{\"reasoning_tokens\":4}}}}\n\n";
  StreamUsage u(Api::kOpenAiResponses);
  FeedAll(u, s, 13);
  EXPECT_EQ(u.usage().id, "resp_9");
  EXPECT_EQ(u.usage().tokens.input, 30);
  EXPECT_EQ(u.usage().tokens.cache_read, 20);
  EXPECT_EQ(u.usage().tokens.output, 9);
  EXPECT_EQ(u.usage().reasoning_tokens, 4);
}

TEST(ParseUsageBody, AnthropicAndErrors) {
  Usage u;
  ASSERT_TRUE(ParseUsageBody(
                  Api::kAnthropicMessages,
                  R"({"id":"msg_2","model":"m","usage":{"input_tokens":3,"output_tokens":-4}})", &u)
                  .ok());
  EXPECT_EQ(u.tokens.input, 3);
  EXPECT_EQ(u.tokens.output, 0);  // negative counts are clamped
  Usage none;
  EXPECT_FALSE(ParseUsageBody(Api::kOpenAiChat, "not json", &none).ok());
  ASSERT_TRUE(ParseUsageBody(Api::kOpenAiChat, R"({"id":"x"})", &none).ok());
  EXPECT_FALSE(none.reported);
}

TEST(ClientRequest, NewestUserTurnAndIncludeUsage) {
  ClientRequest r;
  ASSERT_TRUE(ParseClientRequest(Api::kAnthropicMessages,
                                 R"({"model":"claude","max_tokens":512,"stream":true,"messages":[
                                   {"role":"user","content":"old question"},{"role":"assistant","content":"a"},
                                   {"role":"user","content":[{"type":"tool_result","content":"x"},{"type":"text","text":"new one"}]}]})",
                                 &r)
                  .ok());
  EXPECT_EQ(r.newest_user_text, "new one");
  EXPECT_EQ(r.max_tokens, 512);
  EXPECT_TRUE(r.stream);
  EXPECT_TRUE(r.forward_body.empty());

  ClientRequest c;
  ASSERT_TRUE(ParseClientRequest(
                  Api::kOpenAiChat,
                  R"({"model":"gpt-4o","stream":true,"stream_options":{"x":1},"messages":[]})", &c)
                  .ok());
  EXPECT_FALSE(c.asked_usage);
  EXPECT_EQ(
      c.forward_body,
      R"({"model":"gpt-4o","stream":true,"messages":[],"stream_options":{"x":1,"include_usage":true}})");

  ClientRequest bad;
  Status st = ParseClientRequest(Api::kOpenAiChat, R"({"model":"m","max_tokens":"9"})", &bad);
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.field(), "max_tokens");
  ClientRequest no_model;
  st = ParseClientRequest(Api::kOpenAiChat, R"({"messages":[]})", &no_model);
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.field(), "model");
}

}  // namespace
}  // namespace burnrate::gateway
