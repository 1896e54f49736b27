// Group normalization (Wu & He 2018), which covers instance (G = C) and layer (G = 1)
// normalization, and its gradient, on channels-last float32 memory viewed as [B, S, C]
// (S = product of the spatial dims), the C channels split into G groups of Cg = C/G consecutive
// channels; each (sample b, group g) is normalized over its N = S * Cg values.
//
// groupNorm(params: Int32Array [B, S, C, G], eps, x, gamma, beta, y, mean, rstd)
//   y = gamma_c (x - mean_bg) rstd_bg + beta_c; writes mean [B*G] and rstd = 1/sqrt(var + eps)
//   [B*G] (biased variance) for the gradient.
// groupNormGrad(params, dy, x, gamma, mean, rstd, dx, dgamma, dbeta)
//   dx = rstd (gamma_c dy - A/N) - (x - mean) rstd^3 Q/N with A = sum_{c in g} gamma_c sum_s dy,
//   Q = sum_{c in g} gamma_c sum_s dy (x - mean); dgamma_c = sum_b rstd sum_s dy (x - mean),
//   dbeta_c = sum_{b,s} dy.
//
// Statistics: OpenMP over work items (sample b, block of consecutive groups), float64 sums, mean
// first and then the squared deviations (two passes). Apply passes: OpenMP over blocks of rows.
// Every sum is formed by one thread in a fixed order, so results do not depend on the thread count.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "common.h"

namespace ummkd {
namespace {

/** Lanes (floats) a row block aims at: small C packs R = kLanes / C whole rows into one run. */
constexpr size_t kLanes = 64;

struct GnDims {
  size_t B, S, C, G, Cg, N;
  /** Groups per statistics work item, and the number of such blocks per sample. */
  size_t gpb, nblk;
  /** Rows per apply block (contiguous runs of R*C floats), and blocks per sample. */
  size_t R, nrb;
};

bool getDims(Napi::Env env, const std::vector<int64_t>& p, GnDims* d) {
  if (p.size() != 4 || p[0] < 1 || p[1] < 1 || p[2] < 1 || p[3] < 1 || p[2] % p[3] != 0)
    return rangeError(env, "group norm params must be [B, S, C, G], all >= 1, G dividing C");
  d->B = size_t(p[0]);
  d->S = size_t(p[1]);
  d->C = size_t(p[2]);
  d->G = size_t(p[3]);
  d->Cg = d->C / d->G;
  d->N = d->S * d->Cg;
  d->gpb = std::max<size_t>(1, std::min(d->G, kLanes / d->Cg));
  d->nblk = (d->G + d->gpb - 1) / d->gpb;
  d->R = std::max<size_t>(1, kLanes / d->C);
  d->nrb = (d->S + d->R - 1) / d->R;
  return true;
}

/**
 * Per-lane float64 sums of `term(j, l)` over the S rows of one sample, for the channels
 * [c0, c0 + w): j is the element offset within the sample, l the lane, whose channel is
 * c0 + l % w. When the block spans every channel (w == C), rows are contiguous and R of them form
 * one run of R*C lanes (vectorizable even for C = 1); else one row's w channels are the lanes.
 * Then `out[k]` (k < w) = the sum over the lanes of channel c0 + k. Lane count: `laneCount`.
 */
inline size_t laneCount(const GnDims& d, size_t w) { return w == d.C ? d.R * d.C : w; }

template <size_t K, class Term>
void rowSums(const GnDims& d, size_t c0, size_t w, double* lanes, double* const* out, Term term) {
  const size_t S = d.S, C = d.C, L = laneCount(d, w);
  std::fill(lanes, lanes + K * L, 0.0);
  if (w == C) {
    const size_t R = d.R;
    size_t s = 0;
    for (; s + R <= S; s += R) {
      const size_t j0 = s * C;
#pragma omp simd
      for (size_t l = 0; l < L; l++) term(j0 + l, l, lanes + l, L);
    }
    const size_t j0 = s * C, rem = (S - s) * C;
    for (size_t l = 0; l < rem; l++) term(j0 + l, l, lanes + l, L);
  } else {
    for (size_t s = 0; s < S; s++) {
      const size_t j0 = s * C + c0;
#pragma omp simd
      for (size_t l = 0; l < L; l++) term(j0 + l, l, lanes + l, L);
    }
  }
  for (size_t k = 0; k < K; k++) {
    double* o = out[k];
    const double* a = lanes + k * L;
    std::fill(o, o + w, 0.0);
    for (size_t l = 0; l < L; l++) o[l % w] += a[l];
  }
}

/** Per-sample lane patterns of length R*C: value of channel l % C (apply passes). */
template <class F>
void pattern(const GnDims& d, float* dst, F value) {
  const size_t P = d.R * d.C;
  for (size_t b = 0; b < d.B; b++)
    for (size_t l = 0; l < P; l++) dst[b * P + l] = value(b, l % d.C);
}

/** Runs body(b, s0, rows) over blocks of R rows of every sample, in parallel for large tensors. */
template <class Body>
void forRowBlocks(const GnDims& d, Body body) {
  const size_t items = d.B * d.nrb;
  const bool par = d.B * d.S * d.C >= kParallelMin && items > 1;
#pragma omp parallel for schedule(static) if (par)
  for (size_t it = 0; it < items; it++) {
    const size_t b = it / d.nrb, s0 = (it % d.nrb) * d.R;
    body(b, s0, std::min(d.R, d.S - s0));
  }
}

/** Runs body(b, g0, ng) over (sample, block of groups) work items, in parallel for large tensors. */
template <class Body>
void forGroupBlocks(const GnDims& d, Body body) {
  const size_t items = d.B * d.nblk;
  const bool par = d.B * d.S * d.C >= kParallelMin && items > 1;
#pragma omp parallel for schedule(dynamic, 1) if (par)
  for (size_t it = 0; it < items; it++) {
    const size_t b = it / d.nblk, g0 = (it % d.nblk) * d.gpb;
    body(b, g0, std::min(d.gpb, d.G - g0));
  }
}

}  // namespace

Napi::Value GroupNorm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<int64_t> p;
  GnDims d;
  F32 x, g, be, y, m, r;
  if (!getInts(info, 0, "params", &p) || !getDims(env, p, &d)) return env.Undefined();
  if (info.Length() < 2 || !info[1].IsNumber()) return typeError(env, "argument 'eps' must be a number"), env.Undefined();
  const double eps = info[1].As<Napi::Number>().DoubleValue();
  if (!getF32(info, 2, "x", &x) || !getF32(info, 3, "gamma", &g) || !getF32(info, 4, "beta", &be) ||
      !getF32(info, 5, "y", &y) || !getF32(info, 6, "mean", &m) || !getF32(info, 7, "rstd", &r))
    return env.Undefined();
  const size_t n = d.B * d.S * d.C, bg = d.B * d.G;
  if (x.length != n || y.length != n || g.length != d.C || be.length != d.C || m.length != bg || r.length != bg) {
    rangeError(env, "groupNorm: a buffer length does not match [B, S, C, G]");
    return env.Undefined();
  }
  const float* X = x.data;
  float *M = m.data, *Rs = r.data;
  forGroupBlocks(d, [&](size_t b, size_t g0, size_t ng) {
    const size_t c0 = g0 * d.Cg, w = ng * d.Cg, L = laneCount(d, w);
    const float* xb = X + b * d.S * d.C;
    std::vector<double> lanes(L), sum(w), laneMean(L), gm(ng);
    double* out[1] = {sum.data()};
    rowSums<1>(d, c0, w, lanes.data(), out, [xb](size_t j, size_t, double* a, size_t) { a[0] += double(xb[j]); });
    for (size_t k = 0; k < ng; k++) {
      double t = 0;
      for (size_t c = k * d.Cg; c < (k + 1) * d.Cg; c++) t += sum[c];
      gm[k] = t / double(d.N);
      M[b * d.G + g0 + k] = float(gm[k]);
    }
    for (size_t l = 0; l < L; l++) laneMean[l] = gm[(l % w) / d.Cg];
    const double* lm = laneMean.data();
    rowSums<1>(d, c0, w, lanes.data(), out, [xb, lm](size_t j, size_t l, double* a, size_t) {
      const double dv = double(xb[j]) - lm[l];
      a[0] += dv * dv;
    });
    for (size_t k = 0; k < ng; k++) {
      double t = 0;
      for (size_t c = k * d.Cg; c < (k + 1) * d.Cg; c++) t += sum[c];
      Rs[b * d.G + g0 + k] = float(1.0 / std::sqrt(t / double(d.N) + eps));
    }
  });
  // y = (x - mean) * (gamma rstd) + beta, per sample from R*C-lane patterns
  const size_t P = d.R * d.C;
  std::vector<float> mP(d.B * P), sP(d.B * P), bP(d.B * P);
  const float *G_ = g.data, *Be = be.data;
  pattern(d, mP.data(), [&](size_t b, size_t c) { return M[b * d.G + c / d.Cg]; });
  pattern(d, sP.data(), [&](size_t b, size_t c) { return G_[c] * Rs[b * d.G + c / d.Cg]; });
  pattern(d, bP.data(), [&](size_t, size_t c) { return Be[c]; });
  float* Y = y.data;
  forRowBlocks(d, [&](size_t b, size_t s0, size_t rows) {
    const size_t off = (b * d.S + s0) * d.C, len = rows * d.C;
    const float *xp = X + off, *mp = mP.data() + b * P, *sp = sP.data() + b * P, *bp = bP.data() + b * P;
    float* yp = Y + off;
#pragma omp simd
    for (size_t l = 0; l < len; l++) yp[l] = (xp[l] - mp[l]) * sp[l] + bp[l];
  });
  return env.Undefined();
}

Napi::Value GroupNormGrad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<int64_t> p;
  GnDims d;
  F32 dy, x, g, m, r, dx, dg, db;
  if (!getInts(info, 0, "params", &p) || !getDims(env, p, &d) || !getF32(info, 1, "dy", &dy) ||
      !getF32(info, 2, "x", &x) || !getF32(info, 3, "gamma", &g) || !getF32(info, 4, "mean", &m) ||
      !getF32(info, 5, "rstd", &r) || !getF32(info, 6, "dx", &dx) || !getF32(info, 7, "dgamma", &dg) ||
      !getF32(info, 8, "dbeta", &db))
    return env.Undefined();
  const size_t n = d.B * d.S * d.C, bg = d.B * d.G;
  if (dy.length != n || x.length != n || dx.length != n || g.length != d.C || m.length != bg || r.length != bg ||
      dg.length != d.C || db.length != d.C) {
    rangeError(env, "groupNormGrad: a buffer length does not match [B, S, C, G]");
    return env.Undefined();
  }
  const float *DY = dy.data, *X = x.data, *Ga = g.data, *M = m.data, *Rs = r.data;
  // per (b, c): sum_s dy and sum_s dy (x - mean_bg)
  std::vector<double> sdy(d.B * d.C), sdyx(d.B * d.C);
  forGroupBlocks(d, [&](size_t b, size_t g0, size_t ng) {
    const size_t c0 = g0 * d.Cg, w = ng * d.Cg, L = laneCount(d, w);
    const size_t off = b * d.S * d.C;
    const float *dyb = DY + off, *xb = X + off;
    std::vector<double> lanes(2 * L), laneMean(L);
    for (size_t l = 0; l < L; l++) laneMean[l] = double(M[b * d.G + g0 + (l % w) / d.Cg]);
    const double* lm = laneMean.data();
    double* out[2] = {sdy.data() + b * d.C + c0, sdyx.data() + b * d.C + c0};
    rowSums<2>(d, c0, w, lanes.data(), out, [dyb, xb, lm](size_t j, size_t l, double* a, size_t L) {
      const double v = double(dyb[j]);
      a[0] += v;
      a[L] += v * (double(xb[j]) - lm[l]);
    });
  });
  // per (b, g): a = A/N, ax = -rstd^3 Q/N; dgamma, dbeta summed over samples in order
  std::vector<float> aBG(bg), axBG(bg);
  std::vector<double> dgs(d.C, 0.0), dbs(d.C, 0.0);
  for (size_t b = 0; b < d.B; b++)
    for (size_t gi = 0; gi < d.G; gi++) {
      const double rs = double(Rs[b * d.G + gi]);
      double A = 0, Q = 0;
      for (size_t c = gi * d.Cg; c < (gi + 1) * d.Cg; c++) {
        A += double(Ga[c]) * sdy[b * d.C + c];
        Q += double(Ga[c]) * sdyx[b * d.C + c];
        dgs[c] += sdyx[b * d.C + c] * rs;
        dbs[c] += sdy[b * d.C + c];
      }
      aBG[b * d.G + gi] = float(A / double(d.N));
      axBG[b * d.G + gi] = float(-rs * rs * rs * Q / double(d.N));
    }
  for (size_t c = 0; c < d.C; c++) {
    dg.data[c] = float(dgs[c]);
    db.data[c] = float(dbs[c]);
  }
  // dx = rstd (gamma dy - a) + (x - mean) ax
  const size_t P = d.R * d.C;
  std::vector<float> gP(d.B * P), aP(d.B * P), rP(d.B * P), mP(d.B * P), xP(d.B * P);
  pattern(d, gP.data(), [&](size_t, size_t c) { return Ga[c]; });
  pattern(d, aP.data(), [&](size_t b, size_t c) { return aBG[b * d.G + c / d.Cg]; });
  pattern(d, rP.data(), [&](size_t b, size_t c) { return Rs[b * d.G + c / d.Cg]; });
  pattern(d, mP.data(), [&](size_t b, size_t c) { return M[b * d.G + c / d.Cg]; });
  pattern(d, xP.data(), [&](size_t b, size_t c) { return axBG[b * d.G + c / d.Cg]; });
  float* DX = dx.data;
  forRowBlocks(d, [&](size_t b, size_t s0, size_t rows) {
    const size_t off = (b * d.S + s0) * d.C, len = rows * d.C, q = b * P;
    const float *dyp = DY + off, *xp = X + off, *gp = gP.data() + q, *ap = aP.data() + q, *rp = rP.data() + q,
                *mp = mP.data() + q, *axp = xP.data() + q;
    float* o = DX + off;
#pragma omp simd
    for (size_t l = 0; l < len; l++) o[l] = rp[l] * (gp[l] * dyp[l] - ap[l]) + (xp[l] - mp[l]) * axp[l];
  });
  return env.Undefined();
}

}  // namespace ummkd
