/**
 * Benchmark of the native engine's kernels (issue 7) against PyTorch CPU in the same run:
 * convolution forward / backward-data / backward-weights (2D: 8x64x64x32 -> 32, 3x3, 'same';
 * 3D: 1x32x32x32x16 -> 16, 3x3x3) and batch-norm training forward + backward (8x64x64x32), at 1
 * and 2 threads. Native times go through tfjs (`engine().runKernel` on the `native` backend, i.e.
 * what a training step pays, output allocation included); `native_addon_ms` is the bare addon
 * call into a preallocated buffer. PyTorch (Debian python3-torch via /usr/bin/python3,
 * `lib/bench/torch_native_kernels.py`) is timed in NCHW and channels-last; the ratio uses the
 * faster of the two. Medians (and minima, steadier on a shared machine) over REPS calls after warm-up.
 *
 * Writes results/bench/native_kernels.csv atomically. Run: `npx tsx lib/bench/native.bench.ts`
 * (or through `npm run bench`). On a shared machine the timings are noisy.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { pathToFileURL } from "node:url";
import type { backend_util } from "@tensorflow/tfjs-core";
import { tf, type Tensor } from "../engine/tf.ts";
import { loadNative, loadAddon, setNativeThreads } from "../engine/native/index.ts";
import { convParams2D, convParams3D } from "../engine/native/conv.ts";
import { bnParams } from "../engine/native/bnorm.ts";
import { writeFileAtomic } from "../util/atomic.ts";
import { Rng } from "../util/rng.ts";

const REPS = Number(process.env.UMMKD_BENCH_REPS ?? 20);
const THREADS = [1, 2];
const OUT = "results/bench/native_kernels.csv";
const PY = "/usr/bin/python3";

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** [median, min] in ms over `reps` calls after 3 warm-up calls. */
function time(fn: () => void, reps = REPS): [number, number] {
  for (let i = 0; i < 3; i++) fn();
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    ts.push(performance.now() - t0);
  }
  return [median(ts), Math.min(...ts)];
}

function randn(rng: Rng, shape: number[]): Tensor {
  const v = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < v.length; i++) v[i] = rng.normal();
  return tf.tensor(v, shape);
}

interface Row { kernel: string; shape: string; threads: number; native_ms: number; native_min_ms: number; native_addon_ms: number; impl: string }

/** Times the native kernels at the current thread count. */
function nativeRows(threads: number): Row[] {
  const a = loadAddon();
  if ("reason" in a) throw new Error(a.reason);
  const addon = a.addon;
  const rng = new Rng(1);
  const rows: Row[] = [];
  const run = (name: string, inputs: Record<string, Tensor>, attrs: Record<string, unknown>) => () => {
    const out = tf.engine().runKernel(name, inputs, attrs as never);
    tf.dispose(out as Tensor | Tensor[]);
  };
  const conv = (nd: 2 | 3) => {
    const xs = nd === 2 ? [8, 64, 64, 32] : [1, 32, 32, 32, 16];
    const fs = nd === 2 ? [3, 3, 32, 32] : [3, 3, 3, 16, 16];
    const x = randn(rng, xs), w = randn(rng, fs), dy = randn(rng, xs);
    const strides = Array(nd).fill(1);
    const shape = `${xs.join("x")}->${fs[fs.length - 1]} k${fs.slice(0, nd).join("x")}`;
    const info = nd === 2
      ? tf.backend_util.computeConv2DInfo(xs as [number, number, number, number], fs as [number, number, number, number], 1, 1, "same", undefined, false, "channelsLast")
      : tf.backend_util.computeConv3DInfo(xs as [number, number, number, number, number], fs as [number, number, number, number, number], 1, 1, "same");
    const fmt = nd === 2 ? "NHWC" : "NDHWC";
    const cases = [
      ["fwd", nd === 2 ? "Conv2D" : "Conv3D", { x, filter: w }, { strides, pad: "same", dataFormat: fmt, dilations: 1 }, 0, x, w, dy],
      ["bwd_data", nd === 2 ? "Conv2DBackpropInput" : "Conv3DBackpropInputV2", { dy, filter: w }, { strides, pad: "same", dataFormat: fmt, inputShape: xs }, 1, dy, w, x],
      ["bwd_weights", nd === 2 ? "Conv2DBackpropFilter" : "Conv3DBackpropFilterV2", { x, dy }, { strides, pad: "same", dataFormat: fmt, filterShape: fs }, 2, x, dy, w],
    ] as const;
    for (const [tag, kname, inputs, attrs, kind, ta, tb, tout] of cases) {
      const p = nd === 2 ? convParams2D(kind, info as backend_util.Conv2DInfo) : convParams3D(kind, info as backend_util.Conv3DInfo);
      const av = ta.dataSync() as Float32Array, bv = tb.dataSync() as Float32Array, ov = new Float32Array(tout.size);
      const [med, min] = time(run(kname, inputs as Record<string, Tensor>, attrs));
      rows.push({
        kernel: `conv${nd}d_${tag}`, shape, threads, native_ms: med, native_min_ms: min,
        native_addon_ms: time(() => addon.conv(p, av, bv, ov, null, 0))[0],
        impl: addon.convImpl(p, 0),
      });
    }
    tf.dispose([x, w, dy]);
  };
  conv(2);
  conv(3);
  // Batch norm training forward + backward.
  const xs = [8, 64, 64, 32];
  const x = randn(rng, xs), dy = randn(rng, xs), g = tf.ones([32]), b = tf.zeros([32]);
  const p = bnParams(xs);
  const xv = x.dataSync() as Float32Array, dyv = dy.dataSync() as Float32Array, gv = g.dataSync() as Float32Array, bv = b.dataSync() as Float32Array;
  const y = new Float32Array(xv.length), dx = new Float32Array(xv.length), m = new Float32Array(32), v = new Float32Array(32), dg = new Float32Array(32), db = new Float32Array(32);
  const [bnMed, bnMin] = time(() => {
    const [yt, mt, vt] = tf.engine().runKernel("UmmkdBatchNormTrain", { x, gamma: g, beta: b }, { epsilon: 1e-3 } as never) as Tensor[];
    const outs = tf.engine().runKernel("UmmkdBatchNormTrainGrad", { dy, x, gamma: g, mean: mt!, variance: vt! }, { epsilon: 1e-3 } as never) as Tensor[];
    tf.dispose([yt!, mt!, vt!, ...outs]);
  });
  rows.push({
    kernel: "batchnorm_train_fwd_bwd", shape: xs.join("x"), threads, native_ms: bnMed, native_min_ms: bnMin,
    native_addon_ms: time(() => {
      addon.bnTrain(p, 1e-3, xv, gv, bv, y, m, v);
      addon.bnTrainGrad(p, 1e-3, dyv, xv, gv, m, v, dx, dg, db);
    })[0],
    impl: "oneDNN batch_normalization",
  });
  tf.dispose([x, dy, g, b]);
  return rows;
}

type TorchRow = { kernel: string; layout: string; threads: number; ms: number; min_ms: number };

function torchRows(threads: number): TorchRow[] {
  if (!existsSync(PY)) return [];
  try {
    const out = execFileSync(PY, ["lib/bench/torch_native_kernels.py", "--threads", String(threads), "--reps", String(REPS)], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
    return out.trim().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as TorchRow);
  } catch (e) {
    console.warn(`native bench: PyTorch peer failed (${(e as Error).message.split("\n")[0]}); torch columns left empty`);
    return [];
  }
}

/** Runs the benchmark and writes results/bench/native_kernels.csv. */
export async function bench(): Promise<void> {
  const r = await loadNative();
  if (!r.ok) {
    console.log(`native kernels bench skipped: ${r.reason}`);
    return;
  }
  const prevBackend = tf.getBackend();
  await tf.setBackend("native");
  const lines: string[] = ["kernel,shape,threads,native_ms,native_min_ms,native_addon_ms,torch_ms,torch_min_ms,torch_layout,torch_nchw_ms,torch_channels_last_ms,native_over_torch,native_over_torch_min,impl,isa,cpu,load1,note"];
  const cpu = (cpus()[0]?.model ?? "unknown").replace(/,/g, " ");
  try {
    for (const t of THREADS) {
      setNativeThreads(t);
      const nat = nativeRows(t);
      const tor = torchRows(t);
      for (const n of nat) {
        const nchw = tor.find((x) => x.kernel === n.kernel && x.layout === "nchw")?.ms;
        const cl = tor.find((x) => x.kernel === n.kernel && x.layout === "channels_last")?.ms;
        const best = nchw !== undefined && cl !== undefined ? Math.min(nchw, cl) : (nchw ?? cl);
        const layout = best === undefined ? "" : best === nchw ? "nchw" : "channels_last";
        const ratio = best === undefined ? "" : (n.native_ms / best).toFixed(3);
        const mins = tor.filter((x) => x.kernel === n.kernel).map((x) => x.min_ms);
        const torchMin = mins.length ? Math.min(...mins) : undefined;
        const ratioMin = torchMin === undefined ? "" : (n.native_min_ms / torchMin).toFixed(3);
        lines.push([n.kernel, n.shape, t, n.native_ms.toFixed(3), n.native_min_ms.toFixed(3), n.native_addon_ms.toFixed(3), best?.toFixed(3) ?? "", torchMin?.toFixed(3) ?? "", layout, nchw?.toFixed(3) ?? "", cl?.toFixed(3) ?? "", ratio, ratioMin, n.impl, r.isa, cpu, loadavg()[0]!.toFixed(2), "shared machine: noisy; min is steadier"].join(","));
        console.log(`native ${n.kernel} ${n.shape} t=${t}: ${n.native_ms.toFixed(2)} ms (min ${n.native_min_ms.toFixed(2)}), torch ${best?.toFixed(2) ?? "-"} ms (${layout}; min ${torchMin?.toFixed(2) ?? "-"}), ratio ${ratio || "-"} (min ${ratioMin || "-"}) [${n.impl}]`);
      }
    }
  } finally {
    setNativeThreads(r.threads);
    if (prevBackend) await tf.setBackend(prevBackend);
  }
  writeFileAtomic(OUT, lines.join("\n") + "\n");
  console.log(`native kernels bench -> ${OUT}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  bench().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
