// ChunkedVector<T>: a vector whose elements never move.
//
// Elements live in fixed chunks of 2^kChunkBits; growing adds a chunk and
// never copies or moves the elements already there, so references and
// pointers to them stay valid until the vector is cleared or destroyed, and
// appending costs the same at 10 or 100,000 elements (a std::vector of
// 300-byte entries copies all of them each time it doubles, and allocates
// twice their size at once). Indexing is a shift, a mask and two loads.
// A chunk is mapped whole (common/heap.h, AllocatePrefaulted), so chunks
// should be large: tens or hundreds of KiB.
//
// Used for tables indexed by a dense id that only grow: the engine's
// entities (engine/engine_state.h) and detection's user-days
// (detect/feature_store.h).
// Thread-safety: none; the owner serialises access.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <utility>
#include <vector>

#include "common/heap.h"

namespace burnrate {

template <typename T, int kChunkBits = 10>
class ChunkedVector {
 public:
  static constexpr size_t kChunk = size_t{1} << kChunkBits;

  ChunkedVector() = default;
  ChunkedVector(ChunkedVector&& o) noexcept
      : chunks_(std::move(o.chunks_)), size_(std::exchange(o.size_, 0)) {}
  ChunkedVector& operator=(ChunkedVector&& o) noexcept {
    if (this != &o) {
      clear();
      chunks_ = std::move(o.chunks_);
      size_ = std::exchange(o.size_, 0);
    }
    return *this;
  }
  ~ChunkedVector() { clear(); }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  T& operator[](size_t i) { return Slot(i); }
  const T& operator[](size_t i) const { return const_cast<ChunkedVector*>(this)->Slot(i); }
  T& back() { return Slot(size_ - 1); }
  const T& back() const { return (*this)[size_ - 1]; }

  // Constructs a new last element; earlier elements do not move.
  template <typename... Args>
  T& emplace_back(Args&&... args) {
    if ((size_ >> kChunkBits) == chunks_.size()) chunks_.push_back(NewChunk());
    T* p = new (&Slot(size_)) T(std::forward<Args>(args)...);
    ++size_;
    return *p;
  }
  // Grows with default-constructed elements, or destroys the last ones.
  void resize(size_t n) {
    while (size_ > n) {
      back().~T();
      --size_;
    }
    while (size_ < n) emplace_back();
  }
  void clear() {
    resize(0);
    chunks_.clear();
  }

  template <typename V, typename Owner>
  class Iter {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using pointer = V*;
    using reference = V&;
    Iter() = default;
    Iter(Owner* v, size_t i) : v_(v), i_(i) {}
    V& operator*() const { return (*v_)[i_]; }
    V* operator->() const { return &(*v_)[i_]; }
    Iter& operator++() { return ++i_, *this; }
    Iter operator++(int) { return Iter(v_, i_++); }
    bool operator==(const Iter& o) const { return i_ == o.i_; }

   private:
    Owner* v_ = nullptr;
    size_t i_ = 0;
  };
  using iterator = Iter<T, ChunkedVector>;
  using const_iterator = Iter<const T, const ChunkedVector>;
  iterator begin() { return {this, 0}; }
  iterator end() { return {this, size_}; }
  const_iterator begin() const { return {this, 0}; }
  const_iterator end() const { return {this, size_}; }

 private:
  // Raw storage for one chunk; elements are constructed in place. Chunks
  // come mapped and faulted in one call (a new chunk is written at once,
  // element by element, and page faults one by one are expensive on a VM).
  struct Storage {
    alignas(T) std::byte bytes[sizeof(T) * kChunk];
  };
  struct Unmap {
    void operator()(Storage* s) const { FreePrefaulted(s, sizeof(Storage)); }
  };
  static std::unique_ptr<Storage, Unmap> NewChunk() {
    return std::unique_ptr<Storage, Unmap>(
        static_cast<Storage*>(AllocatePrefaulted(sizeof(Storage))));
  }
  T& Slot(size_t i) {
    return reinterpret_cast<T*>(chunks_[i >> kChunkBits]->bytes)[i & (kChunk - 1)];
  }

  std::vector<std::unique_ptr<Storage, Unmap>> chunks_;
  size_t size_ = 0;
};

}  // namespace burnrate
