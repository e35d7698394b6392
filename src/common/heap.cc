#include "common/heap.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <vector>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace burnrate {

void TuneHeapForIngest() {
#if defined(__GLIBC__)
  static std::once_flag once;
  std::call_once(once, [] {
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    mallopt(M_TOP_PAD, 64 << 20);
  });
#endif
}

void PrefaultThreadHeap(size_t bytes) {
  // Blocks well below the mmap threshold, so they come from this thread's
  // arena; freed in reverse, they merge back into its top chunk. A glibc
  // non-main heap is at most 64 MiB, hence the cap.
  constexpr size_t kBlock = 64 << 10;
  bytes = std::min<size_t>(bytes, 48 << 20);
  std::vector<void*> blocks;
  blocks.reserve(bytes / kBlock);
  for (size_t n = 0; n + kBlock <= bytes; n += kBlock) {
    void* p = std::malloc(kBlock);
    if (p == nullptr) break;
    std::memset(p, 0, kBlock);
    blocks.push_back(p);
  }
  for (auto it = blocks.rbegin(); it != blocks.rend(); ++it) std::free(*it);
}

void ReleaseFreeHeap() {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

void* AllocatePrefaulted(size_t bytes) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
                 -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  return p;
}

void FreePrefaulted(void* p, size_t bytes) {
  if (p != nullptr) munmap(p, bytes);
}

}  // namespace burnrate
