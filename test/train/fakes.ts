/**
 * Test doubles for the trainer: a tiny 2D network implementing `SegmentationNetwork` (a shared
 * 3x3 conv, per-modality batch norm with moving statistics, seeded dropout, a shared 1x1 head)
 * and deterministic, resumable batch sources.
 */
import { tf, type Tensor, type Tensor4D, type Variable } from "../../lib/engine/index.ts";
import type { ApplyOptions, Modality, ModelOptions, SegmentationNetwork } from "../../lib/models/types.ts";
import { Rng } from "../../lib/util/rng.ts";
import type { Batch, BatchSource } from "../../lib/train/types.ts";

export class TinyNet implements SegmentationNetwork {
  readonly options: Required<ModelOptions>;
  private w1: Variable;
  private w2: Variable;
  private b2: Variable;
  private gamma: Variable[];
  private beta: Variable[];
  private movMean: Variable[];
  private movVar: Variable[];
  constructor(opts: Partial<ModelOptions> & { features?: number } = {}) {
    const K = opts.numClasses ?? 4;
    const C = opts.inChannels ?? 3;
    const F = opts.features ?? 6;
    this.options = {
      network: "dilated2d",
      setting: opts.setting ?? "ours",
      width: 1,
      norm: "batch",
      numClasses: K,
      inChannels: C,
      seed: opts.seed ?? 0,
      dropout: opts.dropout ?? 0.25,
    } as Required<ModelOptions>;
    const rng = new Rng(this.options.seed);
    const init = (shape: number[], scale: number) => {
      const n = shape.reduce((a, b) => a * b, 1);
      return tf.tensor(Float32Array.from({ length: n }, () => rng.normal() * scale), shape);
    };
    // Inside tidy: the initial-value tensors are freed, the variables survive.
    [this.w1, this.w2, this.b2, this.gamma, this.beta, this.movMean, this.movVar] = tf.tidy(() => [
      tf.variable(init([3, 3, C, F], 0.3), true, "tiny/w1"),
      tf.variable(init([1, 1, F, K], 0.3), true, "tiny/w2"),
      tf.variable(tf.zeros([K]), true, "tiny/b2"),
      [0, 1].map((m) => tf.variable(tf.ones([F]), true, `tiny/bn${m}/gamma`)),
      [0, 1].map((m) => tf.variable(tf.zeros([F]), true, `tiny/bn${m}/beta`)),
      [0, 1].map((m) => tf.variable(tf.zeros([F]), false, `tiny/bn${m}/moving_mean`)),
      [0, 1].map((m) => tf.variable(tf.ones([F]), false, `tiny/bn${m}/moving_var`)),
    ]) as unknown as [Variable, Variable, Variable, Variable[], Variable[], Variable[], Variable[]];
  }
  apply(x: Tensor, modality: Modality, training: boolean, opts: ApplyOptions = {}): Tensor {
    return tf.tidy(() => {
      let h: Tensor = tf.conv2d(x as Tensor4D, this.w1 as unknown as Tensor4D, 1, "same");
      let mean: Tensor;
      let variance: Tensor;
      if (training) {
        const mo = tf.moments(h, [0, 1, 2]);
        mean = mo.mean;
        variance = mo.variance;
        const mm = this.movMean[modality]!;
        const mv = this.movVar[modality]!;
        mm.assign(tf.add(tf.mul(mm, 0.9), tf.mul(mean, 0.1)));
        mv.assign(tf.add(tf.mul(mv, 0.9), tf.mul(variance, 0.1)));
      } else {
        mean = this.movMean[modality]!;
        variance = this.movVar[modality]!;
      }
      h = tf.batchNorm(h, mean, variance, this.beta[modality]!, this.gamma[modality]!, 1e-3);
      h = tf.relu(h);
      if (training && this.options.dropout > 0) h = tf.dropout(h, this.options.dropout, undefined, opts.dropoutSeed);
      return tf.add(tf.conv2d(h as Tensor4D, this.w2 as unknown as Tensor4D, 1, "same"), this.b2);
    });
  }
  applyPair(xA: Tensor, xB: Tensor, training: boolean, opts: ApplyOptions = {}): [Tensor, Tensor] {
    // Per-modality normalization everywhere, so the pair is two independent calls; derive a
    // distinct dropout seed for the second modality.
    const s = opts.dropoutSeed;
    return [this.apply(xA, 0, training, { dropoutSeed: s }), this.apply(xB, 1, training, { dropoutSeed: s === undefined ? undefined : (s ^ 0x5bd1e995) >>> 0 })];
  }
  trainableVariables(): Variable[] {
    return [this.w1, this.w2, this.b2, ...this.gamma, ...this.beta];
  }
  regularizedVariables(): Variable[] {
    return [this.w1, this.w2];
  }
  countParams(): number {
    return this.trainableVariables().reduce((a, v) => a + v.size, 0);
  }
  getState(): Map<string, Tensor> {
    const all = [...this.trainableVariables(), ...this.movMean, ...this.movVar];
    return new Map(all.map((v) => [v.name, v as Tensor]));
  }
  setState(state: Map<string, Tensor>): void {
    for (const v of [...this.trainableVariables(), ...this.movMean, ...this.movVar]) {
      const t = state.get(v.name);
      if (!t) throw new Error(`missing ${v.name}`);
      v.assign(t);
    }
  }
  dispose(): void {
    tf.dispose([...this.trainableVariables(), ...this.movMean, ...this.movVar]);
  }
}

function hash(...xs: number[]): number {
  let h = 0x811c9dc5;
  for (const x of xs) h = Math.imul(h ^ (x >>> 0), 16777619) >>> 0;
  return h;
}

/**
 * One synthetic sample: labels are 0 background plus up to K-1 rectangles; CT intensity rises
 * with the class, MRI falls with it (so the two modalities need different normalization).
 */
export function synthSample(rng: Rng, modality: Modality, size: number, K: number, channels: number): { x: Float32Array; y: Uint8Array } {
  const y = new Uint8Array(size * size);
  for (let c = 1; c < K; c++) {
    const h = 2 + rng.int(size / 2);
    const w = 2 + rng.int(size / 2);
    const r0 = rng.int(size - h);
    const c0 = rng.int(size - w);
    for (let r = r0; r < r0 + h; r++) for (let q = c0; q < c0 + w; q++) y[r * size + q] = c;
  }
  const x = new Float32Array(size * size * channels);
  for (let i = 0; i < size * size; i++) {
    const base = modality === 0 ? y[i]! : K - 1 - y[i]!;
    for (let ch = 0; ch < channels; ch++) x[i * channels + ch] = base + 0.3 * rng.normal();
  }
  return { x, y };
}

/** Deterministic resumable source: batch n of modality m is a pure function of (seed, m, n). */
export class CounterSource implements BatchSource {
  counters: [number, number] = [0, 0];
  constructor(
    readonly seed: number,
    readonly size = 16,
    readonly K = 4,
    readonly channels = 3,
    /** Return a batch with NaN input at this (1-based) draw of modality 0. */
    readonly nanAtDraw?: number,
    /** Emit 3D blocks [B, channels, S, S, 1] (labels replicated along depth). */
    readonly depth = false,
  ) {}
  next(modality: Modality, batchSize: number): Batch {
    const n = this.counters[modality]++;
    const rng = new Rng(hash(this.seed, modality, n));
    const S = this.size;
    const x = new Float32Array(batchSize * S * S * this.channels);
    const y = new Uint8Array(batchSize * S * S);
    for (let b = 0; b < batchSize; b++) {
      const s = synthSample(rng, modality, S, this.K, this.channels);
      x.set(s.x, b * S * S * this.channels);
      y.set(s.y, b * S * S);
    }
    if (modality === 0 && this.nanAtDraw !== undefined && n + 1 === this.nanAtDraw) x.fill(NaN);
    if (this.depth) {
      // 3D: `channels` is read as the block depth D; x [B, D, S, S, 1] (slice d = channel d).
      const D = this.channels;
      const x3 = new Float32Array(x.length);
      const y3 = new Uint8Array(batchSize * D * S * S);
      for (let b = 0; b < batchSize; b++)
        for (let d = 0; d < D; d++)
          for (let p = 0; p < S * S; p++) {
            x3[((b * D + d) * S * S + p)] = x[(b * S * S + p) * D + d]!;
            y3[(b * D + d) * S * S + p] = y[b * S * S + p]!;
          }
      return { x: x3, xShape: [batchSize, D, S, S, 1], y: y3, yShape: [batchSize, D, S, S] };
    }
    return { x, xShape: [batchSize, S, S, this.channels], y, yShape: [batchSize, S, S] };
  }
  state(): unknown {
    return { counters: [...this.counters] };
  }
  restore(state: unknown): void {
    const s = state as { counters: [number, number] };
    this.counters = [s.counters[0], s.counters[1]];
  }
}

/** Always returns the same batch per modality (for the overfit test). */
export class FixedSource implements BatchSource {
  private batches: [Batch, Batch];
  constructor(seed: number, batchSize: number, size = 16, K = 4) {
    const src = new CounterSource(seed, size, K);
    this.batches = [src.next(0, batchSize), src.next(1, batchSize)];
  }
  next(modality: Modality): Batch {
    return this.batches[modality];
  }
  state(): unknown {
    return {};
  }
  restore(): void {}
}
