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

std::unordered_map<std::string, std::unique_ptr<MatmulEntry>>& cache() {
  static std::unordered_map<std::string, std::unique_ptr<MatmulEntry>> c;
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
    fail(env, "matmul params must be [Ba, Bb, M, K, N, transposeA, transposeB]");
    return env.Undefined();
  }
  const int64_t Ba = p[0], Bb = p[1], M = p[2], K = p[3], N = p[4];
  if (Ba < 1 || Bb < 1 || M < 1 || K < 1 || N < 1 || (Ba != Bb && Ba != 1 && Bb != 1)) {
    fail(env, "matmul: bad sizes (batches must be equal or 1)");
    return env.Undefined();
  }
  const int64_t B = Ba > Bb ? Ba : Bb;
  if (a.length != size_t(Ba * M * K) || b.length != size_t(Bb * K * N) || o.length != size_t(B * M * N)) {
    fail(env, "matmul: a buffer length does not match the sizes in params");
    return env.Undefined();
  }
  const std::string key = makeKey("mm", p);
  auto it = cache().find(key);
  MatmulEntry* e;
  if (it != cache().end()) {
    e = it->second.get();
  } else {
    auto ne = std::make_unique<MatmulEntry>();
    const auto f32 = memory::data_type::f32;
    ne->a = memory::desc({Ba, M, K}, f32, p[5] ? tag::acb : tag::abc);
    ne->b = memory::desc({Bb, K, N}, f32, p[6] ? tag::acb : tag::abc);
    ne->c = memory::desc({B, M, N}, f32, tag::abc);
    try {
      dnnl::matmul::desc d(ne->a, ne->b, ne->c);
      dnnl::matmul::primitive_desc pd(d, cpuEngine());
      ne->prim = dnnl::matmul(pd);
    } catch (const dnnl::error& err) {
      fail(env, std::string("oneDNN could not create the matmul: ") + err.what());
      return env.Undefined();
    }
    e = ne.get();
    cache().emplace(key, std::move(ne));
  }
  try {
    auto& eng = cpuEngine();
    e->prim.execute(cpuStream(), {{DNNL_ARG_SRC, memory(e->a, eng, a.data)},
                                  {DNNL_ARG_WEIGHTS, memory(e->b, eng, b.data)},
                                  {DNNL_ARG_DST, memory(e->c, eng, o.data)}});
    cpuStream().wait();
  } catch (const dnnl::error& err) {
    fail(env, std::string("matmul: oneDNN execution failed: ") + err.what());
  }
  return env.Undefined();
}

}  // namespace ummkd
