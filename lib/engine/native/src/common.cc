#include "common.h"

#include <omp.h>

#include <cstring>

namespace ummkd {

dnnl::engine& cpuEngine() {
  static dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  return eng;
}
dnnl::stream& cpuStream() {
  static dnnl::stream s(cpuEngine());
  return s;
}

bool typeError(Napi::Env env, const std::string& msg) {
  Napi::TypeError::New(env, "ummkd native: " + msg).ThrowAsJavaScriptException();
  return false;
}

bool rangeError(Napi::Env env, const std::string& msg) {
  Napi::RangeError::New(env, "ummkd native: " + msg).ThrowAsJavaScriptException();
  return false;
}

bool dnnlError(Napi::Env env, const char* primitive, const char* step, const dnnl::error& err) {
  Napi::Error::New(env, std::string("ummkd native: oneDNN could not ") + step + " the " + primitive + ": " + err.what() +
                            " (status " + std::to_string(int(err.status)) + ")")
      .ThrowAsJavaScriptException();
  return false;
}

bool getF32(const Napi::CallbackInfo& info, size_t i, const char* name, F32* out) {
  if (info.Length() <= i || !info[i].IsTypedArray() ||
      info[i].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    return typeError(info.Env(), std::string("argument '") + name + "' must be a Float32Array");
  auto a = info[i].As<Napi::Float32Array>();
  out->data = a.Data();
  out->length = a.ElementLength();
  return true;
}

bool getInts(const Napi::CallbackInfo& info, size_t i, const char* name, std::vector<int64_t>* out) {
  if (info.Length() <= i || !info[i].IsTypedArray() ||
      info[i].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    return typeError(info.Env(), std::string("argument '") + name + "' must be an Int32Array");
  auto a = info[i].As<Napi::Int32Array>();
  out->assign(a.Data(), a.Data() + a.ElementLength());
  return true;
}

CacheKey::CacheKey(const char* kind) : s_(kind) {
  s_ += '@';
  s_ += std::to_string(omp_get_max_threads());
}

CacheKey& CacheKey::add(int64_t v) {
  s_ += ',';
  s_ += std::to_string(v);
  return *this;
}

CacheKey& CacheKey::add(const std::vector<int64_t>& v) {
  for (auto x : v) add(x);
  return *this;
}

CacheKey& CacheKey::add(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  s_ += ",f";
  s_ += std::to_string(bits);
  return *this;
}

void Bridged::init(const memory::desc& userDesc, const memory::desc& primDesc, bool input) {
  user = userDesc;
  prim = primDesc;
  reorderNeeded = !(user == prim);
  if (!reorderNeeded) return;
  buf.assign(prim.get_size() / sizeof(float) + 16, 0.0f);
  memory u(user, cpuEngine(), nullptr), p(prim, cpuEngine(), nullptr);
  if (input)
    toPrim = std::make_unique<dnnl::reorder>(u, p);
  else
    toUser = std::make_unique<dnnl::reorder>(p, u);
}

memory Bridged::prepare(float* userPtr, bool input) {
  if (!reorderNeeded) return memory(user, cpuEngine(), userPtr);
  memory p(prim, cpuEngine(), buf.data());
  if (input) {
    memory u(user, cpuEngine(), userPtr);
    toPrim->execute(cpuStream(), u, p);
  }
  return p;
}

void Bridged::finish(const memory& primMem, float* userPtr) {
  if (!reorderNeeded) return;
  memory u(user, cpuEngine(), userPtr);
  toUser->execute(cpuStream(), const_cast<memory&>(primMem), u);
}

}  // namespace ummkd
