/**
 * toOneHot (lib/losses/labels.ts): the loop used on in-process backends (cpu, native, wasm) and the
 * tensor-op path used elsewhere give the same one-hot, bit for bit, for int32 and float labels,
 * with ignore labels (negative, >= K, 255) as all-zero rows and float labels rounded half to even
 * as tf.round does; and the expected rows written out by hand.
 */
import { describe, it, expect } from "vitest";
import { tf } from "../../lib/engine/tf.ts";
import { toOneHot, toOneHotOps } from "../../lib/losses/labels.ts";

describe("toOneHot: the host loop and the tensor ops agree", () => {
  const K = 4;
  const logits = tf.zeros([2, 4, K]);
  it("int32 labels with ignore values", () => {
    const lab = tf.tensor([0, 1, 2, 3, 4, -1, 255, 2], [2, 4], "int32");
    const a = toOneHot("t", logits, lab), b = toOneHotOps(lab, K, [2, 4]);
    expect(tf.getBackend()).toBe("cpu");
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    // by hand: rows for 0, 1, 2, 3, then three ignored, then 2
    expect(Array.from(a.dataSync())).toEqual([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]);
    expect(a.shape).toEqual([2, 4, K]);
    expect(a.dtype).toBe("float32");
    tf.dispose([lab, a, b]);
  });
  it("float labels: rounded half to even (0.5 -> 0, 1.5 -> 2, 2.5 -> 2), out-of-range ignored", () => {
    const lab = tf.tensor([0.5, 1.5, 2.5, 2.9999, 3.4, -0.5, 4.2, 1], [2, 4], "float32");
    const a = toOneHot("t", logits, lab), b = toOneHotOps(lab, K, [2, 4]);
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    const argmax = (v: Float32Array) => Array.from({ length: 8 }, (_, i) => { const row = Array.from(v.slice(i * K, i * K + K)); return row.some((x) => x) ? row.indexOf(1) : -1; });
    expect(argmax(a.dataSync() as Float32Array)).toEqual([0, 2, 2, 3, 3, 0, -1, 1]);
    tf.dispose([lab, a, b]);
  });
  it("leaves no tensor behind", () => {
    const lab = tf.tensor([0, 1, 2, 3, 0, 1, 2, 3], [2, 4], "int32");
    const before = tf.memory().numTensors;
    tf.dispose([toOneHot("t", logits, lab), toOneHotOps(lab, K, [2, 4])]);
    expect(tf.memory().numTensors).toBe(before);
    lab.dispose();
  });
});
