/**
 * Backend selection (engine issue). Order: tfjs-node-gpu, webgpu (Dawn, a real GPU only unless
 * forced; `./webgpu.ts`), tfjs-node, native (oneDNN addon, see `./native/`), wasm + our kernel pack, cpu. `UMMKD_BACKEND` forces one; `UMMKD_THREADS` sets the
 * thread count where the backend supports it. The choice is logged once (one line on stderr) and is
 * part of every result's provenance via `engineInfo()`.
 */
import { createRequire } from "node:module";
import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { availableParallelism, cpus } from "node:os";
import { tf } from "./tf.ts";
import { installGradients } from "./grads/index.ts";
import { registerKernelPack } from "./wasm/register.ts";
import { OptionError, oneOf } from "../util/errors.ts";
import type { EngineFacts } from "../util/provenance.ts";
import { adapterLabel, loadWebgpu, registerWebgpuKernels, type WebgpuAdapter } from "./webgpu.ts";

export { tf } from "./tf.ts";
export type { Tensor, Tensor1D, Tensor2D, Tensor3D, Tensor4D, Tensor5D, Variable, Rank, NamedTensorMap, TensorContainer } from "./tf.ts";
export { batchNormTraining, groupNorm, dropout, updateMovingStats, conv2d, conv3d, conv3dTranspose, conv2dBackpropFilter, conv2dBackpropInput, conv3dBackpropFilter, conv3dBackpropInput } from "./ops.ts";
export type { BatchNormTrainingResult } from "./ops.ts";
export * from "./kernel-names.ts";
export { registerKernelPack } from "./wasm/register.ts";
export { FusedAdamOptimizer, fusedAdam } from "./adam.ts";
export { installGradients } from "./grads/index.ts";
export { releaseWebgpu, webgpuAdapter, webgpuErrors, adapterLabel, type WebgpuAdapter } from "./webgpu.ts";

export type BackendName = "tensorflow-gpu" | "webgpu" | "tensorflow" | "native" | "wasm" | "cpu";
export const BACKENDS: readonly BackendName[] = ["tensorflow-gpu", "webgpu", "tensorflow", "native", "wasm", "cpu"];

export interface EngineInfo {
  backend: BackendName;
  /** The tfjs backend name actually active (`tf.getBackend()`), e.g. "tensorflow" for tensorflow-gpu. */
  tfjsBackend: string;
  /** Why this backend was chosen (forced, first that loaded, fallbacks tried and why they failed). */
  reason: string;
  threads: number;
  tfjsVersion: string;
  /** Version of the native engine (oneDNN) when backend is "native". */
  nativeVersion?: string;
  /** Kernels of the ummkd kernel pack registered for the active backend by this call. */
  kernelPack: string[];
  /** The WebGPU adapter (Dawn backend, device name, software or not) when backend is "webgpu". */
  adapter?: WebgpuAdapter;
}

type Attempt =
  | { ok: true; tfjsBackend: string; threads: number; autoThreads?: boolean; note?: string; nativeVersion?: string; adapter?: WebgpuAdapter }
  | { ok: false; reason: string };

let current: EngineInfo | undefined;
let nativeModule: NativeModule | undefined;
let logged = false;
const require = createRequire(import.meta.url);

function requestedThreads(): number | undefined {
  const v = process.env.UMMKD_THREADS;
  if (v === undefined || v.trim() === "" || v.trim() === "auto") return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new OptionError("UMMKD_THREADS", v, "a positive integer, or 'auto' (the default: the native engine follows the free cores)");
  // 100000 threads crashed the engine, 4096 hung the machine: at most 4 per core (and 256)
  const max = Math.min(256, 4 * Math.max(1, availableParallelism()));
  if (n > max) throw new OptionError("UMMKD_THREADS", v, `at most ${max} (4 threads per core of this machine's ${availableParallelism()}), or 'auto'`);
  return n;
}

function firstLine(e: unknown): string {
  return String(e instanceof Error ? e.message : e).split("\n")[0]!.slice(0, 300);
}

/** tfjs-node(-gpu): installed as optional deps; the native binding comes from an install script that downloads libtensorflow. */
async function tryTfjsNode(pkg: "@tensorflow/tfjs-node-gpu" | "@tensorflow/tfjs-node"): Promise<Attempt> {
  let pkgJson: string;
  try {
    pkgJson = require.resolve(`${pkg}/package.json`);
  } catch {
    return { ok: false, reason: `${pkg} not installed` };
  }
  // Check for the binding before requiring: requiring a tfjs-node without its binding loads the
  // whole @tensorflow/tfjs umbrella (and registers its kernels) only to throw at the binding.
  const libDir = join(dirname(pkgJson), "lib");
  const hasBinding =
    existsSync(libDir) && readdirSync(libDir).some((d) => d.startsWith("napi-v") && existsSync(join(libDir, d, "tfjs_binding.node")));
  if (!hasBinding) {
    return { ok: false, reason: `${pkg}: native binding absent (${libDir}/napi-v*/tfjs_binding.node; its install script downloads libtensorflow from outside the npm registry)` };
  }
  try {
    require(pkg);
    const ok = await tf.setBackend("tensorflow");
    if (!ok) return { ok: false, reason: `${pkg}: backend 'tensorflow' failed to initialise` };
    return { ok: true, tfjsBackend: "tensorflow", threads: cpus().length };
  } catch (e) {
    return { ok: false, reason: `${pkg}: ${firstLine(e)}` };
  }
}

interface NativeModule {
  nativeThreadPolicy(): string;
  loadNative(): Promise<{ ok: true; backendName: string; version: string; threads: number; autoThreads: boolean } | { ok: false; reason: string }>;
}

async function tryNative(): Promise<Attempt> {
  let mod: NativeModule;
  try {
    mod = (await import("./native/index.ts" as string)) as NativeModule;
    nativeModule = mod;
  } catch (e) {
    return { ok: false, reason: `native engine not available: ${firstLine(e)}` };
  }
  try {
    const r = await mod.loadNative();
    if (!r.ok) return { ok: false, reason: `native engine not available: ${r.reason}` };
    const ok = await tf.setBackend(r.backendName);
    if (!ok) return { ok: false, reason: `native engine: backend '${r.backendName}' failed to initialise` };
    return { ok: true, tfjsBackend: r.backendName, threads: r.threads, autoThreads: r.autoThreads, nativeVersion: r.version };
  } catch (e) {
    return { ok: false, reason: `native engine failed: ${firstLine(e)}` };
  }
}

async function tryWasm(threads: number | undefined): Promise<Attempt> {
  try {
    const wasm = await import("@tensorflow/tfjs-backend-wasm");
    // The threaded SIMD build cannot start in Node: tfjs reports WASM_HAS_MULTITHREAD_SUPPORT=false,
    // and forcing it fails because emscripten creates its pthread workers from blob: URLs, which
    // node:worker_threads rejects (ERR_WORKER_PATH). So wasm runs single-threaded here.
    let note = "";
    if (threads !== undefined && threads > 1) {
      const mt = await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT");
      if (mt) wasm.setThreadsCount(threads);
      else note = `; UMMKD_THREADS=${threads} ignored: the threaded wasm build cannot run in Node`;
    }
    const ok = await tf.setBackend("wasm");
    if (!ok) return { ok: false, reason: "wasm: backend failed to initialise" };
    const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
    return { ok: true, tfjsBackend: "wasm", threads: wasm.getThreadsCount(), note: `wasm (${simd ? "SIMD" : "no SIMD"}, ${wasm.getThreadsCount()} thread) + ummkd kernel pack${note}` };
  } catch (e) {
    return { ok: false, reason: `wasm: ${firstLine(e)}` };
  }
}

/** WebGPU on Dawn: automatically only on a real GPU; the software adapter (llvmpipe) only when forced. */
async function tryWebgpu(explicit: boolean): Promise<Attempt> {
  const r = await loadWebgpu({ explicit });
  if (!r.ok) return r;
  try {
    const ok = await tf.setBackend("webgpu");
    if (!ok) return { ok: false, reason: "webgpu: backend 'webgpu' failed to initialise (tfjs could not get a device)" };
    return { ok: true, tfjsBackend: "webgpu", threads: 1, adapter: r.adapter, note: `adapter ${adapterLabel(r.adapter)}` };
  } catch (e) {
    return { ok: false, reason: `webgpu: ${firstLine(e)}` };
  }
}

async function tryCpu(): Promise<Attempt> {
  const ok = await tf.setBackend("cpu");
  return ok ? { ok: true, tfjsBackend: "cpu", threads: 1 } : { ok: false, reason: "cpu: failed to initialise" };
}

async function attempt(b: BackendName, threads: number | undefined, explicit: boolean): Promise<Attempt> {
  switch (b) {
    case "tensorflow-gpu":
      return tryTfjsNode("@tensorflow/tfjs-node-gpu");
    case "webgpu":
      return tryWebgpu(explicit);
    case "tensorflow":
      return tryTfjsNode("@tensorflow/tfjs-node");
    case "native":
      return tryNative();
    case "wasm":
      return tryWasm(threads);
    case "cpu":
      return tryCpu();
  }
}

/**
 * Choose and initialise the TensorFlow.js backend (once per process; calling again returns the
 * same info unless a different backend is asked for).
 *
 * @param opts.backend force a backend (else `UMMKD_BACKEND`, else the first that loads in the order
 *   tensorflow-gpu, webgpu (a real GPU adapter only), tensorflow, native, wasm, cpu)
 * @throws OptionError for an unknown backend name; Error when a forced backend cannot load
 */
export async function initEngine(opts: { backend?: BackendName } = {}): Promise<EngineInfo> {
  const envB = process.env.UMMKD_BACKEND;
  const want = opts.backend ?? (envB ? oneOf("UMMKD_BACKEND", envB, BACKENDS) : undefined);
  if (opts.backend) oneOf("backend", opts.backend, BACKENDS);
  if (current && (!want || want === current.backend)) return current;
  const threads = requestedThreads();
  const order: BackendName[] = want ? [want] : [...BACKENDS];
  const failures: string[] = [];
  for (const b of order) {
    const r = await attempt(b, threads, want !== undefined);
    if (!r.ok) {
      failures.push(r.reason);
      continue;
    }
    await tf.ready();
    installGradients();
    const pack = [...(r.tfjsBackend === "webgpu" ? registerWebgpuKernels() : []), ...registerKernelPack(r.tfjsBackend)];
    const how = want ? `forced (${opts.backend ? "initEngine({backend})" : "UMMKD_BACKEND"}=${want})` : "first backend that loaded";
    const reason = [`${b}: ${how}`, r.note, failures.length ? `skipped: ${failures.join("; ")}` : undefined].filter(Boolean).join("; ");
    current = {
      backend: b,
      tfjsBackend: r.tfjsBackend,
      reason,
      threads: r.threads,
      tfjsVersion: tf.version_core,
      ...(r.nativeVersion ? { nativeVersion: r.nativeVersion } : {}),
      kernelPack: pack,
      ...(r.adapter ? { adapter: r.adapter } : {}),
    };
    if (!logged || want) {
      // one short line; the full reason (why each faster backend was skipped) is in every run's
      // provenance and printed with UMMKD_VERBOSE=1 (a paragraph about absent tfjs-node bindings
      // on every run looked like an error in notebooks, issue 25)
      const skipped = failures.length ? `; skipped: ${failures.map((f) => f.split(":")[0]!.replace(/^@tensorflow\//, "")).join(", ")} (not installed or not loadable; UMMKD_VERBOSE=1 says why)` : "";
      const said = process.env.UMMKD_VERBOSE === "1" ? reason : [`${b}: ${how}`, r.note].filter(Boolean).join("; ") + skipped;
      process.stderr.write(`[ummkd] engine: ${b} (${r.autoThreads ? `auto: up to ${r.threads} threads, one per free core` : `${r.threads} thread${r.threads === 1 ? "" : "s"}`}) — ${said}\n`);
      logged = true;
    }
    return current;
  }
  throw new Error(`ummkd engine: could not initialise ${want ? `backend '${want}'` : "any backend"}: ${failures.join("; ")}`);
}

/**
 * How the thread count of the current engine is chosen, for provenance (null before `initEngine()`):
 * on the native engine "UMMKD_THREADS=1 (fixed)" or the auto governor's account of the counts it used
 * (lib/engine/native/governor.ts); elsewhere "N thread(s)".
 */
export function threadPolicy(): string | null {
  if (!current) return null;
  if (current.backend === "native" && nativeModule) return nativeModule.nativeThreadPolicy();
  return `${current.threads} thread${current.threads === 1 ? "" : "s"}`;
}

/** The engine chosen by the last `initEngine()` call (undefined before). */
export function engineInfo(): EngineInfo | undefined {
  return current;
}

/** The engine's facts for provenance (lib/util/provenance.ts `provenance(seed, engineFacts())`); null before `initEngine()`. */
export function engineFacts(): EngineFacts | null {
  if (!current) return null;
  const { backend, reason, threads } = current;
  return {
    backend, reason, threads, threadPolicy: threadPolicy(),
    ...("nativeVersion" in current ? { nativeVersion: current.nativeVersion } : {}),
    ...(current.adapter ? { adapter: current.adapter } : {}),
  };
}
