#include "common/resource_allocator.h"

#include <gtest/gtest.h>

#include <list>
#include <memory_resource>
#include <string>
#include <vector>

namespace burnrate {
namespace {

// Over a monotonic buffer, a container's memory comes from the buffer
// until it is used up, then from the buffer's upstream; release() makes
// the buffer whole again for the next container.
TEST(ResourceAllocator, TakesFromTheBufferThenTheHeap) {
  alignas(std::max_align_t) char buf[1024];
  std::pmr::monotonic_buffer_resource arena(buf, sizeof buf);
  for (int round = 0; round < 3; ++round) {
    {
      std::list<std::string, ResourceAllocator<std::string>> l{
          ResourceAllocator<std::string>(&arena)};
      l.emplace_back("a");
      const char* p = reinterpret_cast<const char*>(&l.back());
      EXPECT_TRUE(p >= buf && p < buf + sizeof buf) << round;
      for (int i = 0; i < 200; ++i) l.emplace_back("b");  // past the buffer: the heap
      EXPECT_EQ(l.size(), 201u);
    }
    arena.release();
  }
}

// Default-constructed, it is new and delete (what ParseRequestHead's
// parser uses); allocators over one resource compare equal.
TEST(ResourceAllocator, DefaultIsNewDeleteAndEqualityIsTheResource) {
  std::vector<int, ResourceAllocator<int>> v;
  for (int i = 0; i < 1000; ++i) v.push_back(i);
  EXPECT_EQ(v[999], 999);
  std::pmr::monotonic_buffer_resource arena;
  EXPECT_EQ(ResourceAllocator<int>(), ResourceAllocator<char>());
  EXPECT_NE(ResourceAllocator<int>(&arena), ResourceAllocator<int>());
  EXPECT_EQ(ResourceAllocator<int>(&arena), ResourceAllocator<long>(&arena));
}

}  // namespace
}  // namespace burnrate
