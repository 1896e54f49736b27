/**
 * The WebGPU engine (issue 29): TensorFlow.js's own WebGPU backend (`@tensorflow/tfjs-backend-webgpu`)
 * on Google's Dawn for Node (`webgpu`, `dawn.node`). Dawn talks to Vulkan on a real GPU and, on a
 * machine without one, to Mesa's llvmpipe through OpenGL (EGL surfaceless, WebGPU "compatibility"
 * feature level): a software rasteriser on the CPU, used only when asked for, for tests.
 *
 * Pitfalls handled here (facts in ../shared/notes/gpu-webgpu.md):
 * - `globalThis.navigator.gpu` must exist before the tfjs backend is imported (tfjs#8066), so the
 *   adapter is found first and the backend imported after;
 * - tfjs asks for the `bgra8unorm-storage` feature as `[name]`, which Dawn's enum conversion rejects
 *   (tfjs#8518): `requestDevice` keeps only the string features the adapter has;
 * - tfjs calls `requestAdapter` without a feature level; on OpenGL Dawn offers only "compatibility";
 * - synchronous reads (`dataSync`) need `OffscreenCanvas`, absent in Node: the library reads with
 *   `await t.data()` on the training, validation and evaluation paths;
 * - `releaseWebgpu()` drops the `navigator.gpu` reference so a process can exit;
 * - tfjs-backend-webgpu 4.22's AddN binds every input as a storage buffer, and past the device's
 *   `maxStorageBuffersPerShaderStage` (8 here) the pipeline is invalid and the result silently 0
 *   (the L2 term's sum over ~30 weights): `registerWebgpuKernels()` sums in chunks;
 * - Dawn reports such validation errors asynchronously and tfjs does not listen: they are counted
 *   (`webgpuErrors()`) so tests and the device check can fail on them.
 */
import { existsSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import type { KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import { tf } from "./tf.ts";

/** Which Dawn backend talks to the device. */
export type DawnBackend = "vulkan" | "opengl";
export const DAWN_BACKENDS: readonly DawnBackend[] = ["vulkan", "opengl"];

/** What the adapter says about itself, recorded in provenance. */
export interface WebgpuAdapter {
  /** Dawn's backend ("vulkan" on a GPU; "opengl" for Mesa llvmpipe). */
  dawnBackend: DawnBackend;
  featureLevel: "core" | "compatibility";
  vendor: string;
  architecture: string;
  /** The device name, e.g. "llvmpipe-llvm-15-0-6-256-bits-" or "NVIDIA H100 80GB HBM3". */
  device: string;
  description: string;
  /** A CPU rasteriser (llvmpipe, lavapipe, SwiftShader, WARP) or Dawn's fallback adapter. */
  software: boolean;
  /** Versions of the two packages. */
  versions: { "webgpu": string; "@tensorflow/tfjs-backend-webgpu": string };
}

export type WebgpuLoad = { ok: true; adapter: WebgpuAdapter } | { ok: false; reason: string };

interface GpuLike {
  requestAdapter(o?: Record<string, unknown>): Promise<AdapterLike | null>;
}
interface AdapterLike {
  features: Set<string>;
  info?: Record<string, unknown>;
  requestDevice(d?: { requiredFeatures?: unknown[] } & Record<string, unknown>): Promise<unknown>;
}

const require = createRequire(import.meta.url);
const SOFTWARE = /llvmpipe|lavapipe|softpipe|swiftshader|\bwarp\b|basic render/i;

function pkgVersion(name: string): string {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return "absent";
  }
}

/** Device nodes of a GPU (NVIDIA, or a DRM render node): without one, Vulkan can only offer a CPU rasteriser. */
export function gpuDeviceNodes(): string[] {
  const nodes: string[] = [];
  try {
    nodes.push(...readdirSync("/dev").filter((n) => /^nvidia\d+$/.test(n)).map((n) => `/dev/${n}`));
  } catch {
    /* no /dev */
  }
  if (existsSync("/dev/dri")) {
    try {
      nodes.push(...readdirSync("/dev/dri").filter((n) => n.startsWith("renderD")).map((n) => `/dev/dri/${n}`));
    } catch {
      /* unreadable */
    }
  }
  return nodes;
}

function firstLine(e: unknown): string {
  return String(e instanceof Error ? e.message : e).split("\n")[0]!.slice(0, 300);
}

/** A `navigator.gpu` that asks for the feature level Dawn offers and filters tfjs's device request. */
function wrapGpu(gpu: GpuLike, featureLevel: "core" | "compatibility", seen: { adapter?: AdapterLike }): GpuLike {
  return {
    async requestAdapter(o?: Record<string, unknown>) {
      const ad = await gpu.requestAdapter({ ...(o ?? {}), featureLevel });
      if (!ad) return ad;
      seen.adapter = ad;
      return new Proxy(ad, {
        get(t, p) {
          if (p === "requestDevice") {
            return (d: { requiredFeatures?: unknown[] } & Record<string, unknown> = {}) =>
              t.requestDevice({ ...d, requiredFeatures: (d.requiredFeatures ?? []).filter((f): f is string => typeof f === "string" && t.features.has(f)) });
          }
          const v = (t as unknown as Record<string | symbol, unknown>)[p];
          return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(t) : v;
        },
      });
    },
  };
}

function describe(ad: AdapterLike, dawnBackend: DawnBackend, featureLevel: "core" | "compatibility"): WebgpuAdapter {
  const info = (ad.info ?? {}) as Record<string, unknown>;
  const s = (k: string) => (typeof info[k] === "string" ? (info[k] as string) : "");
  const device = s("device"), description = s("description"), vendor = s("vendor");
  return {
    dawnBackend,
    featureLevel,
    vendor,
    architecture: s("architecture"),
    device,
    description,
    software: info.isFallbackAdapter === true || SOFTWARE.test(`${device} ${description} ${vendor}`),
    versions: { webgpu: pkgVersion("webgpu"), "@tensorflow/tfjs-backend-webgpu": pkgVersion("@tensorflow/tfjs-backend-webgpu") },
  };
}

let installed: { gpu: GpuLike; adapter: WebgpuAdapter } | undefined;

/** One line naming the adapter, e.g. "NVIDIA H100 (vulkan)" or "llvmpipe-llvm-15 (opengl, software rendering)". */
export function adapterLabel(a: WebgpuAdapter): string {
  const name = a.device || a.description || a.vendor || "unknown adapter";
  return `${name} (${a.dawnBackend}${a.featureLevel === "compatibility" ? ", compatibility" : ""}${a.software ? ", software rendering" : ""})`;
}

/**
 * Find a WebGPU adapter through Dawn, install `navigator.gpu` and import the tfjs WebGPU backend
 * (registered as "webgpu"; the caller then runs `tf.setBackend("webgpu")`).
 *
 * Without `explicit`, only a real GPU is accepted: no GPU device node -> not tried at all (Dawn is
 * not even loaded); a software adapter -> refused. With `explicit` (UMMKD_BACKEND=webgpu), Vulkan
 * is tried where a GPU device node exists, then OpenGL (Mesa llvmpipe on a CPU-only machine).
 * `UMMKD_WEBGPU_DAWN=vulkan|opengl` fixes Dawn's backend.
 */
export async function loadWebgpu(opts: { explicit: boolean }): Promise<WebgpuLoad> {
  if (installed) return { ok: true, adapter: installed.adapter };
  const nodes = gpuDeviceNodes();
  const forcedDawn = process.env.UMMKD_WEBGPU_DAWN?.trim();
  if (forcedDawn && !DAWN_BACKENDS.includes(forcedDawn as DawnBackend)) {
    return { ok: false, reason: `webgpu: UMMKD_WEBGPU_DAWN must be one of ${DAWN_BACKENDS.join(", ")}, got '${forcedDawn}'` };
  }
  if (!opts.explicit && nodes.length === 0 && !forcedDawn) {
    return { ok: false, reason: "webgpu: no GPU device node (/dev/nvidia*, /dev/dri/renderD*); the software adapter (Mesa llvmpipe) is used only with UMMKD_BACKEND=webgpu" };
  }
  let webgpuPkg: { create(o: string[]): GpuLike; globals: Record<string, unknown> };
  try {
    webgpuPkg = (await import("webgpu")) as unknown as typeof webgpuPkg;
  } catch (e) {
    return { ok: false, reason: `webgpu: the 'webgpu' package (dawn.node) did not load: ${firstLine(e)}` };
  }
  const tries: DawnBackend[] = forcedDawn ? [forcedDawn as DawnBackend] : nodes.length > 0 ? ["vulkan", "opengl"] : ["opengl"];
  const failures: string[] = [];
  for (const dawnBackend of tries) {
    const featureLevel = dawnBackend === "opengl" ? "compatibility" : "core";
    // EGL without a display: must be set before Dawn loads libEGL
    if (dawnBackend === "opengl") process.env.EGL_PLATFORM ??= "surfaceless";
    let ad: AdapterLike | null;
    let gpu: GpuLike;
    try {
      gpu = webgpuPkg.create([`backend=${dawnBackend}`]);
      ad = await gpu.requestAdapter({ featureLevel, powerPreference: "high-performance" });
    } catch (e) {
      failures.push(`${dawnBackend}: ${firstLine(e)}`);
      continue;
    }
    if (!ad) {
      failures.push(`${dawnBackend}: no adapter`);
      continue;
    }
    const adapter = describe(ad, dawnBackend, featureLevel);
    if (adapter.software && !opts.explicit) {
      failures.push(`${dawnBackend}: ${adapterLabel(adapter)} is a software rasteriser (used only with UMMKD_BACKEND=webgpu)`);
      continue;
    }
    Object.assign(globalThis, webgpuPkg.globals);
    const nav = ((globalThis as { navigator?: Record<string, unknown> }).navigator ??= {}) as Record<string, unknown>;
    Object.defineProperty(nav, "gpu", { value: wrapGpu(gpu, featureLevel, {}), configurable: true, writable: true });
    try {
      await import("@tensorflow/tfjs-backend-webgpu");
    } catch (e) {
      releaseWebgpu();
      return { ok: false, reason: `webgpu: @tensorflow/tfjs-backend-webgpu did not load: ${firstLine(e)}` };
    }
    installed = { gpu, adapter };
    return { ok: true, adapter };
  }
  return { ok: false, reason: `webgpu: ${failures.join("; ")}` };
}

/** The adapter of the installed WebGPU engine (undefined if none). */
export function webgpuAdapter(): WebgpuAdapter | undefined {
  return installed?.adapter;
}

/**
 * Drop the `navigator.gpu` reference (Dawn keeps a process alive while it is reachable). The tfjs
 * backend, if it is active, is left as it is: call after the last WebGPU work of the process.
 */
export function releaseWebgpu(): void {
  const nav = (globalThis as { navigator?: Record<string, unknown> }).navigator;
  if (nav && "gpu" in nav) delete nav.gpu;
  installed = undefined;
}

const errors = { count: 0, first: undefined as string | undefined };

/** Validation / out-of-memory errors Dawn reported since the engine was installed (tfjs ignores them). */
export function webgpuErrors(): { count: number; first?: string } {
  return errors.first === undefined ? { count: errors.count } : { count: errors.count, first: errors.first };
}

let kernelsRegistered = false;

/**
 * After `tf.setBackend("webgpu")`: listen for the device's uncaptured errors and replace AddN with
 * a chunked sum (each call at most maxStorageBuffersPerShaderStage - 1 inputs).
 * @returns the kernels replaced
 */
export function registerWebgpuKernels(): string[] {
  const backend = tf.findBackend("webgpu") as unknown as { device?: { limits: { maxStorageBuffersPerShaderStage: number }; addEventListener?: (t: string, f: (e: { error?: { message?: string } }) => void) => void } } | null;
  if (!backend?.device || kernelsRegistered) return [];
  kernelsRegistered = true;
  const device = backend.device;
  const onError = (e: { error?: { message?: string } }) => {
    errors.count++;
    errors.first ??= String(e.error?.message ?? e).split("\n").slice(0, 3).join(" | ");
  };
  if (typeof device.addEventListener === "function") device.addEventListener("uncapturederror", onError);
  else (device as { onuncapturederror?: unknown }).onuncapturederror = onError;
  const stock = tf.getKernel("AddN", "webgpu")!.kernelFunc;
  const max = Math.max(2, device.limits.maxStorageBuffersPerShaderStage - 1);
  const addN: KernelFunc = ({ inputs, backend: b, attrs }) => {
    let xs = inputs as unknown as TensorInfo[];
    const temps: TensorInfo[] = [];
    while (xs.length > max) {
      const next: TensorInfo[] = [];
      for (let i = 0; i < xs.length; i += max) {
        const chunk = xs.slice(i, i + max);
        if (chunk.length === 1) next.push(chunk[0]!);
        else {
          const r = stock({ inputs: chunk as never, backend: b, attrs }) as TensorInfo;
          temps.push(r);
          next.push(r);
        }
      }
      xs = next;
    }
    const out = stock({ inputs: xs as never, backend: b, attrs }) as TensorInfo;
    for (const t of temps) if (t.dataId !== out.dataId) (b as unknown as { disposeData(id: unknown): void }).disposeData(t.dataId);
    return out;
  };
  tf.unregisterKernel("AddN", "webgpu");
  tf.registerKernel({ kernelName: "AddN", backendName: "webgpu", kernelFunc: addN });
  return [`AddN (chunks of ${max} inputs)`, ...registerRank5Kernels()];
}

type T = import("@tensorflow/tfjs-core").Tensor;

/** x seen as [prod(before axis), n, prod(after axis)]. */
function around(x: T, axis: number): [number, number, number] {
  const s = x.shape;
  const prod = (a: number[]) => a.reduce((p, q) => p * q, 1);
  return [prod(s.slice(0, axis)), s[axis]!, prod(s.slice(axis + 1))];
}

/**
 * tfjs-backend-webgpu 4.22 fails on rank-5 tensors in four kernels the 3D U-Net uses (measured
 * against the cpu backend): Select (tf.where: "not yet supported"), Reverse (throws), PadV2 and
 * MirrorPad (WGSL that does not compile, then a silently wrong result). Rank <= 4 keeps the stock
 * kernel; above, the same result from rank <= 3 calls: Select on the flattened tensors, Reverse /
 * PadV2 / MirrorPad one axis at a time on [before, n, after] views (padding and reversal are
 * separable by axis, so the result is identical, element for element).
 */
function registerRank5Kernels(): string[] {
  const replace = (name: string, big: (inputs: Record<string, T>, attrs: Record<string, unknown>) => T) => {
    const stock = tf.getKernel(name, "webgpu")!.kernelFunc;
    const f: KernelFunc = (args) => {
      const ins = args.inputs as unknown as Record<string, T>;
      if (Object.values(ins).every((t) => t.shape.length <= 4)) return stock(args);
      return tf.tidy(() => big(ins, args.attrs as Record<string, unknown>)) as unknown as TensorInfo;
    };
    tf.unregisterKernel(name, "webgpu");
    tf.registerKernel({ kernelName: name, backendName: "webgpu", kernelFunc: f });
  };
  replace("Select", ({ condition, t, e }) => {
    const shape = t!.shape;
    if (condition!.shape.join() !== shape.join() || e!.shape.join() !== shape.join()) throw new Error(`Select (ummkd webgpu): rank > 4 needs equal shapes, got [${condition!.shape}], [${shape}], [${e!.shape}]`);
    return tf.reshape(tf.where(tf.reshape(condition!, [-1]), tf.reshape(t!, [-1]), tf.reshape(e!, [-1])), shape);
  });
  replace("Reverse", ({ x }, { dims }) => {
    const axes = (typeof dims === "number" ? [dims] : (dims as number[])).map((a) => (a < 0 ? a + x!.shape.length : a));
    let y = x!;
    for (const a of axes) y = tf.reshape(tf.reverse(tf.reshape(y, around(y, a)), 1), x!.shape);
    return y;
  });
  const padAxes = (x: T, paddings: [number, number][], pad: (y3: T, p: [number, number]) => T) => {
    let y = x;
    paddings.forEach((p, a) => {
      if (p[0] === 0 && p[1] === 0) return;
      const shape = y.shape.slice();
      shape[a] = shape[a]! + p[0] + p[1];
      y = tf.reshape(pad(tf.reshape(y, around(y, a)), p), shape);
    });
    return y;
  };
  replace("PadV2", ({ x }, { paddings, constantValue }) =>
    padAxes(x!, paddings as [number, number][], (y3, p) => tf.pad(y3, [[0, 0], p, [0, 0]], constantValue as number)),
  );
  replace("MirrorPad", ({ x }, { paddings, mode }) =>
    padAxes(x!, paddings as [number, number][], (y3, p) => tf.mirrorPad(y3, [[0, 0], p, [0, 0]], mode as "reflect" | "symmetric")),
  );
  return ["Select, Reverse, PadV2, MirrorPad (rank > 4 as rank <= 3 calls)", ...registerBroadcastKernels()];
}

/** Binary elementwise kernels of tfjs-backend-webgpu (all run its BinaryOpProgram). */
const BINARY_KERNELS = ["Add", "Sub", "Multiply", "RealDiv", "Maximum", "Minimum", "SquaredDifference", "Pow", "FloorDiv", "Mod", "Greater", "GreaterEqual", "Less", "LessEqual", "Equal", "NotEqual", "LogicalAnd", "LogicalOr", "Atan2"];

/**
 * Shapes of a broadcast binary op with runs of axes merged where both operands broadcast alike
 * (e.g. [1,8,16,16,5] + [5] -> [2048,5] + [1,5]); undefined when the shapes are equal.
 */
export function collapseBroadcast(a: number[], b: number[]): { a: number[]; b: number[]; out: number[] } | undefined {
  const r = Math.max(a.length, b.length);
  const pa = [...Array(r - a.length).fill(1), ...a] as number[];
  const pb = [...Array(r - b.length).fill(1), ...b] as number[];
  if (pa.join() === pb.join()) return undefined;
  const out = pa.map((d, i) => Math.max(d, pb[i]!));
  const res = { a: [] as number[], b: [] as number[], out: [] as number[] };
  let kind = "";
  out.forEach((o, i) => {
    const k = o === 1 ? "" : `${pa[i] === o ? 1 : 0}${pb[i] === o ? 1 : 0}`;
    // size-1 axes join any run; so does everything after leading size-1 axes (kind still "")
    if (res.out.length > 0 && (k === "" || k === kind || kind === "")) {
      const j = res.out.length - 1;
      res.a[j]! *= pa[i]!;
      res.b[j]! *= pb[i]!;
      res.out[j]! *= o;
    } else {
      res.a.push(pa[i]!);
      res.b.push(pb[i]!);
      res.out.push(o);
    }
    if (k !== "") kind = k;
  });
  return res;
}

/**
 * tfjs-backend-webgpu 4.22's BinaryOpProgram, broadcasting a vector over a rank-5 tensor (BN's
 * per-channel scale on an NDHWC activation), emits WGSL that indexes a vec5 struct and does not
 * compile (the op then yields garbage). Rank <= 4 or equal shapes: the stock kernel; else the
 * same kernel on shapes with the broadcast runs merged (rank 2 for that case), reshaped back.
 */
function registerBroadcastKernels(): string[] {
  const done: string[] = [];
  for (const name of BINARY_KERNELS) {
    const k = tf.getKernel(name, "webgpu");
    if (!k) continue;
    const stock = k.kernelFunc;
    const f: KernelFunc = (args) => {
      const { a, b } = args.inputs as unknown as { a: T; b: T };
      if (Math.max(a.shape.length, b.shape.length) <= 4) return stock(args);
      const c = collapseBroadcast(a.shape, b.shape);
      if (!c || c.out.length > 4) return stock(args);
      return tf.tidy(() => {
        const info = stock({ ...args, inputs: { a: tf.reshape(a, c.a), b: tf.reshape(b, c.b) } as never }) as TensorInfo;
        const outShape = [...Array(Math.max(a.shape.length, b.shape.length))].map((_, i, arr) => {
          const pa = a.shape[i - (arr.length - a.shape.length)] ?? 1, pb = b.shape[i - (arr.length - b.shape.length)] ?? 1;
          return Math.max(pa, pb);
        });
        return tf.reshape(tf.engine().makeTensorFromTensorInfo(info), outShape);
      }) as unknown as TensorInfo;
    };
    tf.unregisterKernel(name, "webgpu");
    tf.registerKernel({ kernelName: name, backendName: "webgpu", kernelFunc: f });
    done.push(name);
  }
  return done.length ? [`${done.length} binary kernels (rank-5 broadcasts on merged axes)`] : [];
}
