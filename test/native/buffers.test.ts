/** The native backend's output-buffer pool: reuse after dispose, never while anyone can still see the buffer. */
import { describe, it, expect } from "vitest";
import { tf } from "../../lib/engine/tf.ts";
import { BufferPool, poolCapBytes } from "../../lib/engine/native/buffers.ts";
import { native } from "./helpers.ts";
import { REQUIRES } from "../requires.ts";

describe("poolCapBytes (UMMKD_NATIVE_POOL_MB)", () => {
  const GiB = 1024 ** 3;
  it("defaults to a sixth of the memory, at most 3 GiB", () => {
    expect(poolCapBytes({}, 24 * GiB)).toBe(3 * GiB);
    expect(poolCapBytes({}, 12 * GiB)).toBe(2 * GiB);
    expect(poolCapBytes({ UMMKD_NATIVE_POOL_MB: " " }, 6 * GiB)).toBe(GiB);
  });
  it("takes MiB from the environment (0 turns pooling off) and rejects the rest", () => {
    expect(poolCapBytes({ UMMKD_NATIVE_POOL_MB: "768" }, 24 * GiB)).toBe(768 * 1024 * 1024);
    expect(poolCapBytes({ UMMKD_NATIVE_POOL_MB: "0" }, 24 * GiB)).toBe(0);
    for (const bad of ["-1", "lots", "NaN"]) expect(() => poolCapBytes({ UMMKD_NATIVE_POOL_MB: bad })).toThrow(/UMMKD_NATIVE_POOL_MB/);
  });
  it("a pool at cap 0 hands out fresh buffers only", () => {
    const p = new BufferPool(0);
    const a = p.alloc(10000);
    p.onWrite(a);
    p.onDispose(a);
    expect(p.alloc(10000)).not.toBe(a);
  });
});

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

describe.skipIf(!native.ok)(`${REQUIRES.native} buffer reuse on the native backend`, () => {
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

  it("a buffer read only by a JS kernel (its input) is reused; one also read by user code is not", async () => {
    await tf.setBackend("native");
    const { nativePool } = await import("../../lib/engine/native/buffers.ts");
    const { registerKernelPack } = await import("../../lib/engine/wasm/register.ts");
    registerKernelPack("native"); // Slice becomes the pack's JS kernel, which reads its input with readSync
    const x = tf.fill([64, 64], 2);
    const y = tf.mul(x, 3);
    const s = tf.slice(y, [0, 0], [64, 32]); // not contiguous: copied, no view of y
    y.dispose();
    const before = nativePool.reused;
    const z = tf.mul(x, 5); // same size as y: gets y's buffer back
    expect(nativePool.reused).toBe(before + 1);
    expect(s.dataSync()[0]).toBe(6);
    expect(z.dataSync()[4095]).toBe(10);
    // read by user code: never recycled, so `seen` keeps its values
    const w = tf.mul(x, 7);
    const seen = w.dataSync();
    w.dispose();
    const r0 = nativePool.reused;
    const v = tf.mul(x, 11);
    expect(nativePool.reused).toBe(r0);
    expect(seen[0]).toBe(14);
    tf.dispose([x, s, z, v]);
  });
});
