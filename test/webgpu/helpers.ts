/**
 * Shared helpers of the WebGPU tests (issue 29): whether the WebGPU engine loads here (on a machine
 * without a GPU: Dawn's OpenGL backend on Mesa llvmpipe, installed by `npm run setup`), and
 * cross-backend comparisons. Each test file runs in its own process (vitest forks), so the probe
 * loads Dawn once per file.
 */
import { expect } from "vitest";
import { initEngine, type EngineInfo } from "../../lib/engine/index.ts";

export type WebgpuProbe = { ok: true; info: EngineInfo } | { ok: false; reason: string };

/** Forces the webgpu engine once (then the file switches backends with initEngine as it needs). */
export async function probeWebgpu(): Promise<WebgpuProbe> {
  try {
    const info = await initEngine({ backend: "webgpu" });
    return { ok: true, info };
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
}

/** The largest |a - b| / (atol + |b|) over the elements, and where. */
export function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>, atol: number): { err: number; at: number } {
  let err = 0, at = -1;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i]! - b[i]!) / (atol + Math.abs(b[i]!));
    if (!(e <= err)) {
      err = e;
      at = i;
    }
  }
  return { err, at };
}

/**
 * max |a - b| <= tol * (1 + max |b|): the error relative to the tensor's scale (a gradient's
 * near-zero elements differ in relative terms by float32 summation order alone).
 */
export function expectScaledClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): number {
  expect(a.length, `${what}: length`).toBe(b.length);
  let maxDiff = 0, maxRef = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= maxDiff)) maxDiff = d;
    maxRef = Math.max(maxRef, Math.abs(b[i]!));
  }
  const scaled = maxDiff / (1 + maxRef);
  expect(scaled, `${what}: max |diff| ${maxDiff} vs max |ref| ${maxRef}`).toBeLessThanOrEqual(tol);
  return scaled;
}
