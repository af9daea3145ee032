#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>
#include <tbb/task_group.h>

#include <optional>

#include "basin/crypto/detail/reference_verifier.hpp"
#include "basin/crypto/msm.hpp"
#include "batch_narrowing.hpp"
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
  // The proof's points, in wire order: A, S, T1, T2, then the scalars
  // t_hat, taux, mu, then L_k, R_k, then a, b.
  constexpr std::size_t kHead = 4, kScalarsAfterHead = 3;
  const auto chunk = [&](std::size_t slot) {
    Bytes32 b;
    std::copy_n(proof.begin() + 32 * slot, 32, b.begin());
    return b;
  };
  std::vector<Bytes32> enc(commitments.begin(), commitments.end());
  for (std::size_t k = 0; k < kHead; ++k) enc.push_back(chunk(k));
  for (std::size_t k = 0; k < 2 * p.lg; ++k) enc.push_back(chunk(kHead + kScalarsAfterHead + k));
  // All of them decoded together: eight at a time where the CPU can.
  std::vector<std::optional<Point>> pts(enc.size());
  Point::decode_many(enc, /*allow_identity=*/false, pts);
  for (const auto& pt : pts)
    if (!pt) return std::nullopt;
  std::size_t next = 0;
  for (std::size_t i = 0; i < p.m; ++i) p.V.push_back(*pts[next++]);
  const auto point = [&](Point& dst, Bytes32& dst_enc) {
    dst_enc = enc[next];
    dst = *pts[next++];
  };
  point(p.A, p.Aenc);
  point(p.S, p.Senc);
  point(p.T1, p.T1enc);
  point(p.T2, p.T2enc);
  p.L.resize(p.lg);
  p.R.resize(p.lg);
  p.Lenc.resize(p.lg);
  p.Renc.resize(p.lg);
  for (std::size_t k = 0; k < p.lg; ++k) {
    point(p.L[k], p.Lenc[k]);
    point(p.R[k], p.Renc[k]);
  }
  const auto scalar = [&](Scalar& dst, std::size_t slot) {
    auto s = Scalar::from_canonical(proof.subspan(32 * slot, 32));
    if (!s) return false;
    dst = *s;
    return true;
  };
  const std::size_t tail = kHead + kScalarsAfterHead + 2 * p.lg;
  if (!scalar(p.t_hat, kHead) || !scalar(p.taux, kHead + 1) || !scalar(p.mu, kHead + 2) ||
      !scalar(p.a, tail) || !scalar(p.b, tail + 1))
    return std::nullopt;
  return p;
}

// Where one proof's weighted verification equation goes: scalars on the
// shared generators (G, H, B, B_blinding) are *added* to g, h, b and
// b_blinding (so many proofs share one sum); the proof's own points and their
// scalars are written to own / own_points (own_count(m) slots).
struct Sink {
  std::span<Scalar> g, h;  // at least n*m long
  Scalar& b;
  Scalar& b_blinding;
  std::span<Scalar> own;
  std::span<Point> own_points;
};

// A, S, T1, T2, the m commitments, and L_k, R_k for k < log2(n*m).
std::size_t own_count(std::size_t m) {
  return 4 + m + 2 * detail::log2_exact(kRangeBits * m);
}

// Adds the proof's equation into `sink`, or returns false (and adds nothing)
// when the proof is malformed.
bool add_terms(const RangeProofItem& item, const Sink& sink) {
  auto parsed = parse(item.commitments, item.proof);
  if (!parsed) return false;
  const Parsed& p = *parsed;
  const std::size_t m = p.m, n = kRangeBits, nm = n * m;

  Transcript t = detail::statement_transcript(item.commitments, item.context);
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
    if (u[k].is_zero()) return false;
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
  if (acc.is_zero()) return false;
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
  // (Factors used for many products are prepared once: ScalarMultiplier.)
  std::vector<ScalarMultiplier> u2_times;
  for (const auto& x : u2) u2_times.emplace_back(x);
  std::vector<Scalar> s(nm);
  s[0] = Scalar::from_u64(1);
  for (const auto& ui : u_inv) s[0] = s[0] * ui;
  for (std::size_t i = 1; i < nm; ++i) {
    std::size_t lg_i = 0;
    while ((std::size_t{2} << lg_i) <= i) ++lg_i;
    const std::size_t k = std::size_t{1} << lg_i;
    s[i] = u2_times[p.lg - 1 - lg_i] * s[i - k];
  }

  // Two independent random weights: r1 on the inner-product equation, r2 on
  // the polynomial (t) equation. They also make batches sound.
  const Scalar r1 = Scalar::random(), r2 = Scalar::random();
  const Scalar zz = z * z;
  const Scalar y_inv = inverses[p.lg];
  const Scalar ab = p.a * p.b;
  // r1 is folded into the per-proof constants so each element costs few multiplications.
  const Scalar r1z = r1 * z;
  const ScalarMultiplier r1a(r1 * p.a), r1b(r1 * p.b), y_inv_times(y_inv);
  ScalarMultiplier y_inv_i(Scalar::from_u64(1));
  Scalar r1zj = r1 * zz;
  for (std::size_t j = 0; j < m; ++j) {
    Scalar c = r1zj;  // r1 * z^{2+j} * 2^i, doubled along i
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t k = j * n + i;
      sink.g[k] += -r1z - r1a * s[k];
      // s_k^{-1} is s of the bitwise complement index.
      sink.h[k] += r1z + y_inv_i * (c - r1b * s[nm - 1 - k]);
      c = c + c;
      y_inv_i = y_inv_i * y_inv_times;
    }
    r1zj = r1zj * z;
  }
  sink.b += r1 * w * (p.t_hat - ab) + r2 * (detail::delta(y, z, m) - p.t_hat);
  sink.b_blinding += -(r1 * p.mu) - r2 * p.taux;
  std::size_t slot = 0;
  auto add = [&](const Scalar& c, const Point& P) {
    sink.own[slot] = c;
    sink.own_points[slot] = P;
    ++slot;
  };
  add(r1, p.A);
  add(r1 * x, p.S);
  add(r2 * x, p.T1);
  add(r2 * x * x, p.T2);
  Scalar zj = zz;
  for (std::size_t j = 0; j < m; ++j) {
    add(r2 * zj, p.V[j]);
    zj = zj * z;
  }
  for (std::size_t k = 0; k < p.lg; ++k) {
    add(r1 * u2[k], p.L[k]);
    add(r1 * u_inv2[k], p.R[k]);
  }
  return true;
}

// One proof's equation on its own (the single check, the reference verifier).
struct Terms {
  std::vector<Scalar> g, h;
  Scalar b, b_blinding;
  std::vector<Scalar> own;
  std::vector<Point> own_points;
};

std::optional<Terms> terms_for(const RangeProofItem& item) {
  const std::size_t m = item.commitments.size();
  if (!detail::allowed_m(m)) return std::nullopt;
  Terms t;
  t.g.resize(kRangeBits * m);
  t.h.resize(kRangeBits * m);
  t.own.resize(own_count(m));
  t.own_points.resize(own_count(m));
  if (!add_terms(item, {t.g, t.h, t.b, t.b_blinding, t.own, t.own_points})) return std::nullopt;
  return t;
}

// The combined equation: the shared generators' scalars multiplied with
// precomputed tables, the proofs' own points by MSM (split over the cores);
// both run in parallel. True iff the sum is the identity.
bool equation_holds(std::span<const Scalar> g, std::span<const Scalar> h, const Scalar& b,
                    const Scalar& b_blinding, std::span<const Scalar> own,
                    std::span<const Point> own_points) {
  Point fixed, mine;
  tbb::task_group tasks;
  tasks.run([&] { fixed = detail::fixed_generators_msm(g, h, b, b_blinding); });
  mine = parallel_msm(own, own_points);
  tasks.wait();
  return (fixed + mine).is_identity();
}

bool single_check(const RangeProofItem& item) {
  const auto t = terms_for(item);
  return t && equation_holds(t->g, t->h, t->b, t->b_blinding, t->own, t->own_points);
}

// Per thread: the sums of the generator scalars of the proofs it added.
struct GeneratorSums {
  explicit GeneratorSums(std::size_t nm) : g(nm), h(nm) {}
  std::vector<Scalar> g, h;
  Scalar b, b_blinding;
};

}  // namespace

bool verify_range(std::span<const Bytes32> commitments, std::span<const std::uint8_t> proof,
                  std::span<const std::uint8_t> context) {
  return single_check({commitments, proof, context});
}

namespace {

// One random linear combination of many proofs: the ones that fail to parse
// (indices into `items`) and whether the equation holds for the others.
struct Combination {
  std::vector<std::size_t> unparsed;
  bool holds = true;
};

// Every proof adds its generator scalars into its thread's sums as it is
// checked (nothing per proof is kept but its own points), then one combined
// equation.
Combination combine(std::span<const RangeProofItem> items) {
  std::vector<std::size_t> offset(items.size() + 1, 0);
  std::size_t nm_max = 0;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::size_t m = items[i].commitments.size();
    const bool allowed = detail::allowed_m(m);
    offset[i + 1] = offset[i] + (allowed ? own_count(m) : 0);
    if (allowed) nm_max = std::max(nm_max, kRangeBits * m);
  }
  // A proof that fails to parse leaves its slots at scalar 0: they add nothing.
  std::vector<Scalar> own(offset.back());
  std::vector<Point> own_points(offset.back());
  tbb::enumerable_thread_specific<GeneratorSums> sums([&] { return GeneratorSums(nm_max); });
  std::vector<char> parsed(items.size(), 0);
  tbb::parallel_for(std::size_t{0}, items.size(), [&](std::size_t i) {
    const std::size_t count = offset[i + 1] - offset[i];
    if (count == 0) return;
    GeneratorSums& local = sums.local();
    const Sink sink{local.g,
                    local.h,
                    local.b,
                    local.b_blinding,
                    std::span(own).subspan(offset[i], count),
                    std::span(own_points).subspan(offset[i], count)};
    parsed[i] = add_terms(items[i], sink);
  });
  Combination out;
  for (std::size_t i = 0; i < items.size(); ++i)
    if (!parsed[i]) out.unparsed.push_back(i);
  if (out.unparsed.size() == items.size()) return out;
  GeneratorSums total(nm_max);
  for (const auto& local : sums) {
    for (std::size_t k = 0; k < nm_max; ++k) {
      total.g[k] += local.g[k];
      total.h[k] += local.h[k];
    }
    total.b += local.b;
    total.b_blinding += local.b_blinding;
  }
  out.holds = equation_holds(total.g, total.h, total.b, total.b_blinding, own, own_points);
  return out;
}

void check_singly(std::span<const RangeProofItem> items, std::size_t base,
                  std::vector<std::size_t>& bad) {
  std::vector<char> ok(items.size(), 0);
  tbb::parallel_for(std::size_t{0}, items.size(),
                    [&](std::size_t k) { ok[k] = single_check(items[k]); });
  for (std::size_t k = 0; k < items.size(); ++k)
    if (!ok[k]) bad.push_back(base + k);
}

}  // namespace

// One combined equation; if it fails, the bad proofs are found by halving
// (detail::narrow_failure) and named.
std::vector<std::size_t> batch_verify_range(std::span<const RangeProofItem> items) {
  const auto c = combine(items);
  std::vector<std::size_t> bad = c.unparsed;
  if (!c.holds)
    detail::narrow_failure(
        0, items.size(),
        [&](std::size_t lo, std::size_t hi) {
          const auto part = combine(items.subspan(lo, hi - lo));
          for (auto i : part.unparsed) bad.push_back(lo + i);  // duplicates removed below
          return part.holds;
        },
        [&](std::size_t lo, std::size_t hi) { check_singly(items.subspan(lo, hi - lo), lo, bad); });
  std::sort(bad.begin(), bad.end());
  bad.erase(std::unique(bad.begin(), bad.end()), bad.end());
  return bad;
}

namespace detail {

bool verify_range_sodium_reference(std::span<const Bytes32> commitments,
                                   std::span<const std::uint8_t> proof,
                                   std::span<const std::uint8_t> context) {
  auto t = terms_for({commitments, proof, context});
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
