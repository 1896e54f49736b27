/**
 * One Adam training step, timed: the engine issue's benchmark (`ummkd bench train-step`).
 *
 * Networks:
 * - `dilated2d`: the paper's 2D network from `lib/models` (setting "ours" = Chilopod + KD), B images
 *   per modality of S x S x 3, loss = Dice+CE per modality + 0.5 KD + 1e-4 L2 (eq. 5), Adam lr 1e-4.
 * - `unet3d`: the 3D U-Net, same setting and loss, B patches per modality of S x S x D x 1.
 * - `placeholder`: the 3-layer net (3x3 convs 1->16->32->32, BN, LeakyReLU, 1x1 head to 5
 *   classes, softmax CE), B images of S x S x 1 (for engine work independent of lib/models).
 *
 * The same networks exist in PyTorch in `torch_train_step.py` (the peer).
 */
import { tf, type Tensor, type Tensor1D, type Tensor4D, type Variable } from "../engine/tf.ts";
import type { Scalar } from "@tensorflow/tfjs-core";
import { initEngine, batchNormTraining, fusedAdam, threadPolicy, adapterLabel, type EngineInfo } from "../engine/index.ts";
import { OptionError, oneOf } from "../util/errors.ts";
import { Rng } from "../util/rng.ts";
import { NORM_KINDS, type NetworkName, type NormKind } from "../models/types.ts";

export type BenchNetwork = "dilated2d" | "unet3d" | "placeholder";
export const BENCH_NETWORKS: readonly BenchNetwork[] = ["dilated2d", "unet3d", "placeholder"];

export interface TrainStepOptions {
  network: BenchNetwork;
  /** Channel width multiplier (dilated2d / unet3d). */
  width: number;
  /** Spatial size S (S x S images; S x S x depth patches for unet3d). */
  size: number;
  /** unet3d patch depth (default 8). */
  depth?: number;
  /** Images (patches) per modality. */
  batch: number;
  /** Timed steps (the median is reported). */
  steps: number;
  /** Untimed steps first (kernel setup, allocation). */
  warmup: number;
  /** Aggregate per-kernel times over one extra step (tf.profile). */
  profile?: boolean;
  /** "fused" (lib/engine fusedAdam, default) or "tfjs" (tf.train.adam); the same update. */
  optimizer?: "fused" | "tfjs";
  /** Normalization family of dilated2d / unet3d (Table V); default "batch". */
  norm?: NormKind;
}

export interface KernelTime {
  kernel: string;
  ms: number;
  calls: number;
}

export interface TrainStepResult {
  impl: "ummkd";
  backend: string;
  backendReason: string;
  threads: number;
  /** How the thread count was chosen (the native auto governor reports the counts it used). */
  thread_policy: string;
  network: BenchNetwork;
  width: number;
  size: number;
  batch: number;
  optimizer: "fused" | "tfjs";
  norm: NormKind;
  /** Median over the timed steps. */
  ms_per_step: number;
  ms_steps: number[];
  /**
   * Median CPU time of this process per timed step (user + system, process.cpuUsage): on a
   * shared machine it is far less disturbed by other processes than the wall time, and at one
   * thread it is the wall time the step would take alone (plus V8's GC helper threads).
   */
  cpu_ms_per_step: number;
  params: number;
  loss: number;
  /** Tensors left behind per step (should be 0). */
  tensor_leak_per_step: number;
  /** Per-kernel totals of one profiled step (nested kernels of composite kernels counted too). */
  profile?: KernelTime[];
  /** The WebGPU adapter on backend webgpu, e.g. "llvmpipe-... (opengl, compatibility, software rendering)". */
  adapter?: string;
}

interface StepModel {
  params: number;
  vars: Variable[];
  loss: () => Scalar;
  dispose: () => void;
}

function randn(rng: Rng, shape: number[]): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal();
  return tf.tensor(a, shape);
}
function randLabels(rng: Rng, shape: number[], k: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.int(k);
  return tf.tensor(a, shape, "int32");
}

function placeholderModel(o: TrainStepOptions, rng: Rng): StepModel {
  const K = 5;
  const w = (shape: number[]) => tf.variable(tf.mul(randn(rng, shape), 0.1));
  const convs = [w([3, 3, 1, 16]), w([3, 3, 16, 32]), w([3, 3, 32, 32])];
  const gammas = [16, 32, 32].map((c) => tf.variable(tf.ones([c])));
  const betas = [16, 32, 32].map((c) => tf.variable(tf.zeros([c])));
  const head = w([1, 1, 32, K]);
  const x = randn(rng, [o.batch, o.size, o.size, 1]);
  const y = tf.oneHot(randLabels(rng, [o.batch, o.size, o.size], K), K);
  const vars = [...convs, ...gammas, ...betas, head];
  return {
    params: vars.reduce((a, v) => a + v.size, 0),
    vars,
    loss: () => {
      let h: Tensor = x;
      for (let i = 0; i < 3; i++) {
        h = tf.conv2d(h as Tensor4D, convs[i] as unknown as Tensor4D, 1, "same");
        h = tf.leakyRelu(batchNormTraining(h, gammas[i] as unknown as Tensor1D, betas[i] as unknown as Tensor1D, 1e-3).y, 0.2);
      }
      const logits = tf.conv2d(h as Tensor4D, head as unknown as Tensor4D, 1, "valid");
      return tf.losses.softmaxCrossEntropy(y, logits) as Scalar;
    },
    dispose: () => tf.dispose([...vars, x, y]),
  };
}

async function paperModel(o: TrainStepOptions, rng: Rng): Promise<StepModel> {
  const { buildModel } = await import("../models/index.ts");
  const { defaultEta, DEFAULT_ALPHA } = await import("../losses/index.ts");
  const { realLosses, stepLoss, stepSeed } = await import("../train/index.ts");
  const net = buildModel({ network: o.network as NetworkName, setting: "ours", width: o.width, seed: 1, norm: o.norm ?? "batch" });
  const K = net.options.numClasses;
  // unet3d is D-first (NDHWC, D = the slice axis of the notes' [3,3,1] kernels): [depth, S, S]
  const spatial = o.network === "unet3d" ? [o.depth ?? 8, o.size, o.size] : [o.size, o.size];
  const xs = [0, 1].map(() => randn(rng, [o.batch, ...spatial, net.options.inChannels]));
  const ys = [0, 1].map(() => randLabels(rng, [o.batch, ...spatial], K));
  const vars = net.trainableVariables();
  const losses = realLosses();
  let step = 0;
  return {
    params: net.countParams(),
    vars,
    // the trainer's graph (lib/train/step-loss.ts): applyPair, segmentation + KD + L2, eq. 5 by totalLoss
    loss: () =>
      stepLoss(net, losses, { x: xs[0]!, y: ys[0]! }, { x: xs[1]!, y: ys[1]! }, {
        alpha: DEFAULT_ALPHA, eta: defaultEta(o.network as NetworkName), temperature: 2, absentClass: "uniform", dropoutSeed: stepSeed(1, step++, 0),
      }).total,
    dispose: () => {
      net.dispose();
      tf.dispose([...xs, ...ys]);
    },
  };
}

/** Validate options (errors name the flag). */
export function checkTrainStepOptions(o: TrainStepOptions): TrainStepOptions {
  oneOf("--network", o.network, BENCH_NETWORKS);
  const pos = (name: string, v: number, int = true) => {
    if (!(v > 0) || !Number.isFinite(v) || (int && !Number.isInteger(v))) throw new OptionError(`--${name}`, v, int ? "a positive integer" : "a positive number");
  };
  pos("width", o.width, false);
  pos("size", o.size);
  pos("batch", o.batch);
  pos("steps", o.steps);
  if (o.optimizer !== undefined) oneOf("--optimizer", o.optimizer, ["fused", "tfjs"] as const);
  if (o.norm !== undefined) oneOf("--norm", o.norm, NORM_KINDS);
  if (o.norm !== undefined && o.norm !== "batch" && o.network === "placeholder") throw new OptionError("--norm", o.norm, "batch for --network placeholder (its BN is fixed)");
  if (!(Number.isInteger(o.warmup) && o.warmup >= 0)) throw new OptionError("--warmup", o.warmup, "an integer >= 0");
  if (o.network !== "placeholder" && o.size % 8 !== 0) throw new OptionError("--size", o.size, "a multiple of 8 (three 2x poolings)");
  return o;
}

/**
 * Build the network and data, run `warmup` + `steps` Adam steps and report the median step time.
 * @throws OptionError on bad options
 */
export async function benchTrainStep(opts: TrainStepOptions): Promise<TrainStepResult> {
  const o = checkTrainStepOptions(opts);
  const info: EngineInfo = await initEngine();
  const rng = new Rng(7);
  const model = o.network === "placeholder" ? placeholderModel(o, rng) : await paperModel(o, rng);
  const opt = (o.optimizer ?? "fused") === "fused" ? fusedAdam(1e-4) : tf.train.adam(1e-4);
  let lastLoss = NaN;
  // the loss is read asynchronously: on webgpu that waits for the device (a step's true time),
  // and a synchronous read is impossible there (no OffscreenCanvas in Node)
  const step = async () => {
    const cost = opt.minimize(model.loss, true, model.vars);
    lastLoss = (await cost!.data())[0]!;
    cost!.dispose();
  };
  for (let i = 0; i < o.warmup; i++) await step();
  const before = tf.memory().numTensors;
  const times: number[] = [], cpuTimes: number[] = [];
  for (let i = 0; i < o.steps; i++) {
    const t = performance.now(), c = process.cpuUsage();
    await step();
    times.push(performance.now() - t);
    const dc = process.cpuUsage(c);
    cpuTimes.push((dc.user + dc.system) / 1000);
  }
  const leak = (tf.memory().numTensors - before) / o.steps;
  let profile: KernelTime[] | undefined;
  if (o.profile) {
    const p = await tf.profile(() => step());
    const agg = new Map<string, KernelTime>();
    for (const k of p.kernels) {
      const e = agg.get(k.name) ?? { kernel: k.name, ms: 0, calls: 0 };
      e.ms += typeof k.kernelTimeMs === "number" ? k.kernelTimeMs : 0;
      e.calls++;
      agg.set(k.name, e);
    }
    profile = [...agg.values()].sort((a, b) => b.ms - a.ms).map((e) => ({ ...e, ms: Math.round(e.ms * 10) / 10 }));
  }
  const sorted = [...times].sort((a, b) => a - b);
  const cpuSorted = [...cpuTimes].sort((a, b) => a - b);
  const res: TrainStepResult = {
    impl: "ummkd",
    backend: info.backend,
    backendReason: info.reason,
    threads: info.threads,
    thread_policy: threadPolicy() ?? "",
    network: o.network,
    width: o.width,
    size: o.size,
    batch: o.batch,
    optimizer: o.optimizer ?? "fused",
    norm: o.norm ?? "batch",
    ms_per_step: Math.round(sorted[Math.floor(sorted.length / 2)]! * 10) / 10,
    ms_steps: times.map((t) => Math.round(t * 10) / 10),
    cpu_ms_per_step: Math.round(cpuSorted[Math.floor(cpuSorted.length / 2)]! * 10) / 10,
    params: model.params,
    loss: lastLoss,
    tensor_leak_per_step: leak,
    ...(profile ? { profile } : {}),
    ...(info.adapter ? { adapter: adapterLabel(info.adapter) } : {}),
  };
  opt.dispose();
  model.dispose();
  return res;
}

export interface ThreadScalingOptions extends TrainStepOptions {
  /** Thread counts of the native engine, alternated step by step in this one process (e.g. [1, 2]). */
  threadCounts: number[];
}

/** Per thread count: step time, time inside and outside kernels, and each kernel's time per step. */
export interface ThreadScalingResult {
  impl: "ummkd";
  backend: string;
  network: BenchNetwork;
  norm: NormKind;
  width: number;
  size: number;
  batch: number;
  steps: number;
  byThreads: Array<{
    threads: number;
    /** Wall time of each timed step. */
    ms_steps: number[];
    ms_median: number;
    /** Median over steps of the time spent inside top-level kernel calls. */
    kernel_ms_median: number;
    /** Median over steps of (step time - kernel time): JS between kernels, GC, tape bookkeeping. */
    outside_ms_median: number;
    /** Each kernel's time per step (median over steps) and its calls per step. */
    kernels: KernelTime[];
  }>;
}

/**
 * Where a second thread helps and where it does not (the engine issue's item 5): the same training
 * step as {@link benchTrainStep}, on the native engine, with the thread count switched before each
 * step in turn (1, 2, 1, 2, ...), so that every count sees the same machine state however it drifts.
 * Every top-level kernel call is timed (a kernel run from inside another counts in its caller), which
 * splits the step into time in kernels (per kernel) and time between them.
 * @throws Error when the engine is not the native one (its thread count is fixed elsewhere)
 */
export async function benchThreadScaling(opts: ThreadScalingOptions): Promise<ThreadScalingResult> {
  const o = checkTrainStepOptions(opts);
  const info: EngineInfo = await initEngine();
  if (info.backend !== "native") throw new Error(`bench thread-scaling needs the native engine (got ${info.backend}: ${info.reason})`);
  const counts = opts.threadCounts;
  if (counts.length === 0 || counts.some((n) => !Number.isInteger(n) || n < 1)) throw new OptionError("--threads", counts.join(","), "a list of positive integers");
  const { setNativeThreads } = await import("../engine/native/index.ts");
  const rng = new Rng(7);
  const model = o.network === "placeholder" ? placeholderModel(o, rng) : await paperModel(o, rng);
  const opt = fusedAdam(1e-4);
  const step = () => {
    const cost = opt.minimize(model.loss, true, model.vars);
    cost!.dataSync();
    cost!.dispose();
  };
  // time every top-level kernel call of the native backend
  const perKernel = new Map<string, { ms: number; calls: number }>();
  let depth = 0, inKernels = 0;
  const originals = tf.getKernelsForBackend("native");
  for (const cfg of originals) {
    const f = cfg.kernelFunc;
    tf.unregisterKernel(cfg.kernelName, "native");
    tf.registerKernel({
      ...cfg,
      kernelFunc: (args) => {
        const t = performance.now();
        depth++;
        try {
          return f(args);
        } finally {
          depth--;
          if (depth === 0) {
            const d = performance.now() - t;
            inKernels += d;
            const e = perKernel.get(cfg.kernelName) ?? { ms: 0, calls: 0 };
            e.ms += d;
            e.calls++;
            perKernel.set(cfg.kernelName, e);
          }
        }
      },
    });
  }
  try {
    for (let i = 0; i < o.warmup; i++) for (const n of counts) {
      setNativeThreads(n);
      step();
    }
    const acc = counts.map(() => ({ wall: [] as number[], kern: [] as number[], kernels: new Map<string, { ms: number[]; calls: number }>() }));
    for (let i = 0; i < o.steps; i++) {
      counts.forEach((n, j) => {
        setNativeThreads(n);
        perKernel.clear();
        inKernels = 0;
        const t = performance.now();
        step();
        const a = acc[j]!;
        a.wall.push(performance.now() - t);
        a.kern.push(inKernels);
        for (const [k, v] of perKernel) {
          const e = a.kernels.get(k) ?? { ms: [], calls: v.calls };
          e.ms.push(v.ms);
          a.kernels.set(k, e);
        }
      });
    }
    const med = (a: number[]) => {
      const s = [...a].sort((x, y) => x - y);
      return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
    };
    const r1 = (x: number) => Math.round(x * 10) / 10;
    const r2 = (x: number) => Math.round(x * 100) / 100;
    return {
      impl: "ummkd",
      backend: info.backend,
      network: o.network,
      norm: o.norm ?? "batch",
      width: o.width,
      size: o.size,
      batch: o.batch,
      steps: o.steps,
      byThreads: counts.map((n, j) => {
        const a = acc[j]!;
        // a kernel absent from some steps counts 0 there
        const kernels = [...a.kernels.entries()].map(([kernel, e]) => ({ kernel, ms: r2(med([...e.ms, ...Array(o.steps - e.ms.length).fill(0)])), calls: e.calls }));
        return {
          threads: n,
          ms_steps: a.wall.map(r1),
          ms_median: r1(med(a.wall)),
          kernel_ms_median: r1(med(a.kern)),
          outside_ms_median: r1(med(a.wall.map((w, i) => w - a.kern[i]!))),
          kernels: kernels.sort((x, y) => y.ms - x.ms),
        };
      }),
    };
  } finally {
    for (const cfg of originals) {
      tf.unregisterKernel(cfg.kernelName, "native");
      tf.registerKernel(cfg);
    }
    opt.dispose();
    model.dispose();
  }
}
