// The Redis LimitStore: governance counters shared by several burnrate nodes.
//
// Why Lua: Admit() must check every counter a request touches and reserve
// on all of them or on none, atomically across nodes. Redis runs a script
// to completion before any other command, so one EVALSHA per check is that
// all-or-nothing step: two nodes cannot both see room for the last unit of
// a budget (no check-then-spend race), and a limit is one counter in Redis,
// not one per node (no limits multiplied by the number of nodes).
//
// Layout, per LimitStore key K (see limit_store.h), prefixed "br:":
//   br:K     budget: hash {ps: period start, u: used} (calendar) or
//            {n: slots, h: newest slot, u: used, s<i>: used in slot i}
//            (rolling), the same lazy roll as the in-memory store;
//            token bucket: hash {t: tokens, l: last refill ms};
//            concurrency slots: hash {expiry field: holders}.
//   br:K:r   a budget's reservations: hash {expiry field: amount reserved}.
// The expiry field of a reservation is ceil(expires / 15 s). Reserved
// amounts and slot holders are summed over the fields that are still in the
// future, and fields in the past are deleted as they are met. So Redis
// forgets a reservation by itself at most 15 s after it expired: a node
// that dies with reservations outstanding leaks nothing. A live node
// releases its reservations itself (Settle, or expiry on its Tick); a
// release that finds its field gone does nothing. This needs the nodes'
// clocks to agree to within a few seconds (NTP).
//
// Every key gets a PEXPIRE: budgets the rest of their period plus an hour
// (a rolling window's length plus a slot), buckets until they would be
// full again plus a minute, reservation hashes until their last field is
// due; so Redis holds only live state.
//
// Numbers are Lua doubles inside the scripts: exact up to 2^53 (9e15 tokens
// or $9M in nano-USD per counter), written back as integer strings.
//
// Connections: hiredis contexts are not thread-safe, so a small pool; a
// caller takes one (or connects a new one) and puts it back after. When
// Redis cannot be reached, every call fails fast for one second (by the
// caller's clock) instead of waiting for a connect timeout per check.
#include <fmt/format.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <mutex>
#include <vector>

#include "common/clock.h"
#include "govern/limit_store.h"

namespace burnrate::govern {

namespace {

constexpr TimeMs kFieldMs = 15000;  // reservation expiry granularity
constexpr TimeMs kRetryMs = 1000;   // fail fast this long after an error

// Shared by the scripts, after "local G = <kFieldMs>" (see the constructor).
constexpr const char* kLuaCommon = R"lua(
local function num(x) return tonumber(x) or 0 end
local function int(x)
  local s = string.format('%.0f', x)
  if s == '-0' then return '0' end
  return s
end
local function live(rk, now)
  local all = redis.call('HGETALL', rk)
  local sum = 0
  for j = 1, #all, 2 do
    if tonumber(all[j]) * G <= now then redis.call('HDEL', rk, all[j])
    else sum = sum + tonumber(all[j + 1]) end
  end
  return sum
end
local function roll(key, start, slot_ms, slots, now)
  if slots == 0 then
    local v = redis.call('HMGET', key, 'ps', 'u')
    if num(v[1]) < start then
      redis.call('HSET', key, 'ps', int(start), 'u', '0')
      return 0
    end
    return num(v[2])
  end
  local cur = math.floor(now / slot_ms)
  local v = redis.call('HMGET', key, 'n', 'h', 'u')
  local h, u = num(v[2]), num(v[3])
  if num(v[1]) ~= slots then
    redis.call('DEL', key)
    redis.call('HSET', key, 'n', int(slots), 'h', int(cur), 'u', '0')
    return 0
  end
  if cur <= h then return u end
  for i = 1, math.min(cur - h, slots) do
    local f = 's' .. int((h + i) % slots)
    u = u - num(redis.call('HGET', key, f))
    redis.call('HDEL', key, f)
  end
  redis.call('HSET', key, 'h', int(cur), 'u', int(u))
  return u
end
local function refill(key, per_min, now)
  local v = redis.call('HMGET', key, 't', 'l')
  local t, l = tonumber(v[1]), tonumber(v[2])
  if not t then t, l = per_min, now end
  if now > l then
    t = math.min(per_min, t + (now - l) * per_min / 60000)
    l = now
  end
  return t, l
end
local function save_bucket(key, t, l, per_min)
  redis.call('HSET', key, 't', string.format('%.17g', t), 'l', int(l))
  redis.call('PEXPIRE', key, int(math.ceil(60000 * (per_min - t) / per_min) + 60000))
end
local function release(hk, ef, amount)
  if ef == '' or amount == 0 or redis.call('HEXISTS', hk, ef) == 0 then return end
  if redis.call('HINCRBY', hk, ef, int(-amount)) <= 0 then redis.call('HDEL', hk, ef) end
end
)lua";

// KEYS: per budget (br:K, br:K:r), per bucket br:K, per slot br:K.
// ARGV: now, expiry field, keep ms for reservation hashes, nb, nk, ns; per
// budget: start, slot_ms, slots, limit, amount, keep ms; per bucket:
// per_min, amount; per slot: max.
// Returns {failure, index, retry_after_ms, committed...}.
constexpr const char* kLuaAdmit = R"lua(
local now, ef, rkeep = tonumber(ARGV[1]), ARGV[2], ARGV[3]
local nb, nk, ns = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local a, k = 7, 1
local out = {0, 0, 0}
local fail = false
for i = 1, nb do
  local key, rk = KEYS[k], KEYS[k + 1]
  local c = roll(key, tonumber(ARGV[a]), tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), now) + live(rk, now)
  redis.call('PEXPIRE', key, ARGV[a + 5])
  local limit, amount = tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4])
  out[3 + i] = c
  if not fail and limit >= 0 and c + amount > limit then
    fail = true
    out[1], out[2] = 1, i - 1
  end
  k, a = k + 2, a + 6
end
if fail then return out end
local buckets = {}
for i = 1, nk do
  local key, per_min, amount = KEYS[k], tonumber(ARGV[a]), tonumber(ARGV[a + 1])
  local t, l = refill(key, per_min, now)
  local need = math.min(amount, per_min)
  if t < need then
    save_bucket(key, t, l, per_min)
    out[1], out[2], out[3] = 2, i - 1, math.ceil((need - t) * 60000 / per_min)
    return out
  end
  buckets[i] = {key, t - amount, l, per_min}
  k, a = k + 1, a + 2
end
for i = 1, ns do
  if live(KEYS[k + i - 1], now) >= tonumber(ARGV[a + i - 1]) then
    out[1], out[2], out[3] = 3, i - 1, 1000
    return out
  end
end
k, a = 1, 7
for i = 1, nb do
  local amount = tonumber(ARGV[a + 4])
  if amount ~= 0 then
    redis.call('HINCRBY', KEYS[k + 1], ef, int(amount))
    redis.call('PEXPIRE', KEYS[k + 1], rkeep)
  end
  k, a = k + 2, a + 6
end
for i = 1, nk do
  local b = buckets[i]
  save_bucket(b[1], b[2], b[3], b[4])
  k = k + 1
end
for i = 1, ns do
  redis.call('HINCRBY', KEYS[k], ef, 1)
  redis.call('PEXPIRE', KEYS[k], rkeep)
  k = k + 1
end
return out
)lua";

// KEYS as for admit. ARGV: now, expiry field ('' = none), nb, nk, ns; per
// budget: start, slot_ms, slots, reserved, actual, keep ms; per bucket:
// per_min, amount. Returns used after, per budget.
constexpr const char* kLuaSettle = R"lua(
local now, ef = tonumber(ARGV[1]), ARGV[2]
local nb, nk, ns = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local a, k = 6, 1
local out = {}
for i = 1, nb do
  local key, rk = KEYS[k], KEYS[k + 1]
  local slots = tonumber(ARGV[a + 2])
  local u = roll(key, tonumber(ARGV[a]), tonumber(ARGV[a + 1]), slots, now)
  release(rk, ef, tonumber(ARGV[a + 3]))
  local actual = tonumber(ARGV[a + 4])
  if actual ~= 0 then
    u = redis.call('HINCRBY', key, 'u', int(actual))
    if slots > 0 then
      redis.call('HINCRBY', key, 's' .. int(num(redis.call('HGET', key, 'h')) % slots), int(actual))
    end
  end
  redis.call('PEXPIRE', key, ARGV[a + 5])
  out[i] = u
  k, a = k + 2, a + 6
end
for i = 1, nk do
  local key, per_min, amount = KEYS[k], tonumber(ARGV[a]), tonumber(ARGV[a + 1])
  local t, l = refill(key, per_min, now)
  save_bucket(key, math.min(per_min, t - amount), l, per_min)
  k, a = k + 1, a + 2
end
for i = 1, ns do
  release(KEYS[k], ef, 1)
  k = k + 1
end
return out
)lua";

// KEYS: br:K, br:K:r. ARGV: now, start, slot_ms, slots. Returns {used, reserved}.
constexpr const char* kLuaRead = R"lua(
local now = tonumber(ARGV[1])
local u = roll(KEYS[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), now)
return {u, live(KEYS[2], now)}
)lua";

struct ContextFree {
  void operator()(redisContext* c) const { redisFree(c); }
};
using Context = std::unique_ptr<redisContext, ContextFree>;
struct ReplyFree {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyFree>;

struct Script {
  std::string body;
  std::string sha;  // set by the first connection's SCRIPT LOAD; guarded by pool mutex
};

// A command's words, kept alive for hiredis' argv call.
class Args {
 public:
  Args& Add(std::string s) {
    words_.push_back(std::move(s));
    return *this;
  }
  Args& Add(int64_t v) { return Add(std::to_string(v)); }
  Args& Add(double v) { return Add(fmt::format("{:.17g}", v)); }
  const std::vector<std::string>& words() const { return words_; }
  std::string& operator[](size_t i) { return words_[i]; }
  Reply Run(redisContext* c) const {
    std::vector<const char*> argv;
    std::vector<size_t> len;
    for (const std::string& w : words_) argv.push_back(w.data()), len.push_back(w.size());
    return Reply(
        static_cast<redisReply*>(redisCommandArgv(c, int(argv.size()), argv.data(), len.data())));
  }

 private:
  std::vector<std::string> words_;
};

std::string Field(TimeMs expires) {
  return expires <= 0 ? "" : std::to_string(-FloorDiv(-expires, kFieldMs));
}

TimeMs BudgetKeepMs(const WindowSpec& w, TimeMs now) {
  if (w.rolling()) return w.slot_ms * (w.slots + 1);
  return std::max<TimeMs>(w.end - now, 0) + kHourMs;
}

class RedisLimitStore final : public LimitStore {
 public:
  RedisLimitStore(std::string host, int port, int db)
      : host_(std::move(host)), port_(port), db_(db) {
    // G, the scripts' expiry granularity, is kFieldMs.
    std::string common = "local G = " + std::to_string(kFieldMs) + kLuaCommon;
    admit_.body = common + kLuaAdmit;
    settle_.body = common + kLuaSettle;
    read_.body = common + kLuaRead;
  }

  AdmitResult Admit(const AdmitRequest& r) override;
  Status Settle(TimeMs now, TimeMs expires, const std::vector<SettleOp>& budgets,
                const std::vector<BucketOp>& adj, const std::vector<std::string>& slots,
                std::vector<int64_t>* used_after) override;
  BudgetState Read(const std::string& key, const WindowSpec& w, TimeMs now) override;
  bool Durable() const override { return true; }

 private:
  // Runs `script` with `keys` and `args`; the reply is an array of integers.
  Result<std::vector<int64_t>> Eval(Script& script, const std::vector<std::string>& keys,
                                    const Args& args, TimeMs now);
  // A pooled connection, or a new one; `pooled` tells which.
  Result<Context> Take(TimeMs now, bool* pooled);
  void Put(Context c);
  Status Connect(Context& out);
  Status Down(TimeMs now, std::string why);

  const std::string host_;
  const int port_, db_;
  std::mutex mu_;
  std::vector<Context> idle_;  // guarded by mu_
  TimeMs down_until_ = 0;      // guarded by mu_
  std::string down_why_;       // guarded by mu_
  Script admit_, settle_, read_;
};

Status RedisLimitStore::Connect(Context& out) {
  Context c(redisConnectWithTimeout(host_.c_str(), port_, timeval{0, 300000}));
  if (!c) return Status::Unavailable("redis: out of memory");
  if (c->err) return Status::Unavailable(fmt::format("redis {}:{}: {}", host_, port_, c->errstr));
  redisSetTimeout(c.get(), timeval{1, 0});
  if (db_ != 0) {
    Reply r(static_cast<redisReply*>(redisCommand(c.get(), "SELECT %d", db_)));
    if (!r || r->type == REDIS_REPLY_ERROR)
      return Status::Unavailable(fmt::format("redis SELECT {}: {}", db_, r ? r->str : c->errstr));
  }
  out = std::move(c);
  return Status::OK();
}

Status RedisLimitStore::Down(TimeMs now, std::string why) {
  std::lock_guard<std::mutex> l(mu_);
  idle_.clear();  // pooled connections to a server that failed are suspect too
  down_until_ = now + kRetryMs;
  down_why_ = why;
  return Status::Unavailable(std::move(why));
}

Result<Context> RedisLimitStore::Take(TimeMs now, bool* pooled) {
  *pooled = false;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (now < down_until_) return Status::Unavailable(down_why_);
    if (!idle_.empty()) {
      *pooled = true;
      Context c = std::move(idle_.back());
      idle_.pop_back();
      return c;
    }
  }
  Context c;
  Status s = Connect(c);
  if (!s.ok()) return Down(now, s.message());
  return c;
}

void RedisLimitStore::Put(Context c) {
  std::lock_guard<std::mutex> l(mu_);
  idle_.push_back(std::move(c));
}

Result<std::vector<int64_t>> RedisLimitStore::Eval(Script& script,
                                                   const std::vector<std::string>& keys,
                                                   const Args& args, TimeMs now) {
  bool pooled = false;
  BR_ASSIGN_OR_RETURN(Context c, Take(now, &pooled));
  Args cmd;
  std::string sha;
  {
    std::lock_guard<std::mutex> l(mu_);
    sha = script.sha;
  }
  cmd.Add(sha.empty() ? "EVAL" : "EVALSHA")
      .Add(sha.empty() ? script.body : sha)
      .Add(int64_t(keys.size()));
  for (const std::string& k : keys) cmd.Add(k);
  for (const std::string& w : args.words()) cmd.Add(w);
  bool load = sha.empty();
  Reply r = cmd.Run(c.get());
  // An idle pooled connection the server has since closed (Redis restarted,
  // or its client `timeout`) reads EOF: the command never ran, so one retry
  // on a fresh connection is safe. A timeout is not retried: the script may
  // have run.
  if (!r && pooled && c->err == REDIS_ERR_EOF) {
    Status st = Connect(c);
    if (!st.ok()) return Down(now, st.message());
    r = cmd.Run(c.get());
  }
  if (r && r->type == REDIS_REPLY_ERROR &&
      std::string_view(r->str, r->len).starts_with("NOSCRIPT")) {
    // Redis restarted and lost its script cache: EVAL caches the script
    // again under the same sha, so later calls can keep sending the sha.
    cmd[0] = "EVAL", cmd[1] = script.body;
    r = cmd.Run(c.get());
  }
  if (!r) return Down(now, fmt::format("redis {}:{}: {}", host_, port_, c->errstr));
  if (r->type == REDIS_REPLY_ERROR) {
    Put(std::move(c));
    return Status::Unavailable("redis script: " + std::string(r->str, r->len));
  }
  std::vector<int64_t> out;
  if (r->type == REDIS_REPLY_ARRAY)
    for (size_t i = 0; i < r->elements; ++i)
      out.push_back(r->element[i]->type == REDIS_REPLY_INTEGER ? r->element[i]->integer : 0);
  if (load) {  // first use (or a restarted Redis): load it so later calls send only the sha
    Reply l(static_cast<redisReply*>(
        redisCommand(c.get(), "SCRIPT LOAD %b", script.body.data(), script.body.size())));
    if (l && l->type == REDIS_REPLY_STRING) {
      std::lock_guard<std::mutex> g(mu_);
      script.sha.assign(l->str, l->len);
    }
  }
  Put(std::move(c));
  return out;
}

void AddWindow(Args& a, const WindowSpec& w) {
  a.Add(int64_t{w.rolling() ? 0 : w.start}).Add(int64_t{w.slot_ms}).Add(int64_t{w.slots});
}

AdmitResult RedisLimitStore::Admit(const AdmitRequest& r) {
  std::vector<std::string> keys;
  Args args;
  TimeMs rkeep = std::max<TimeMs>(r.expires - r.now, 0) + 2 * kFieldMs;
  args.Add(int64_t{r.now}).Add(Field(r.expires)).Add(int64_t{rkeep});
  args.Add(int64_t(r.budgets.size())).Add(int64_t(r.buckets.size())).Add(int64_t(r.slots.size()));
  for (const BudgetOp& b : r.budgets) {
    keys.push_back("br:" + b.key), keys.push_back("br:" + b.key + ":r");
    AddWindow(args, b.window);
    args.Add(int64_t{b.limit}).Add(int64_t{b.amount}).Add(int64_t{BudgetKeepMs(b.window, r.now)});
  }
  for (const BucketOp& b : r.buckets) {
    keys.push_back("br:" + b.key);
    args.Add(b.per_min).Add(b.amount);
  }
  for (const SlotOp& s : r.slots) {
    keys.push_back("br:" + s.key);
    args.Add(int64_t{s.max});
  }
  AdmitResult res;
  auto out = Eval(admit_, keys, args, r.now);
  if (!out.ok() || out->size() < 3 + r.budgets.size()) {
    res.failure = AdmitResult::Failure::kUnavailable;
    res.error = out.ok() ? "redis: short reply" : out.status().message();
    return res;
  }
  const std::vector<int64_t>& v = *out;
  static constexpr AdmitResult::Failure kFailures[] = {
      AdmitResult::Failure::kNone, AdmitResult::Failure::kBudget, AdmitResult::Failure::kBucket,
      AdmitResult::Failure::kSlot};
  res.failure = kFailures[std::clamp<int64_t>(v[0], 0, 3)];
  res.index = static_cast<size_t>(v[1]);
  res.retry_after_ms = v[2];
  res.committed.assign(v.begin() + 3, v.begin() + 3 + r.budgets.size());
  return res;
}

Status RedisLimitStore::Settle(TimeMs now, TimeMs expires, const std::vector<SettleOp>& budgets,
                               const std::vector<BucketOp>& adj,
                               const std::vector<std::string>& slots,
                               std::vector<int64_t>* used_after) {
  std::vector<std::string> keys;
  Args args;
  args.Add(int64_t{now}).Add(Field(expires));
  args.Add(int64_t(budgets.size())).Add(int64_t(adj.size())).Add(int64_t(slots.size()));
  for (const SettleOp& b : budgets) {
    keys.push_back("br:" + b.key), keys.push_back("br:" + b.key + ":r");
    AddWindow(args, b.window);
    args.Add(int64_t{b.reserved}).Add(int64_t{b.actual}).Add(int64_t{BudgetKeepMs(b.window, now)});
  }
  for (const BucketOp& b : adj) {
    keys.push_back("br:" + b.key);
    args.Add(b.per_min).Add(b.amount);
  }
  for (const std::string& s : slots) keys.push_back("br:" + s);
  auto out = Eval(settle_, keys, args, now);
  if (!out.ok()) return out.status();
  if (used_after) {
    *used_after = std::move(*out);
    used_after->resize(budgets.size());
  }
  return Status::OK();
}

BudgetState RedisLimitStore::Read(const std::string& key, const WindowSpec& w, TimeMs now) {
  Args args;
  args.Add(int64_t{now});
  AddWindow(args, w);
  auto out = Eval(read_, {"br:" + key, "br:" + key + ":r"}, args, now);
  if (!out.ok() || out->size() < 2) return {};
  return {(*out)[0], (*out)[1]};
}

}  // namespace

Result<std::unique_ptr<LimitStore>> NewRedisLimitStore(const std::string& url) {
  const std::string bad =
      "governance.limit_store: want redis://HOST:PORT[/DB], got \"" + url + "\"";
  if (url.rfind("redis://", 0) != 0) return Status::InvalidArgument(bad);
  std::string rest = url.substr(8);
  int db = 0;
  if (size_t slash = rest.find('/'); slash != std::string::npos) {
    std::string d = rest.substr(slash + 1);
    rest.resize(slash);
    if (!d.empty()) {
      if (d.find_first_not_of("0123456789") != std::string::npos || d.size() > 4)
        return Status::InvalidArgument(bad);
      db = std::stoi(d);
    }
  }
  int port = 6379;
  if (size_t colon = rest.rfind(':'); colon != std::string::npos) {
    std::string p = rest.substr(colon + 1);
    rest.resize(colon);
    if (p.empty() || p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos)
      return Status::InvalidArgument(bad);
    port = std::stoi(p);
    if (port <= 0 || port > 65535) return Status::InvalidArgument(bad);
  }
  if (rest.empty() || rest.find('@') != std::string::npos) return Status::InvalidArgument(bad);
  return std::unique_ptr<LimitStore>(std::make_unique<RedisLimitStore>(rest, port, db));
}

}  // namespace burnrate::govern
