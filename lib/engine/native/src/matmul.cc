// Batched matrix multiplication (tfjs BatchMatMul) with oneDNN's matmul primitive.
//
// matmul(params: Int32Array [Ba, Bb, M, K, N, transposeA, transposeB], a, b, out)
//   a: [Ba, M, K] row-major ([Ba, K, M] when transposeA), b: [Bb, K, N] ([Bb, N, K] when
//   transposeB), out: [max(Ba, Bb), M, N]; a batch of 1 broadcasts.
#include "common.h"

namespace ummkd {
namespace {

struct MatmulEntry {
  dnnl::matmul prim;
  memory::desc a, b, c;
};

PrimitiveCache<MatmulEntry>& cache() {
  static PrimitiveCache<MatmulEntry> c("matmul");
  return c;
}

}  // namespace

Napi::Value Matmul(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<int64_t> p;
  F32 a, b, o;
  if (!getInts(info, 0, "params", &p) || !getF32(info, 1, "a", &a) || !getF32(info, 2, "b", &b) || !getF32(info, 3, "out", &o))
    return env.Undefined();
  if (p.size() != 7) {
    rangeError(env, "matmul: params must be [Ba, Bb, M, K, N, transposeA, transposeB], got " + std::to_string(p.size()) + " entries");
    return env.Undefined();
  }
  const int64_t Ba = p[0], Bb = p[1], M = p[2], K = p[3], N = p[4];
  if (Ba < 1 || Bb < 1 || M < 1 || K < 1 || N < 1 || (Ba != Bb && Ba != 1 && Bb != 1)) {
    rangeError(env, "matmul: sizes must be >= 1 and batches equal or 1, got Ba " + std::to_string(Ba) + ", Bb " + std::to_string(Bb) +
                        ", M " + std::to_string(M) + ", K " + std::to_string(K) + ", N " + std::to_string(N));
    return env.Undefined();
  }
  const int64_t B = Ba > Bb ? Ba : Bb;
  if (a.length != size_t(Ba * M * K) || b.length != size_t(Bb * K * N) || o.length != size_t(B * M * N)) {
    rangeError(env, "matmul: a buffer length does not match the sizes in params");
    return env.Undefined();
  }
  MatmulEntry* e = cache().get(env, CacheKey("mm").add(p), [&] {
    auto ne = std::make_unique<MatmulEntry>();
    const auto f32 = memory::data_type::f32;
    ne->a = memory::desc({Ba, M, K}, f32, p[5] ? tag::acb : tag::abc);
    ne->b = memory::desc({Bb, K, N}, f32, p[6] ? tag::acb : tag::abc);
    ne->c = memory::desc({B, M, N}, f32, tag::abc);
    dnnl::matmul::desc d(ne->a, ne->b, ne->c);
    dnnl::matmul::primitive_desc pd(d, cpuEngine());
    ne->prim = dnnl::matmul(pd);
    return ne;
  });
  if (!e) return env.Undefined();
  try {
    auto& eng = cpuEngine();
    e->prim.execute(cpuStream(), {{DNNL_ARG_SRC, memory(e->a, eng, a.data)},
                                  {DNNL_ARG_WEIGHTS, memory(e->b, eng, b.data)},
                                  {DNNL_ARG_DST, memory(e->c, eng, o.data)}});
    cpuStream().wait();
  } catch (const dnnl::error& err) {
    dnnlError(env, "matmul", "execute", err);
  }
  return env.Undefined();
}

}  // namespace ummkd
