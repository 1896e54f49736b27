/**
 * Spatial flip + channel swap of a conv filter ([...k, Ci, Co] -> [...k reversed, Co, Ci]): the
 * filter of dx written as a forward conv. Internal kernel of the pack (`UmmkdFlipSwapFilter`): a
 * fused JS loop where the backend's memory is reachable, tf.reverse + tf.transpose elsewhere.
 */
import { tf, type Tensor } from "../tf.ts";

export const UmmkdFlipSwapFilter = "UmmkdFlipSwapFilter";

/** Flip and swap through the active backend's kernel (registering the pack if needed). */
export function flipSwapFilter<T extends Tensor>(filter: T): T {
  const backend = tf.getBackend();
  if (!tf.getKernel(UmmkdFlipSwapFilter, backend)) {
    const r = filter.rank;
    const spatial = Array.from({ length: r - 2 }, (_, i) => i);
    return tf.transpose(tf.reverse(filter, spatial), [...spatial, r - 1, r - 2]) as T;
  }
  return tf.engine().runKernel(UmmkdFlipSwapFilter, { filter }, {}) as T;
}
