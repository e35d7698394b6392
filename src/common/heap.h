// Heap tuning for the ingest path (glibc malloc).
//
// A large organisation's traffic brings thousands of users a request whom
// the applier thread has not seen today: each costs a few small
// allocations (names, index nodes, bucket and session vectors). glibc grows
// a thread's arena one page at a time (an mprotect and a page fault each,
// and both are expensive on a virtual machine) and hands free memory at the
// arena's top back to the kernel as soon as 128 KiB of it is free, so the
// next request faults the same pages in again. docs/PERFORMANCE.md ("Per
// distinct user") has the profile and the figures.
//
// Thread-safety: TuneHeapForIngest may be called from any thread, any number
// of times (it acts once). PrefaultThreadHeap acts on the calling thread's
// arena only.
#pragma once

#include <cstddef>

namespace burnrate {

// Process-wide, once: free memory at an arena's top is kept up to 256 MiB
// (not returned at 128 KiB), the main arena grows 64 MiB at a time, and
// blocks up to 32 MiB come from the arenas (the fixed threshold replaces
// glibc's adaptive one, which a fixed trim threshold would switch off).
// Without glibc: nothing.
void TuneHeapForIngest();

// Grows the calling thread's arena by about `bytes` and touches every page
// once, then frees it: later small allocations of this thread reuse
// memory that is already mapped and faulted (kept by TuneHeapForIngest's
// trim threshold). Call once, at the start of a thread that allocates per
// new user (the applier). At most 48 MiB (one glibc heap).
void PrefaultThreadHeap(size_t bytes);

// Returns every free page of every arena to the kernel (malloc_trim), past
// TuneHeapForIngest's threshold: once, after a start-up phase that freed
// much more than the steady state will reuse (recovery). Without glibc:
// nothing.
void ReleaseFreeHeap();

// Memory for large tables that grow in chunks (ChunkedVector): `bytes`
// mapped and faulted in one system call (MAP_POPULATE) rather than one page
// fault per page as it is first written. Throws std::bad_alloc when out of
// memory, as operator new does. Free with FreePrefaulted(p, bytes).
void* AllocatePrefaulted(size_t bytes);
void FreePrefaulted(void* p, size_t bytes);

}  // namespace burnrate
