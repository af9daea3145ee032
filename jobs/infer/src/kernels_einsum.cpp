// Einsum: any equation of letters with an optional ellipsis ("bij,bjk->bik",
// "...ii->...i", "i,i", or implicit output). Every combination of the
// labels is visited once in one fixed order and each product is summed into
// its output cell in double: the same bits for any batch size or threads.
#include <map>

#include "kernel_ops.hpp"
#include "kernel_support.hpp"

namespace basin::infer::kernel {
namespace {

// Labels are chars; an ellipsis becomes the reserved labels '0', '1', ...
// (right-aligned across the inputs, broadcast where a dimension is 1).
struct Term {
  std::string labels;
};

std::string strip_spaces(const std::string& s) {
  std::string out;
  for (char c : s)
    if (c != ' ') out += c;
  return out;
}

std::vector<std::string> split_terms(const std::string& s) {
  std::vector<std::string> out(1);
  for (char c : s) {
    if (c == ',')
      out.emplace_back();
    else
      out.back() += c;
  }
  return out;
}

// Expands "..." in `term` to `k` ellipsis labels, the last k of "0".."9".
std::string expand_ellipsis(const Node& n, const std::string& term, size_t rank, size_t& ell) {
  const auto at = term.find("...");
  std::string letters = term;
  if (at != std::string::npos) letters.erase(at, 3);
  for (char c : letters)
    if (!std::isalpha(static_cast<unsigned char>(c)))
      fail(n, "equation label '" + std::string(1, c) + "'");
  if (at == std::string::npos) {
    if (letters.size() != rank) fail(n, "term '" + term + "' does not match its input's rank");
    return letters;
  }
  if (letters.size() > rank) fail(n, "term '" + term + "' has more labels than its input's rank");
  const size_t k = rank - letters.size();
  ell = std::max(ell, k);
  if (k > 10) fail(n, "an ellipsis of more than 10 dimensions");
  std::string dots;
  for (size_t j = 0; j < k; ++j) dots += char('0' + (10 - k + j));
  return letters.substr(0, at) + dots + letters.substr(at);
}

}  // namespace

void einsum(const Node& n, const Inputs& in, Tensor& y) {
  const std::string eq = strip_spaces(n.gets("equation", ""));
  const auto arrow = eq.find("->");
  const auto terms = split_terms(eq.substr(0, arrow));
  if (terms.size() != in.size())
    fail(n, "the equation names " + std::to_string(terms.size()) + " inputs, the node has " +
                std::to_string(in.size()));
  std::vector<std::string> labels;
  std::map<char, int64_t> size;
  std::map<char, int> count;
  size_t ell = 0;
  for (size_t k = 0; k < terms.size(); ++k) {
    const Tensor& t = need(n, in, k);
    need_f(n, t);
    labels.push_back(expand_ellipsis(n, terms[k], t.shape.size(), ell));
    for (size_t d = 0; d < t.shape.size(); ++d) {
      const char c = labels[k][d];
      ++count[c];
      auto [it, fresh] = size.emplace(c, t.shape[d]);
      if (!fresh && it->second != t.shape[d]) {
        if (std::isdigit(static_cast<unsigned char>(c)) && (it->second == 1 || t.shape[d] == 1))
          it->second = std::max(it->second, t.shape[d]);  // ellipsis broadcast
        else if (it->second != t.shape[d])
          fail(n, "label '" + std::string(1, c) + "' has sizes " + std::to_string(it->second) +
                      " and " + std::to_string(t.shape[d]));
      }
    }
  }
  std::string out_labels;
  if (arrow != std::string::npos) {
    size_t out_ell = 0;
    const std::string rhs = eq.substr(arrow + 2);
    out_labels = rhs.find("...") == std::string::npos
                     ? rhs
                     : expand_ellipsis(n, rhs, rhs.size() - 3 + ell, out_ell);
    for (char c : out_labels)
      if (!size.count(c)) fail(n, "output label '" + std::string(1, c) + "' is in no input");
  } else {
    // Implicit: the ellipsis, then the labels seen once, alphabetically.
    for (const auto& [c, k] : count)
      if (std::isdigit(static_cast<unsigned char>(c))) out_labels += c;
    for (const auto& [c, k] : count)
      if (!std::isdigit(static_cast<unsigned char>(c)) && k == 1) out_labels += c;
  }
  std::string all;  // output labels first, then the summed ones
  for (char c : out_labels) all += c;
  for (const auto& [c, s] : size)
    if (all.find(c) == std::string::npos) all += c;
  Shape out_shape;
  for (char c : out_labels) out_shape.push_back(size.at(c));
  size_f(y, out_shape, n);
  std::vector<double> acc(y.f.size(), 0.0);
  // Strides of each input and of the output along every label (0 where a
  // label is absent or broadcast).
  auto strides_for = [&](const std::string& lab, const Shape& shape) {
    std::vector<int64_t> st(all.size(), 0);
    int64_t s = 1;
    for (size_t d = lab.size(); d-- > 0;) {
      if (shape[d] != 1) st[all.find(lab[d])] += s;
      s *= shape[d];
    }
    return st;
  };
  std::vector<std::vector<int64_t>> in_st;
  for (size_t k = 0; k < in.size(); ++k) in_st.push_back(strides_for(labels[k], in[k]->shape));
  const auto out_st = strides_for(out_labels, out_shape);
  Shape extent;
  for (char c : all) extent.push_back(size.at(c));
  const int64_t total = checked_numel(extent, n.where() + " iteration space");
  std::vector<int64_t> idx(all.size(), 0);
  for (int64_t k = 0; k < total; ++k) {
    double v = 1;
    for (size_t j = 0; j < in.size(); ++j) {
      int64_t o = 0;
      for (size_t d = 0; d < all.size(); ++d) o += idx[d] * in_st[j][d];
      v *= in[j]->f[size_t(o)];
    }
    int64_t o = 0;
    for (size_t d = 0; d < all.size(); ++d) o += idx[d] * out_st[d];
    acc[size_t(o)] += v;
    for (size_t d = all.size(); d-- > 0;) {
      if (++idx[d] < extent[d]) break;
      idx[d] = 0;
    }
  }
  std::transform(acc.begin(), acc.end(), y.f.begin(), [](double s) { return float(s); });
}

}  // namespace basin::infer::kernel
