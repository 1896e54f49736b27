/** Shared helpers of the native-engine tests: seeded inputs, per-backend runs with leak checks, comparisons. */
import { expect } from "vitest";
import { tf, type Tensor } from "../../lib/engine/tf.ts";
import { loadNative, type NativeLoadResult } from "../../lib/engine/native/index.ts";
import { Rng } from "../../lib/util/rng.ts";

/** Loads the native engine once per test file (vitest runs each file in its own process). */
export const native: NativeLoadResult = await loadNative();

/** Seeded standard-normal values of a shape. */
export function randn(rng: Rng, shape: readonly number[]): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = rng.normal();
  return v;
}

/**
 * Runs `fn` on a backend inside tf.tidy, reads every output, disposes them, and asserts that no
 * tensor leaked (tf.memory().numTensors unchanged).
 */
export async function runOn(backend: "native" | "cpu", fn: () => Tensor | Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const before = tf.memory().numTensors;
  const outs = tf.tidy(fn);
  const list = Array.isArray(outs) ? outs : [outs];
  const data = list.map((t) => Float32Array.from(t.dataSync()));
  tf.dispose(list);
  expect(tf.memory().numTensors, `tensor leak on ${backend}`).toBe(before);
  return data;
}

/** max |a - b| <= tol * (1 + max |b|). */
export function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what = ""): void {
  expect(a.length, `${what}: length`).toBe(b.length);
  let maxDiff = 0, maxRef = 0;
  for (let i = 0; i < a.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
    maxRef = Math.max(maxRef, Math.abs(b[i]!));
  }
  expect(Number.isFinite(maxDiff), `${what}: non-finite values`).toBe(true);
  expect(maxDiff, `${what}: max |diff| ${maxDiff} vs max |ref| ${maxRef}`).toBeLessThanOrEqual(tol * (1 + maxRef));
}

/**
 * Per element: |a_i - b_i| <= rtol * |b_i| + floor * max |b| (the floor only keeps elements that
 * are rounding noise, ~1e-4 of the largest, from failing). Unlike `expectClose`, a small element
 * with 100% error fails.
 */
export function expectRelClose(a: ArrayLike<number>, b: ArrayLike<number>, rtol: number, what = "", floor = 1e-4): void {
  expect(a.length, `${what}: length`).toBe(b.length);
  let maxRef = 0;
  for (let i = 0; i < b.length; i++) maxRef = Math.max(maxRef, Math.abs(b[i]!));
  let worst = -1, worstExcess = 0;
  for (let i = 0; i < a.length; i++) {
    const excess = Math.abs(a[i]! - b[i]!) - (rtol * Math.abs(b[i]!) + floor * maxRef);
    if (!(excess <= worstExcess)) {
      worst = i;
      worstExcess = Number.isNaN(excess) ? Infinity : excess;
    }
  }
  expect(worst, worst < 0 ? what : `${what}: element ${worst}: ${a[worst]} vs ${b[worst]} (rtol ${rtol}, max |ref| ${maxRef})`).toBe(-1);
}

/** Float64 dot product. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
