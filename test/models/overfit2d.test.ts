import { beforeAll, describe, expect, it } from "vitest";
import { initEngine, tf } from "../../lib/engine/index.ts";
import type { Scalar } from "@tensorflow/tfjs-core";
import { buildModel, type NetworkName, type Setting } from "../../lib/models/index.ts";
import { kdLoss, l2Loss, segmentationLoss, totalLoss } from "../../lib/losses/index.ts";

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
  const cases: Array<[NetworkName, Setting, number]> = [
    ["dilated2d", "ours", 6],
    ["dilated2d", "joint", 5],
  ];
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

