/**
 * Small tensor helpers shared by the portable convolution gradients: pad-or-crop along axes, zero
 * insertion (the "dilation" of dy for strided convolutions) and padding arithmetic.
 */
import { tf, type Tensor } from "../tf.ts";

/**
 * Pad (positive amounts) or crop (negative amounts) `t` along each axis.
 * @param t any rank
 * @param amounts per axis `[before, after]`; negative means remove that many entries
 */
export function padOrCrop<T extends Tensor>(t: T, amounts: Array<[number, number]>): T {
  const needCrop = amounts.some(([a, b]) => a < 0 || b < 0);
  let out: Tensor = t;
  if (needCrop) {
    const begin = amounts.map(([a]) => Math.max(0, -a));
    const size = amounts.map(([a, b], i) => t.shape[i]! - Math.max(0, -a) - Math.max(0, -b));
    out = tf.slice(out, begin, size);
  }
  if (amounts.some(([a, b]) => a > 0 || b > 0)) {
    out = tf.pad(out, amounts.map(([a, b]) => [Math.max(0, a), Math.max(0, b)] as [number, number]));
  }
  return out as T;
}

/**
 * Insert `s - 1` zeros after every entry along the given spatial axes (channels-last, batch first):
 * [N, A, B, C] with strides [sa, sb] -> [N, A*sa, B*sb, C] (the trailing zeros are kept; callers
 * account for them in their padding). Works for 2 or 3 spatial axes.
 */
export function zeroInsert<T extends Tensor>(t: T, strides: number[]): T {
  if (strides.every((s) => s === 1)) return t;
  const nSpatial = t.shape.length - 2;
  let out: Tensor = t;
  // One spatial axis at a time: view as [before, dim, 1, after], pad the unit axis to s, merge.
  for (let i = 0; i < nSpatial; i++) {
    const s = strides[i]!;
    if (s === 1) continue;
    const cur = out.shape;
    const before = cur.slice(0, i + 1).reduce((a, b) => a * b, 1);
    const dim = cur[i + 1]!;
    const after = cur.slice(i + 2).reduce((a, b) => a * b, 1);
    const r = tf.reshape(out, [before, dim, 1, after]);
    const p = tf.pad(r, [
      [0, 0],
      [0, 0],
      [0, s - 1],
      [0, 0],
    ]);
    const newShape = cur.slice();
    newShape[i + 1] = dim * s;
    out = tf.reshape(p, newShape);
  }
  return out as T;
}
