#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>
#include <tbb/task_group.h>

#include <optional>

#include "basin/crypto/detail/reference_verifier.hpp"
#include "basin/crypto/msm.hpp"
#include "fixed_base_msm.hpp"
#include "rangeproof_common.hpp"

namespace basin::crypto {

namespace {

// A parsed proof: every point decoded (non-identity), every scalar canonical.
struct Parsed {
  std::size_t m = 0, lg = 0;
  std::vector<Point> V;
  Point A, S, T1, T2;
  Scalar t_hat, taux, mu, a, b;
  std::vector<Point> L, R;
  std::vector<Bytes32> Lenc, Renc;
  Bytes32 Aenc, Senc, T1enc, T2enc;  // as received: re-encoding costs an inverse square root
};

std::optional<Parsed> parse(std::span<const Bytes32> commitments,
                            std::span<const std::uint8_t> proof) {
  Parsed p;
  p.m = commitments.size();
  // n and m are checked before anything is sized or indexed by them.
  if (!detail::allowed_m(p.m)) return std::nullopt;
  if (proof.size() != range_proof_size(p.m)) return std::nullopt;
  p.lg = detail::log2_exact(kRangeBits * p.m);
  for (const auto& v : commitments) {
    auto pt = Point::decode(v, /*allow_identity=*/false);
    if (!pt) return std::nullopt;
    p.V.push_back(*pt);
  }
  std::size_t off = 0;
  auto point = [&](Point& dst, Bytes32* enc = nullptr) {
    auto chunk = proof.subspan(off, 32);
    off += 32;
    auto pt = Point::decode(chunk, false);
    if (!pt) return false;
    dst = *pt;
    if (enc) std::copy(chunk.begin(), chunk.end(), enc->begin());
    return true;
  };
  auto scalar = [&](Scalar& dst) {
    auto s = Scalar::from_canonical(proof.subspan(off, 32));
    off += 32;
    if (!s) return false;
    dst = *s;
    return true;
  };
  if (!point(p.A, &p.Aenc) || !point(p.S, &p.Senc) || !point(p.T1, &p.T1enc) ||
      !point(p.T2, &p.T2enc))
    return std::nullopt;
  if (!scalar(p.t_hat) || !scalar(p.taux) || !scalar(p.mu)) return std::nullopt;
  p.L.resize(p.lg);
  p.R.resize(p.lg);
  p.Lenc.resize(p.lg);
  p.Renc.resize(p.lg);
  for (std::size_t k = 0; k < p.lg; ++k)
    if (!point(p.L[k], &p.Lenc[k]) || !point(p.R[k], &p.Renc[k])) return std::nullopt;
  if (!scalar(p.a) || !scalar(p.b)) return std::nullopt;
  return p;
}

// One proof's verification equation as weighted terms: scalars on the shared
// generators (G, H, B, B_blinding) and on the proof's own points.
struct Terms {
  std::vector<Scalar> g, h;  // size nm
  Scalar b, b_blinding;
  std::vector<Scalar> own;
  std::vector<Point> own_points;
};

std::optional<Terms> terms_for(std::span<const Bytes32> commitments,
                               std::span<const std::uint8_t> proof,
                               std::span<const std::uint8_t> context) {
  auto parsed = parse(commitments, proof);
  if (!parsed) return std::nullopt;
  const Parsed& p = *parsed;
  const std::size_t m = p.m, n = kRangeBits, nm = n * m;

  Transcript t = detail::statement_transcript(commitments, context);
  t.append_point("A", p.Aenc);
  t.append_point("S", p.Senc);
  const Scalar y = t.challenge("y");
  const Scalar z = t.challenge("z");
  t.append_point("T1", p.T1enc);
  t.append_point("T2", p.T2enc);
  const Scalar x = t.challenge("x");
  t.append("t_hat", p.t_hat.encode());
  t.append("taux", p.taux.encode());
  t.append("mu", p.mu.encode());
  const Scalar w = t.challenge("w");
  std::vector<Scalar> u(p.lg), u_inv(p.lg), u2(p.lg), u_inv2(p.lg);
  for (std::size_t k = 0; k < p.lg; ++k) {
    t.append_point("L", p.Lenc[k]);
    t.append_point("R", p.Renc[k]);
    u[k] = t.challenge("u");
    if (u[k].is_zero()) return std::nullopt;
  }
  // One inversion for all of u_0..u_{lg-1} and y (Montgomery's trick):
  // a scalar inversion costs as much as a few hundred multiplications.
  std::vector<Scalar> to_invert = u;
  to_invert.push_back(y);
  std::vector<Scalar> prefix(to_invert.size());
  Scalar acc = Scalar::from_u64(1);
  for (std::size_t i = 0; i < to_invert.size(); ++i) {
    prefix[i] = acc;
    acc = acc * to_invert[i];
  }
  if (acc.is_zero()) return std::nullopt;
  Scalar inv = acc.invert();
  std::vector<Scalar> inverses(to_invert.size());
  for (std::size_t i = to_invert.size(); i-- > 0;) {
    inverses[i] = inv * prefix[i];
    inv = inv * to_invert[i];
  }
  for (std::size_t k = 0; k < p.lg; ++k) {
    u_inv[k] = inverses[k];
    u2[k] = u[k] * u[k];
    u_inv2[k] = u_inv[k] * u_inv[k];
  }

  // s_i = prod_k u_k^{+1 if bit (lg-1-k) of i is set, else -1}.
  std::vector<Scalar> s(nm);
  s[0] = Scalar::from_u64(1);
  for (const auto& ui : u_inv) s[0] = s[0] * ui;
  for (std::size_t i = 1; i < nm; ++i) {
    std::size_t lg_i = 0;
    while ((std::size_t{2} << lg_i) <= i) ++lg_i;
    const std::size_t k = std::size_t{1} << lg_i;
    s[i] = s[i - k] * u2[p.lg - 1 - lg_i];
  }

  // Two independent random weights: r1 on the inner-product equation, r2 on
  // the polynomial (t) equation. They also make batches sound.
  const Scalar r1 = Scalar::random(), r2 = Scalar::random();
  const Scalar zz = z * z;
  const Scalar y_inv = inverses[p.lg];
  Terms out;
  out.g.resize(nm);
  out.h.resize(nm);
  const Scalar ab = p.a * p.b;
  // r1 is folded into the per-proof constants so each element costs few multiplications.
  const Scalar r1z = r1 * z, r1a = r1 * p.a, r1b = r1 * p.b;
  Scalar y_inv_i = Scalar::from_u64(1);
  Scalar r1zj = r1 * zz;
  for (std::size_t j = 0; j < m; ++j) {
    Scalar c = r1zj;  // r1 * z^{2+j} * 2^i, doubled along i
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t k = j * n + i;
      out.g[k] = -r1z - r1a * s[k];
      // s_k^{-1} is s of the bitwise complement index.
      out.h[k] = r1z + y_inv_i * (c - r1b * s[nm - 1 - k]);
      c = c + c;
      y_inv_i = y_inv_i * y_inv;
    }
    r1zj = r1zj * z;
  }
  Scalar zj = zz;
  out.b = r1 * w * (p.t_hat - ab) + r2 * (detail::delta(y, z, m) - p.t_hat);
  out.b_blinding = -(r1 * p.mu) - r2 * p.taux;
  auto add = [&](const Scalar& c, const Point& P) {
    out.own.push_back(c);
    out.own_points.push_back(P);
  };
  add(r1, p.A);
  add(r1 * x, p.S);
  add(r2 * x, p.T1);
  add(r2 * x * x, p.T2);
  for (std::size_t j = 0; j < m; ++j) {
    add(r2 * zj, p.V[j]);
    zj = zj * z;
  }
  for (std::size_t k = 0; k < p.lg; ++k) {
    add(r1 * u2[k], p.L[k]);
    add(r1 * u_inv2[k], p.R[k]);
  }
  return out;
}

// Sum of terms over several proofs: the shared generators' scalars are added
// up and multiplied with precomputed tables, the proofs' own points by MSM
// (in two chunks for large batches); the three parts run in parallel.
bool combined_check(std::span<const Terms> all) {
  std::size_t nm_max = 0, own_count = 0;
  for (const auto& t : all) {
    nm_max = std::max(nm_max, t.g.size());
    own_count += t.own.size();
  }
  std::vector<Scalar> g(nm_max), h(nm_max), own;
  std::vector<Point> own_points;
  own.reserve(own_count);
  own_points.reserve(own_count);
  Scalar b, b_blinding;
  for (const auto& t : all) {
    for (std::size_t i = 0; i < t.g.size(); ++i) {
      g[i] += t.g[i];
      h[i] += t.h[i];
    }
    b += t.b;
    b_blinding += t.b_blinding;
    own.insert(own.end(), t.own.begin(), t.own.end());
    own_points.insert(own_points.end(), t.own_points.begin(), t.own_points.end());
  }
  // Splitting the proofs' points costs extra bucket work: only with a second core.
  const bool two_cores = tbb::this_task_arena::max_concurrency() > 1;
  const std::size_t half = two_cores && own_count >= 1024 ? own_count / 2 : own_count;
  Point fixed, first, second;
  tbb::task_group tasks;
  tasks.run([&] { fixed = detail::fixed_generators_msm(g, h, b, b_blinding); });
  tasks.run([&] { first = msm(std::span(own).first(half), std::span(own_points).first(half)); });
  second = msm(std::span(own).subspan(half), std::span(own_points).subspan(half));
  tasks.wait();
  return (fixed + first + second).is_identity();
}

}  // namespace

bool verify_range(std::span<const Bytes32> commitments, std::span<const std::uint8_t> proof,
                  std::span<const std::uint8_t> context) {
  auto t = terms_for(commitments, proof, context);
  if (!t) return false;
  return combined_check(std::span(&*t, 1));
}

std::vector<std::size_t> batch_verify_range(std::span<const RangeProofItem> items) {
  std::vector<std::optional<Terms>> terms(items.size());
  tbb::parallel_for(std::size_t{0}, items.size(), [&](std::size_t i) {
    terms[i] = terms_for(items[i].commitments, items[i].proof, items[i].context);
  });
  std::vector<std::size_t> bad;
  std::vector<Terms> good;
  std::vector<std::size_t> good_index;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (!terms[i]) {
      bad.push_back(i);
    } else {
      good.push_back(std::move(*terms[i]));
      good_index.push_back(i);
    }
  }
  if (good.empty() || combined_check(good)) return bad;
  // Fall back to single checks to name the culprits.
  std::vector<char> ok(good.size(), 0);
  tbb::parallel_for(std::size_t{0}, good.size(),
                    [&](std::size_t i) { ok[i] = combined_check(std::span(&good[i], 1)); });
  for (std::size_t i = 0; i < good.size(); ++i)
    if (!ok[i]) bad.push_back(good_index[i]);
  std::sort(bad.begin(), bad.end());
  return bad;
}

namespace detail {

bool verify_range_sodium_reference(std::span<const Bytes32> commitments,
                                   std::span<const std::uint8_t> proof,
                                   std::span<const std::uint8_t> context) {
  auto t = terms_for(commitments, proof, context);
  if (!t) return false;
  const VectorGens& vg = vector_gens();
  const PedersenGens& pg = pedersen_gens();
  Bytes32 acc{};  // the identity's encoding
  auto add_term = [&](const Scalar& k, const Point& P) {
    const Bytes32 ke = k.encode(), pe = P.encode();
    Bytes32 q;
    // libsodium returns -1 (and zeroes q) when k*P is the identity: nothing to add.
    if (crypto_scalarmult_ristretto255(q.data(), ke.data(), pe.data()) != 0) return;
    crypto_core_ristretto255_add(acc.data(), acc.data(), q.data());
  };
  for (std::size_t i = 0; i < t->g.size(); ++i) {
    add_term(t->g[i], vg.G[i]);
    add_term(t->h[i], vg.H[i]);
  }
  add_term(t->b, pg.B);
  add_term(t->b_blinding, pg.B_blinding);
  for (std::size_t i = 0; i < t->own.size(); ++i) add_term(t->own[i], t->own_points[i]);
  return acc == Bytes32{};
}

}  // namespace detail

}  // namespace basin::crypto
