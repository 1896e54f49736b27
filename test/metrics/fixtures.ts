/** Helpers to read the JSON fixtures written by test/fixtures/metrics/make_fixtures.py. */
import { readFileSync } from "node:fs";
import { inflateSync } from "node:zlib";
import { fileURLToPath } from "node:url";

export const FIXTURE_DIR = fileURLToPath(new URL("../fixtures/metrics/", import.meta.url));

export function loadFixture<T>(name: string): T {
  return JSON.parse(readFileSync(FIXTURE_DIR + name, "utf8")) as T;
}

/** zlib + base64 of a uint8 array in axis-0-fastest order. */
export function decodeU8(b64: string): Uint8Array {
  return new Uint8Array(inflateSync(Buffer.from(b64, "base64")));
}

/** JSON numbers, with "NaN" / "Infinity" / "-Infinity" strings for non-finite values. */
export function num(x: number | string): number {
  return typeof x === "number" ? x : Number(x);
}

/** Relative/absolute closeness that treats NaN == NaN and Infinity == Infinity. */
export function expectClose(actual: number, expected: number, rtol = 1e-9, what = ""): void {
  if (Number.isNaN(expected) || !Number.isFinite(expected)) {
    if (!Object.is(actual, expected)) throw new Error(`${what}: expected ${expected}, got ${actual}`);
    return;
  }
  const tol = rtol * Math.max(1, Math.abs(expected));
  if (!(Math.abs(actual - expected) <= tol)) throw new Error(`${what}: expected ${expected}, got ${actual} (tol ${tol})`);
}

/** MONAI tests' create_spherical_seg_3d, same float operations, axis 0 fastest. */
export function sphere(
  radius: number,
  centre: readonly number[],
  shape: readonly number[],
  spacing: readonly number[],
): Uint8Array {
  const [n0, n1, n2] = shape as [number, number, number];
  const out = new Uint8Array(n0 * n1 * n2);
  const r2 = radius * radius;
  let idx = 0;
  for (let k = 0; k < n2; k++) {
    const dz = k * spacing[2]! - centre[2]!;
    for (let j = 0; j < n1; j++) {
      const dx = j * spacing[1]! - centre[1]!;
      for (let i = 0; i < n0; i++, idx++) {
        const dy = i * spacing[0]! - centre[0]!;
        out[idx] = dx * dx + dy * dy + dz * dz <= r2 ? 1 : 0;
      }
    }
  }
  return out;
}
