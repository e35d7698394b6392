// Checkpoint files (store.h: WriteCheckpointFile / ReadCheckpointFile) and
// the block positions they name (LastBlock, FindBlock, PurgedThrough,
// ScanEventBlocksAfter).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "store/store.h"

namespace burnrate::store {
namespace {

namespace fs = std::filesystem;

class CheckpointFileTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(testing::TempDir()) /
           ("ckpt_test_" + std::to_string(getpid()) + "_" +
            testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "db.checkpoint").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  static Checkpoint Sample() {
    Checkpoint c;
    c.payload_version = 3;
    c.options_hash = 0xabcdef;
    c.through = {.seq = 42, .received_max = 1'700'000'000'000, .n = 65536};
    c.written_at = 1'700'000'100'000;
    for (int i = 0; i < 100000; ++i) c.payload += char(i % 7 ? 0 : i);
    return c;
  }
  std::string Bytes() {
    std::ifstream f(path_, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), {}};
  }
  void Put(const std::string& b) { std::ofstream(path_, std::ios::binary | std::ios::trunc) << b; }
  void Damage();  // of the file at path_: each kind refused with its reason

  fs::path dir_;
  std::string path_;
};

TEST_F(CheckpointFileTest, RoundTripAndAtomicReplace) {
  EXPECT_EQ(ReadCheckpointFile(path_).status().code(), Status::Code::kNotFound);
  Checkpoint c = Sample();
  ASSERT_TRUE(WriteCheckpointFile(path_, c).ok());
  auto r = ReadCheckpointFile(path_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->payload, c.payload);
  EXPECT_EQ(r->payload_version, 3u);
  EXPECT_EQ(r->options_hash, 0xabcdefu);
  EXPECT_EQ(r->through, c.through);
  EXPECT_EQ(r->written_at, c.written_at);
  EXPECT_LT(Bytes().size(), c.payload.size() / 4);  // compressed
  EXPECT_FALSE(fs::exists(path_ + ".tmp"));
  // A stale half-written temporary file changes nothing and is replaced.
  std::ofstream(path_ + ".tmp") << "half";
  c.through.seq = 43;
  ASSERT_TRUE(WriteCheckpointFile(path_, c).ok());
  EXPECT_EQ(ReadCheckpointFile(path_)->through.seq, 43);
}

TEST_F(CheckpointFileTest, DamageIsRefusedWithTheReason) {
  for (uint32_t format : {1u, 2u}) {
    SCOPED_TRACE(format);
    Checkpoint c = Sample();
    if (format == 2) c.sections = {c.payload.substr(0, 500), c.payload.substr(500)};
    if (format == 2) c.payload.clear();
    ASSERT_TRUE(WriteCheckpointFile(path_, c, format).ok());
    Damage();
  }
}

void CheckpointFileTest::Damage() {
  std::string good = Bytes();
  auto reason = [&](std::string bytes) {
    Put(bytes);
    auto r = ReadCheckpointFile(path_);
    EXPECT_FALSE(r.ok());
    return r.status().message();
  };
  std::string flipped = good;
  flipped[good.size() / 2] ^= 1;
  EXPECT_NE(reason(flipped).find("checksum mismatch"), std::string::npos);
  std::string header = good;
  header[30] ^= 1;  // the position: covered by the checksum too
  EXPECT_NE(reason(header).find("checksum mismatch"), std::string::npos);
  EXPECT_NE(reason(good.substr(0, good.size() - 1)).find("truncated"), std::string::npos);
  EXPECT_NE(reason(good + "x").find("trailing"), std::string::npos);
  EXPECT_NE(reason("SQLite format 3").find("not a checkpoint"), std::string::npos);
  std::string future = good;
  future[8] = 9;  // format version
  EXPECT_NE(reason(future).find("format version 9"), std::string::npos);
}

// The streamed read (CheckpointReader) hands out the payload in pieces of
// any size; only Finish() says whether it can be trusted.
TEST_F(CheckpointFileTest, StreamedReadInPiecesAndChecksumAtTheEnd) {
  EXPECT_EQ(CheckpointReader::Open(path_).status().code(), Status::Code::kNotFound);
  Checkpoint c = Sample();
  for (int i = 0; i < 3'000'000; ++i) c.payload += char(i * 2654435761u >> 24);  // > 1 MiB packed
  ASSERT_TRUE(WriteCheckpointFile(path_, c, 1).ok());  // one frame, read ahead on a thread
  auto read_all = [&](size_t piece, std::string* out) {
    auto r = CheckpointReader::Open(path_);
    if (!r.ok()) return r.status();
    EXPECT_EQ((*r)->header().through, c.through);
    EXPECT_EQ((*r)->payload_size(), c.payload.size());
    out->clear();
    std::string buf(piece, '\0');
    for (;;) {
      auto n = (*r)->Read(buf.data(), buf.size());
      if (!n.ok()) return n.status();
      out->append(buf.data(), *n);
      if (*n < piece) break;
    }
    return (*r)->Finish();
  };
  std::string got;
  for (size_t piece : {size_t(7), size_t(65536), size_t(10'000'000)}) {
    ASSERT_TRUE(read_all(piece, &got).ok()) << piece;
    EXPECT_EQ(got, c.payload) << piece;
  }
  std::string bytes = Bytes();
  bytes[bytes.size() - 100] ^= 1;  // inside the compressed frame, near its end
  Put(bytes);
  Status st = read_all(4096, &got);
  EXPECT_FALSE(st.ok());
  bytes = Bytes();
  bytes[bytes.size() - 100] ^= 1;  // restored; now the stored checksum itself
  bytes[bytes.size() - 1] ^= 1;
  Put(bytes);
  st = read_all(4096, &got);
  EXPECT_NE(st.message().find("checksum mismatch"), std::string::npos) << st.ToString();
  EXPECT_EQ(got, c.payload);  // every byte came out; only the checksum said no
}

// The reader decompresses ahead of its owner on a thread of its own: an
// owner that stops early (a header it refuses, a malformed state) or calls
// Finish before the end must neither hang nor be told the file is good.
TEST_F(CheckpointFileTest, ReaderLeftBeforeTheEndStopsItsReadAhead) {
  Checkpoint c = Sample();
  for (int i = 0; i < 12'000'000; ++i) c.payload += char(i * 2654435761u >> 24);  // > 4 pieces
  ASSERT_TRUE(WriteCheckpointFile(path_, c, 1).ok());
  for (int read : {0, 10, 5'000'000}) {
    auto r = CheckpointReader::Open(path_);
    ASSERT_TRUE(r.ok());
    std::string buf(size_t(read), '\0');
    if (read > 0) {
      auto n = (*r)->Read(buf.data(), buf.size());
      ASSERT_TRUE(n.ok());
      EXPECT_EQ(*n, size_t(read));
      EXPECT_EQ(buf, c.payload.substr(0, size_t(read)));
    }
    if (read == 10) {
      Status st = (*r)->Finish();  // 12 MB left unread
      EXPECT_NE(st.message().find("does not decompress to its length"), std::string::npos)
          << st.ToString();
    }
  }  // each reader destroyed with its read-ahead running or blocked
}

// Format 2: sections, each its own frame, read on several threads at once;
// Read() over them gives the sections joined; damage in one section is
// found when that section ends, damage in the index when the file opens.
TEST_F(CheckpointFileTest, SectionsReadInParallelEachCheckedAtItsEnd) {
  Checkpoint c = Sample();
  c.payload.clear();
  for (int k = 0; k < 6; ++k) {
    std::string& sec = c.sections.emplace_back();
    for (int i = 0; i < 400'000 * k; ++i) sec += char((i + k) * 2654435761u >> 24);
  }  // the first empty, the others > 1 MiB packed
  ASSERT_TRUE(WriteCheckpointFile(path_, c).ok());
  auto whole = ReadCheckpointFile(path_);
  ASSERT_TRUE(whole.ok()) << whole.status().ToString();
  EXPECT_EQ(whole->sections, c.sections);
  std::string joined;
  for (const auto& sec : c.sections) joined += sec;
  EXPECT_EQ(whole->payload, joined);

  // Each section on its own thread, in pieces; `got` the bytes, the status
  // FinishSection's.
  auto read_parallel = [&](std::vector<std::string>* got) {
    auto r = CheckpointReader::Open(path_);
    if (!r.ok()) return std::vector<Status>{r.status()};
    EXPECT_EQ((*r)->sections(), c.sections.size());
    std::vector<Status> st(c.sections.size());
    got->assign(c.sections.size(), "");
    std::vector<std::thread> threads;
    for (size_t i = 0; i < c.sections.size(); ++i) {
      threads.emplace_back([&, i] {
        EXPECT_EQ((*r)->section_size(i), c.sections[i].size());
        std::string buf(size_t(65536 + i), '\0');
        for (;;) {
          auto n = (*r)->ReadSection(i, buf.data(), buf.size());
          if (!n.ok()) return void(st[i] = n.status());
          (*got)[i].append(buf.data(), *n);
          if (*n < buf.size()) break;
        }
        st[i] = (*r)->FinishSection(i);
      });
    }
    for (auto& t : threads) t.join();
    if (st.back().ok()) st.push_back((*r)->Finish());
    return st;
  };
  std::vector<std::string> got;
  for (const Status& st : read_parallel(&got)) EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(got, c.sections);

  std::string good = Bytes();
  std::string bytes = good;
  bytes[bytes.size() - 100] ^= 1;  // inside the last section's frame
  Put(bytes);
  std::vector<Status> st = read_parallel(&got);
  for (size_t i = 0; i + 1 < c.sections.size(); ++i) EXPECT_TRUE(st[i].ok()) << i;
  EXPECT_NE(st[c.sections.size() - 1].message().find("checksum mismatch"), std::string::npos)
      << st[c.sections.size() - 1].ToString();
  bytes = good;
  bytes[72 + 8 + 24 * 3 + 4] ^= 1;  // the index: section 3's payload length
  Put(bytes);
  st = read_parallel(&got);
  ASSERT_EQ(st.size(), 1u);
  EXPECT_NE(st[0].message().find("checksum mismatch"), std::string::npos) << st[0].ToString();

  // A reader left before the end says so, and its sections' state is freed.
  Put(good);
  auto r = CheckpointReader::Open(path_);
  ASSERT_TRUE(r.ok());
  std::string buf(10, '\0');
  ASSERT_TRUE((*r)->ReadSection(2, buf.data(), buf.size()).ok());
  EXPECT_EQ(buf, c.sections[2].substr(0, 10));
  EXPECT_FALSE((*r)->FinishSection(2).ok());
  EXPECT_FALSE((*r)->Finish().ok());
  EXPECT_FALSE((*r)->ReadSection(6, buf.data(), buf.size()).ok());  // no such section
}

model::Event Ev(int i, TimeMs received) {
  model::Event e;
  e.id = "e" + std::to_string(i);
  e.user = "u", e.team = "t", e.org = "o", e.model = "m";
  e.ts = received - 1000, e.received = received;
  e.tokens.input = 1;
  return e;
}

TEST_F(CheckpointFileTest, PositionsAndScanAfterACheckpoint) {
  auto s = OpenSqliteStore((dir_ / "db").string());
  ASSERT_TRUE(s.ok());
  Store& st = **s;
  EXPECT_EQ(st.LastBlock()->seq, 0);
  for (int b = 0; b < 4; ++b) {  // blocks 1..4, received on days 1..4
    std::vector<model::Event> events{Ev(2 * b, (b + 1) * kDayMs),
                                     Ev(2 * b + 1, (b + 1) * kDayMs + 5)};
    ASSERT_TRUE(st.Append(events).ok());
  }
  BlockMark last = *st.LastBlock();
  EXPECT_EQ(last, (BlockMark{4, 4 * kDayMs + 5, 2}));
  EXPECT_EQ(*st.FindBlock(4), last);
  EXPECT_EQ(st.FindBlock(9).status().code(), Status::Code::kNotFound);
  // After block 2: blocks 3 and 4 whole, and of the older ones only what
  // was received from day 2 on (block 2).
  std::vector<std::pair<int64_t, size_t>> seen;
  ASSERT_TRUE(
      st.ScanEventBlocksAfter(2, 2 * kDayMs, [&](int64_t seq, std::vector<model::Event>& b) {
          seen.emplace_back(seq, b.size());
          return Status::OK();
        }).ok());
  EXPECT_EQ(seen, (std::vector<std::pair<int64_t, size_t>>{{2, 2}, {3, 2}, {4, 2}}));
  seen.clear();
  ASSERT_TRUE(
      st.ScanEventBlocksAfter(-1, 3 * kDayMs, [&](int64_t seq, std::vector<model::Event>& b) {
          seen.emplace_back(seq, b.size());
          return Status::OK();
        }).ok());
  EXPECT_EQ(seen.size(), 4u);  // no checkpoint: everything
  // Retention records how far it reached.
  EXPECT_EQ(*st.PurgedThrough(), 0);
  ASSERT_EQ(*st.Purge(2 * kDayMs), 2);
  EXPECT_EQ(*st.PurgedThrough(), 1);
  ASSERT_EQ(*st.Purge(3 * kDayMs + 1), 3);  // block 2 whole, block 3 straddles: rewritten
  EXPECT_EQ(*st.PurgedThrough(), 3);
  ASSERT_EQ(*st.Purge(kDayMs), 0);
  EXPECT_EQ(*st.PurgedThrough(), 3);  // never lowered
}

}  // namespace
}  // namespace burnrate::store
