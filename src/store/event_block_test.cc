// Tests of the event block codec: round trips and rejection of damage.
#include "store/event_block.h"

#include <gtest/gtest.h>
#include <zstd.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

namespace burnrate::store {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

model::Event Usage(int i) {
  model::Event e;
  e.id = "evt-" + std::to_string(i);
  e.ts = 1'760'000'000'000 + i * 37;
  e.received = 1'760'000'000'500;
  e.user = "user" + std::to_string(i % 7);
  e.team = "team" + std::to_string(i % 3);
  e.org = "acme";
  e.project = "burnrate";
  e.source = "api";
  e.session = "s" + std::to_string(i / 5);
  e.client = "laptop";
  e.model = i % 2 ? "claude-sonnet-4-5" : "gpt-5";
  e.tokens = {100 + i, 20, 3000, 400, 100};
  e.cost_nanos = 123456 + i;
  return e;
}

void ExpectSame(const model::Event& a, const model::Event& b) {
  EXPECT_EQ(a.type, b.type);
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.ts, b.ts);
  EXPECT_EQ(a.received, b.received);
  EXPECT_EQ(a.user, b.user);
  EXPECT_EQ(a.team, b.team);
  EXPECT_EQ(a.org, b.org);
  EXPECT_EQ(a.project, b.project);
  EXPECT_EQ(a.source, b.source);
  EXPECT_EQ(a.session, b.session);
  EXPECT_EQ(a.client, b.client);
  EXPECT_EQ(a.model, b.model);
  EXPECT_EQ(a.tokens.input, b.tokens.input);
  EXPECT_EQ(a.tokens.output, b.tokens.output);
  EXPECT_EQ(a.tokens.cache_read, b.tokens.cache_read);
  EXPECT_EQ(a.tokens.cache_write, b.tokens.cache_write);
  EXPECT_EQ(a.tokens.cache_write_1h, b.tokens.cache_write_1h);
  EXPECT_EQ(a.cost_nanos, b.cost_nanos);
  EXPECT_EQ(a.cost_basis, b.cost_basis);
  EXPECT_EQ(a.requests, b.requests);
  EXPECT_EQ(a.outcome_kind, b.outcome_kind);
  EXPECT_EQ(std::memcmp(&a.outcome_value, &b.outcome_value, sizeof(double)), 0) << a.outcome_value;
  EXPECT_EQ(a.prompt.present, b.prompt.present);
  EXPECT_EQ(a.prompt.length, b.prompt.length);
  EXPECT_EQ(std::memcmp(&a.prompt.compress_ratio, &b.prompt.compress_ratio, sizeof(float)), 0);
  EXPECT_EQ(a.prompt.simhash, b.prompt.simhash);
  EXPECT_EQ(a.prompt.exact_hash, b.prompt.exact_hash);
}

std::vector<model::Event> RoundTrip(const std::vector<model::Event>& in,
                                    std::string* blob = nullptr) {
  EventBlockWriter w;
  for (const auto& e : in) w.Add(e);
  EXPECT_EQ(w.size(), in.size());
  std::string b;
  EXPECT_TRUE(w.Finish(&b).ok());
  EXPECT_EQ(w.size(), 0u);
  EventBlockReader r;
  std::vector<model::Event> out;
  Status st = r.Decode(b, &out);
  EXPECT_TRUE(st.ok()) << st.ToString();
  if (blob) *blob = b;
  return out;
}

TEST(EventBlock, RoundTripsEveryField) {
  std::vector<model::Event> in;
  for (int i = 0; i < 1000; ++i) in.push_back(Usage(i));
  in[3].prompt = {true, 2048, 0.37f, 0xfedcba9876543210ULL, 7};
  in[4].requests = 12;
  in[5].cost_basis = model::CostBasis::kEstimated;  // priced from the model's family
  in[6].cost_basis = model::CostBasis::kUnpriced, in[6].cost_nanos = 0;
  model::Event o;
  o.type = model::EventType::kOutcome;
  o.id = "o1";
  o.user = "bob";
  o.outcome_kind = "pull_request";
  o.outcome_value = 2.5;
  o.ts = 5, o.received = 6;  // far back from its neighbours: negative deltas
  in.insert(in.begin() + 10, o);
  std::string blob;
  auto out = RoundTrip(in, &blob);
  ASSERT_EQ(out.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) ExpectSame(in[i], out[i]);
  // Columnar + dictionary + zstd: far below the ~150 bytes of a row.
  EXPECT_LT(blob.size(), in.size() * 20) << blob.size();
}

TEST(EventBlock, EmptyStringsUnicodeAndEmptyBlock) {
  model::Event e;  // every string empty, defaults elsewhere
  model::Event u = Usage(1);
  u.user = "zoë 🚀 用户";
  u.id = std::string("nul\0inside", 10);
  u.session = std::string(5000, 'x');
  auto out = RoundTrip({e, u, e});
  ASSERT_EQ(out.size(), 3u);
  ExpectSame(out[0], e);
  ExpectSame(out[1], u);
  ExpectSame(out[2], e);
  EXPECT_TRUE(RoundTrip({}).empty());
}

TEST(EventBlock, ExtremeNumbers) {
  model::Event a = Usage(0), b = Usage(1), c = Usage(2);
  a.ts = kMax, a.received = kMin;
  b.ts = kMin, b.received = kMax;  // deltas that wrap around
  a.tokens = {kMax, kMin, 0, -1, 1};
  b.cost_nanos = -1;
  c.cost_nanos = kMin;
  a.requests = kMin, b.requests = kMax, c.requests = 0;
  a.outcome_value = -0.0;
  b.outcome_value = std::numeric_limits<double>::quiet_NaN();
  c.outcome_value = -std::numeric_limits<double>::infinity();
  a.prompt = {true, UINT32_MAX, -1.5f, UINT64_MAX, 0};
  b.prompt = {true, 0, 0.f, 0, 0};
  auto out = RoundTrip({a, b, c});
  ASSERT_EQ(out.size(), 3u);
  ExpectSame(out[0], a);
  ExpectSame(out[1], b);
  ExpectSame(out[2], c);
}

TEST(EventBlock, WriterAndReaderAreReusable) {
  EventBlockWriter w;
  EventBlockReader r;
  std::vector<model::Event> out;
  for (int round = 0; round < 3; ++round) {
    std::vector<model::Event> in;
    for (int i = 0; i < 10 * (3 - round); ++i) in.push_back(Usage(i + round * 100));
    for (const auto& e : in) w.Add(e);
    std::string b;
    ASSERT_TRUE(w.Finish(&b).ok());
    ASSERT_TRUE(r.Decode(b, &out).ok());
    ASSERT_EQ(out.size(), in.size());  // shrinking reuse leaves nothing behind
    for (size_t i = 0; i < in.size(); ++i) ExpectSame(in[i], out[i]);
  }
  w.Add(Usage(1));
  w.Clear();
  std::string b;
  ASSERT_TRUE(w.Finish(&b).ok());
  ASSERT_TRUE(r.Decode(b, &out).ok());
  EXPECT_TRUE(out.empty());
}

TEST(EventBlock, RejectsEveryTruncationAndNonZstd) {
  std::vector<model::Event> in;
  for (int i = 0; i < 50; ++i) in.push_back(Usage(i));
  in[3].prompt = {true, 300, 0.4f, 0x1234,
                  0x5678};  // fingerprints after the frame: truncations cut them too
  in[40].prompt = {true, 20, 1.1f, ~0ull, 1};
  std::string blob;
  RoundTrip(in, &blob);
  EventBlockReader r;
  std::vector<model::Event> out;
  for (size_t n = 0; n < blob.size(); ++n) {
    Status st = r.Decode(std::string_view(blob).substr(0, n), &out);
    ASSERT_FALSE(st.ok()) << n;
    EXPECT_EQ(st.code(), Status::Code::kIOError);
    EXPECT_NE(st.message().find("corrupt event block"), std::string::npos) << st.message();
  }
  Status st = r.Decode("not a block at all", &out);
  EXPECT_NE(st.message().find("not a zstd frame"), std::string::npos) << st.message();
}

// Builds a zstd frame around a hand-made payload, to damage the format
// itself rather than the compression.
std::string Frame(const std::string& raw) {
  std::string out(ZSTD_compressBound(raw.size()), '\0');
  out.resize(ZSTD_compress(out.data(), out.size(), raw.data(), raw.size(), 1));
  return out;
}

TEST(EventBlock, RejectsDamagedPayloadsWithAClearReason) {
  EventBlockReader r;
  std::vector<model::Event> out;
  auto reason = [&](const std::string& raw) {
    Status st = r.Decode(Frame(raw), &out);
    EXPECT_FALSE(st.ok());
    return st.message();
  };
  EXPECT_NE(reason(std::string("\x03", 1)).find("unknown version 3"), std::string::npos);
  EXPECT_NE(reason(std::string("\x01\x05\x00", 3)).find("bad"), std::string::npos);
  // One event, empty dictionary, columns sized right but a name index of 3.
  std::string one("\x01\x01\x00", 3);
  auto col = [](std::string bytes) { return std::string(1, char(bytes.size())) + bytes; };
  std::string names(9, '\0');
  names[0] = 3;
  std::string payload = one + col(std::string(1, '\0')) + col(std::string("\x01x", 2)) +
                        col(std::string(1, '\0')) + col(std::string(1, '\0')) + col(names) +
                        col(std::string(6, '\0')) + col("") + col("");
  EXPECT_NE(reason(payload).find("bad name index"), std::string::npos);
  // The same with a valid dictionary decodes; with a stray flag bit it does not.
  std::string good =
      std::string("\x01\x01\x04", 3) + std::string("\x00\x00\x00\x00", 4) + payload.substr(3);
  Status st = r.Decode(Frame(good), &out);
  EXPECT_TRUE(st.ok()) << st.ToString();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].id, "x");
  std::string bad_flags = good;
  bad_flags[3 + 4 + 1] = char(0x40);
  EXPECT_NE(reason(bad_flags).find("bad flags"), std::string::npos);
  EXPECT_NE(reason(good + "z").find("trailing bytes"), std::string::npos);
  // Version 1 has nothing after the frame.
  st = r.Decode(Frame(good) + "z", &out);
  EXPECT_NE(st.message().find("trailing bytes after the frame"), std::string::npos) << st.message();
  // A frame claiming more than the limit is refused before allocating it.
  st = r.Decode(Frame(std::string(1 << 20, 'a')), &out, 1000);
  EXPECT_NE(st.message().find("over the limit"), std::string::npos) << st.message();
}

// Version 1 kept the fingerprints inside the frame, after the ratio in the
// prompts column; blocks written before version 2 still decode.
TEST(EventBlock, ReadsVersionOneWithFingerprintsInsideTheFrame) {
  auto col = [](std::string bytes) { return std::string(1, char(bytes.size())) + bytes; };
  auto fixed = [](auto v) { return std::string(reinterpret_cast<const char*>(&v), sizeof v); };
  std::string prompts = std::string(1, char(100)) + fixed(0.25f) +
                        fixed(uint64_t(0xfeedfacecafebeefull)) + fixed(uint64_t(42));
  std::string v1 = std::string("\x01\x01\x01\x01x", 5) + col(std::string(1, char(2))) +
                   col(std::string("\x01y", 2)) + col(std::string(1, '\0')) +
                   col(std::string(1, '\0')) + col(std::string(9, '\0')) +
                   col(std::string(6, '\0')) + col("") + col(prompts);
  EventBlockReader r;
  std::vector<model::Event> out;
  Status st = r.Decode(Frame(v1), &out);
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].id, "y");
  EXPECT_EQ(out[0].user, "x");
  EXPECT_TRUE(out[0].prompt.present);
  EXPECT_EQ(out[0].prompt.length, 100u);
  EXPECT_EQ(out[0].prompt.compress_ratio, 0.25f);
  EXPECT_EQ(out[0].prompt.simhash, 0xfeedfacecafebeefull);
  EXPECT_EQ(out[0].prompt.exact_hash, 42u);
}

// Version 2 keeps the fingerprints after the frame, uncompressed; a missing
// or extra byte there is named.
TEST(EventBlock, FingerprintsAfterTheFrameAreCheckedLikeAColumn) {
  std::vector<model::Event> in = {Usage(0), Usage(1)};
  in[1].prompt = {true, 330, 0.6f, 0x0123456789abcdefull, 0xfedcba9876543210ull};
  std::string blob;
  auto out = RoundTrip(in, &blob);
  ASSERT_EQ(out.size(), 2u);
  ExpectSame(out[1], in[1]);
  uint64_t tail[2];
  std::memcpy(tail, blob.data() + blob.size() - 16, 16);
  EXPECT_EQ(tail[0], in[1].prompt.simhash);  // stored as is, not compressed
  EXPECT_EQ(tail[1], in[1].prompt.exact_hash);
  EventBlockReader r;
  Status st = r.Decode(blob + "z", &out);
  EXPECT_NE(st.message().find("trailing bytes in column fingerprints"), std::string::npos)
      << st.message();
  st = r.Decode(std::string_view(blob).substr(0, blob.size() - 1), &out);
  EXPECT_NE(st.message().find("truncated fingerprints"), std::string::npos) << st.message();
}

TEST(EventBlock, RandomBitFlipsNeverCrash) {
  std::vector<model::Event> in;
  for (int i = 0; i < 200; ++i) in.push_back(Usage(i));
  in[7].prompt = {true, 10, 0.5f, 1, 2};
  std::string blob;
  RoundTrip(in, &blob);
  EventBlockReader r;
  std::vector<model::Event> out;
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    std::string b = blob;
    b[rng() % b.size()] ^= char(1 << (rng() % 8));
    (void)r.Decode(b, &out);  // any answer but a crash (ASan build checks)
  }
}

}  // namespace
}  // namespace burnrate::store
