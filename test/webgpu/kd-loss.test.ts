/**
 * The KD loss (eq. 2-4 of Dou 2020: class-mean logits, softened soft confusion matrices, halved
 * symmetric KL) and its gradients on the webgpu engine vs the cpu backend, with one class absent
 * from modality B (both absent-class policies) and 2D and 3D logits.
 */
import { describe, it, expect, afterAll } from "vitest";
import { initEngine, releaseWebgpu, tf, webgpuErrors, type BackendName } from "../../lib/engine/index.ts";
import { kdLoss, ABSENT_CLASS_POLICIES, type AbsentClassPolicy } from "../../lib/losses/index.ts";
import { Rng } from "../../lib/util/rng.ts";
import { REQUIRES } from "../requires.ts";
import { expectScaledClose, probeWebgpu } from "./helpers.ts";

const wg = await probeWebgpu();
afterAll(() => releaseWebgpu());

const K = 5;
const TOL = 1e-5;

async function kdOn(backend: BackendName, shape: number[], absentClass: AbsentClassPolicy) {
  await initEngine({ backend });
  const rng = new Rng(11);
  const n = shape.reduce((a, b) => a * b, 1);
  const la = tf.tensor(Float32Array.from({ length: n * K }, () => 2 * rng.normal()), [...shape, K]);
  const lb = tf.tensor(Float32Array.from({ length: n * K }, () => 2 * rng.normal()), [...shape, K]);
  const ya = Int32Array.from({ length: n }, () => rng.int(K));
  const yb = Int32Array.from({ length: n }, () => 1 + rng.int(K - 1)); // class 0 absent from B
  const before = tf.memory().numTensors;
  const parts = tf.tidy(() => {
    const r = kdLoss(la, ya, lb, yb, { temperature: 2, absentClass });
    const [ga, gb] = tf.grads((a, b) => kdLoss(a, ya, b, yb, { temperature: 2, absentClass }).loss)([la, lb]);
    return [r.loss, r.qA, r.qB, r.perClass, ga!, gb!];
  });
  const out = await Promise.all(parts.map(async (t) => Float32Array.from((await t.data()) as Float32Array)));
  tf.dispose(parts);
  expect(tf.memory().numTensors).toBe(before);
  tf.dispose([la, lb]);
  return out;
}

describe.skipIf(!wg.ok)(`${REQUIRES.webgpu} KD loss on webgpu vs cpu`, () => {
  const cases = [[2, 8, 8], [1, 4, 8, 8]].flatMap((shape) => ABSENT_CLASS_POLICIES.map((absentClass) => ({ shape, absentClass })));
  it.each(cases)("logits [$shape x K], absentClass $absentClass: loss, qA, qB, per class, d/dlogits", async ({ shape, absentClass }) => {
    const ref = await kdOn("cpu", shape, absentClass);
    const got = await kdOn("webgpu", shape, absentClass);
    const names = ["loss", "qA", "qB", "perClass", "dlogitsA", "dlogitsB"];
    expect(ref[0]![0]!).toBeGreaterThan(0);
    names.forEach((w, i) => expectScaledClose(got[i]!, ref[i]!, TOL, w));
    expect(webgpuErrors().count).toBe(0);
  });
});
