/**
 * The native CPU engine: oneDNN-backed kernels for TensorFlow.js (issue 7).
 *
 * `loadNative()` loads the addon built by `npm run build:native`, sets oneDNN's thread count
 * (`UMMKD_THREADS`; default `auto`: the free cores, see ./governor.ts) and registers a tfjs backend named `native`: the cpu
 * backend (`MathBackendCPU`) with every cpu kernel, and oneDNN kernels over the hot ones
 * ({@link NATIVE_KERNELS}). The engine (`lib/engine/index.ts`) then calls `tf.setBackend("native")`. Opt out of the elementwise kernels with `UMMKD_NATIVE_ELEMENTWISE=0`.
 */
import { availableParallelism } from "node:os";
import { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import type { KernelFunc } from "@tensorflow/tfjs-core";
import { tf } from "../tf.ts";
import { loadAddon, type NativeAddon } from "./addon.ts";
import { convKernels } from "./conv.ts";
import { poolKernels } from "./pool.ts";
import { bnormKernels } from "./bnorm.ts";
import { gnormKernels } from "./gnorm.ts";
import { elementwiseKernels } from "./elementwise.ts";
import { padKernels } from "./pad.ts";
import { copyKernels } from "./copy.ts";
import { compareKernels } from "./compare.ts";
import { matmulKernel } from "./matmul.ts";
import { allocF32, nativePool } from "./buffers.ts";
import { procSample, ThreadGovernor } from "./governor.ts";
import { NATIVE_KERNELS } from "./entries.gen.ts";

export { ADDON_PATH, loadAddon, type NativeAddon } from "./addon.ts";
/** Kernels the native backend runs in oneDNN or its own code (others are the cpu backend's); listed in entries.json. */
export { NATIVE_KERNELS } from "./entries.gen.ts";

/** Result of {@link loadNative}. */
export type NativeLoadResult =
  | { ok: true; backendName: "native"; version: string; threads: number; /** the auto governor chooses (up to `threads`) */ autoThreads: boolean; isa: string; kernels: string[] }
  | { ok: false; reason: string };

/** Name of the tfjs backend registered by {@link loadNative}. */
export const NATIVE_BACKEND = "native";

/**
 * Thread policy from `UMMKD_THREADS`: a positive integer fixes the count; unset, empty or `auto`
 * lets the {@link ThreadGovernor} follow the free cores (at most every core).
 * @returns `{ threads, auto }` or `{ reason }` naming the bad value.
 */
export function threadsFromEnv(env: NodeJS.ProcessEnv = process.env): { threads: number; auto: boolean } | { reason: string } {
  const raw = env.UMMKD_THREADS;
  if (raw === undefined || raw.trim() === "" || raw.trim() === "auto") return { threads: availableParallelism(), auto: true };
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) return { reason: `UMMKD_THREADS must be a positive integer or 'auto', got ${JSON.stringify(raw)}` };
  return { threads: n, auto: false };
}

let loaded: NativeLoadResult | undefined;
/** The governor in force when the policy is auto (undefined: fixed count). */
let governor: ThreadGovernor | undefined;

/** Applies a thread policy: a fixed count, or a governor that starts at `threads` and follows the load. */
function applyThreads(addon: NativeAddon, t: { threads: number; auto: boolean }): void {
  governor = undefined;
  if (t.auto && t.threads > 1 && procSample()) governor = new ThreadGovernor(t.threads, (n) => addon.setThreads(n));
  else addon.setThreads(t.threads);
}

/**
 * How the native engine's thread count is chosen, for provenance: `UMMKD_THREADS=2` (fixed), or the
 * governor's account, e.g. "auto 1-2 threads by load (2 threads 80%, 1 thread 20% of the time; 2 switches)".
 */
export function nativeThreadPolicy(): string {
  if (governor) return governor.describe();
  const a = loadAddon();
  return `UMMKD_THREADS=${"addon" in a ? a.addon.threads() : "?"} (fixed)`;
}

/**
 * Loads the native engine and registers the `native` tfjs backend (once; later calls return the
 * first result, after re-applying `UMMKD_THREADS`). Never throws: a missing addon or oneDNN gives
 * `{ ok: false, reason }` with a one-line reason.
 */
export async function loadNative(): Promise<NativeLoadResult> {
  if (loaded?.ok) {
    const t = threadsFromEnv();
    const addon = (loadAddon() as { addon: NativeAddon }).addon;
    if ("threads" in t) applyThreads(addon, t);
    loaded = { ...loaded, threads: governor?.max ?? addon.threads(), autoThreads: governor !== undefined };
    return loaded;
  }
  const a = loadAddon();
  if ("reason" in a) return (loaded = { ok: false, reason: a.reason });
  const t = threadsFromEnv();
  if ("reason" in t) return (loaded = { ok: false, reason: t.reason });
  try {
    const addon = a.addon;
    applyThreads(addon, t);
    registerNativeBackend(addon);
    // The ISA is part of the version: oneDNN's kernels (and so a run's rounding) differ between
    // AVX2 and AVX-512 machines, and records carry this string (provenance.versions.native).
    loaded = { ok: true, backendName: "native", version: `oneDNN ${addon.version()}, ISA ${addon.isa()}`, threads: governor?.max ?? addon.threads(), autoThreads: governor !== undefined, isa: addon.isa(), kernels: [...NATIVE_KERNELS] };
  } catch (err) {
    const msg = (err instanceof Error ? err.message : String(err)).split("\n")[0];
    loaded = { ok: false, reason: `native engine failed to initialise: ${msg}` };
  }
  return loaded;
}

/** Fixes oneDNN's thread count now (e.g. for benchmarks at 1 and 2 threads; ends an auto policy); returns the count in effect. */
export function setNativeThreads(n: number): number {
  const a = loadAddon();
  if ("reason" in a) throw new Error(`setNativeThreads: ${a.reason}`);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`setNativeThreads: n must be a positive integer, got ${n}`);
  governor = undefined;
  a.addon.setThreads(n);
  return a.addon.threads();
}

type DataId = Parameters<MathBackendCPU["readSync"]>[0];

/**
 * The cpu backend, reporting storage writes, reads and disposals to the buffer pool
 * (`./buffers.ts`) so that native kernel outputs are reused once their tensors are disposed.
 */
class NativeBackend extends MathBackendCPU {
  /** Pooled float32 allocation for the JS kernels of the pack (wasm/js-cpu-fast.ts) on this backend. */
  readonly ummkdAllocF32 = allocF32;
  override write(values: Parameters<MathBackendCPU["write"]>[0], shape: number[], dtype: Parameters<MathBackendCPU["write"]>[2]): DataId {
    nativePool.onWrite(values);
    return super.write(values, shape, dtype);
  }
  override readSync(dataId: DataId): ReturnType<MathBackendCPU["readSync"]> {
    // A read from inside a kernel (a JS kernel reading its inputs) does not hand the storage out:
    // kernels compute from it and return new storage (an output that is the same array, or a view
    // of it, is caught by write()). Reads from user code (dataSync/data) mark it escaped.
    if (this.data.has(dataId) && !(tf.engine().state as unknown as { kernelDepth: number }).kernelDepth) nativePool.onRead(this.data.get(dataId)?.values);
    return super.readSync(dataId);
  }
  override disposeData(dataId: DataId, force = false): boolean {
    const values = this.data.has(dataId) ? this.data.get(dataId)?.values : undefined;
    const released = super.disposeData(dataId, force);
    if (values !== undefined && !this.data.has(dataId)) nativePool.onDispose(values);
    return released;
  }
}

/**
 * The native kernel functions by kernel name (their names are {@link NATIVE_KERNELS}, less the
 * elementwise, pad, copy and compare ones when `elementwise` is false); `fallbacks` are the cpu
 * backend's kernels.
 */
export function nativeKernelFuncs(addon: NativeAddon, fallbacks: Map<string, KernelFunc>, elementwise = process.env.UMMKD_NATIVE_ELEMENTWISE !== "0"): Map<string, KernelFunc> {
  return new Map<string, KernelFunc>([
    ["BatchMatMul", matmulKernel(addon, fallbacks.get("BatchMatMul"))],
    ...convKernels(addon, fallbacks), ...poolKernels(addon, fallbacks), ...bnormKernels(addon, fallbacks), ...gnormKernels(addon),
    ...(elementwise ? [...elementwiseKernels(addon, fallbacks), ...padKernels(fallbacks), ...copyKernels(addon, fallbacks), ...compareKernels(addon, fallbacks)] : []),
  ]);
}

function registerNativeBackend(addon: NativeAddon): void {
  if (!tf.findBackendFactory(NATIVE_BACKEND)) {
    tf.registerBackend(NATIVE_BACKEND, () => {
      const b = process.env.UMMKD_NATIVE_POOL === "0" ? new MathBackendCPU() : new NativeBackend();
      // No "install tfjs-node" banner: this backend is the fast path.
      (b as unknown as { firstUse: boolean }).firstUse = false;
      return b;
    }, 0);
  }
  const fallbacks = new Map<string, KernelFunc>();
  for (const cfg of tf.getKernelsForBackend("cpu")) {
    fallbacks.set(cfg.kernelName, cfg.kernelFunc);
    if (tf.getKernel(cfg.kernelName, NATIVE_BACKEND)) tf.unregisterKernel(cfg.kernelName, NATIVE_BACKEND);
    tf.registerKernel({ ...cfg, backendName: NATIVE_BACKEND });
  }
  for (const [kernelName, kernelFunc] of nativeKernelFuncs(addon, fallbacks)) {
    if (tf.getKernel(kernelName, NATIVE_BACKEND)) tf.unregisterKernel(kernelName, NATIVE_BACKEND);
    // every kernel lets the governor (auto threads) sample the load: one clock read per call
    const governed: KernelFunc = (args) => {
      governor?.tick();
      return kernelFunc(args);
    };
    tf.registerKernel({ kernelName, backendName: NATIVE_BACKEND, kernelFunc: governed });
  }
}
