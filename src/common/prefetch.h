// Prefetch: asks the CPU to start loading the cache line at an address,
// for loops that know which out-of-cache entries they will touch some steps
// ahead (the applier's users, the committer's dedup slots, governance's id
// table): their misses then overlap instead of following one another.
//
// Why not __builtin_prefetch alone: GCC 12 at -O2 silently drops some of
// them; a prefetch of `&v[(h ^ (h >> 29)) * k & mask]` compiled to nothing
// (checked with objdump: the committer's dedup prefetch and the engine's
// index-slot prefetch had no prefetch instruction). An asm statement is
// always emitted. It never faults, whatever the address.
#pragma once

namespace burnrate {

inline void Prefetch(const void* p) {
#if defined(__x86_64__) || defined(__i386__)
  asm volatile("prefetcht0 (%0)" : : "r"(p));
#else
  __builtin_prefetch(p);
#endif
}

}  // namespace burnrate
