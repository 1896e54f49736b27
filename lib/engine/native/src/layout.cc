// transpose(x, out, shape: Int32Array, perm: Int32Array): out = x with axes permuted (float32; the
//   caller collapses axes that stay adjacent, see collapseTranspose in lib/engine/wasm/js-cpu-fast.ts).
// softmax(x, out, K): softmax over contiguous rows of K values, in the order of the cpu-fast JS kernel:
//   m = max, e_k = exp(x_k - m) in double, out_k = float(e_k), s = sum of e_k in double,
//   out_k = float(out_k / s). (glibc's exp and V8's may differ in the last double bit, which float
//   rounding hides except in rare ties.)
// copyRows(src, dst, params: Int32Array [nOuter, srcRow, srcOff, dstRow, dstOff, run]): for every
//   o < nOuter, dst[o*dstRow + dstOff, + run) = src[o*srcRow + srcOff, + run) (float32): one input's
//   part of a Concat, or one output of a SplitV, along any axis (run = the part's elements per outer
//   index). A byte copy, so results are bit-identical to tfjs.
#include <omp.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "common.h"

namespace ummkd {

Napi::Value Transpose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 x, o;
  std::vector<int64_t> shape, perm;
  if (!getF32(info, 0, "x", &x) || !getF32(info, 1, "out", &o) || !getInts(info, 2, "shape", &shape) ||
      !getInts(info, 3, "perm", &perm))
    return env.Undefined();
  const size_t r = shape.size();
  if (r == 0 || perm.size() != r || r > 16) {
    rangeError(env, "transpose: shape and perm must have the same rank, 1..16");
    return env.Undefined();
  }
  size_t n = 1;
  for (auto s : shape) n *= size_t(s);
  std::vector<bool> seen(r, false);
  for (auto p : perm) {
    if (p < 0 || size_t(p) >= r || seen[p]) {
      rangeError(env, "transpose: perm is not a permutation");
      return env.Undefined();
    }
    seen[p] = true;
  }
  if (x.length != n || o.length != n) {
    rangeError(env, "transpose: buffer lengths do not match the shape");
    return env.Undefined();
  }
  if (n == 0) return env.Undefined();
  std::vector<int64_t> inStride(r, 1), outShape(r), st(r);
  for (size_t i = r - 1; i-- > 0;) inStride[i] = inStride[i + 1] * shape[i + 1];
  for (size_t i = 0; i < r; i++) {
    outShape[i] = shape[perm[i]];
    st[i] = inStride[perm[i]];
  }
  const int64_t nLast = outShape[r - 1], sLast = st[r - 1];
  const int64_t rowsTotal = int64_t(n) / nLast;
  const float* X = x.data;
  float* O = o.data;
  // rows of the output (all axes but the last) split between threads; each thread starts its
  // odometer at its first row
#pragma omp parallel if (n >= kParallelMin)
  {
    const int nt = omp_get_num_threads(), t = omp_get_thread_num();
    const int64_t r0 = rowsTotal * t / nt, r1 = rowsTotal * (t + 1) / nt;
    std::vector<int64_t> idx(r, 0);
    int64_t rem = r0, src = 0;
    for (size_t i = r - 1; i-- > 0;) {
      idx[i] = rem % outShape[i];
      rem /= outShape[i];
      src += idx[i] * st[i];
    }
    for (int64_t row = r0; row < r1; row++) {
      float* dst = O + row * nLast;
      if (sLast == 1) std::memcpy(dst, X + src, size_t(nLast) * 4);
      else
        for (int64_t j = 0; j < nLast; j++) dst[j] = X[src + j * sLast];
      for (size_t i = r - 1; i-- > 0;) {
        idx[i]++;
        src += st[i];
        if (idx[i] < outShape[i]) break;
        src -= st[i] * outShape[i];
        idx[i] = 0;
      }
    }
  }
  return env.Undefined();
}

Napi::Value Softmax(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 x, o;
  if (!getF32(info, 0, "x", &x) || !getF32(info, 1, "out", &o)) return env.Undefined();
  if (info.Length() < 3 || !info[2].IsNumber()) {
    typeError(env, "softmax: argument 'K' must be a number");
    return env.Undefined();
  }
  const int64_t K = info[2].As<Napi::Number>().Int64Value();
  if (K < 1 || x.length % size_t(K) != 0 || o.length != x.length) {
    rangeError(env, "softmax: K must divide the length of x, and out must match x");
    return env.Undefined();
  }
  const int64_t rows = int64_t(x.length) / K;
  const float* X = x.data;
  float* O = o.data;
#pragma omp parallel for schedule(static) if (x.length >= kParallelMin)
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = X + r * K;
    float* orow = O + r * K;
    float m = -INFINITY;
    for (int64_t k = 0; k < K; k++)
      if (xr[k] > m) m = xr[k];
    double s = 0;
    for (int64_t k = 0; k < K; k++) {
      const double e = std::exp(double(xr[k]) - double(m));
      orow[k] = float(e);
      s += e;
    }
    for (int64_t k = 0; k < K; k++) orow[k] = float(double(orow[k]) / s);
  }
  return env.Undefined();
}

Napi::Value CopyRows(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 src, dst;
  std::vector<int64_t> p;
  if (!getF32(info, 0, "src", &src) || !getF32(info, 1, "dst", &dst) || !getInts(info, 2, "params", &p)) return env.Undefined();
  if (p.size() != 6) {
    rangeError(env, "copyRows: params must be [nOuter, srcRow, srcOff, dstRow, dstOff, run]");
    return env.Undefined();
  }
  const int64_t nOuter = p[0], srcRow = p[1], srcOff = p[2], dstRow = p[3], dstOff = p[4], run = p[5];
  if (nOuter < 0 || run < 0 || srcOff < 0 || dstOff < 0 || srcRow < 0 || dstRow < 0) {
    rangeError(env, "copyRows: negative size or offset");
    return env.Undefined();
  }
  if (nOuter == 0 || run == 0) return env.Undefined();
  if ((nOuter > 1 && (srcOff + run > srcRow || dstOff + run > dstRow)) ||
      size_t((nOuter - 1) * srcRow + srcOff + run) > src.length || size_t((nOuter - 1) * dstRow + dstOff + run) > dst.length) {
    rangeError(env, "copyRows: rows run past a row or the end of a buffer");
    return env.Undefined();
  }
  const float* S = src.data;
  float* D = dst.data;
  const size_t bytes = size_t(run) * sizeof(float);
#pragma omp parallel for schedule(static) if (size_t(nOuter) * size_t(run) >= kParallelMin && nOuter > 1)
  for (int64_t o = 0; o < nOuter; o++) std::memcpy(D + o * dstRow + dstOff, S + o * srcRow + srcOff, bytes);
  return env.Undefined();
}

}  // namespace ummkd
