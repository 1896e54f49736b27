// Node-API entry point of the ummkd native engine (oneDNN-backed kernels for TensorFlow.js): exports
// every function of the entry-point table (entries.json -> entries.gen.h), and defines the four
// small ones that are not kernels (version, isa, setThreads, threads).
#include <omp.h>

#include "common.h"

namespace ummkd {

Napi::Value Version(const Napi::CallbackInfo& info) {
  const dnnl_version_t* v = dnnl_version();
  return Napi::String::New(info.Env(), std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
                                           std::to_string(v->patch) +
                                           (v->cpu_runtime == DNNL_RUNTIME_OMP ? " (OpenMP)" : ""));
}

/** setThreads(n): number of OpenMP threads oneDNN uses from now on (n >= 1). */
Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsNumber()) {
    typeError(info.Env(), "setThreads: argument 'n' must be a number");
    return info.Env().Undefined();
  }
  if (info[0].As<Napi::Number>().Int32Value() < 1) {
    rangeError(info.Env(), "setThreads: argument 'n' must be an integer >= 1, got " + std::to_string(info[0].As<Napi::Number>().Int32Value()));
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

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  cpuEngine();  // fail at load time, not at first kernel, if oneDNN has no CPU engine
  for (const EntryPoint& e : kEntryPoints) exports.Set(e.name, Napi::Function::New(env, e.fn, e.name));
  return exports;
}

}  // namespace
}  // namespace ummkd

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return ummkd::Init(env, exports); }
NODE_API_MODULE(ummkd_native, InitModule)
