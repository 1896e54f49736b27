import { beforeAll, describe, expect, it } from "vitest";
import { initEngine, tf, type Tensor } from "../../lib/engine/index.ts";
import type { Scalar } from "@tensorflow/tfjs-core";
import { buildModel, type NetworkName, type Setting } from "../../lib/models/index.ts";
import { kdLoss, l2Loss, segmentationLoss, totalLoss } from "../../lib/losses/index.ts";
import { ShapeError } from "../../lib/util/errors.ts";

beforeAll(async () => {
  await initEngine();
});

/** A fixed tiny unpaired batch: labels are blobs, images are label-dependent intensities + noise. */
function batch(network: NetworkName, seed: number, modality: 0 | 1) {
  return tf.tidy(() => {
    const shape = network === "dilated2d" ? [2, 16, 16] : [1, 8, 16, 16];
    const noise = tf.randomUniform(shape, 0, 1, "float32", seed);
    const y = tf.cast(tf.floor(tf.mul(tf.add(tf.mul(noise, 0.3), tf.linspace(0, 0.7, shape[shape.length - 1]!)), 3)), "int32");
    const intensity = modality === 0 ? tf.cast(y, "float32") : tf.sub(2, tf.mul(tf.cast(y, "float32"), 0.8));
    const img = tf.add(intensity, tf.randomNormal(shape, 0, 0.2, "float32", seed + 1));
    const x = network === "dilated2d" ? tf.stack([img, img, img], -1) : tf.expandDims(img, -1);
    return { x, y };
  });
}

describe("overfitting a fixed tiny batch: the eq. 5 loss decreases", () => {
  const cases: Array<[NetworkName, Setting, number]> = [["unet3d", "ours", 8]];
  it.each(cases)("%s %s (%i Adam steps)", (network, setting, steps) => {
    const net = buildModel({ network, setting, width: network === "dilated2d" ? 0.0625 : 0.125, numClasses: 3, dropout: 0, seed: 5 });
    const a = batch(network, 1, 0);
    const b = batch(network, 2, 1);
    const opt = tf.train.adam(3e-3);
    const losses: number[] = [];
    const counts: number[] = [];
    for (let i = 0; i < steps; i++) {
      const l = opt.minimize(() => {
        const [la, lb] = net.applyPair(a.x, b.x, true);
        const kd = kdLoss(la, a.y, lb, b.y);
        return totalLoss({ segA: segmentationLoss(la, a.y).loss, segB: segmentationLoss(lb, b.y).loss, kd: kd.loss, l2: l2Loss(net.regularizedVariables()) }) as Scalar;
      }, true, net.trainableVariables())!;
      losses.push(l.dataSync()[0]!);
      if (process.env.UMMKD_TEST_VERBOSE) console.log(network, setting, i, losses[i]);
      l.dispose();
      counts.push(tf.memory().numTensors);
    }
    // No growth of live tensors per step once Adam's moments exist (created in step 1).
    expect(new Set(counts.slice(1)).size).toBe(1);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]! - 0.05);
    net.dispose();
    opt.dispose();
    tf.dispose([a.x, a.y, b.x, b.y]);
  });
});

describe("state: save and reload predicts identically", () => {
  for (const network of ["dilated2d", "unet3d"] as const) {
    it(`${network}: getState -> plain arrays -> setState on a fresh network`, () => {
      const opts = { network, setting: "ours" as const, width: network === "dilated2d" ? 0.0625 : 0.125, numClasses: 3 };
      const net = buildModel({ ...opts, seed: 1 });
      const a = batch(network, 3, 0);
      // a training call moves the moving statistics away from their initial values
      tf.dispose(net.applyPair(a.x, a.x, true));
      const state = net.getState();
      // "save": copy to plain typed arrays, as a checkpoint file would hold
      const saved = [...state].map(([k, v]) => [k, v.shape, Float32Array.from(v.dataSync())] as const);
      tf.dispose([...state.values()]);
      const pred0 = net.apply(a.x, 0, false);
      const pred1 = net.apply(a.x, 1, false);
      const other = buildModel({ ...opts, seed: 99 });
      const restored = new Map<string, Tensor>(saved.map(([k, s, d]) => [k, tf.tensor(d, [...s])]));
      other.setState(restored);
      tf.dispose([...restored.values()]);
      const q0 = other.apply(a.x, 0, false);
      const q1 = other.apply(a.x, 1, false);
      expect(Array.from(q0.dataSync())).toEqual(Array.from(pred0.dataSync()));
      expect(Array.from(q1.dataSync())).toEqual(Array.from(pred1.dataSync()));
      // moving statistics are part of the state
      expect(saved.some(([k]) => k.endsWith("moving_mean/mri"))).toBe(true);
      tf.dispose([pred0, pred1, q0, q1, a.x, a.y]);
      net.dispose();
      other.dispose();
    });
  }
  it("setState rejects missing, unknown and mis-shaped entries", () => {
    const net = buildModel({ network: "unet3d", setting: "chilopod", width: 0.0625 });
    const st = net.getState();
    const missing = new Map(st);
    missing.delete("head/kernel");
    expect(() => net.setState(missing)).toThrow(/missing entry 'head\/kernel'/);
    const extra = new Map(st).set("nope", tf.zeros([1]));
    expect(() => net.setState(extra)).toThrow(ShapeError);
    const wrong = new Map(st).set("head/kernel", tf.zeros([1]));
    expect(() => net.setState(wrong)).toThrow(/must have shape/);
    tf.dispose([...st.values(), extra.get("nope")!, wrong.get("head/kernel")!]);
    net.dispose();
  });
});
