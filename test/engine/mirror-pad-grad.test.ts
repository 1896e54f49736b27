// The MirrorPad gradient (lib/engine/grads/mirror-pad.ts) against an index map written out here:
// d/dx_i sum(w * mirrorPad(x)) = the sum of w over every padded position that copies x_i.
import { beforeAll, describe, expect, it } from "vitest";
import { initEngine, tf, type Tensor } from "../../lib/engine/index.ts";

beforeAll(async () => {
  await initEngine({ backend: "cpu" });
});

/** Source index of padded position p along an axis of length n with `before` padding. */
function source(p: number, n: number, before: number, mode: "reflect" | "symmetric"): number {
  let i = p - before;
  const off = mode === "reflect" ? 1 : 0;
  if (i < 0) i = -i - 1 + off;
  if (i >= n) i = 2 * n - 1 - i - off;
  return i;
}

describe("MirrorPad gradient", () => {
  it.each([
    ["symmetric", [[1, 2], [2, 1]]],
    ["reflect", [[1, 2], [2, 0]]],
    ["symmetric", [[0, 0], [3, 3]]],
  ] as const)("%s, paddings %j on a 3 x 4 input", (mode, pads) => {
    const [n0, n1] = [3, 4];
    const x = tf.tensor2d([...Array(n0 * n1).keys()].map((v) => v * 0.1), [n0, n1]);
    const p0 = n0 + pads[0][0] + pads[0][1], p1 = n1 + pads[1][0] + pads[1][1];
    const wv = [...Array(p0 * p1).keys()].map((k) => (k * 7919) % 101 - 50);
    const w = tf.tensor2d(wv, [p0, p1]);
    const g = tf.grad((t: Tensor) => tf.sum(tf.mul(tf.mirrorPad(t, pads.map((p) => [p[0], p[1]]) as Array<[number, number]>, mode), w)))(x);
    const want = new Array(n0 * n1).fill(0);
    for (let a = 0; a < p0; a++) for (let b = 0; b < p1; b++) {
      want[source(a, n0, pads[0][0], mode) * n1 + source(b, n1, pads[1][0], mode)] += wv[a * p1 + b]!;
    }
    expect(Array.from(g.dataSync())).toEqual(want);
    tf.dispose([x, w, g]);
  });
});
