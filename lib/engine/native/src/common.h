// Shared helpers of the ummkd native engine: one oneDNN CPU engine + stream, typed-array access,
// the errors thrown to JS, plain (channels-last) memory descriptors, "user <-> primitive" layout
// bridging with cached reorders, and the one primitive cache every oneDNN kernel keeps its
// primitives in.
#pragma once
#include <napi.h>
#include <oneapi/dnnl/dnnl.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "entries.gen.h"

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
// Errors thrown to JS. Each sets a pending JS exception and returns false (for
// `if (!check(...)) return env.Undefined()` patterns); every message starts "ummkd native: ".
/** An argument of the wrong JS type (a Float32Array expected, a number expected): TypeError. */
bool typeError(Napi::Env env, const std::string& msg);
/** A bad value: a shape, length, size, op code or mode that does not fit: RangeError. */
bool rangeError(Napi::Env env, const std::string& msg);
/**
 * oneDNN refused or failed: an Error naming the primitive and the step, e.g. "ummkd native: oneDNN
 * could not create the convolution backward weights: could not create a primitive descriptor (status 3)".
 */
bool dnnlError(Napi::Env env, const char* primitive, const char* step, const dnnl::error& err);

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

/**
 * Key of a primitive cache entry: a kind, the current OpenMP thread count (oneDNN (OpenMP runtime)
 * sizes a primitive's work split and scratchpad for the thread count at creation; running it under
 * another count is unsupported), then integer attributes and float attributes by their exact bits
 * (two floats share an entry only if they are the same float).
 */
class CacheKey {
 public:
  explicit CacheKey(const char* kind);
  CacheKey& add(int64_t v);
  CacheKey& add(const std::vector<int64_t>& v);
  CacheKey& add(float v);
  const std::string& str() const { return s_; }

 private:
  std::string s_;
};

/**
 * The primitives (and their buffers) built for each key, kept for the life of the process. `Entry`
 * is built by a `make()` returning std::unique_ptr<Entry>, so an entry is owned from its first line:
 * when oneDNN throws half-way through, nothing leaks and nothing is cached.
 */
template <typename Entry>
class PrimitiveCache {
 public:
  /** `primitive` names what the entries hold, for error messages ("max pooling"). */
  explicit PrimitiveCache(const char* primitive) : primitive_(primitive) {}
  /**
   * The entry for `key`, building it with `make()` on first use. Returns nullptr with a pending JS
   * exception when make() throws a dnnl::error (an Error naming `primitive`, default the cache's)
   * or returns nullptr (it has thrown its own RangeError).
   */
  template <typename Make>
  Entry* get(Napi::Env env, const CacheKey& key, Make&& make, const char* primitive = nullptr) {
    auto it = map_.find(key.str());
    if (it != map_.end()) return it->second.get();
    std::unique_ptr<Entry> e;
    try {
      e = make();
    } catch (const dnnl::error& err) {
      dnnlError(env, primitive ? primitive : primitive_, "create", err);
      return nullptr;
    }
    if (!e) return nullptr;
    Entry* raw = e.get();
    map_.emplace(key.str(), std::move(e));
    return raw;
  }
  const char* primitive() const { return primitive_; }

 private:
  const char* primitive_;
  std::unordered_map<std::string, std::unique_ptr<Entry>> map_;
};

}  // namespace ummkd
