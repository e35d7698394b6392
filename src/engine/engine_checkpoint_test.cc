// Engine checkpoints (engine.h: SaveState / RestoreState): a restored
// engine answers every query as the original does, and keeps doing so as
// events continue; a payload that does not decode changes nothing.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "engine/engine.h"

namespace burnrate::engine {
namespace {

constexpr TimeMs kNow = 1'764'000'000'000;  // 2025-11-24T16:00Z

model::Event Ev(int i) {
  model::Event e;
  e.id = "e" + std::to_string(i);
  e.user = "u" + std::to_string(i % 7);
  e.team = "t" + std::to_string(i % 3);
  e.org = "o";
  e.project = i % 2 ? "p" : "";
  e.session = "s" + std::to_string(i % 5);
  e.ts = kNow - TimeMs(i % 200) * 17 * kMinuteMs;
  e.received = e.ts;
  e.source = i % 3 == 0 ? "gateway" : i % 3 == 1 ? "claude_code" : "api";
  if (i % 6 == 0) {
    e.type = model::EventType::kOutcome;
    e.outcome_kind = i % 12 ? "commit" : "edit_accepted";
    e.outcome_value = 1;
  } else {
    e.model = i % 4 ? "m1" : "m2";
    e.tokens.input = 100 + i, e.tokens.output = i % 50;
    e.cost_nanos = e.tokens.input * 7;
    e.cost_basis = i % 10 == 1 ? model::CostBasis::kEstimated : model::CostBasis::kPriced;
    e.requests = 1;
  }
  return e;
}

std::vector<model::Event> Range(int from, int to) {
  std::vector<model::Event> v;
  for (int i = from; i < to; ++i) v.push_back(Ev(i));
  return v;
}

EngineOptions Opts() {
  EngineOptions o;
  o.board_refresh_ms = 0;
  return o;
}

// Everything the engine answers, as text, so two engines compare at once.
std::string Dump(Engine& e) {
  std::string out = std::to_string(e.events_applied()) + "\n";
  for (Entity ent :
       {Entity::kUser, Entity::kTeam, Entity::kOrg, Entity::kProject, Entity::kModel}) {
    for (Window w : {Window::k24h, Window::k7d, Window::k30d, Window::kDay, Window::kAll}) {
      for (Metric m : {Metric::kTokens, Metric::kCost, Metric::kRequests, Metric::kValue}) {
        for (SourceMask sources : {kAllSources, SourceMask(1)}) {  // all; the gateway only
          BoardQuery q;
          q.entity = ent, q.window = w, q.metric = m, q.sources = sources;
          auto b = e.Leaderboard(q);
          if (!b.ok()) return b.status().ToString();
          for (const auto& x : b->entries) {
            out += x.id + " " + std::to_string(x.rank) + " " + std::to_string(x.prev_rank) + " " +
                   std::to_string(x.c.Total()) + " " + std::to_string(x.c.cost_nanos) + " " +
                   std::to_string(x.c.requests) + " " + std::to_string(x.c.value) + " " +
                   std::to_string(x.c.cost_estimated);
            for (int64_t t : x.source_tokens) out += " " + std::to_string(t);
            out += "\n";
          }
        }
      }
    }
  }
  for (int u = 0; u < 7; ++u) {
    auto p = e.GetProfile(Entity::kUser, "u" + std::to_string(u));
    if (!p.ok()) return p.status().ToString();
    out += p->id + " " + p->team + " sessions " + std::to_string(p->sessions) + " runs";
    for (const auto& r : p->longest_sessions)
      out += " " + r.session + ":" + std::to_string(r.Span());
    for (const auto& [m, c] : p->by_model) out += " " + m + "=" + std::to_string(c.Total());
    for (const auto& k : p->outcomes) out += " " + k.kind + "=" + std::to_string(k.events);
    out += " streak " + std::to_string(p->streak.days) + "\n";
  }
  for (const auto& d : e.Daily(10))
    out += std::to_string(d.c.Total()) + "/" + std::to_string(d.active_users) + " ";
  for (const auto& m : e.UnpricedModels())
    out += m.model + "=" + std::to_string(m.estimated_tokens) + " ";
  return out;
}

TEST(EngineCheckpoint, RestoredEngineAnswersAsTheOriginalAndAfterMoreEvents) {
  FakeClock clock(kNow);
  Engine a(Opts(), clock), b(Opts(), clock);
  a.Apply(Range(0, 600));
  std::string saved = a.SaveState();
  ASSERT_TRUE(b.RestoreState(saved).ok());
  EXPECT_EQ(Dump(a), Dump(b));
  // The tail after the checkpoint: both engines get it.
  clock.Advance(2 * kHourMs);
  a.Apply(Range(600, 900));
  b.Apply(Range(600, 900));
  EXPECT_EQ(Dump(a), Dump(b));  // a never stopped: what an uninterrupted engine answers
}

// More entities than one chunk of the entity table (1,024) and many open
// sessions: the restored engine links each user's open sessions again.
TEST(EngineCheckpoint, ManyUsersAndOpenSessionsRoundTrip) {
  FakeClock clock(kNow);
  Engine a(Opts(), clock), b(Opts(), clock);
  std::vector<model::Event> events = Range(0, 600);
  for (int u = 0; u < 3000; ++u) {
    model::Event e = Ev(1);
    e.id = "many" + std::to_string(u), e.user = "many" + std::to_string(u);
    e.session = "s" + std::to_string(u % 3);
    events.push_back(e);
    e.id += "b", e.ts += 5 * kMinuteMs;
    events.push_back(e);
  }
  a.Apply(events);
  ASSERT_TRUE(b.RestoreState(a.SaveState()).ok());
  EXPECT_EQ(Dump(a), Dump(b));
  auto p = b.GetProfile(Entity::kUser, "many2999");
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->longest_sessions.size(), 1u);  // the open one, 5 minutes
  EXPECT_EQ(p->longest_sessions[0].Span(), 5 * kMinuteMs);
  clock.Advance(3 * kHourMs);  // every session closes: each user's entry is unlinked
  a.Apply(Range(600, 700));
  b.Apply(Range(600, 700));
  EXPECT_EQ(Dump(a), Dump(b));
}

TEST(EngineCheckpoint, BadPayloadChangesNothing) {
  FakeClock clock(kNow);
  Engine a(Opts(), clock), b(Opts(), clock);
  a.Apply(Range(0, 300));
  b.Apply(Range(0, 10));
  std::string before = Dump(b);
  std::string saved = a.SaveState();
  EXPECT_FALSE(b.RestoreState(saved.substr(0, saved.size() / 2)).ok());
  EXPECT_FALSE(b.RestoreState(saved + "x").ok());
  std::string bad_id = saved;
  // The first user's team id (after the table count, name length and name "u0").
  uint32_t huge = 1'000'000;
  std::memcpy(bad_id.data() + 8 + 8 + 2, &huge, 4);
  EXPECT_FALSE(b.RestoreState(bad_id).ok());
  EXPECT_EQ(Dump(b), before);
}

// A checkpoint file is decompressed in pieces of any size straight into
// the engine: the stream gives the same state as the whole payload, and a
// failed verification (the file's checksum, read last) changes nothing.
TEST(EngineCheckpoint, StreamedRestoreInOddPiecesAndFailedVerify) {
  FakeClock clock(kNow);
  Engine a(Opts(), clock), b(Opts(), clock), c(Opts(), clock);
  a.Apply(Range(0, 900));
  std::string saved = a.SaveState();
  size_t at = 0, calls = 0;
  Engine::ByteSource pieces = [&](char* p, size_t n) -> Result<size_t> {
    size_t k = std::min({n, saved.size() - at, size_t(1 + calls++ % 13)});
    std::memcpy(p, saved.data() + at, k);
    at += k;
    return k;
  };
  bool verified = false;
  ASSERT_TRUE(
      b.RestoreState(saved.size(), pieces, [&] { return verified = true, Status::OK(); }).ok());
  EXPECT_TRUE(verified);
  EXPECT_EQ(at, saved.size());
  EXPECT_EQ(Dump(a), Dump(b));

  c.Apply(Range(0, 10));
  std::string before = Dump(c);
  at = 0;
  EXPECT_FALSE(c.RestoreState(saved.size(), pieces, [] {
                  return Status::IOError("checksum mismatch");
                }).ok());
  EXPECT_EQ(Dump(c), before);
  // A source that ends early, or fails, changes nothing either.
  at = 0;
  EXPECT_FALSE(c.RestoreState(saved.size() + 1, pieces, [] { return Status::OK(); }).ok());
  Engine::ByteSource failing = [](char*, size_t) -> Result<size_t> {
    return Status::IOError("disk");
  };
  EXPECT_FALSE(c.RestoreState(saved.size(), failing, [] { return Status::OK(); }).ok());
  EXPECT_EQ(Dump(c), before);
}

// Usage and outcomes of the same hours, in and out of order: outcome
// buckets are kept apart from the usage buckets, and every query merges
// them as one series (one point per hour, sums and streaks unchanged).
TEST(EngineCheckpoint, OutcomeBucketsApartFromUsage) {
  FakeClock clock(kNow);
  Engine a(Opts(), clock);
  std::vector<model::Event> evs;
  auto at = [](int h) { return kNow - TimeMs(h) * kHourMs + 10 * kMinuteMs; };
  for (int h : {5, 3, 1, 4}) {  // usage in hours 5, 4, 3, 1 ago (one late)
    model::Event e = Ev(1);
    e.id = "use" + std::to_string(h), e.user = "x", e.ts = at(h), e.session.clear();
    e.tokens.input = 1000 * h, e.tokens.output = 0, e.requests = 1;
    evs.push_back(e);
  }
  for (int h : {2, 3, 6, 1}) {  // outcomes in hours 6, 3, 2, 1 ago (one late)
    model::Event e = Ev(0);
    e.id = "out" + std::to_string(h), e.user = "x", e.ts = at(h), e.session.clear();
    e.outcome_kind = "commit", e.outcome_value = 1;
    evs.push_back(e);
  }
  a.Apply(evs);
  auto u = a.Usage(Entity::kUser, "x", {kNow - 24 * kHourMs, kNow + kHourMs}, Granularity::kHour);
  ASSERT_TRUE(u.ok());
  std::string points;
  for (const auto& p : u->points)
    points += std::to_string((kNow - p.t) / kHourMs) + ":" + std::to_string(p.c.Total()) + "/" +
              std::to_string(p.c.outcomes) + " ";
  EXPECT_EQ(points, "6:0/1 5:5000/0 4:4000/0 3:3000/1 2:0/1 1:1000/1 ");
  EXPECT_EQ(u->totals.Total(), 13000);
  EXPECT_EQ(u->totals.requests, 4);
  EXPECT_EQ(u->totals.outcomes, 4);
  EXPECT_DOUBLE_EQ(u->totals.value, 4 * 3.0);  // commit weighs 3
  // Boards count outcomes whatever the sources asked for; usage by class.
  auto b = a.Leaderboard(
      {.window = Window::k24h, .metric = Metric::kValue, .sources = *ParseSources("gateway")});
  ASSERT_TRUE(b.ok());
  ASSERT_EQ(b->entries.size(), 1u);
  EXPECT_EQ(b->entries[0].c.outcomes, 4);
  EXPECT_EQ(b->entries[0].c.Total(), 0);  // the usage came from claude_code (logs)
  Engine r(Opts(), clock);
  ASSERT_TRUE(r.RestoreState(a.SaveState()).ok());
  EXPECT_EQ(Dump(a), Dump(r));
  auto ru = r.Usage(Entity::kUser, "x", {kNow - 24 * kHourMs, kNow + kHourMs}, Granularity::kHour);
  ASSERT_TRUE(ru.ok());
  EXPECT_EQ(ru->points.size(), u->points.size());
}

// Version 4: the state in sections (here of ~4 KB, so that the 3,000
// users span several), decoded on one thread or several, gives the same
// engine as the one-stream version 3; every part of every table is there.
TEST(EngineCheckpoint, SectionsRoundTripOnOneOrSeveralThreads) {
  FakeClock clock(kNow);
  Engine a(Opts(), clock);
  std::vector<model::Event> events = Range(0, 900);
  for (int u = 0; u < 3000; ++u) {
    model::Event e = Ev(u);
    e.id = "many" + std::to_string(u), e.user = "many" + std::to_string(u);
    events.push_back(e);
  }
  a.Apply(events);
  std::vector<std::string> sections = a.SaveSections(4096);
  EXPECT_GT(sections.size(), 20u);
  for (int threads : {1, 2, 3}) {
    Engine b(Opts(), clock);
    ASSERT_TRUE(b.RestoreSections(sections, threads).ok()) << threads;
    EXPECT_EQ(Dump(a), Dump(b)) << threads;
    clock.Advance(kHourMs);  // and they go on alike (sessions close, buckets grow)
    a.Apply(Range(900 + threads * 100, 1000 + threads * 100));
    b.Apply(Range(900 + threads * 100, 1000 + threads * 100));
    EXPECT_EQ(Dump(a), Dump(b)) << threads;
    sections = a.SaveSections(4096);
  }
  Engine one(Opts(), clock);  // the default size: one section per table
  ASSERT_TRUE(one.RestoreSections(a.SaveSections()).ok());
  EXPECT_EQ(Dump(a), Dump(one));
}

// A section that is short, long, damaged, missing, or whose file check
// fails (finish) leaves the engine as it was, however many threads decode.
TEST(EngineCheckpoint, BadSectionChangesNothing) {
  FakeClock clock(kNow);
  Engine a(Opts(), clock), b(Opts(), clock);
  a.Apply(Range(0, 900));
  b.Apply(Range(0, 10));
  std::string before = Dump(b);
  const std::vector<std::string> good = a.SaveSections(2048);
  ASSERT_GT(good.size(), 3u);
  auto fails = [&](std::vector<std::string> sections) {
    return !b.RestoreSections(sections, 2).ok() && Dump(b) == before;
  };
  for (size_t i = 0; i < good.size(); ++i) {
    auto v = good;
    v[i].pop_back();
    EXPECT_TRUE(fails(v)) << "short " << i;
    v = good;
    v[i] += "x";
    EXPECT_TRUE(fails(v)) << "long " << i;
  }
  auto v = good;
  v.pop_back();
  EXPECT_TRUE(fails(v)) << "a section missing";
  v = good;
  uint64_t huge = uint64_t(1) << 40;
  std::memcpy(v[0].data(), &huge, 8);  // the user table's size
  EXPECT_TRUE(fails(v)) << "a table larger than the sections";
  v = good;
  // The first user's team id (after its name's length and name "u0").
  uint32_t bad = 1'000'000;
  std::memcpy(v[1].data() + 8 + 2, &bad, 4);
  EXPECT_TRUE(fails(v)) << "an id out of range";
  // A section whose frame does not check (the file's FinishSection).
  Engine::SectionSource src;
  std::vector<size_t> at(good.size());
  for (const auto& sec : good) src.sizes.push_back(sec.size());
  src.read = [&](size_t i, char* p, size_t n) -> Result<size_t> {
    size_t k = std::min(n, good[i].size() - at[i]);
    std::memcpy(p, good[i].data() + at[i], k);
    at[i] += k;
    return k;
  };
  src.finish = [&](size_t i) {
    return i == good.size() - 1 ? Status::IOError("checksum mismatch") : Status::OK();
  };
  EXPECT_FALSE(b.RestoreSections(src, 2).ok());
  EXPECT_EQ(Dump(b), before);
  std::fill(at.begin(), at.end(), 0);
  src.finish = [](size_t) { return Status::OK(); };
  ASSERT_TRUE(b.RestoreSections(src, 2).ok());  // the same source, checking: loads
  EXPECT_EQ(Dump(a), Dump(b));
}

TEST(EngineCheckpoint, OptionsHashNamesWhatApplyDependsOn) {
  FakeClock clock(kNow);
  EngineOptions o = Opts();
  Engine a(o, clock);
  o.tz = *TimeZone::Load("Europe/Paris");  // queries only
  EXPECT_EQ(Engine(o, clock).OptionsHash(), a.OptionsHash());
  o.outcome_weights["commit"] = 4;
  EXPECT_NE(Engine(o, clock).OptionsHash(), a.OptionsHash());
  o = Opts();
  o.keep_hours = 24;
  EXPECT_NE(Engine(o, clock).OptionsHash(), a.OptionsHash());
  EXPECT_NE(a.OptionsHash(3), a.OptionsHash());  // each state version its own
}

}  // namespace
}  // namespace burnrate::engine
