/** The native backend's output-buffer pool: reuse after dispose, never while anyone can still see the buffer. */
import { describe, it, expect } from "vitest";
import { tf } from "../../lib/engine/tf.ts";
import { BufferPool } from "../../lib/engine/native/buffers.ts";
import { native } from "./helpers.ts";

describe("BufferPool", () => {
  const N = 10000;
  it("reuses a buffer once its only tensor is disposed", () => {
    const p = new BufferPool();
    const a = p.alloc(N);
    p.onWrite(a);
    p.onDispose(a);
    expect(p.alloc(N)).toBe(a);
    expect(p.alloc(N)).not.toBe(a);
  });
  it.each([
    ["read by dataSync", (p: BufferPool, a: Float32Array) => { p.onWrite(a); p.onRead(a); p.onDispose(a); }],
    ["shared by two tensors", (p: BufferPool, a: Float32Array) => { p.onWrite(a); p.onWrite(a); p.onDispose(a); p.onDispose(a); }],
    ["viewed by another tensor", (p: BufferPool, a: Float32Array) => { p.onWrite(a); p.onWrite(a.subarray(10, 20)); p.onDispose(a); }],
  ] as const)("never reuses a buffer %s", (_name, use) => {
    const p = new BufferPool();
    const a = p.alloc(N);
    use(p, a);
    expect(p.alloc(N)).not.toBe(a);
  });
  it("keeps a buffer until its last tensor is disposed", () => {
    const p = new BufferPool();
    const a = p.alloc(N);
    p.onWrite(a);
    p.onRead(new Float32Array(3)); // unrelated
    expect(p.alloc(N)).not.toBe(a);
  });
});

describe.skipIf(!native.ok)("buffer reuse on the native backend", () => {
  it("values read with dataSync() survive later kernels of the same size", async () => {
    await tf.setBackend("native");
    const x = tf.fill([64, 64], 2);
    const y = tf.mul(x, 3);
    const seen = y.dataSync();
    y.dispose();
    const z = tf.tidy(() => tf.mul(tf.mul(x, 5), 7)); // same-size native outputs
    expect(seen[0]).toBe(6);
    expect(seen[4095]).toBe(6);
    expect(z.dataSync()[0]).toBe(70);
    tf.dispose([x, z]);
  });
});
