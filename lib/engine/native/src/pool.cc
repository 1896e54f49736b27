// 2D/3D max pooling forward and backward on channels-last float32 memory.
//
// maxPool(params: Int32Array, x, y)            forward
// maxPoolGrad(params: Int32Array, x, dy, dx)   backward; re-runs the forward to get oneDNN's
//                                              workspace (argmax), then scatters dy into dx
// params: [nsp, N, C, in[nsp], k[nsp], out[nsp], stride[nsp], padL[nsp], padR[nsp]]
// Padded positions never win the max (as in tfjs).
#include "common.h"

namespace ummkd {
namespace {

struct PoolEntry {
  dnnl::pooling_forward fwd;
  dnnl::pooling_backward bwd;
  memory::desc src, dst, ws;
  std::vector<uint8_t> wsBuf;
  bool hasBwd = false;
};

PrimitiveCache<PoolEntry>& cache() {
  static PrimitiveCache<PoolEntry> c("max pooling");
  return c;
}

bool checkParams(Napi::Env env, const std::vector<int64_t>& p) {
  const int n = p.empty() ? 0 : int(p[0]);
  if ((n != 2 && n != 3) || p.size() != size_t(3 + 6 * n))
    return rangeError(env, "maxPool: params must be [nsp, N, C] + 6 blocks of nsp entries with nsp 2 or 3, got " +
                               std::to_string(p.size()) + " entries" + (p.empty() ? "" : ", nsp " + std::to_string(p[0])));
  return true;
}

PoolEntry* getEntry(Napi::Env env, const std::vector<int64_t>& p, bool withBwd) {
  return cache().get(env, CacheKey(withBwd ? "poolb" : "poolf").add(p), [&]() -> std::unique_ptr<PoolEntry> {
    if (!checkParams(env, p)) return nullptr;
    const int n = int(p[0]);
    auto sp = [&](int block) { return dims(p.begin() + 3 + block * n, p.begin() + 3 + (block + 1) * n); };
    dims src = {p[1], p[2]}, dst = {p[1], p[2]};
    for (auto v : sp(0)) src.push_back(v);
    for (auto v : sp(2)) dst.push_back(v);
    const auto f32 = memory::data_type::f32;
    auto e = std::make_unique<PoolEntry>();
    e->src = memory::desc(src, f32, actTag(n));
    e->dst = memory::desc(dst, f32, actTag(n));
    auto& eng = cpuEngine();
    const auto prop = withBwd ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
    dnnl::pooling_forward::desc fd(prop, dnnl::algorithm::pooling_max, e->src, e->dst, sp(3), sp(1), sp(4), sp(5));
    dnnl::pooling_forward::primitive_desc fpd(fd, eng);
    e->fwd = dnnl::pooling_forward(fpd);
    if (withBwd) {
      e->ws = fpd.workspace_desc();
      e->wsBuf.assign(e->ws.get_size() + 64, 0);
      dnnl::pooling_backward::desc bd(dnnl::algorithm::pooling_max, e->src, e->dst, sp(3), sp(1), sp(4), sp(5));
      dnnl::pooling_backward::primitive_desc bpd(bd, eng, fpd);
      e->bwd = dnnl::pooling_backward(bpd);
      e->hasBwd = true;
    }
    return e;
  }, withBwd ? "max pooling backward" : "max pooling forward");
}

}  // namespace

Napi::Value MaxPool(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<int64_t> p;
  F32 x, y;
  if (!getInts(info, 0, "params", &p) || !getF32(info, 1, "x", &x) || !getF32(info, 2, "y", &y))
    return env.Undefined();
  PoolEntry* e = getEntry(env, p, false);
  if (!e) return env.Undefined();
  if (x.length != numel(e->src.dims()) || y.length != numel(e->dst.dims())) {
    rangeError(env, "maxPool: a buffer length does not match the shapes in params (x " + std::to_string(x.length) + " vs " +
                        std::to_string(numel(e->src.dims())) + ", y " + std::to_string(y.length) + " vs " + std::to_string(numel(e->dst.dims())) + ")");
    return env.Undefined();
  }
  auto& eng = cpuEngine();
  try {
    e->fwd.execute(cpuStream(), {{DNNL_ARG_SRC, memory(e->src, eng, x.data)}, {DNNL_ARG_DST, memory(e->dst, eng, y.data)}});
    cpuStream().wait();
  } catch (const dnnl::error& err) {
    dnnlError(env, "max pooling forward", "execute", err);
  }
  return env.Undefined();
}

Napi::Value MaxPoolGrad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<int64_t> p;
  F32 x, dy, dx;
  if (!getInts(info, 0, "params", &p) || !getF32(info, 1, "x", &x) || !getF32(info, 2, "dy", &dy) ||
      !getF32(info, 3, "dx", &dx))
    return env.Undefined();
  PoolEntry* e = getEntry(env, p, true);
  if (!e) return env.Undefined();
  if (x.length != numel(e->src.dims()) || dx.length != x.length || dy.length != numel(e->dst.dims())) {
    rangeError(env, "maxPoolGrad: a buffer length does not match the shapes in params (x " + std::to_string(x.length) + ", dx " +
                        std::to_string(dx.length) + " vs " + std::to_string(numel(e->src.dims())) + ", dy " + std::to_string(dy.length) +
                        " vs " + std::to_string(numel(e->dst.dims())) + ")");
    return env.Undefined();
  }
  auto& eng = cpuEngine();
  try {
    std::vector<float> y(dy.length);
    memory ws(e->ws, eng, e->wsBuf.data());
    e->fwd.execute(cpuStream(), {{DNNL_ARG_SRC, memory(e->src, eng, x.data)},
                                 {DNNL_ARG_DST, memory(e->dst, eng, y.data())},
                                 {DNNL_ARG_WORKSPACE, ws}});
    e->bwd.execute(cpuStream(), {{DNNL_ARG_DIFF_DST, memory(e->dst, eng, dy.data)},
                                 {DNNL_ARG_DIFF_SRC, memory(e->src, eng, dx.data)},
                                 {DNNL_ARG_WORKSPACE, ws}});
    cpuStream().wait();
  } catch (const dnnl::error& err) {
    dnnlError(env, "max pooling backward", "execute", err);
  }
  return env.Undefined();
}

}  // namespace ummkd
