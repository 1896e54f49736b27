import { beforeAll, describe, expect, it } from "vitest";
import { initEngine, tf, type Tensor } from "../../lib/engine/index.ts";
import type { Scalar, io } from "@tensorflow/tfjs-core";
type ModelArtifacts = io.ModelArtifacts;
import { tfl } from "../../lib/engine/tf.ts";
import { groupCount, modalityNorm, ModalityNorm, normalize } from "../../lib/models/index.ts";
import { Rng } from "../../lib/util/rng.ts";

beforeAll(async () => {
  await initEngine();
});

/** Deterministic test data. */
function data(n: number, seed: number, scale = 1, shift = 0): number[] {
  const r = new Rng(seed);
  return Array.from({ length: n }, () => (r.next() * 2 - 1) * scale + shift);
}

/**
 * Direct float64 reference: normalize x (flat, channels-last shape) over the index sets given by
 * `key(i)` (elements with the same key share statistics), then gamma/beta per channel.
 */
function reference(x: number[], shape: number[], key: (idx: number[]) => string, gamma: number[], beta: number[], eps: number): number[] {
  const C = shape[shape.length - 1]!;
  const idxOf = (i: number) => {
    const out: number[] = [];
    for (let d = shape.length - 1; d >= 0; d--) {
      out.unshift(i % shape[d]!);
      i = Math.floor(i / shape[d]!);
    }
    return out;
  };
  const groups = new Map<string, number[]>();
  x.forEach((_, i) => {
    const k = key(idxOf(i));
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(i);
  });
  const y = new Array<number>(x.length);
  for (const members of groups.values()) {
    const m = members.reduce((a, i) => a + x[i]!, 0) / members.length;
    const v = members.reduce((a, i) => a + (x[i]! - m) ** 2, 0) / members.length;
    for (const i of members) y[i] = ((x[i]! - m) / Math.sqrt(v + eps)) * gamma[i % C]! + beta[i % C]!;
  }
  return y;
}

function expectClose(got: ArrayLike<number>, want: number[], tol = 2e-5) {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(want[i]!)));
}

describe("normalize vs direct formulas", () => {
  const shape4 = [3, 4, 5, 8];
  const shape5 = [2, 2, 3, 3, 6];
  for (const shape of [shape4, shape5]) {
    const C = shape[shape.length - 1]!;
    const n = shape.reduce((a, b) => a * b, 1);
    const xs = data(n, 1, 2, 0.5);
    const gamma = data(C, 2, 0.5, 1);
    const beta = data(C, 3, 0.5, 0);
    it(`batch (training) over all but C, rank ${shape.length}, and moving stats with decay 0.9`, () => {
      const x = tf.tensor(xs, shape);
      const g = tf.tensor(gamma);
      const b = tf.tensor(beta);
      const mm = tf.variable(tf.fill([C], 0.3), false);
      const mv = tf.variable(tf.fill([C], 2), false);
      const y = normalize(x, { gamma: g, beta: b, movingMean: mm, movingVar: mv }, { kind: "batch", training: true });
      expectClose(y.dataSync(), reference(xs, shape, (i) => `${i[i.length - 1]}`, gamma, beta, 1e-3), 5e-5);
      // moving stats: m <- 0.9 m + 0.1 batch mean; v <- 0.9 v + 0.1 unbiased batch var
      const per = n / C;
      for (let c = 0; c < C; c++) {
        const vals = xs.filter((_, i) => i % C === c);
        const mean = vals.reduce((a, v) => a + v, 0) / per;
        const varU = vals.reduce((a, v) => a + (v - mean) ** 2, 0) / (per - 1);
        expect(mm.dataSync()[c]).toBeCloseTo(0.9 * 0.3 + 0.1 * mean, 5);
        expect(mv.dataSync()[c]).toBeCloseTo(0.9 * 2 + 0.1 * varU, 5);
      }
      // inference uses the moving statistics
      const yi = normalize(x, { gamma: g, beta: b, movingMean: mm, movingVar: mv }, { kind: "batch", training: false });
      const mmv = Array.from(mm.dataSync());
      const mvv = Array.from(mv.dataSync());
      expectClose(
        yi.dataSync(),
        xs.map((v, i) => ((v - mmv[i % C]!) / Math.sqrt(mvv[i % C]! + 1e-3)) * gamma[i % C]! + beta[i % C]!),
      );
      tf.dispose([x, g, b, mm, mv, y, yi]);
    });
    it(`instance / layer / group, rank ${shape.length}`, () => {
      const x = tf.tensor(xs, shape);
      const g = tf.tensor(gamma);
      const b = tf.tensor(beta);
      const inst = normalize(x, { gamma: g, beta: b }, { kind: "instance", training: true });
      expectClose(inst.dataSync(), reference(xs, shape, (i) => `${i[0]}:${i[i.length - 1]}`, gamma, beta, 1e-6), 1e-4);
      const layer = normalize(x, { gamma: g, beta: b }, { kind: "layer", training: false });
      expectClose(layer.dataSync(), reference(xs, shape, (i) => `${i[0]}`, gamma, beta, 1e-12), 1e-4);
      const G = 2;
      const grp = normalize(x, { gamma: g, beta: b }, { kind: "group", training: true, groups: G });
      expectClose(grp.dataSync(), reference(xs, shape, (i) => `${i[0]}:${Math.floor(i[i.length - 1]! / (C / G))}`, gamma, beta, 1e-6), 1e-4);
      tf.dispose([x, g, b, inst, layer, grp]);
    });
  }
  it("groupCount: largest divisor not above the requested groups", () => {
    expect(groupCount(64, 32)).toBe(32);
    expect(groupCount(40, 32)).toBe(20);
    expect(groupCount(6, 32)).toBe(6);
    expect(groupCount(7, 4)).toBe(1);
  });
  it("batch-norm gradient matches the tf-op formula", () => {
    const x = tf.tensor(data(2 * 3 * 3 * 4, 9, 1.5), [2, 3, 3, 4]);
    const g = tf.tensor(data(4, 10, 0.5, 1));
    const b = tf.tensor(data(4, 11));
    const w = tf.tensor(data(2 * 3 * 3 * 4, 12), [2, 3, 3, 4]);
    const mm = tf.variable(tf.zeros([4]), false);
    const mv = tf.variable(tf.ones([4]), false);
    const ours = tf.grads((xx: Tensor, gg: Tensor, bb: Tensor) =>
      tf.sum(tf.mul(normalize(xx, { gamma: gg, beta: bb, movingMean: mm, movingVar: mv }, { kind: "batch", training: true }), w)),
    )([x, g, b]);
    const ref = tf.grads((xx: Tensor, gg: Tensor, bb: Tensor) => {
      const { mean, variance } = tf.moments(xx, [0, 1, 2]);
      return tf.sum(tf.mul(tf.add(tf.mul(tf.div(tf.sub(xx, mean), tf.sqrt(tf.add(variance, 1e-3))), gg), bb), w));
    })([x, g, b]);
    for (let i = 0; i < 3; i++) expectClose(ours[i]!.dataSync(), Array.from(ref[i]!.dataSync()), 1e-4);
    tf.dispose([x, g, b, w, mm, mv, ...ours, ...ref]);
  });
});

describe("ModalityNorm (tf.layers)", () => {
  it("one parameter set and one set of moving statistics per modality", () => {
    const layer = modalityNorm({ kind: "batch", numModalities: 2 });
    const x0 = tf.tensor(data(2 * 2 * 2 * 3, 20, 1, 5), [2, 2, 2, 3]);
    const x1 = tf.tensor(data(2 * 2 * 2 * 3, 21, 3, -2), [2, 2, 2, 3]);
    const y0 = layer.apply(x0, { training: true, modality: 0 }) as Tensor;
    const y1 = layer.apply(x1, { training: true, modality: 1 }) as Tensor;
    // both normalized with their own batch statistics
    expectClose(y0.dataSync(), reference(Array.from(x0.dataSync()), [2, 2, 2, 3], (i) => `${i[3]}`, [1, 1, 1], [0, 0, 0], 1e-3), 5e-5);
    expectClose(y1.dataSync(), reference(Array.from(x1.dataSync()), [2, 2, 2, 3], (i) => `${i[3]}`, [1, 1, 1], [0, 0, 0], 1e-3), 5e-5);
    const byName = new Map(layer.weights.map((v) => [v.name.split("/").pop()!, v]));
    expect([...byName.keys()].sort()).toEqual(
      ["beta_0", "beta_1", "gamma_0", "gamma_1", "moving_mean_0", "moving_mean_1", "moving_variance_0", "moving_variance_1"],
    );
    expect(layer.trainableWeights.map((v) => v.name.split("/").pop()).sort()).toEqual(["beta_0", "beta_1", "gamma_0", "gamma_1"]);
    // moving means moved towards each modality's own mean (~5 vs ~-2)
    const mean0 = byName.get("moving_mean_0")!.read().dataSync()[0]!;
    const mean1 = byName.get("moving_mean_1")!.read().dataSync()[0]!;
    expect(mean0).toBeGreaterThan(0.3);
    expect(mean1).toBeLessThan(-0.05);
    tf.dispose([x0, x1, y0, y1]);
  });

  it("getConfig round trip, registered class, and a saved+loaded LayersModel predicts identically", async () => {
    const layer = new ModalityNorm({ kind: "group", groups: 2, numModalities: 2, epsilon: 1e-5 });
    const cfg = layer.getConfig();
    expect(cfg).toMatchObject({ kind: "group", groups: 2, numModalities: 2, epsilon: 1e-5, momentum: 0.9 });
    const clone = ModalityNorm.fromConfig(ModalityNorm, cfg) as ModalityNorm;
    expect(clone.getConfig()).toEqual(cfg);

    const model = tfl.sequential();
    model.add(tfl.layers.conv2d({ inputShape: [4, 4, 2], filters: 4, kernelSize: 3, padding: "same" }));
    model.add(new ModalityNorm({ kind: "batch" }));
    const x = tf.tensor(data(2 * 4 * 4 * 2, 30), [2, 4, 4, 2]);
    // change the modality-1 statistics so that a wrong set would be noticed
    const bn = model.layers[1] as ModalityNorm;
    bn.modality = 1;
    for (let i = 0; i < 3; i++) tf.dispose(bn.apply(model.layers[0]!.apply(x) as Tensor, { training: true }) as Tensor);
    const before = model.predict(x) as Tensor;
    let saved: ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    }));
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(saved!));
    const lbn = loaded.layers[1] as ModalityNorm;
    expect(lbn).toBeInstanceOf(ModalityNorm);
    lbn.modality = 1;
    const after = loaded.predict(x) as Tensor;
    expect(Array.from(after.dataSync())).toEqual(Array.from(before.dataSync()));
    lbn.modality = 0;
    const other = loaded.predict(x) as Tensor;
    expect(Array.from(other.dataSync())).not.toEqual(Array.from(before.dataSync()));
    tf.dispose([x, before, after, other]);
  });

  it("no tensor leaks per call", () => {
    const layer = modalityNorm({ kind: "instance" });
    const x = tf.randomNormal([2, 3, 3, 4]);
    tf.dispose(layer.apply(x, { modality: 1 }) as Tensor);
    const before = tf.memory().numTensors;
    tf.dispose(layer.apply(x, { modality: 1, training: true }) as Tensor);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
