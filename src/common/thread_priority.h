// Which scheduling class the HTTP I/O threads run in.
//
// On two cores saturated by ingest, a thread that wakes usually waits for
// the running thread's time slice to end: the kernel (no preemption of
// kernel code, EEVDF protecting the current slice) switches at the next
// 4 ms scheduler tick. A board read that needs two wake-ups of the I/O
// thread (its request, then its answer's write) measured p99 6-18 ms that
// way, though the server's own work is 0.05 ms (docs/PERFORMANCE.md, "Board
// reads over HTTP during ingest"). In the lowest real-time priority
// (SCHED_RR 1) an I/O thread preempts every normal thread the moment it
// wakes, and the p99 fell below 1 ms.
//
// That is safe for these threads because their work is short: request
// heads, answers from snapshots, governance checks, handing bodies to the
// parse threads. The longer pieces (decoding an OTLP body, an admin's
// rescore of past days) are bounded by the body and range limits and would
// take the same CPU at normal priority; they only run ahead of ingest. The
// kernel still keeps 5% of every second for normal threads
// (sched_rt_runtime_us), so a bug that spins cannot take a core for good.
// Busy polling ([server] busy_poll_us, off by default) is the one wait that
// spins on purpose: up to busy_poll_us per wake-up, during which a
// real-time I/O thread holds its core from normal threads.
// A process may enter the class as root, with CAP_SYS_NICE, or with
// RLIMIT_RTPRIO ≥ 1 (systemd: LimitRTPRIO=1); docs/config.md.
#pragma once

#include <string_view>
#include <thread>

#include "common/status.h"

namespace burnrate {

enum class IoPriority {
  kAuto,      // real-time when the process may, else normal (logged once)
  kRealtime,  // real-time or the server does not start
  kNormal,    // never real-time
};

// "auto", "realtime" or "normal"; false for anything else.
bool ParseIoPriority(std::string_view s, IoPriority* out);
std::string_view IoPriorityName(IoPriority p);

// Puts `t` in SCHED_RR at the lowest real-time priority. A child process
// would not inherit it (SCHED_RESET_ON_FORK is not needed: the server
// starts none). PermissionDenied when the process may not.
Status MakeRealtime(std::thread& t);

}  // namespace burnrate
