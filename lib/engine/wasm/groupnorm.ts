/**
 * Group normalization (`UmmkdGroupNorm` / `UmmkdGroupNormGrad`, see `../kernel-names.ts`): per
 * sample b and group g of C/G consecutive channels, statistics over the spatial axes and the
 * group's channels. Instance norm is G = C, layer norm G = 1 (Table V).
 *
 * - `groupNormJs` / `groupNormGradJs`: fused JS loops over the backend's memory (cpu, wasm, native
 *   fallback): forward two passes for the statistics (float64 sums, mean first, then the squared
 *   deviations) and one for y; backward one pass for the per-(b, c) sums and one for dx.
 * - `groupNormPortable` / `groupNormGradPortable`: the same with tf ops, for other backends.
 */
import type { KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import { tf, type Tensor } from "../tf.ts";
import type { UmmkdGroupNormAttrs } from "../kernel-names.ts";
import { io } from "./js-kernels.ts";

/** [B, S, C, G, C/G] of a channels-last shape (S = product of the middle axes) and G groups. */
export function groupNormDims(shape: readonly number[], groups: number): { B: number; S: number; C: number; G: number; Cg: number } {
  if (shape.length < 2) throw new Error(`UmmkdGroupNorm: x must have rank >= 2 (channels last), got shape [${shape}]`);
  const B = shape[0]!, C = shape[shape.length - 1]!;
  const S = shape.slice(1, -1).reduce((a, b) => a * b, 1);
  if (!Number.isInteger(groups) || groups < 1 || C % groups !== 0) throw new Error(`UmmkdGroupNorm: groups must be a positive divisor of C = ${C}, got ${groups}`);
  return { B, S, C, G: groups, Cg: C / groups };
}

function checkFloat(name: string, ts: TensorInfo[]): void {
  for (const t of ts) if (t.dtype !== "float32") throw new Error(`${name} (ummkd JS kernel): expected float32 inputs, got ${t.dtype}`);
}

/** UmmkdGroupNorm: inputs {x, gamma, beta}, attrs {groups, epsilon} -> [y, mean [B, G], rstd [B, G]]. */
export const groupNormJs: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, gamma, beta } = inputs as { x: TensorInfo; gamma: TensorInfo; beta: TensorInfo };
  checkFloat("UmmkdGroupNorm", [x, gamma, beta]);
  const a = attrs as unknown as UmmkdGroupNormAttrs;
  const { B, S, C, G, Cg } = groupNormDims(x.shape, a.groups);
  const eps = a.epsilon;
  const {
    ins: [xv, gv, bv],
    outs: [y, mean, rstd],
    done,
  } = io(backend, [x, gamma, beta], [x.shape, [B, G], [B, G]], true);
  const N = S * Cg, SC = S * C;
  const s = new Float64Array(C), mc = new Float64Array(C), scale = new Float64Array(C);
  for (let b = 0; b < B; b++) {
    const lo = b * SC, hi = lo + SC;
    s.fill(0);
    for (let i = lo; i < hi; i += C) for (let c = 0; c < C; c++) s[c]! += xv![i + c]!;
    for (let g = 0, c0 = 0; g < G; g++, c0 += Cg) {
      let t = 0;
      for (let c = c0; c < c0 + Cg; c++) t += s[c]!;
      const m = t / N;
      mean![b * G + g] = m;
      for (let c = c0; c < c0 + Cg; c++) mc[c] = m;
    }
    s.fill(0);
    for (let i = lo; i < hi; i += C)
      for (let c = 0; c < C; c++) {
        const d = xv![i + c]! - mc[c]!;
        s[c]! += d * d;
      }
    for (let g = 0, c0 = 0; g < G; g++, c0 += Cg) {
      let t = 0;
      for (let c = c0; c < c0 + Cg; c++) t += s[c]!;
      const r = 1 / Math.sqrt(t / N + eps);
      rstd![b * G + g] = r;
      for (let c = c0; c < c0 + Cg; c++) scale[c] = gv![c]! * r;
    }
    for (let i = lo; i < hi; i += C) for (let c = 0; c < C; c++) y![i + c] = (xv![i + c]! - mc[c]!) * scale[c]! + bv![c]!;
  }
  return done();
};

/** UmmkdGroupNormGrad: inputs {dy, x, gamma, mean, rstd}, attrs {groups, epsilon} -> [dx, dgamma [C], dbeta [C]]. */
export const groupNormGradJs: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, x, gamma, mean, rstd } = inputs as Record<"dy" | "x" | "gamma" | "mean" | "rstd", TensorInfo>;
  checkFloat("UmmkdGroupNormGrad", [dy, x, gamma, mean, rstd]);
  const a = attrs as unknown as UmmkdGroupNormAttrs;
  const { B, S, C, G, Cg } = groupNormDims(x.shape, a.groups);
  const {
    ins: [dyv, xv, gv, mv, rv],
    outs: [dx, dgamma, dbeta],
    done,
  } = io(backend, [dy, x, gamma, mean, rstd], [x.shape, [C], [C]], true);
  const N = S * Cg, SC = S * C;
  const sdy = new Float64Array(C), sdyx = new Float64Array(C), mc = new Float64Array(C);
  const rc = new Float64Array(C), a0 = new Float64Array(C), ax = new Float64Array(C);
  const dg = new Float64Array(C), db = new Float64Array(C);
  for (let b = 0; b < B; b++) {
    const lo = b * SC, hi = lo + SC;
    for (let g = 0, c0 = 0; g < G; g++, c0 += Cg) for (let c = c0; c < c0 + Cg; c++) mc[c] = mv![b * G + g]!;
    sdy.fill(0);
    sdyx.fill(0);
    for (let i = lo; i < hi; i += C)
      for (let c = 0; c < C; c++) {
        const d = dyv![i + c]!;
        sdy[c]! += d;
        sdyx[c]! += d * (xv![i + c]! - mc[c]!);
      }
    // dx = r (gamma dy - A / N) - (x - mean) r^3 Q / N, A = sum_c gamma_c sdy_c, Q = sum_c gamma_c sdyx_c
    // (the first term is exactly 0 where N = 1, as it should be)
    for (let g = 0, c0 = 0; g < G; g++, c0 += Cg) {
      const r = rv![b * G + g]!;
      let A = 0, Q = 0;
      for (let c = c0; c < c0 + Cg; c++) {
        A += gv![c]! * sdy[c]!;
        Q += gv![c]! * sdyx[c]!;
        dg[c]! += sdyx[c]! * r;
        db[c]! += sdy[c]!;
      }
      const ag = A / N, axg = (-r * r * r * Q) / N;
      for (let c = c0; c < c0 + Cg; c++) {
        rc[c] = r;
        a0[c] = ag;
        ax[c] = axg;
      }
    }
    for (let i = lo; i < hi; i += C) for (let c = 0; c < C; c++) dx![i + c] = rc[c]! * (gv![c]! * dyv![i + c]! - a0[c]!) + (xv![i + c]! - mc[c]!) * ax[c]!;
  }
  for (let c = 0; c < C; c++) {
    dgamma![c] = dg[c]!;
    dbeta![c] = db[c]!;
  }
  return done();
};

/** tf-op version of UmmkdGroupNorm: [y, mean [B, G], rstd [B, G]]. */
export function groupNormPortable(x: Tensor, gamma: Tensor, beta: Tensor, a: UmmkdGroupNormAttrs): [Tensor, Tensor, Tensor] {
  const { B, G, Cg } = groupNormDims(x.shape, a.groups);
  return tf.tidy(() => {
    const xg = tf.reshape(x, [B, -1, G, Cg]);
    const { mean, variance } = tf.moments(xg, [1, 3], true);
    const r = tf.rsqrt(tf.add(variance, a.epsilon));
    const xhat = tf.reshape(tf.mul(tf.sub(xg, mean), r), x.shape);
    const y = tf.add(tf.mul(xhat, gamma), beta);
    return [y, tf.reshape(mean, [B, G]), tf.reshape(r, [B, G])];
  });
}

/** tf-op version of UmmkdGroupNormGrad (closed form): [dx, dgamma [C], dbeta [C]]. */
export function groupNormGradPortable(dy: Tensor, x: Tensor, gamma: Tensor, mean: Tensor, rstd: Tensor, a: UmmkdGroupNormAttrs): [Tensor, Tensor, Tensor] {
  const { B, C, G, Cg } = groupNormDims(x.shape, a.groups);
  return tf.tidy(() => {
    const xg = tf.reshape(x, [B, -1, G, Cg]);
    const dyg = tf.reshape(dy, [B, -1, G, Cg]);
    const m = tf.reshape(mean, [B, 1, G, 1]), r = tf.reshape(rstd, [B, 1, G, 1]);
    const xhat = tf.mul(tf.sub(xg, m), r);
    const dxhat = tf.mul(dyg, tf.reshape(gamma, [1, 1, G, Cg]));
    const inner = tf.sub(tf.sub(dxhat, tf.mean(dxhat, [1, 3], true)), tf.mul(xhat, tf.mean(tf.mul(dxhat, xhat), [1, 3], true)));
    const dx = tf.reshape(tf.mul(inner, r), x.shape);
    const dgamma = tf.reshape(tf.sum(tf.mul(dyg, xhat), [0, 1]), [C]);
    const dbeta = tf.reshape(tf.sum(dyg, [0, 1]), [C]);
    return [dx, dgamma, dbeta];
  });
}
