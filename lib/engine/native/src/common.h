// Shared helpers of the ummkd native engine: one oneDNN CPU engine + stream, typed-array access,
// plain (channels-last) memory descriptors, and "user <-> primitive" layout bridging with cached
// reorders.
#pragma once
#include <napi.h>
#include <oneapi/dnnl/dnnl.hpp>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace ummkd {

using dnnl::memory;
using tag = dnnl::memory::format_tag;
using dims = dnnl::memory::dims;

/**
 * Element count from which the addon's own loops (elementwise, Adam, dropout mask, transpose,
 * softmax) run on every OpenMP thread. Measured at 2 threads on the 2D training step's activations
 * (64K-164K floats): 2-6x faster per call than one thread; below ~16K the fork/join costs more.
 */
constexpr size_t kParallelMin = size_t(1) << 14;

dnnl::engine& cpuEngine();
dnnl::stream& cpuStream();

/** Raw float pointer + element count of a Float32Array argument (no copy). */
struct F32 {
  float* data = nullptr;
  size_t length = 0;
};
bool getF32(const Napi::CallbackInfo& info, size_t i, const char* name, F32* out);
/** Int32Array argument as a vector<int64_t>. */
bool getInts(const Napi::CallbackInfo& info, size_t i, const char* name, std::vector<int64_t>* out);
/** Throws a JS TypeError and returns false (for `if (!check(...)) return env.Undefined()` patterns). */
bool fail(Napi::Env env, const std::string& msg);

inline size_t numel(const dims& d) {
  size_t n = 1;
  for (auto v : d) n *= static_cast<size_t>(v);
  return n;
}

/** Channels-last activation tag for 2 or 3 spatial dims. */
inline tag actTag(int nsp) { return nsp == 2 ? tag::nhwc : tag::ndhwc; }
/** tfjs filter layout [k..., in, out] as a oneDNN weights tag. */
inline tag weiTag(int nsp) { return nsp == 2 ? tag::hwio : tag::dhwio; }

/**
 * One primitive argument whose user memory is plain (channels-last) and whose primitive memory may
 * be a blocked layout chosen by oneDNN. When they differ, a reorder and a persistent buffer are
 * kept with the cached primitive.
 */
struct Bridged {
  memory::desc user;
  memory::desc prim;
  bool reorderNeeded = false;
  std::vector<float> buf;  // primitive-layout storage when reorderNeeded
  std::unique_ptr<dnnl::reorder> toPrim, toUser;
  void init(const memory::desc& userDesc, const memory::desc& primDesc, bool input);
  /** Memory the primitive should read/write; for inputs reorders user data in first. */
  memory prepare(float* userPtr, bool input);
  /** For outputs: reorders primitive data back to user memory. */
  void finish(const memory& primMem, float* userPtr);
};

/** Key of a primitive cache entry: the integer attributes and the current OpenMP thread count. */
std::string makeKey(const char* kind, const std::vector<int64_t>& ints);

}  // namespace ummkd
