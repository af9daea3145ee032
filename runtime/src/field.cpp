#include "basin/runtime/field.hpp"

#include <algorithm>
#include <stdexcept>

namespace basin::runtime {

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
