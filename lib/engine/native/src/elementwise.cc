// Elementwise float32 kernels (binary with scalar / trailing-vector broadcast, unary) and sums
// over leading or trailing axes. The tfjs cpu backend runs these in single-threaded JS, and its
// broadcasting path (tensor op scalar: every Adam update) costs ~50-100 ns per element; a
// training step of our networks spends most of its time there.
//
// binary(op, mode, a, b, out)   op: BinaryOp (entries.json: add, sub, mul, div, max, min,
//                                   squaredDifference)
//                               mode: BroadcastMode: same (same size), aScalar, bScalar,
//                                     bTiled (b repeats along the leading axes; b.length divides out),
//                                     aTiled (a does),
//                                     bPerRow (each b entry repeats over a trailing block; b is [rows, 1..1]),
//                                     aPerRow (each a entry does)
// unary(op, a, out)             op: UnaryOp (sqrt, square, neg, exp, log, abs, rsqrt, reciprocal,
//                                   floor, sign, relu)
// sumInner(x, out)              out[i] = sum of x[i*R .. (i+1)*R), R = x.length / out.length
// sumOuter(x, out)              out[j] = sum over i of x[i*C + j], C = out.length
#include <omp.h>

#include <cmath>
#include <cstdint>
#include <cstring>

#include "common.h"

namespace ummkd {
namespace {

/**
 * Branch-free select (bit masks): a `c ? a : b` on floats compiles to a branch at the baseline
 * x86-64 ISA (no blendps), which mispredicts on activations of random sign (measured 25x slower
 * for LeakyRelu); this form vectorizes with SSE2 and gives the same bits.
 */
inline float sel(bool c, float a, float b) {
  uint32_t ua, ub;
  std::memcpy(&ua, &a, 4);
  std::memcpy(&ub, &b, 4);
  const uint32_t m = 0u - uint32_t(c);
  const uint32_t r = (ua & m) | (ub & ~m);
  float f;
  std::memcpy(&f, &r, 4);
  return f;
}

template <typename F>
void binaryLoop(BroadcastMode mode, const float* a, const float* b, float* o, size_t n, size_t bl, F f) {
  const bool par = n >= kParallelMin;
  switch (mode) {
    case BroadcastMode::same:
#pragma omp parallel for simd schedule(static) if (par)
      for (size_t i = 0; i < n; i++) o[i] = f(a[i], b[i]);
      break;
    case BroadcastMode::aScalar: {
      const float s = a[0];
#pragma omp parallel for simd schedule(static) if (par)
      for (size_t i = 0; i < n; i++) o[i] = f(s, b[i]);
      break;
    }
    case BroadcastMode::bScalar: {
      const float s = b[0];
#pragma omp parallel for simd schedule(static) if (par)
      for (size_t i = 0; i < n; i++) o[i] = f(a[i], s);
      break;
    }
    case BroadcastMode::bTiled: {
      const size_t rows = n / bl;
#pragma omp parallel for schedule(static) if (par)
      for (size_t r = 0; r < rows; r++) {
        const float* ar = a + r * bl;
        float* orow = o + r * bl;
#pragma omp simd
        for (size_t j = 0; j < bl; j++) orow[j] = f(ar[j], b[j]);
      }
      break;
    }
    case BroadcastMode::aTiled: {
      const size_t rows = n / bl;
#pragma omp parallel for schedule(static) if (par)
      for (size_t r = 0; r < rows; r++) {
        const float* br = b + r * bl;
        float* orow = o + r * bl;
#pragma omp simd
        for (size_t j = 0; j < bl; j++) orow[j] = f(a[j], br[j]);
      }
      break;
    }
    case BroadcastMode::bPerRow: {
      const size_t rows = bl, w = n / bl;
#pragma omp parallel for schedule(static) if (par)
      for (size_t r = 0; r < rows; r++) {
        const float s = b[r];
        const float* ar = a + r * w;
        float* orow = o + r * w;
#pragma omp simd
        for (size_t j = 0; j < w; j++) orow[j] = f(ar[j], s);
      }
      break;
    }
    case BroadcastMode::aPerRow: {
      const size_t rows = bl, w = n / bl;
#pragma omp parallel for schedule(static) if (par)
      for (size_t r = 0; r < rows; r++) {
        const float s = a[r];
        const float* br = b + r * w;
        float* orow = o + r * w;
#pragma omp simd
        for (size_t j = 0; j < w; j++) orow[j] = f(s, br[j]);
      }
      break;
    }
  }
}

template <typename F>
void unaryLoop(const float* a, float* o, size_t n, F f) {
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
  for (size_t i = 0; i < n; i++) o[i] = f(a[i]);
}

/** Argument i as a code of enum E (a number that is one of E's codes); `codes` lists them for the message. */
template <typename E>
bool enumArg(const Napi::CallbackInfo& info, size_t i, const char* name, const char* enumName, const char* codes, E* out) {
  if (info.Length() <= i || !info[i].IsNumber()) return typeError(info.Env(), std::string("argument '") + name + "' must be a number");
  const int64_t v = info[i].As<Napi::Number>().Int64Value();
  if (!fromInt(v, out))
    return rangeError(info.Env(), std::string("argument '") + name + "' must be a " + enumName + " (" + codes + "), got " + std::to_string(v));
  return true;
}

/**
 * Checks out's length `n` against a and b's for `mode`; sets *bl (the repeated operand's length
 * for the tiled and per-row modes).
 */
bool fitsMode(BroadcastMode mode, size_t na, size_t nb, size_t n, size_t* bl) {
  *bl = 0;
  switch (mode) {
    case BroadcastMode::same: return na == n && nb == n;
    case BroadcastMode::aScalar: return na == 1 && nb == n;
    case BroadcastMode::bScalar: return nb == 1 && na == n;
    case BroadcastMode::bTiled:
    case BroadcastMode::bPerRow: *bl = nb; return na == n && nb > 0 && n % nb == 0;
    case BroadcastMode::aTiled:
    case BroadcastMode::aPerRow: *bl = na; return nb == n && na > 0 && n % na == 0;
  }
  return false;
}

std::string lengths(const char* fn, BroadcastMode mode, size_t na, size_t nb, size_t n) {
  return std::string(fn) + ": buffer lengths a " + std::to_string(na) + ", b " + std::to_string(nb) + ", out " + std::to_string(n) +
         " do not fit BroadcastMode " + std::to_string(int(mode));
}

}  // namespace

Napi::Value Binary(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  BinaryOp op = BinaryOp::add;
  BroadcastMode mode = BroadcastMode::same;
  F32 a, b, o;
  if (!enumArg(info, 0, "op", "BinaryOp", kBinaryOpCodes, &op) ||
      !enumArg(info, 1, "mode", "BroadcastMode", kBroadcastModeCodes, &mode) || !getF32(info, 2, "a", &a) ||
      !getF32(info, 3, "b", &b) || !getF32(info, 4, "out", &o))
    return env.Undefined();
  const size_t n = o.length;
  size_t bl = 0;
  if (!fitsMode(mode, a.length, b.length, n, &bl)) {
    rangeError(env, lengths("binary", mode, a.length, b.length, n));
    return env.Undefined();
  }
  switch (op) {
    case BinaryOp::add: binaryLoop(mode, a.data, b.data, o.data, n, bl, [](float x, float y) { return x + y; }); break;
    case BinaryOp::sub: binaryLoop(mode, a.data, b.data, o.data, n, bl, [](float x, float y) { return x - y; }); break;
    case BinaryOp::mul: binaryLoop(mode, a.data, b.data, o.data, n, bl, [](float x, float y) { return x * y; }); break;
    case BinaryOp::div: binaryLoop(mode, a.data, b.data, o.data, n, bl, [](float x, float y) { return x / y; }); break;
    // tfjs: NaN in either operand gives NaN (Math.max semantics).
    case BinaryOp::max: binaryLoop(mode, a.data, b.data, o.data, n, bl, [](float x, float y) { return sel(x != x || y != y, NAN, sel(x > y, x, y)); }); break;
    case BinaryOp::min: binaryLoop(mode, a.data, b.data, o.data, n, bl, [](float x, float y) { return sel(x != x || y != y, NAN, sel(x < y, x, y)); }); break;
    // tfjs computes (a - b)^2 in double and rounds once.
    case BinaryOp::squaredDifference: binaryLoop(mode, a.data, b.data, o.data, n, bl, [](float x, float y) { const double d = double(x) - double(y); return float(d * d); }); break;
  }
  return env.Undefined();
}

Napi::Value Unary(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  UnaryOp op = UnaryOp::sqrt;
  F32 a, o;
  if (!enumArg(info, 0, "op", "UnaryOp", kUnaryOpCodes, &op) || !getF32(info, 1, "a", &a) || !getF32(info, 2, "out", &o))
    return env.Undefined();
  if (a.length != o.length) {
    rangeError(env, "unary: input and output lengths differ (" + std::to_string(a.length) + " vs " + std::to_string(o.length) + ")");
    return env.Undefined();
  }
  const size_t n = a.length;
  switch (op) {
    case UnaryOp::sqrt: unaryLoop(a.data, o.data, n, [](float x) { return std::sqrt(x); }); break;
    case UnaryOp::square: unaryLoop(a.data, o.data, n, [](float x) { return x * x; }); break;
    case UnaryOp::neg: unaryLoop(a.data, o.data, n, [](float x) { return -x; }); break;
    case UnaryOp::exp: unaryLoop(a.data, o.data, n, [](float x) { return float(std::exp(double(x))); }); break;
    case UnaryOp::log: unaryLoop(a.data, o.data, n, [](float x) { return float(std::log(double(x))); }); break;
    case UnaryOp::abs: unaryLoop(a.data, o.data, n, [](float x) { return std::fabs(x); }); break;
    case UnaryOp::rsqrt: unaryLoop(a.data, o.data, n, [](float x) { return float(1.0 / std::sqrt(double(x))); }); break;
    case UnaryOp::reciprocal: unaryLoop(a.data, o.data, n, [](float x) { return 1.0f / x; }); break;
    case UnaryOp::floor: unaryLoop(a.data, o.data, n, [](float x) { return std::floor(x); }); break;
    case UnaryOp::sign: unaryLoop(a.data, o.data, n, [](float x) { return x > 0.f ? 1.f : (x < 0.f ? -1.f : (x == 0.f ? 0.f : NAN)); }); break;
    case UnaryOp::relu: unaryLoop(a.data, o.data, n, [](float x) { return sel(x < 0.f, 0.f, x); }); break;
  }
  return env.Undefined();
}

Napi::Value SumInner(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 x, o;
  if (!getF32(info, 0, "x", &x) || !getF32(info, 1, "out", &o)) return env.Undefined();
  if (o.length == 0 || x.length % o.length != 0) {
    rangeError(env, "sumInner: out's length " + std::to_string(o.length) + " must divide x's " + std::to_string(x.length));
    return env.Undefined();
  }
  const size_t m = o.length, r = x.length / m;
#pragma omp parallel for schedule(static) if (x.length >= kParallelMin && m > 1)
  for (size_t i = 0; i < m; i++) {
    double s = 0;
    const float* p = x.data + i * r;
#pragma omp simd reduction(+ : s)
    for (size_t j = 0; j < r; j++) s += p[j];
    o.data[i] = float(s);
  }
  return env.Undefined();
}

Napi::Value SumOuter(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 x, o;
  if (!getF32(info, 0, "x", &x) || !getF32(info, 1, "out", &o)) return env.Undefined();
  if (o.length == 0 || x.length % o.length != 0) {
    rangeError(env, "sumOuter: out's length " + std::to_string(o.length) + " must divide x's " + std::to_string(x.length));
    return env.Undefined();
  }
  const size_t c = o.length, rows = x.length / c;
  std::vector<double> acc(c, 0.0);
  const int nt = (x.length >= kParallelMin && rows > 1) ? omp_get_max_threads() : 1;
  std::vector<double> part(size_t(nt) * c, 0.0);
#pragma omp parallel num_threads(nt)
  {
    double* mine = part.data() + size_t(omp_get_thread_num()) * c;
#pragma omp for schedule(static)
    for (size_t r = 0; r < rows; r++) {
      const float* p = x.data + r * c;
#pragma omp simd
      for (size_t j = 0; j < c; j++) mine[j] += p[j];
    }
  }
  for (int t = 0; t < nt; t++)
    for (size_t j = 0; j < c; j++) acc[j] += part[size_t(t) * c + j];
  for (size_t j = 0; j < c; j++) o.data[j] = float(acc[j]);
  return env.Undefined();
}

}  // namespace ummkd

namespace ummkd {

// The Adam loop, in double as the JS kernel (so the bits agree; a double divide and square root per
// element). On x86-64 CPUs with AVX2 a 4-lane copy of it runs (same IEEE operations, no FMA
// contraction: the addon is built with -ffp-contract=off, so results are identical).

#define UMMKD_ADAM_BODY                                                                      \
  const double lr = sp[0], b1 = sp[1], b2 = sp[2], eps = sp[3], c1 = sp[4], c2 = sp[5];     \
  const double ob1 = 1 - b1, ob2 = 1 - b2;                                                    \
  _Pragma("omp parallel for simd schedule(static) if (n >= kParallelMin)")                \
  for (size_t i = 0; i < n; i++) {                                                            \
    const double gi = G[i];                                                                   \
    const double mi = b1 * M[i] + ob1 * gi;                                                   \
    const double vi = b2 * V[i] + ob2 * gi * gi;                                              \
    MO[i] = float(mi);                                                                        \
    VO[i] = float(vi);                                                                        \
    WO[i] = float(W[i] - (lr * (mi / c1)) / (std::sqrt(vi / c2) + eps));                      \
  }

void adamLoopBase(const float* W, const float* G, const float* M, const float* V, float* WO, float* MO, float* VO,
                  size_t n, const double* sp) {
  UMMKD_ADAM_BODY
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2"))) void adamLoopAvx2(const float* W, const float* G, const float* M, const float* V,
                                                  float* WO, float* MO, float* VO, size_t n, const double* sp) {
  UMMKD_ADAM_BODY
}
#endif

void adamLoop(const float* W, const float* G, const float* M, const float* V, float* WO, float* MO, float* VO,
              size_t n, const double* sp) {
#if defined(__x86_64__) && defined(__GNUC__)
  static const bool avx2 = __builtin_cpu_supports("avx2");
  if (avx2) return adamLoopAvx2(W, G, M, V, WO, MO, VO, n, sp);
#endif
  adamLoopBase(W, G, M, V, WO, MO, VO, n, sp);
}

// adamUpdate(w, g, m, v, s, wOut, mOut, vOut): one fused Adam step (the UmmkdAdamUpdate kernel of
// lib/engine/kernel-names.ts), computed in double in the same order as the engine's JS kernel so
// results are bitwise equal: m' = b1 m + (1-b1) g, v' = b2 v + (1-b2) g g,
// w' = w - lr (m'/c1) / (sqrt(v'/c2) + eps). s = [lr, beta1, beta2, epsilon, c1, c2].
Napi::Value AdamUpdate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 w, g, m, v, wo, mo, vo;
  std::vector<double> s;
  if (!getF32(info, 0, "w", &w) || !getF32(info, 1, "g", &g) || !getF32(info, 2, "m", &m) || !getF32(info, 3, "v", &v) ||
      !getF32(info, 5, "wOut", &wo) || !getF32(info, 6, "mOut", &mo) || !getF32(info, 7, "vOut", &vo))
    return env.Undefined();
  if (info.Length() < 5 || !info[4].IsTypedArray() || info[4].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
    typeError(env, "adamUpdate: argument 's' must be a Float64Array [lr, beta1, beta2, epsilon, c1, c2]");
    return env.Undefined();
  }
  if (info[4].As<Napi::Float64Array>().ElementLength() != 6) {
    rangeError(env, "adamUpdate: argument 's' must have 6 entries [lr, beta1, beta2, epsilon, c1, c2], got " +
                        std::to_string(info[4].As<Napi::Float64Array>().ElementLength()));
    return env.Undefined();
  }
  const double* sp = info[4].As<Napi::Float64Array>().Data();
  const size_t n = w.length;
  const float *W = w.data, *G = g.data, *M = m.data, *V = v.data;
  float *WO = wo.data, *MO = mo.data, *VO = vo.data;
  if (g.length != n || m.length != n || v.length != n || wo.length != n || mo.length != n || vo.length != n) {
    rangeError(env, "adamUpdate: all buffers must have the same length");
    return env.Undefined();
  }
  adamLoop(W, G, M, V, WO, MO, VO, n, sp);
  return env.Undefined();
}

// leakyRelu(x, out, alpha) and leakyReluGrad(dy, x, out, alpha): y = x > 0 ? x : alpha x (tfjs
// LeakyRelu; alpha x in double as in JS), dx = x > 0 ? dy : alpha dy (UmmkdLeakyReluGrad).
Napi::Value LeakyRelu(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 x, o;
  if (!getF32(info, 0, "x", &x) || !getF32(info, 1, "out", &o)) return env.Undefined();
  if (info.Length() < 3 || !info[2].IsNumber()) {
    typeError(env, "leakyRelu: argument 'alpha' must be a number");
    return env.Undefined();
  }
  if (o.length != x.length) {
    rangeError(env, "leakyRelu: x and out lengths differ (" + std::to_string(x.length) + " vs " + std::to_string(o.length) + ")");
    return env.Undefined();
  }
  const double alpha = info[2].As<Napi::Number>().DoubleValue();
  const float* X = x.data;
  float* O = o.data;
  const size_t n = x.length;
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
  for (size_t i = 0; i < n; i++) O[i] = sel(X[i] < 0, float(alpha * X[i]), X[i]);
  return env.Undefined();
}

Napi::Value LeakyReluGrad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 dy, x, o;
  if (!getF32(info, 0, "dy", &dy) || !getF32(info, 1, "x", &x) || !getF32(info, 2, "out", &o)) return env.Undefined();
  if (info.Length() < 4 || !info[3].IsNumber()) {
    typeError(env, "leakyReluGrad: argument 'alpha' must be a number");
    return env.Undefined();
  }
  if (o.length != x.length || dy.length != x.length) {
    rangeError(env, "leakyReluGrad: dy, x and out must have the same length");
    return env.Undefined();
  }
  const double alpha = info[3].As<Napi::Number>().DoubleValue();
  const float *D = dy.data, *X = x.data;
  float* O = o.data;
  const size_t n = x.length;
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
  for (size_t i = 0; i < n; i++) O[i] = sel(X[i] > 0, D[i], float(alpha * D[i]));
  return env.Undefined();
}

}  // namespace ummkd

namespace ummkd {

// compare(op, mode, a, b, out: Uint8Array): out = a OP b as 0/1 (IEEE: NaN compares false, except
// notEqual), broadcast modes as binary(). op: CompareOp (less, lessEqual, greater, greaterEqual,
// equal, notEqual).
Napi::Value Compare(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CompareOp op = CompareOp::less;
  BroadcastMode mode = BroadcastMode::same;
  F32 a, b;
  if (!enumArg(info, 0, "op", "CompareOp", kCompareOpCodes, &op) ||
      !enumArg(info, 1, "mode", "BroadcastMode", kBroadcastModeCodes, &mode) || !getF32(info, 2, "a", &a) ||
      !getF32(info, 3, "b", &b))
    return env.Undefined();
  if (info.Length() < 5 || !info[4].IsTypedArray() || info[4].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    typeError(env, "compare: argument 'out' must be a Uint8Array");
    return env.Undefined();
  }
  auto ov = info[4].As<Napi::Uint8Array>();
  const size_t n = ov.ElementLength();
  size_t bl = 0;
  if (!fitsMode(mode, a.length, b.length, n, &bl)) {
    rangeError(env, lengths("compare", mode, a.length, b.length, n));
    return env.Undefined();
  }
  // Computed into a float buffer with binaryLoop's broadcasting, then narrowed to bytes.
  std::vector<float> tmp(n);
  auto run = [&](auto f) { binaryLoop(mode, a.data, b.data, tmp.data(), n, bl, f); };
  switch (op) {
    case CompareOp::less: run([](float x, float y) { return x < y ? 1.f : 0.f; }); break;
    case CompareOp::lessEqual: run([](float x, float y) { return x <= y ? 1.f : 0.f; }); break;
    case CompareOp::greater: run([](float x, float y) { return x > y ? 1.f : 0.f; }); break;
    case CompareOp::greaterEqual: run([](float x, float y) { return x >= y ? 1.f : 0.f; }); break;
    case CompareOp::equal: run([](float x, float y) { return x == y ? 1.f : 0.f; }); break;
    case CompareOp::notEqual: run([](float x, float y) { return x != y ? 1.f : 0.f; }); break;
  }
  uint8_t* o = ov.Data();
  for (size_t i = 0; i < n; i++) o[i] = uint8_t(tmp[i]);
  return env.Undefined();
}

}  // namespace ummkd
