#include "basin/runtime/field.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <new>
#include <stdexcept>

namespace basin::runtime {

namespace {
constexpr std::size_t kHugePage = std::size_t(2) << 20;
}

void* allocate_field_storage(std::size_t bytes) {
  if (bytes < kHugePage) {
    void* p = std::malloc(bytes ? bytes : 1);
    if (!p) throw std::bad_alloc();
    return p;
  }
  const std::size_t rounded = (bytes + kHugePage - 1) / kHugePage * kHugePage;
  void* p = std::aligned_alloc(kHugePage, rounded);
  if (!p) throw std::bad_alloc();
  // Before the first touch, so the pages are faulted in as huge pages.
  ::madvise(p, rounded, MADV_HUGEPAGE);
  return p;
}

void free_field_storage(void* p, std::size_t) noexcept {
  std::free(p);
}

std::vector<double> Field::interior() const {
  std::vector<double> out(std::size_t(box_.cells()));
  std::size_t at = 0;
  for (int k = 0; k < box_.size[0]; ++k)
    for (int j = 0; j < box_.size[1]; ++j) {
      const double* r = row(k, j);
      std::copy(r, r + box_.size[2], out.begin() + std::ptrdiff_t(at));
      at += std::size_t(box_.size[2]);
    }
  return out;
}

void Field::set_interior(const std::vector<double>& packed) {
  if (packed.size() != std::size_t(box_.cells()))
    throw std::invalid_argument("field " + name_ + ": wrong number of values for this rank");
  std::size_t at = 0;
  for (int k = 0; k < box_.size[0]; ++k)
    for (int j = 0; j < box_.size[1]; ++j) {
      std::copy(packed.begin() + std::ptrdiff_t(at),
                packed.begin() + std::ptrdiff_t(at + std::size_t(box_.size[2])), row(k, j));
      at += std::size_t(box_.size[2]);
    }
}

}  // namespace basin::runtime
