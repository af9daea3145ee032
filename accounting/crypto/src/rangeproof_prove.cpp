#include <tbb/parallel_for.h>
#include <tbb/parallel_invoke.h>

#include <stdexcept>

#include "basin/crypto/msm.hpp"
#include "fixed_base_msm.hpp"
#include "rangeproof_common.hpp"

namespace basin::crypto {

using detail::powers;

std::size_t range_proof_size(std::size_t m) {
  if (!detail::allowed_m(m)) return 0;
  return 32 * (9 + 2 * detail::log2_exact(kRangeBits * m));
}

namespace {

Scalar inner(std::span<const Scalar> a, std::span<const Scalar> b) {
  Scalar acc;
  for (std::size_t i = 0; i < a.size(); ++i) acc = acc + a[i] * b[i];
  return acc;
}

void put(std::vector<std::uint8_t>& out, const Bytes32& b) {
  out.insert(out.end(), b.begin(), b.end());
}

// The inner-product argument on vectors a, b with generators G_j and
// H_j' = y^-j * H_j, and Q = w*B. The folded generators are never formed:
// each original generator's coefficient in its folded generator is tracked
// as a scalar (original j sits in folded index j mod len), so L and R are
// MSMs over the fixed generators with precomputed tables, and a fold costs
// scalar multiplications only instead of a point multiplication per element.
void inner_product_argument(Transcript& t, const Scalar& w, std::vector<Scalar> h_factor,
                            std::vector<Scalar> a, std::vector<Scalar> b,
                            std::vector<std::uint8_t>& out) {
  const std::size_t nm = a.size();
  std::vector<Scalar> cg(nm, Scalar::from_u64(1)), ch = std::move(h_factor);
  std::size_t len = nm;
  while (len > 1) {
    const std::size_t h = len / 2;
    const Scalar cL = inner(std::span(a).first(h), std::span(b).subspan(h, h));
    const Scalar cR = inner(std::span(a).subspan(h, h), std::span(b).first(h));
    // L = <a_lo, G_hi> + <b_hi, H_lo> + cL*Q; R = <a_hi, G_lo> + <b_lo, H_hi> + cR*Q.
    Point L, R;
    auto side = [&](bool left, Point& outp) {
      std::vector<Scalar> gs(nm), hs(nm);
      for (std::size_t j = 0; j < nm; ++j) {
        const std::size_t i = j % len;
        const bool hi = i >= h;
        if (hi == left) gs[j] = a[i - (hi ? h : 0) + (left ? 0 : h)] * cg[j];
        if (hi != left) hs[j] = b[i + (left ? h : 0) - (hi ? h : 0)] * ch[j];
      }
      outp = detail::fixed_generators_msm(gs, hs, (left ? cL : cR) * w, Scalar());
    };
    tbb::parallel_invoke([&] { side(true, L); }, [&] { side(false, R); });
    const Bytes32 Le = L.encode(), Re = R.encode();
    put(out, Le);
    put(out, Re);
    t.append_point("L", Le);
    t.append_point("R", Re);
    const Scalar u = t.challenge("u");
    const Scalar u_inv = u.invert();
    for (std::size_t i = 0; i < h; ++i) {
      a[i] = a[i] * u + a[h + i] * u_inv;
      b[i] = b[i] * u_inv + b[h + i] * u;
    }
    // G' = u^-1 G_lo + u G_hi, H' = u H_lo + u^-1 H_hi.
    for (std::size_t j = 0; j < nm; ++j) {
      const bool hi = j % len >= h;
      cg[j] = cg[j] * (hi ? u : u_inv);
      ch[j] = ch[j] * (hi ? u_inv : u);
    }
    len = h;
    a.resize(len);
    b.resize(len);
  }
  put(out, a[0].encode());
  put(out, b[0].encode());
}

}  // namespace

std::vector<std::uint8_t> prove_range(std::span<const std::uint64_t> values,
                                      std::span<const Scalar> blindings,
                                      std::span<const std::uint8_t> context) {
  const std::size_t m = values.size();
  if (!detail::allowed_m(m))
    throw std::invalid_argument("range proof: the number of values must be 1, 2, 4, ..., 64");
  if (blindings.size() != m)
    throw std::invalid_argument("range proof: one blinding per value is needed");
  const std::size_t n = kRangeBits, nm = n * m;
  const PedersenGens& pg = pedersen_gens();
  const VectorGens& vg = vector_gens();

  const std::vector<Bytes32> V = commit(values, blindings);
  Transcript t = detail::statement_transcript(V, context);

  std::vector<std::uint8_t> out;
  out.reserve(range_proof_size(m));

  // a_L = bits of the values, a_R = a_L - 1; A = alpha*B_blinding + <a_L,G> + <a_R,H>.
  std::vector<Scalar> aL(nm), aR(nm);
  const Scalar one = Scalar::from_u64(1);
  const Scalar alpha = Scalar::random();
  Point A = pg.B_blinding * alpha;
  for (std::size_t j = 0; j < m; ++j) {
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t k = j * n + i;
      const bool bit = (values[j] >> i) & 1;
      aL[k] = bit ? one : Scalar();
      aR[k] = aL[k] - one;
      A = bit ? A + vg.G[k] : A - vg.H[k];
    }
  }
  std::vector<Scalar> sL(nm), sR(nm);
  const Scalar rho = Scalar::random();
  for (std::size_t k = 0; k < nm; ++k) {
    sL[k] = Scalar::random();
    sR[k] = Scalar::random();
  }
  const Point S = detail::fixed_generators_msm(sL, sR, Scalar(), rho);
  const Bytes32 Ae = A.encode(), Se = S.encode();
  t.append_point("A", Ae);
  t.append_point("S", Se);
  const Scalar y = t.challenge("y");
  const Scalar z = t.challenge("z");
  const Scalar zz = z * z;

  // l(X) = l0 + l1 X, r(X) = r0 + r1 X.
  const std::vector<Scalar> yp = powers(y, nm);
  const std::vector<Scalar> zp = powers(z, m);
  std::vector<Scalar> l0(nm), r0(nm), r1(nm);
  for (std::size_t j = 0; j < m; ++j) {
    Scalar two_i = one;
    const Scalar zj = zz * zp[j];
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t k = j * n + i;
      l0[k] = aL[k] - z;
      r0[k] = yp[k] * (aR[k] + z) + zj * two_i;
      r1[k] = yp[k] * sR[k];
      two_i = two_i + two_i;
    }
  }
  const Scalar t1 = inner(l0, r1) + inner(sL, r0);
  const Scalar t2 = inner(sL, r1);
  const Scalar tau1 = Scalar::random(), tau2 = Scalar::random();
  const Point T1 = base_mul(t1) + pg.B_blinding * tau1;
  const Point T2 = base_mul(t2) + pg.B_blinding * tau2;
  const Bytes32 T1e = T1.encode(), T2e = T2.encode();
  t.append_point("T1", T1e);
  t.append_point("T2", T2e);
  const Scalar x = t.challenge("x");

  Scalar taux = tau2 * x * x + tau1 * x;
  for (std::size_t j = 0; j < m; ++j) taux = taux + zz * zp[j] * blindings[j];
  const Scalar mu = alpha + rho * x;
  std::vector<Scalar> l(nm), r(nm);
  for (std::size_t k = 0; k < nm; ++k) {
    l[k] = l0[k] + sL[k] * x;
    r[k] = r0[k] + r1[k] * x;
  }
  const Scalar t_hat = inner(l, r);
  t.append("t_hat", t_hat.encode());
  t.append("taux", taux.encode());
  t.append("mu", mu.encode());
  const Scalar w = t.challenge("w");

  put(out, Ae);
  put(out, Se);
  put(out, T1e);
  put(out, T2e);
  put(out, t_hat.encode());
  put(out, taux.encode());
  put(out, mu.encode());

  inner_product_argument(t, w, powers(y.invert(), nm), std::move(l), std::move(r), out);
  return out;
}

}  // namespace basin::crypto
