/**
 * The fused group normalization op (`groupNorm`, lib/engine/ops.ts; kernels UmmkdGroupNorm /
 * UmmkdGroupNormGrad) that runs instance (G = C), layer (G = 1) and group normalization:
 * - forward and all three gradients (dx, dgamma, dbeta) vs the tf-op composition that
 *   lib/models/norm.ts used before (kept below as `composition`, differentiated by tfjs autodiff),
 *   on cpu, wasm and native, 2D and 3D, spatial 1x1(x1), C = 1, G = C, G = 1, B = 2, C above the
 *   native kernel's 64-lane blocks;
 * - gradients vs central finite differences of the op's own float32 forward (an oracle that
 *   shares no gradient code), directional derivatives along random directions;
 * - no tensor leaks; bad arguments rejected.
 */
import { describe, it, expect } from "vitest";
import { initEngine, tf, groupNorm, type BackendName } from "../../lib/engine/index.ts";
import type { Tensor } from "../../lib/engine/tf.ts";
import { DEFAULT_NORM_EPSILON, groupCount, normalize } from "../../lib/models/index.ts";
import type { NormKind } from "../../lib/models/types.ts";
import { Rng } from "../../lib/util/rng.ts";
import { native } from "../native/helpers.ts";
import { REQUIRES } from "../requires.ts";

type GroupKind = Exclude<NormKind, "batch">;

/** lib/models/norm.ts `normalize` for instance / layer / group before the fused op (tf ops, autodiff). */
function composition(x: Tensor, gamma: Tensor, beta: Tensor, kind: GroupKind, groups: number, eps: number): Tensor {
  return tf.tidy(() => {
    const rank = x.rank, C = x.shape[rank - 1]!;
    const spatialAxes = Array.from({ length: rank - 2 }, (_, i) => i + 1);
    let xn: Tensor;
    if (kind === "group") {
      const G = groupCount(C, groups);
      const xg = tf.reshape(x, [...x.shape.slice(0, -1), G, C / G]);
      const { mean, variance } = tf.moments(xg, [...spatialAxes, rank], true);
      xn = tf.reshape(tf.mul(tf.sub(xg, mean), tf.rsqrt(tf.add(variance, eps))), x.shape);
    } else {
      const axes = kind === "instance" ? spatialAxes : [...spatialAxes, rank - 1];
      const { mean, variance } = tf.moments(x, axes, true);
      xn = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps)));
    }
    return tf.add(tf.mul(xn, gamma), beta);
  });
}

const groupsOf = (kind: GroupKind, C: number, groups: number) => (kind === "instance" ? C : kind === "layer" ? 1 : groupCount(C, groups));

interface Case { kind: GroupKind; shape: number[]; groups?: number; why: string }
const CASES: Case[] = [
  { kind: "instance", shape: [2, 5, 7, 6], why: "2D" },
  { kind: "layer", shape: [2, 5, 7, 6], why: "2D" },
  { kind: "group", shape: [2, 4, 6, 8], groups: 4, why: "2D, groups 4: C/G = 2" },
  { kind: "instance", shape: [2, 3, 4, 5, 4], why: "3D" },
  { kind: "layer", shape: [2, 3, 4, 5, 4], why: "3D" },
  { kind: "group", shape: [2, 3, 2, 4, 6], groups: 3, why: "3D, groups 3: C/G = 2" },
  { kind: "group", shape: [2, 1, 1, 8], groups: 2, why: "spatial 1x1, groups 2" },
  { kind: "layer", shape: [2, 1, 1, 5], why: "spatial 1x1" },
  { kind: "instance", shape: [2, 1, 1, 3], why: "spatial 1x1: one value per group, y = beta, dx = 0" },
  { kind: "group", shape: [2, 1, 1, 1, 6], groups: 2, why: "spatial 1x1x1, groups 2" },
  { kind: "layer", shape: [2, 1, 1, 1, 4], why: "spatial 1x1x1" },
  { kind: "instance", shape: [2, 4, 5, 1], why: "C = 1" },
  { kind: "layer", shape: [2, 3, 3, 2, 1], why: "C = 1, 3D" },
  { kind: "group", shape: [2, 4, 4, 4], groups: 32, why: "groups 32: G = C" },
  { kind: "group", shape: [2, 4, 4, 7], groups: 4, why: "groups 4: G = 1 (7 is prime)" },
  { kind: "instance", shape: [2, 3, 5, 96], why: "C > 64: channel blocks of 64 and 32" },
  { kind: "group", shape: [2, 4, 3, 160], groups: 32, why: "groups 32: C/G = 5, native blocks of 12 groups" },
  { kind: "layer", shape: [2, 3, 3, 130], why: "one group of 130 channels" },
  { kind: "group", shape: [2, 2, 3, 2, 36], groups: 12, why: "3D, groups 12: C/G = 3" },
];

function randArr(rng: Rng, n: number, scale = 1, offset = 0): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal() * scale + offset);
}

/** max |a - b| <= tol * (1 + max |b|). */
function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  expect(a.length, `${what}: length`).toBe(b.length);
  let diff = 0, ref = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    ref = Math.max(ref, Math.abs(b[i]!));
  }
  expect(Number.isFinite(diff), `${what}: non-finite values`).toBe(true);
  expect(diff, `${what}: max |diff| ${diff} vs max |ref| ${ref}`).toBeLessThanOrEqual(tol * (1 + ref));
}

function inputs(c: Case) {
  const rng = new Rng(c.shape.reduce((a, b) => a * 31 + b, c.kind.length));
  const C = c.shape[c.shape.length - 1]!;
  const n = c.shape.reduce((a, b) => a * b, 1);
  // an offset and scale per run so that the statistics matter
  return { C, n, xv: randArr(rng, n, 1.7, 0.6), gv: randArr(rng, C, 0.5, 1), bv: randArr(rng, C, 0.5), wv: randArr(rng, n), rng };
}

const BACKENDS: Array<{ backend: BackendName; skip: boolean; title: string }> = [
  { backend: "cpu", skip: false, title: "cpu" },
  { backend: "wasm", skip: false, title: "wasm" },
  { backend: "native", skip: !native.ok, title: `${REQUIRES.native} native` },
];

for (const { backend, skip, title } of BACKENDS) {
  describe.skipIf(skip)(`groupNorm on ${title}`, () => {
    it.each(CASES)("$kind $shape ($why): forward and dx, dgamma, dbeta vs the composition, no leaks", async (c) => {
      await initEngine({ backend });
      const { C, xv, gv, bv, wv } = inputs(c);
      const eps = DEFAULT_NORM_EPSILON[c.kind];
      const G = groupsOf(c.kind, C, c.groups ?? 32);
      const x = tf.tensor(xv, c.shape), g = tf.tensor1d(gv), b = tf.tensor1d(bv), w = tf.tensor(wv, c.shape);
      const before = tf.memory().numTensors;
      const y = groupNorm(x, g, b, G, eps);
      expect(tf.memory().numTensors, "forward leaves only y").toBe(before + 1);
      const ours = tf.grads((xx: Tensor, gg: Tensor, bb: Tensor) => tf.sum(tf.mul(groupNorm(xx, gg, bb, G, eps), w)))([x, g, b]);
      expect(tf.memory().numTensors, "gradient leaves only the three gradients").toBe(before + 4);
      const yRef = composition(x, g, b, c.kind, c.groups ?? 32, eps);
      const ref = tf.grads((xx: Tensor, gg: Tensor, bb: Tensor) => tf.sum(tf.mul(composition(xx, gg, bb, c.kind, c.groups ?? 32, eps), w)))([x, g, b]);
      expect(y.shape).toEqual(c.shape);
      expectClose(y.dataSync(), yRef.dataSync(), 2e-5, "y");
      const names = ["dx", "dgamma", "dbeta"];
      for (let i = 0; i < 3; i++) {
        expect(ours[i]!.shape, names[i]).toEqual(ref[i]!.shape);
        expectClose(ours[i]!.dataSync(), ref[i]!.dataSync(), 1e-4, names[i]!);
      }
      tf.dispose([x, g, b, w, y, yRef, ...ours, ...ref]);
    });

    it.each(CASES.filter((c) => !c.why.startsWith("spatial 1x1: one value")))(
      "$kind $shape ($why): gradients vs central finite differences",
      async (c) => {
        await initEngine({ backend });
        const { C, n, xv, gv, bv, wv, rng } = inputs(c);
        const eps = DEFAULT_NORM_EPSILON[c.kind];
        const G = groupsOf(c.kind, C, c.groups ?? 32);
        const w = tf.tensor(wv, c.shape);
        // L = <groupNorm(x, gamma, beta), w>, the dot in float64
        const loss = (xa: Float32Array, ga: Float32Array, ba: Float32Array): number => {
          const y = tf.tidy(() => groupNorm(tf.tensor(xa, c.shape), tf.tensor1d(ga), tf.tensor1d(ba), G, eps));
          const v = y.dataSync();
          let s = 0;
          for (let i = 0; i < n; i++) s += v[i]! * wv[i]!;
          y.dispose();
          return s;
        };
        const x = tf.tensor(xv, c.shape), g = tf.tensor1d(gv), b = tf.tensor1d(bv);
        const grads = tf.grads((xx: Tensor, gg: Tensor, bb: Tensor) => tf.sum(tf.mul(groupNorm(xx, gg, bb, G, eps), w)))([x, g, b]);
        const gs = grads.map((t) => Float64Array.from(t.dataSync()));
        tf.dispose([x, g, b, w, ...grads]);
        const base = [xv, gv, bv];
        const h = 1e-2;
        for (let which = 0; which < 3; which++) {
          for (let k = 0; k < 2; k++) {
            const d = Float64Array.from({ length: base[which]!.length }, () => rng.normal());
            const shifted = (sign: number) => base.map((a, j) => (j === which ? Float32Array.from(a, (v, i) => v + sign * h * d[i]!) : a));
            const [pa, pg, pb] = shifted(1), [ma, mg, mb] = shifted(-1);
            const fd = (loss(pa!, pg!, pb!) - loss(ma!, mg!, mb!)) / (2 * h);
            let an = 0, scale = 0;
            for (let i = 0; i < d.length; i++) {
              an += gs[which]![i]! * d[i]!;
              scale += Math.abs(gs[which]![i]! * d[i]!);
            }
            // relative to the derivative's size, with a floor for float32 rounding of L
            expect(Math.abs(fd - an), `${["dx", "dgamma", "dbeta"][which]} along a random direction: fd ${fd} vs ${an}`).toBeLessThanOrEqual(2e-2 * Math.abs(an) + 2e-3 * (1 + scale));
          }
        }
      },
      60_000,
    );
  });
}

describe("groupNorm arguments and normalize()", () => {
  it("rejects a G that does not divide C, gamma/beta of the wrong shape, rank < 2", async () => {
    await initEngine({ backend: "cpu" });
    const x = tf.zeros([2, 3, 3, 6]), g = tf.ones([6]), b = tf.zeros([6]);
    expect(() => groupNorm(x, g, b, 4, 1e-6)).toThrow(/divisor of C = 6/);
    expect(() => groupNorm(x, tf.ones([5]), b, 2, 1e-6)).toThrow(/gamma must be \[6\]/);
    expect(() => groupNorm(x, g, tf.zeros([1, 6]), 2, 1e-6)).toThrow(/beta must be \[6\]/);
    expect(() => groupNorm(tf.zeros([6]), g, b, 2, 1e-6)).toThrow(/rank >= 2/);
    tf.dispose([x, g, b]);
  });

  it.each(["instance", "layer", "group"] as const)("normalize(%s) runs the one fused kernel each way", async (kind) => {
    await initEngine({ backend: "cpu" });
    const rng = new Rng(5);
    const shape = [2, 4, 4, 8];
    const x = tf.tensor(randArr(rng, 2 * 4 * 4 * 8), shape), g = tf.tensor1d(randArr(rng, 8)), b = tf.tensor1d(randArr(rng, 8));
    const G = groupsOf(kind, 8, 2);
    const prof = await tf.profile(() => {
      const [dx] = tf.grads((xx: Tensor) => tf.sum(normalize(xx, { gamma: g, beta: b }, { kind, training: true, groups: 2 })))([x]);
      return dx!;
    });
    const names = prof.kernels.map((k) => k.name);
    expect(names.filter((k) => k === "UmmkdGroupNorm")).toHaveLength(1);
    expect(names.filter((k) => k === "UmmkdGroupNormGrad")).toHaveLength(1);
    expect(names).not.toContain("Mean");
    tf.dispose(prof.result as Tensor);
    const y = normalize(x, { gamma: g, beta: b }, { kind, training: false, groups: 2 });
    const direct = groupNorm(x, g, b, G, DEFAULT_NORM_EPSILON[kind]);
    expect(Array.from(y.dataSync())).toEqual(Array.from(direct.dataSync()));
    tf.dispose([x, g, b, y, direct]);
  });
});
