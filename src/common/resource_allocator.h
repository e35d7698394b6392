// An allocator over a std::pmr::memory_resource, for containers whose
// allocator is a template parameter that cannot be std::pmr's own (Boost.
// Beast's basic_fields assigns and rebinds its allocator, which
// std::pmr::polymorphic_allocator forbids or resets).
//
// With a std::pmr::monotonic_buffer_resource over a buffer that a
// connection keeps, the header fields of each message it parses cost no
// malloc or free: Beast allocates one element per field, and the HTTP
// server and the gateway's upstream client parse a head per request
// (docs/PERFORMANCE.md, "Metering gateway"). The container must be
// destroyed before the resource is released. Default-constructed, it uses
// new and delete. Thread-safety: that of the resource.
#pragma once

#include <cstddef>
#include <memory_resource>
#include <type_traits>

namespace burnrate {

template <class T>
class ResourceAllocator {
 public:
  using value_type = T;
  using propagate_on_container_copy_assignment = std::true_type;
  using propagate_on_container_move_assignment = std::true_type;
  using propagate_on_container_swap = std::true_type;
  using is_always_equal = std::false_type;

  ResourceAllocator() noexcept : resource_(std::pmr::new_delete_resource()) {}
  explicit ResourceAllocator(std::pmr::memory_resource* r) noexcept : resource_(r) {}
  template <class U>
  ResourceAllocator(const ResourceAllocator<U>& other) noexcept  // NOLINT: rebinding converts
      : resource_(other.resource()) {}

  T* allocate(std::size_t n) {
    return static_cast<T*>(resource_->allocate(n * sizeof(T), alignof(T)));
  }
  void deallocate(T* p, std::size_t n) noexcept {
    resource_->deallocate(p, n * sizeof(T), alignof(T));
  }
  std::pmr::memory_resource* resource() const noexcept { return resource_; }

  template <class U>
  bool operator==(const ResourceAllocator<U>& other) const noexcept {
    return resource_ == other.resource();
  }
  template <class U>
  bool operator!=(const ResourceAllocator<U>& other) const noexcept {
    return resource_ != other.resource();
  }

 private:
  std::pmr::memory_resource* resource_;
};

}  // namespace burnrate
