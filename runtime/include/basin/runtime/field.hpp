// A rank's part of a distributed 3-D field of doubles, with a halo.
//
// Storage: (size[0] + 2h) x (size[1] + 2h) x stored_row_length(size[2] + 2h)
// doubles, row-major in (z, y, x), x contiguous; a row may end in a few unused
// doubles of padding (see stored_row_length). Local index (k, j, i) of an
// owned cell runs over [0, size) in each dimension; the halo is at -h..-1 and
// size..size+h-1. At a global wall the halo holds the boundary values the
// workload sets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "basin/runtime/decomposition.hpp"

namespace basin::runtime {

// Storage for large fields: 2 MiB-aligned and marked for transparent huge
// pages (stencils touching five planes at once otherwise miss the TLB on
// every plane). Small requests use the ordinary heap.
template <class T>
struct FieldAllocator {
  using value_type = T;
  FieldAllocator() = default;
  template <class U>
  FieldAllocator(const FieldAllocator<U>&) {}
  T* allocate(std::size_t n);
  void deallocate(T* p, std::size_t n) noexcept;
  template <class U>
  bool operator==(const FieldAllocator<U>&) const {
    return true;
  }
};
void* allocate_field_storage(std::size_t bytes);
void free_field_storage(void* p, std::size_t bytes) noexcept;
template <class T>
T* FieldAllocator<T>::allocate(std::size_t n) {
  return static_cast<T*>(allocate_field_storage(n * sizeof(T)));
}
template <class T>
void FieldAllocator<T>::deallocate(T* p, std::size_t n) noexcept {
  free_field_storage(p, n * sizeof(T));
}

// The doubles a stored x row takes for `doubles` values (owned cells and
// halo): rows of at least 64 doubles are rounded up to whole 64-byte cache
// lines, so every row starts at the same offset within a line and a
// stencil's streaming stores write whole lines. Heat 256^3 on an AVX-512 EPYC:
// with rows of 258 doubles its streaming stores were slower than ordinary
// ones (it kept those), with rows of 264 they are faster and heat steps 10%
// faster (docs/performance.md). The padding costs at most 7 doubles a row
// (under 11%); shorter rows (an inference result's 10 scores) are not
// padded. The padding is never read or written.
constexpr int stored_row_length(int doubles) {
  return doubles >= 64 ? (doubles + 7) / 8 * 8 : doubles;
}

class Field {
 public:
  Field(std::string name, const Box& box, int halo)
      : name_(std::move(name)),
        box_(box),
        halo_(halo),
        sx_(stored_row_length(box.size[2] + 2 * halo)),
        sy_(box.size[1] + 2 * halo),
        data_(std::size_t(box.size[0] + 2 * halo) * sy_ * sx_, 0.0) {}

  const std::string& name() const { return name_; }
  const Box& box() const { return box_; }
  int halo() const { return halo_; }
  // Strides of the storage, in doubles (stride_y includes a row's padding).
  std::ptrdiff_t stride_y() const { return sx_; }
  std::ptrdiff_t stride_z() const { return std::ptrdiff_t(sx_) * sy_; }
  std::array<int, 3> storage() const { return {box_.size[0] + 2 * halo_, sy_, sx_}; }

  std::size_t offset(int k, int j, int i) const {
    return (std::size_t(k + halo_) * sy_ + std::size_t(j + halo_)) * sx_ + std::size_t(i + halo_);
  }
  double& at(int k, int j, int i) { return data_[offset(k, j, i)]; }
  double at(int k, int j, int i) const { return data_[offset(k, j, i)]; }
  double* row(int k, int j) { return &data_[offset(k, j, 0)]; }
  const double* row(int k, int j) const { return &data_[offset(k, j, 0)]; }
  double* data() { return data_.data(); }
  const double* data() const { return data_.data(); }

  // Exchanges the values (not the names) with a field of the same shape:
  // the old/new pair of a time step.
  void swap_values(Field& other) { data_.swap(other.data_); }

  // The owned cells, packed (z, y, x) without halo (for I/O).
  std::vector<double> interior() const;
  void set_interior(const std::vector<double>& packed);

 private:
  std::string name_;
  Box box_;
  int halo_;
  int sx_, sy_;
  std::vector<double, FieldAllocator<double>> data_;
};

}  // namespace basin::runtime
