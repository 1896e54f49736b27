// Batch normalization in training mode (statistics over all axes but the channel axis) and its
// gradient, on channels-last float32 memory viewed as [N, 1, S, C] (S = product of spatial dims).
//
// bnTrain(params: Int32Array [N, S, C], eps, x, gamma, beta, y, mean, variance)
//   mean and variance are outputs; variance is biased (divided by N*S), as in oneDNN and tfjs.
// bnTrainGrad(params, eps, dy, x, gamma, mean, variance, dx, dgamma, dbeta)
#include "common.h"

namespace ummkd {
namespace {

struct BnEntry {
  dnnl::batch_normalization_forward fwd;
  dnnl::batch_normalization_backward bwd;
  memory::desc data, stat;
  bool hasBwd = false;
};

PrimitiveCache<BnEntry>& cache() {
  static PrimitiveCache<BnEntry> c("batch normalization");
  return c;
}

BnEntry* getEntry(Napi::Env env, const std::vector<int64_t>& p, float eps, bool withBwd) {
  return cache().get(env, CacheKey(withBwd ? "bnb" : "bnf").add(p).add(eps), [&]() -> std::unique_ptr<BnEntry> {
    if (p.size() != 3 || p[0] < 1 || p[1] < 1 || p[2] < 1) {
      std::string got;
      for (auto v : p) got += (got.empty() ? "" : ", ") + std::to_string(v);
      rangeError(env, "batch norm: params must be [N, S, C], all >= 1, got [" + got + "]");
      return nullptr;
    }
    const auto f32 = memory::data_type::f32;
    auto e = std::make_unique<BnEntry>();
    e->data = memory::desc({p[0], p[2], 1, p[1]}, f32, tag::nhwc);
    e->stat = memory::desc({p[2]}, f32, tag::x);
    const auto flags = dnnl::normalization_flags::use_scale | dnnl::normalization_flags::use_shift;
    auto& eng = cpuEngine();
    dnnl::batch_normalization_forward::desc fd(dnnl::prop_kind::forward_training, e->data, eps, flags);
    dnnl::batch_normalization_forward::primitive_desc fpd(fd, eng);
    e->fwd = dnnl::batch_normalization_forward(fpd);
    if (withBwd) {
      dnnl::batch_normalization_backward::desc bd(dnnl::prop_kind::backward, e->data, e->data, eps, flags);
      dnnl::batch_normalization_backward::primitive_desc bpd(bd, eng, fpd);
      e->bwd = dnnl::batch_normalization_backward(bpd);
      e->hasBwd = true;
    }
    return e;
  }, withBwd ? "batch normalization backward" : "batch normalization forward");
}

bool epsArg(const Napi::CallbackInfo& info, float* eps) {
  if (info.Length() < 2 || !info[1].IsNumber()) return typeError(info.Env(), "argument 'eps' must be a number");
  *eps = info[1].As<Napi::Number>().FloatValue();
  return true;
}

}  // namespace

Napi::Value BnTrain(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<int64_t> p;
  float eps;
  F32 x, g, b, y, m, v;
  if (!getInts(info, 0, "params", &p) || !epsArg(info, &eps) || !getF32(info, 2, "x", &x) ||
      !getF32(info, 3, "gamma", &g) || !getF32(info, 4, "beta", &b) || !getF32(info, 5, "y", &y) ||
      !getF32(info, 6, "mean", &m) || !getF32(info, 7, "variance", &v))
    return env.Undefined();
  BnEntry* e = getEntry(env, p, eps, false);
  if (!e) return env.Undefined();
  const size_t n = numel(e->data.dims()), c = size_t(p[2]);
  if (x.length != n || y.length != n || g.length != c || b.length != c || m.length != c || v.length != c) {
    rangeError(env, "bnTrain: a buffer length does not match [N, S, C] = [" + std::to_string(p[0]) + ", " + std::to_string(p[1]) + ", " +
                        std::to_string(p[2]) + "]");
    return env.Undefined();
  }
  auto& eng = cpuEngine();
  try {
    e->fwd.execute(cpuStream(), {{DNNL_ARG_SRC, memory(e->data, eng, x.data)},
                                 {DNNL_ARG_DST, memory(e->data, eng, y.data)},
                                 {DNNL_ARG_SCALE, memory(e->stat, eng, g.data)},
                                 {DNNL_ARG_SHIFT, memory(e->stat, eng, b.data)},
                                 {DNNL_ARG_MEAN, memory(e->stat, eng, m.data)},
                                 {DNNL_ARG_VARIANCE, memory(e->stat, eng, v.data)}});
    cpuStream().wait();
  } catch (const dnnl::error& err) {
    dnnlError(env, "batch normalization forward", "execute", err);
  }
  return env.Undefined();
}

Napi::Value BnTrainGrad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<int64_t> p;
  float eps;
  F32 dy, x, g, m, v, dx, dg, db;
  if (!getInts(info, 0, "params", &p) || !epsArg(info, &eps) || !getF32(info, 2, "dy", &dy) ||
      !getF32(info, 3, "x", &x) || !getF32(info, 4, "gamma", &g) || !getF32(info, 5, "mean", &m) ||
      !getF32(info, 6, "variance", &v) || !getF32(info, 7, "dx", &dx) || !getF32(info, 8, "dgamma", &dg) ||
      !getF32(info, 9, "dbeta", &db))
    return env.Undefined();
  BnEntry* e = getEntry(env, p, eps, true);
  if (!e) return env.Undefined();
  const size_t n = numel(e->data.dims()), c = size_t(p[2]);
  if (dy.length != n || x.length != n || dx.length != n || g.length != c || m.length != c || v.length != c ||
      dg.length != c || db.length != c) {
    rangeError(env, "bnTrainGrad: a buffer length does not match [N, S, C] = [" + std::to_string(p[0]) + ", " + std::to_string(p[1]) +
                        ", " + std::to_string(p[2]) + "]");
    return env.Undefined();
  }
  auto& eng = cpuEngine();
  try {
    e->bwd.execute(cpuStream(), {{DNNL_ARG_SRC, memory(e->data, eng, x.data)},
                                 {DNNL_ARG_DIFF_DST, memory(e->data, eng, dy.data)},
                                 {DNNL_ARG_SCALE, memory(e->stat, eng, g.data)},
                                 {DNNL_ARG_SHIFT, memory(e->stat, eng, g.data)},  // unused by the math, but required
                                 {DNNL_ARG_MEAN, memory(e->stat, eng, m.data)},
                                 {DNNL_ARG_VARIANCE, memory(e->stat, eng, v.data)},
                                 {DNNL_ARG_DIFF_SRC, memory(e->data, eng, dx.data)},
                                 {DNNL_ARG_DIFF_SCALE, memory(e->stat, eng, dg.data)},
                                 {DNNL_ARG_DIFF_SHIFT, memory(e->stat, eng, db.data)}});
    cpuStream().wait();
  } catch (const dnnl::error& err) {
    dnnlError(env, "batch normalization backward", "execute", err);
  }
  return env.Undefined();
}

}  // namespace ummkd
