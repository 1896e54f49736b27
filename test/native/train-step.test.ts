/**
 * One training step of each paper network (lib/models buildModel, setting "ours": Chilopod
 * + per-modality batches) gives the same loss, gradients and updated loss on the `native` backend
 * as on the tfjs `cpu` backend (with the engine's portable kernel pack), within float32 tolerance.
 * Gradients are compared per element with a relative tolerance; the step is plain gradient
 * descent, so the loss decrease depends on the gradients' magnitudes (an Adam first step is
 * ~lr * sign(g) and would only confirm signs). Both backends share the registered gradient
 * functions; test/engine/loss-gradcheck.test.ts checks those against finite differences.
 *
 * The native side runs on 1 thread. On 2 threads oneDNN sums in another order: each kernel's
 * output moves by ~1e-6 of its largest element (test/native/threads.test.ts checks every kernel
 * of both steps on 1 vs 2 threads), and through the network's discontinuities (max-pool argmax,
 * leaky ReLU's kink) at a random init that moved single unet3d gradient elements by up to 25%
 * (measured): not an error of either backend, so not something a per-element comparison can bound.
 */
import { describe, it, expect } from "vitest";
import { tf, type Scalar } from "../../lib/engine/tf.ts";
import { initEngine } from "../../lib/engine/index.ts";
import { buildModel } from "../../lib/models/index.ts";
import type { NetworkName } from "../../lib/models/types.ts";
import { Rng } from "../../lib/util/rng.ts";
import { native, randn, expectRelClose } from "./helpers.ts";
import { setNativeThreads } from "../../lib/engine/native/index.ts";
import { REQUIRES } from "../requires.ts";

if (native.ok) {
  await initEngine({ backend: "cpu" }); // gradients + kernel pack on cpu
  await initEngine({ backend: "native" });
}

interface StepResult { loss0: number; loss1: number; grads: Float32Array[] }

async function step(backend: "native" | "cpu", network: NetworkName, shapeA: number[], labels: Int32Array[], inputs: Float32Array[]): Promise<StepResult> {
  await tf.setBackend(backend);
  const net = buildModel({ network, setting: "ours", width: 0.125, numClasses: 3, seed: 3, dropout: 0, init: "he" });
  const before = tf.memory().numTensors;
  const xA = tf.tensor(inputs[0]!, shapeA), xB = tf.tensor(inputs[1]!, shapeA);
  const yA = tf.oneHot(tf.tensor(labels[0]!, shapeA.slice(0, -1), "int32"), 3), yB = tf.oneHot(tf.tensor(labels[1]!, shapeA.slice(0, -1), "int32"), 3);
  const lossFn = () => tf.tidy(() => {
    const [lA, lB] = net.applyPair(xA, xB, true);
    return tf.add(tf.losses.softmaxCrossEntropy(yA, lA!), tf.losses.softmaxCrossEntropy(yB, lB!)) as Scalar;
  });
  const vars = net.trainableVariables();
  const { value, grads } = tf.variableGrads(lossFn, vars);
  const loss0 = value.dataSync()[0]!;
  const g = vars.map((v) => Float32Array.from(grads[v.name]!.dataSync()));
  const opt = tf.train.sgd(0.5);
  opt.applyGradients(grads as Parameters<typeof opt.applyGradients>[0]);
  const l1 = lossFn();
  const loss1 = l1.dataSync()[0]!;
  tf.dispose([value, l1, xA, xB, yA, yB, ...Object.values(grads)]);
  opt.dispose();
  net.dispose();
  expect(tf.memory().numTensors, `leak on ${backend}`).toBeLessThanOrEqual(before);
  return { loss0, loss1, grads: g };
}

describe.skipIf(!native.ok)(`${REQUIRES.native} training step: native vs cpu`, () => {
  const cases: [NetworkName, number[]][] = [["dilated2d", [2, 16, 16, 3]], ["unet3d", [1, 16, 16, 16, 1]]];
  for (const [network, shape] of cases) {
    it(`${network} ${shape}: same loss, gradients and post-step loss`, async () => {
      const rng = new Rng(42);
      const n = shape.reduce((a, b) => a * b, 1);
      const inputs = [randn(rng, shape), randn(rng, shape)];
      const labels = [0, 1].map(() => Int32Array.from({ length: n / shape[shape.length - 1]! }, () => rng.int(3)));
      setNativeThreads(1);
      const a = await step("native", network, [...shape], labels, inputs).finally(() => native.ok && setNativeThreads(native.threads));
      const b = await step("cpu", network, [...shape], labels, inputs);
      expect(Number.isFinite(a.loss0)).toBe(true);
      expect(Math.abs(a.loss0 - b.loss0)).toBeLessThanOrEqual(1e-4 * Math.abs(b.loss0));
      // the decrease of the loss by one gradient step, to 1%
      if (process.env.UMMKD_TEST_VERBOSE) console.log(network, a.loss0, a.loss1, b.loss0, b.loss1);
      expect(b.loss0 - b.loss1).toBeGreaterThan(0.01);
      expect(Math.abs((a.loss0 - a.loss1) - (b.loss0 - b.loss1))).toBeLessThanOrEqual(1e-2 * (b.loss0 - b.loss1));
      for (let i = 0; i < a.grads.length; i++) expectRelClose(a.grads[i]!, b.grads[i]!, 1e-3, `grad ${i}`);
    });
  }
});
