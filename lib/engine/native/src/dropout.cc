// dropout(x, y, mult, state, rate): the UmmkdDropout kernel (lib/engine/kernel-names.ts), bit-identical
// to tf.dropout(x, rate, undefined, seed) and to the JS kernel lib/engine/wasm/dropout-kernels.ts.
//
// state = Float64Array [c, s0, s1, s2]: seedrandom's Alea state for String(seed) before its first
// draw (computed in JS by aleaState()). Draw i: t = 2091639 s0 + c 2^-32; s0 = s1; s1 = s2;
// c = trunc(t); s2 = t - c; u_i = float(s2). All of it is exact integer arithmetic in double (the
// s are multiples of 2^-32 and 2091639 x < 2^53), so C++ doubles give JS's numbers.
// Then, in float32 as tfjs' tensors: keep = float(1 - rate), mult_i = floor(u_i + keep) / keep,
// y_i = x_i * mult_i.
//
// The recurrence is sequential; the mask/scale pass is parallel.
#include <cstdint>

#include "common.h"

namespace ummkd {

Napi::Value Dropout(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 x, y, mult;
  if (!getF32(info, 0, "x", &x) || !getF32(info, 1, "y", &y) || !getF32(info, 2, "mult", &mult)) return env.Undefined();
  if (info.Length() < 5 || !info[3].IsTypedArray() || info[3].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array ||
      info[3].As<Napi::Float64Array>().ElementLength() != 4 || !info[4].IsNumber()) {
    typeError(env, "dropout: needs (x, y, mult, state: Float64Array [c, s0, s1, s2], rate: number)");
    return env.Undefined();
  }
  const size_t n = x.length;
  if (y.length != n || mult.length != n) {
    rangeError(env, "dropout: x, y and mult must have the same length");
    return env.Undefined();
  }
  const double rate = info[4].As<Napi::Number>().DoubleValue();
  if (!(rate >= 0 && rate < 1)) {
    rangeError(env, "dropout: rate must be in [0, 1)");
    return env.Undefined();
  }
  // Alea as the lag-3 multiply-with-carry generator it is: with s = x / 2^32 (x < 2^32 an integer;
  // Mash's outputs and their differences are such multiples), t = (2091639 x + c) / 2^32 exactly
  // (2091639 x + c < 2^53), so trunc(t) = p >> 32 and t - trunc(t) = (p mod 2^32) / 2^32 with
  // p = 2091639 x + c in 64-bit integers. Same numbers as the double recurrence above, but the loop's
  // dependency chain is an add and a shift (~1 ns per draw instead of ~6).
  const double* st = info[3].As<Napi::Float64Array>().Data();
  const double two32 = 4294967296.0;
  uint64_t c = uint64_t(st[0]), x0 = uint64_t(st[1] * two32), x1 = uint64_t(st[2] * two32), x2 = uint64_t(st[3] * two32);
  if (double(c) != st[0] || double(x0) != st[1] * two32 || double(x1) != st[2] * two32 || double(x2) != st[3] * two32) {
    rangeError(env, "dropout: state must be Alea's (integer carry, multiples of 2^-32 in [0, 1))");
    return env.Undefined();
  }
  float* M = mult.data;
  for (size_t i = 0; i < n; i++) {
    const uint64_t p = 2091639ull * x0 + c;
    x0 = x1;
    x1 = x2;
    x2 = p & 0xffffffffull;
    c = p >> 32;
    M[i] = float(double(x2) * 2.3283064365386963e-10);
  }
  const float keep = float(1.0 - rate);
  const float* X = x.data;
  float* Y = y.data;
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
  for (size_t i = 0; i < n; i++) {
    const float t = M[i] + keep;  // in [0, 2]: floor without libm
    const float fl = t >= 2.f ? 2.f : (t >= 1.f ? 1.f : 0.f);
    const float m = fl / keep;
    M[i] = m;
    Y[i] = X[i] * m;
  }
  return env.Undefined();
}

}  // namespace ummkd
