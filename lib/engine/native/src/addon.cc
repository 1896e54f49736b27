// Node-API entry point of the ummkd native engine (oneDNN-backed kernels for TensorFlow.js).
#include <omp.h>

#include "common.h"

namespace ummkd {
Napi::Value Conv(const Napi::CallbackInfo& info);
Napi::Value ConvImpl(const Napi::CallbackInfo& info);
Napi::Value MaxPool(const Napi::CallbackInfo& info);
Napi::Value MaxPoolGrad(const Napi::CallbackInfo& info);
Napi::Value BnTrain(const Napi::CallbackInfo& info);
Napi::Value BnTrainGrad(const Napi::CallbackInfo& info);
Napi::Value GroupNorm(const Napi::CallbackInfo& info);
Napi::Value GroupNormGrad(const Napi::CallbackInfo& info);
Napi::Value Binary(const Napi::CallbackInfo& info);
Napi::Value Unary(const Napi::CallbackInfo& info);
Napi::Value SumInner(const Napi::CallbackInfo& info);
Napi::Value SumOuter(const Napi::CallbackInfo& info);
Napi::Value AdamUpdate(const Napi::CallbackInfo& info);
Napi::Value Matmul(const Napi::CallbackInfo& info);
Napi::Value Compare(const Napi::CallbackInfo& info);
Napi::Value LeakyRelu(const Napi::CallbackInfo& info);
Napi::Value LeakyReluGrad(const Napi::CallbackInfo& info);
Napi::Value Dropout(const Napi::CallbackInfo& info);
Napi::Value Transpose(const Napi::CallbackInfo& info);
Napi::Value Softmax(const Napi::CallbackInfo& info);
Napi::Value CopyRows(const Napi::CallbackInfo& info);

namespace {

Napi::Value Version(const Napi::CallbackInfo& info) {
  const dnnl_version_t* v = dnnl_version();
  return Napi::String::New(info.Env(), std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
                                           std::to_string(v->patch) +
                                           (v->cpu_runtime == DNNL_RUNTIME_OMP ? " (OpenMP)" : ""));
}

/** setThreads(n): number of OpenMP threads oneDNN uses from now on (n >= 1). */
Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsNumber() || info[0].As<Napi::Number>().Int32Value() < 1) {
    fail(info.Env(), "setThreads: argument 'n' must be an integer >= 1");
    return info.Env().Undefined();
  }
  omp_set_num_threads(info[0].As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}

Napi::Value Threads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), omp_get_max_threads()); }

/** isa(): the instruction set oneDNN dispatches to on this CPU. */
Napi::Value Isa(const Napi::CallbackInfo& info) {
  const auto isa = dnnl::get_effective_cpu_isa();
  const char* name = "other";
  switch (isa) {
    case dnnl::cpu_isa::sse41: name = "sse41"; break;
    case dnnl::cpu_isa::avx: name = "avx"; break;
    case dnnl::cpu_isa::avx2: name = "avx2"; break;
    case dnnl::cpu_isa::avx512_core: name = "avx512_core"; break;
    case dnnl::cpu_isa::avx512_core_vnni: name = "avx512_core_vnni"; break;
    case dnnl::cpu_isa::avx512_core_bf16: name = "avx512_core_bf16"; break;
    case dnnl::cpu_isa::avx512_core_amx: name = "avx512_core_amx"; break;
    default: break;
  }
  return Napi::String::New(info.Env(), name);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  cpuEngine();  // fail at load time, not at first kernel, if oneDNN has no CPU engine
  exports.Set("version", Napi::Function::New(env, Version));
  exports.Set("isa", Napi::Function::New(env, Isa));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("threads", Napi::Function::New(env, Threads));
  exports.Set("conv", Napi::Function::New(env, Conv));
  exports.Set("convImpl", Napi::Function::New(env, ConvImpl));
  exports.Set("maxPool", Napi::Function::New(env, MaxPool));
  exports.Set("maxPoolGrad", Napi::Function::New(env, MaxPoolGrad));
  exports.Set("bnTrain", Napi::Function::New(env, BnTrain));
  exports.Set("bnTrainGrad", Napi::Function::New(env, BnTrainGrad));
  exports.Set("groupNorm", Napi::Function::New(env, GroupNorm));
  exports.Set("groupNormGrad", Napi::Function::New(env, GroupNormGrad));
  exports.Set("binary", Napi::Function::New(env, Binary));
  exports.Set("unary", Napi::Function::New(env, Unary));
  exports.Set("sumInner", Napi::Function::New(env, SumInner));
  exports.Set("sumOuter", Napi::Function::New(env, SumOuter));
  exports.Set("adamUpdate", Napi::Function::New(env, AdamUpdate));
  exports.Set("matmul", Napi::Function::New(env, Matmul));
  exports.Set("compare", Napi::Function::New(env, Compare));
  exports.Set("leakyRelu", Napi::Function::New(env, LeakyRelu));
  exports.Set("leakyReluGrad", Napi::Function::New(env, LeakyReluGrad));
  exports.Set("dropout", Napi::Function::New(env, Dropout));
  exports.Set("transpose", Napi::Function::New(env, Transpose));
  exports.Set("softmax", Napi::Function::New(env, Softmax));
  exports.Set("copyRows", Napi::Function::New(env, CopyRows));
  return exports;
}

}  // namespace
}  // namespace ummkd

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return ummkd::Init(env, exports); }
NODE_API_MODULE(ummkd_native, InitModule)
