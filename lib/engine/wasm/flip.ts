/**
 * Spatial flip + channel swap of a conv filter ([...k, Ci, Co] -> [...k reversed, Co, Ci]): the
 * filter of dx written as a forward conv. Internal kernel of the pack (`UmmkdFlipSwapFilter`): a
 * fused JS loop where the backend's memory is reachable, tf.reverse + tf.transpose elsewhere.
 */
import { tf, type Tensor } from "../tf.ts";

export const UmmkdFlipSwapFilter = "UmmkdFlipSwapFilter";

/**
 * Flip and swap with tf ops. Reversing every spatial axis is reversing their joint (row-major)
 * index, so the filter is seen as [k1*...*kn, Ci, Co]: one rank-3 reverse and transpose on every
 * backend (tfjs-backend-webgpu 4.22's Reverse handles rank <= 4 only and fails on a 3D filter).
 */
export function flipSwapFilterOps<T extends Tensor>(filter: T): T {
  return tf.tidy(() => {
    const r = filter.rank;
    const k = filter.shape.slice(0, r - 2);
    const [ci, co] = filter.shape.slice(r - 2) as [number, number];
    const s = k.reduce((a, b) => a * b, 1);
    const flipped = tf.transpose(tf.reverse(tf.reshape(filter, [s, ci, co]), 0), [0, 2, 1]);
    return tf.reshape(flipped, [...k, co, ci]) as T;
  });
}

/** Flip and swap through the active backend's kernel (registering the pack if needed). */
export function flipSwapFilter<T extends Tensor>(filter: T): T {
  const backend = tf.getBackend();
  if (!tf.getKernel(UmmkdFlipSwapFilter, backend)) return flipSwapFilterOps(filter);
  return tf.engine().runKernel(UmmkdFlipSwapFilter, { filter }, {}) as T;
}
