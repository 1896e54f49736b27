/**
 * Precise BN (lib/train/precise-bn.ts): the recomputed moving statistics are the mean and
 * population variance of each batch-norm layer's inputs over the drawn batches. Oracles: a
 * one-layer hand case (values worked out on paper), and on a real tiny 3D U-Net the first layer's
 * input recomputed independently (tf.conv3d of the patches with the stored kernel, float64 sums
 * in plain JS), every layer against float64 sums of the inputs recorded by a separate forward.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { initEngine, tf, type Tensor, type Tensor5D } from "../../lib/engine/index.ts";
import { buildModel } from "../../lib/models/index.ts";
import type { ApplyOptions, Modality, ModelOptions, SegmentationNetwork } from "../../lib/models/types.ts";
import { channelMoments, recomputeNormStatistics, setNormStatistics } from "../../lib/train/precise-bn.ts";
import type { Batch, BatchSource } from "../../lib/train/types.ts";
import { OptionError } from "../../lib/util/errors.ts";
import { Rng } from "../../lib/util/rng.ts";

beforeAll(async () => {
  await initEngine();
});

/** A source replaying fixed patches per modality ([D, H, W] values, one channel), cyclically. */
class ListSource implements BatchSource {
  private k: [number, number] = [0, 0];
  constructor(private readonly patches: [number[][], number[][]], private readonly shape: number[]) {}
  next(m: Modality, batchSize: number): Batch {
    const vox = this.shape.reduce((a, b) => a * b, 1);
    const x = new Float32Array(batchSize * vox);
    for (let b = 0; b < batchSize; b++) x.set(this.patches[m][this.k[m]++ % this.patches[m].length]!, b * vox);
    return { x, xShape: [batchSize, ...this.shape, 1], y: new Uint8Array(batchSize * vox), yShape: [batchSize, ...this.shape] };
  }
  state(): unknown {
    return { k: [...this.k] };
  }
  restore(): void {}
}

/**
 * A one-layer "network": its only batch norm ("bn") sees the input itself, per modality
 * ("bn/moving_mean/ct" ...) and, as a shared layer, both modalities concatenated ("shared").
 */
class OneLayer implements SegmentationNetwork {
  readonly options = { norm: "batch", setting: "chilopod" } as Required<ModelOptions>;
  state = new Map<string, Tensor>(
    ["bn/moving_mean/ct", "bn/moving_mean/mri", "shared/moving_mean", "bn/moving_variance/ct", "bn/moving_variance/mri", "shared/moving_variance", "w"].map((n) => [
      n,
      tf.keep(tf.tensor([n.includes("variance") ? 1 : n === "w" ? 42 : 0])),
    ]),
  );
  apply(x: Tensor, m: Modality, _t: boolean, o: ApplyOptions = {}): Tensor {
    o.onNormInput?.("bn", m, x);
    return tf.clone(x);
  }
  applyPair(a: Tensor, b: Tensor, _t: boolean, o: ApplyOptions = {}): [Tensor, Tensor] {
    o.onNormInput?.("bn", 0, a);
    o.onNormInput?.("bn", 1, b);
    o.onNormInput?.("shared", null, tf.concat([a, b], 0));
    return [tf.clone(a), tf.clone(b)];
  }
  trainableVariables() {
    return [];
  }
  regularizedVariables() {
    return [];
  }
  countParams() {
    return 0;
  }
  getState() {
    return new Map([...this.state].map(([n, t]) => [n, t.clone()]));
  }
  setState(s: Map<string, Tensor>) {
    tf.dispose([...this.state.values()]);
    this.state = new Map([...s].map(([n, t]) => [n, tf.keep(t.clone())]));
  }
  dispose() {
    tf.dispose([...this.state.values()]);
  }
  value(n: string): number {
    return this.state.get(n)!.dataSync()[0]!;
  }
}

// CT patches [1, 3] and [5, 7]: pooled mean 4, population variance (9 + 1 + 1 + 9) / 4 = 5;
// batch average: means 2, 6 -> 4, unbiased variances 2, 2 -> 2 (the patch means' spread, 4, is missing).
// MRI patches [0, 0] and [2, 2]: pooled 1, 1; batch average 1, 0.
// Shared (both modalities concatenated, as a joint net's layer), batches {1, 3, 0, 0} and {5, 7, 2, 2}:
// pooled over {0,0,1,2,2,3,5,7}: mean 20/8 = 2.5, E[x^2] = 92/8 = 11.5, variance 11.5 - 6.25 = 5.25;
// batch average: means 1, 4 -> 2.5; squared deviations 0+4+1+1 = 6 and 1+9+4+4 = 18, unbiased 2 and 6 -> 4.
const hand: [number[][], number[][]] = [
  [[1, 3], [5, 7]],
  [[0, 0], [2, 2]],
];

describe("channelMoments", () => {
  it.each([
    // [x0c0, x0c1, x1c0, x1c1]: channel 0 {1, 3} -> mean 2, variance 1; channel 1 {10, 20} -> 15, 25
    [[1, 10, 3, 20], 2, [2, 15], [1, 25]],
    // one channel {1, 2, 3, 4}: mean 2.5, variance (2.25 + 0.25 + 0.25 + 2.25) / 4 = 1.25
    [[1, 2, 3, 4], 1, [2.5], [1.25]],
    // offset 1e4 + {0, 1}: float64 sums keep the variance 0.25 exactly
    [[10000, 10001], 1, [10000.5], [0.25]],
  ])("%j, C = %d", (d, C, mean, variance) => {
    const m = channelMoments(Float32Array.from(d), C);
    expect(Array.from(m.mean)).toEqual(mean);
    expect(Array.from(m.variance)).toEqual(variance);
  });
});

describe("recomputeNormStatistics: one-layer hand case", () => {
  it.each([
    // statistic, entry, expected (worked out by hand in the comment above)
    ["pooled", "bn/moving_mean/ct", 4],
    ["pooled", "bn/moving_variance/ct", 5],
    ["pooled", "bn/moving_mean/mri", 1],
    ["pooled", "bn/moving_variance/mri", 1],
    ["pooled", "shared/moving_mean", 2.5],
    ["pooled", "shared/moving_variance", 5.25],
    ["batch-average", "bn/moving_mean/ct", 4],
    ["batch-average", "bn/moving_variance/ct", 2],
    ["batch-average", "bn/moving_mean/mri", 1],
    ["batch-average", "bn/moving_variance/mri", 0],
    ["batch-average", "shared/moving_mean", 2.5],
    ["batch-average", "shared/moving_variance", 4],
  ] as const)("%s: %s = %d", (statistic, entry, expected) => {
    const net = new OneLayer();
    const res = recomputeNormStatistics(net, new ListSource(hand, [2]), { patches: 2, statistic });
    expect(net.value(entry)).toBeCloseTo(expected, 6);
    expect(net.value("w")).toBe(42);
    expect(res.forwardPasses).toBe(2);
    expect(res.written).toHaveLength(6);
    net.dispose();
  });

  it("keeps both estimates and the previous moving statistics in the result", () => {
    const net = new OneLayer();
    const res = recomputeNormStatistics(net, new ListSource(hand, [2]), { patches: 2 });
    const ct = res.layers.find((l) => l.layer === "bn" && l.instance === "ct")!;
    expect([ct.batches, ct.count, ct.mean[0], ct.variance[0], ct.batchMean[0], ct.batchVariance[0], ct.movingMeanBefore[0], ct.movingVarBefore[0]]).toEqual([2, 4, 4, 5, 4, 2, 0, 1]);
    net.dispose();
  });

  it("setNormStatistics writes the other estimate of the same result (CT var 5 -> 2, shared 5.25 -> 4)", () => {
    const net = new OneLayer();
    const res = recomputeNormStatistics(net, new ListSource(hand, [2]), { patches: 2 });
    expect(setNormStatistics(net, res.layers, "batch-average")).toHaveLength(6);
    expect([net.value("bn/moving_variance/ct"), net.value("shared/moving_variance"), net.value("w")]).toEqual([2, 4, 42]);
    net.dispose();
  });

  it("batch of 2 patches per pass: one batch holds both patches (batch average = pooled)", () => {
    const net = new OneLayer();
    recomputeNormStatistics(net, new ListSource(hand, [2]), { patches: 2, batchSize: 2, statistic: "batch-average" });
    // one batch {1,3,5,7}: mean 4, unbiased variance 20/3
    expect(net.value("bn/moving_mean/ct")).toBeCloseTo(4, 6);
    expect(net.value("bn/moving_variance/ct")).toBeCloseTo(20 / 3, 5);
    net.dispose();
  });

  it("modalities: 0 writes only the CT instance; the MRI and shared ones are left as they were", () => {
    const net = new OneLayer();
    const res = recomputeNormStatistics(net, new ListSource(hand, [2]), { patches: 2, modalities: 0 });
    expect([net.value("bn/moving_mean/ct"), net.value("bn/moving_variance/ct")]).toEqual([4, 5]);
    expect([net.value("bn/moving_mean/mri"), net.value("bn/moving_variance/mri"), net.value("shared/moving_mean"), net.value("shared/moving_variance")]).toEqual([0, 1, 0, 1]);
    expect(res.written).toEqual(["bn/moving_mean/ct", "bn/moving_variance/ct"]);
    net.dispose();
  });

  it("leaks no tensors", () => {
    const net = new OneLayer();
    const before = tf.memory().numTensors;
    recomputeNormStatistics(net, new ListSource(hand, [2]), { patches: 5 });
    expect(tf.memory().numTensors).toBe(before);
    net.dispose();
  });

  it.each([
    [{ patches: 0 }],
    [{ batchSize: 1.5 }],
    [{ statistic: "ema" as never }],
    [{ modalities: 2 as never }],
  ])("rejects %j with an OptionError", (o) => {
    const net = new OneLayer();
    expect(() => recomputeNormStatistics(net, new ListSource(hand, [2]), o)).toThrow(OptionError);
    net.dispose();
  });
});

/** Float64 per-channel mean and population variance over all of `ts` (channels last). */
function stats64(ts: Float32Array[], C: number): { mean: number[]; variance: number[] } {
  const s = new Array<number>(C).fill(0);
  let n = 0;
  for (const t of ts) for (let i = 0; i < t.length; i++) s[i % C]! += t[i]!;
  for (const t of ts) n += t.length / C;
  const mean = s.map((v) => v / n);
  const q = new Array<number>(C).fill(0);
  for (const t of ts) for (let i = 0; i < t.length; i++) q[i % C]! += (t[i]! - mean[i % C]!) ** 2;
  return { mean, variance: q.map((v) => v / n) };
}

function randomPatches(n: number, vox: number, seed: number, scale: number, shift: number): number[][] {
  const rng = new Rng(seed);
  // per-patch offsets so that the patch means differ (pooled != batch average)
  return Array.from({ length: n }, () => {
    const off = rng.normal();
    return Array.from({ length: vox }, () => shift + off + scale * rng.normal());
  });
}

describe("recomputeNormStatistics: tiny 3D U-Net", () => {
  const shape = [8, 8, 8];
  const vox = 512;
  const patches: [number[][], number[][]] = [randomPatches(3, vox, 1, 1, 0), randomPatches(3, vox, 2, 2, 3)];
  const build = (setting: ModelOptions["setting"]) => buildModel({ network: "unet3d", setting, width: 0.125, numClasses: 3, seed: 5 });
  const close = (got: ArrayLike<number>, want: ArrayLike<number>, rtol: number) => {
    for (let c = 0; c < want.length; c++) expect(Math.abs(got[c]! - want[c]!)).toBeLessThanOrEqual(rtol * Math.abs(want[c]!) + 1e-9);
  };

  it.each([
    ["chilopod", [[0], [1]] as Modality[][], ["enc1/c1/bn/moving_mean/ct", "enc1/c1/bn/moving_mean/mri"]],
    ["joint", [[0, 1]] as Modality[][], ["enc1/c1/bn/moving_mean"]],
  ] as const)("%s: first layer = float64 stats of conv3d(patches, kernel) over the modality's patches", (setting, groups, names) => {
    const net = build(setting);
    const kernel = net.getState().get("enc1/c1/conv/kernel")!;
    recomputeNormStatistics(net, new ListSource(patches, shape), { patches: 3 });
    const st = net.getState();
    groups.forEach((mods, g) => {
      const inputs = mods.flatMap((m) =>
        patches[m].map((p) => tf.tidy(() => tf.conv3d(tf.tensor(p, [1, 8, 8, 8, 1]) as Tensor5D, kernel as Tensor5D, 1, "same").dataSync() as Float32Array)),
      );
      const C = kernel.shape[4]!;
      const want = stats64(inputs, C);
      close(st.get(names[g]!)!.dataSync(), want.mean, 1e-4);
      close(st.get(names[g]!.replace("moving_mean", "moving_variance"))!.dataSync(), want.variance, 1e-4);
    });
    tf.dispose([...st.values(), kernel]);
    net.dispose();
  });

  it.each(["ours", "y-shaped"] as const)("%s: every layer = float64 stats of its inputs recorded by a separate training forward; weights untouched", (setting) => {
    const net = build(setting);
    const before = net.getState();
    // the oracle: the same three training steps' forwards, each layer input kept and reduced in float64
    const seen = new Map<string, { C: number; data: Float32Array[] }>();
    const src = new ListSource(patches, shape);
    const ref = net.getState();
    for (let k = 0; k < 3; k++) {
      const a = src.next(0, 1);
      const b = src.next(1, 1);
      tf.tidy(() => {
        net.applyPair(tf.tensor(a.x, a.xShape), tf.tensor(b.x, b.xShape), true, {
          dropoutSeed: k,
          onNormInput: (layer, m, x) => {
            const key = `${layer}/moving_mean${m === null ? "" : `/${m === 0 ? "ct" : "mri"}`}`;
            const e = seen.get(key) ?? { C: x.shape[x.rank - 1]!, data: [] };
            e.data.push(Float32Array.from(x.dataSync()));
            seen.set(key, e);
          },
        });
      });
    }
    net.setState(ref); // undo the oracle forwards' moving-average updates
    const res = recomputeNormStatistics(net, new ListSource(patches, shape), { patches: 3 });
    const st = net.getState();
    expect(res.written.length).toBe(2 * seen.size);
    expect(seen.size).toBeGreaterThanOrEqual(15);
    for (const [name, { C, data }] of seen) {
      const want = stats64(data, C);
      close(st.get(name)!.dataSync(), want.mean, 1e-4);
      close(st.get(name.replace("moving_mean", "moving_variance"))!.dataSync(), want.variance, 1e-4);
    }
    for (const [n, t] of before) {
      if (n.includes("moving_")) continue;
      expect(Array.from(st.get(n)!.dataSync())).toEqual(Array.from(t.dataSync()));
    }
    tf.dispose([...before.values(), ...st.values(), ...ref.values()]);
    net.dispose();
  });

  it("y-shaped, modalities 1: only MRI-specific instances are written", () => {
    const net = build("y-shaped");
    const before = net.getState();
    const res = recomputeNormStatistics(net, new ListSource(patches, shape), { patches: 2, modalities: 1 });
    expect(res.written.length).toBeGreaterThan(0);
    expect(res.written.every((n) => n.endsWith("/mri"))).toBe(true);
    expect(res.skipped.length).toBeGreaterThan(0);
    const st = net.getState();
    for (const [n, t] of before) if (!res.written.includes(n)) expect(Array.from(st.get(n)!.dataSync())).toEqual(Array.from(t.dataSync()));
    tf.dispose([...before.values(), ...st.values()]);
    net.dispose();
  });

  it("refuses a network without batch norm", () => {
    const net = buildModel({ network: "unet3d", setting: "ours", width: 0.125, numClasses: 3, norm: "instance" });
    expect(() => recomputeNormStatistics(net, new ListSource(patches, shape), { patches: 1 })).toThrow(OptionError);
    net.dispose();
  });
});
