import { beforeAll, describe, expect, it } from "vitest";
import { initEngine, tf } from "../../lib/engine/index.ts";
import type { Scalar } from "@tensorflow/tfjs-core";
import { buildModel, SETTINGS, type ModelOptions, type NetworkName } from "../../lib/models/index.ts";
import { segmentationLoss } from "../../lib/losses/index.ts";

beforeAll(async () => {
  await initEngine();
});

const tiny = (network: NetworkName): Partial<ModelOptions> => (network === "dilated2d" ? { width: 0.0625 } : { width: 0.125 });
const inShape = (network: NetworkName, b = 2): number[] => (network === "dilated2d" ? [b, 16, 16, 3] : [b, 8, 16, 16, 1]);

describe("every setting builds, runs forward and backward on tiny inputs", () => {
  for (const network of ["dilated2d", "unet3d"] as const) {
    it.each(SETTINGS.map((s) => [s]))(`${network} %s`, (setting) => {
      const net = buildModel({ network, setting, seed: 3, ...tiny(network) });
      const xA = tf.randomNormal(inShape(network, 2), 0, 1, "float32", 1);
      const xB = tf.randomNormal(inShape(network, 1), 0, 1, "float32", 2);
      const yA = tf.randomUniform(inShape(network, 2).slice(0, -1), 0, 5, "int32", 3);
      const yB = tf.randomUniform(inShape(network, 1).slice(0, -1), 0, 5, "int32", 4);
      const vars = net.trainableVariables();
      const before = tf.memory().numTensors;
      const { value, grads } = tf.variableGrads(() => {
        const [a, b] = net.applyPair(xA, xB, true, { dropoutSeed: 11 });
        expect(a.shape).toEqual([...inShape(network, 2).slice(0, -1), 5]);
        expect(b.shape).toEqual([...inShape(network, 1).slice(0, -1), 5]);
        return tf.add(segmentationLoss(a, yA).loss, segmentationLoss(b, yB).loss) as Scalar;
      }, vars);
      expect(Number.isFinite(value.dataSync()[0]!)).toBe(true);
      // every trainable variable receives a finite gradient, and both modalities' copies of per-modality params are used
      for (const v of vars) {
        const g = grads[v.name]!;
        expect(g, v.name).toBeDefined();
        expect(g.shape).toEqual(v.shape);
        expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true);
      }
      const nonzero = (suffix: string) =>
        vars.filter((v) => v.name.endsWith(suffix)).every((v) => tf.tidy(() => tf.max(tf.abs(grads[v.name]!)).dataSync()[0]!) > 0);
      expect(nonzero("/ct")).toBe(true);
      expect(nonzero("/mri")).toBe(true);
      tf.dispose([value, ...Object.values(grads)]);
      // no tensor leaks per forward/backward step
      expect(tf.memory().numTensors).toBe(before);
      // eval forward of one modality
      const e = net.apply(xB, 1, false);
      expect(e.shape).toEqual([...inShape(network, 1).slice(0, -1), 5]);
      tf.dispose([e, xA, xB, yA, yB]);
      net.dispose();
    });
  }
});

