/**
 * Ground-truth handling shared by the losses: class-index labels (Int32Array/Uint8Array/number[]
 * or an integer tensor) or a one-hot tensor become a float32 one-hot tensor whose rows are all
 * zero for "ignore" pixels (a label < 0 or >= numClasses, e.g. 255, or MM-WHS's label 5).
 */
import { tf, type Tensor } from "../engine/tf.ts";
import { ShapeError } from "../util/errors.ts";

/** Labels accepted by the losses: class indices (flat typed array or tensor) or a one-hot tensor. */
export type LabelInput = Tensor | Int32Array | Uint8Array | Uint16Array | Float32Array | number[];

/**
 * One-hot encodes `target` to the shape of `logits`.
 * @param fn the calling function's name (for errors)
 * @param logits [..., K] float32 (only its shape is used)
 * @param target class indices with logits.shape[:-1] (tensor or flat array of that size), or a
 *   one-hot float tensor with logits' shape (ignore pixels: all-zero rows)
 * @returns float32 one-hot [..., K]; ignore pixels are all-zero rows
 * @throws ShapeError when the sizes do not match
 */
export function toOneHot(fn: string, logits: Tensor, target: LabelInput): Tensor {
  const K = logits.shape[logits.shape.length - 1]!;
  const spatial = logits.shape.slice(0, -1);
  const n = spatial.reduce((a, b) => a * b, 1);
  if (target instanceof tf.Tensor) {
    const t = target as Tensor;
    if (t.shape.length === logits.shape.length && t.shape.every((d, i) => d === logits.shape[i])) {
      return t.dtype === "float32" ? t.clone() : tf.cast(t, "float32");
    }
    if (t.size !== n) {
      throw new ShapeError(`${fn}: target must be labels of shape [${spatial}] or one-hot [${logits.shape}], got [${t.shape}]`);
    }
    // On backends whose storage is in this process, one loop over the labels replaces ten kernels
    // over the labels and the one-hot volume (GreaterEqual, Less, LogicalAnd, Select, OneHot,
    // Cast, ...): ~5% of the abdominal training step, called four times per step.
    if (HOST_BACKENDS.has(tf.getBackend())) return oneHotOfIndices(t.dataSync(), K, logits.shape, t.dtype !== "int32");
    return toOneHotOps(t, K, spatial);
  }
  const arr = target as ArrayLike<number>;
  if (arr.length !== n) {
    throw new ShapeError(`${fn}: target must hold ${n} labels (shape [${spatial}]), got ${arr.length}`);
  }
  return oneHotOfIndices(arr, K, logits.shape, false);
}

/** Backends whose tensors live in this process: reading the labels costs nothing. */
const HOST_BACKENDS = new Set(["cpu", "native", "wasm"]);

/** tf.round's rounding: half to even (banker's). */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Float32 one-hot [..., K] of class indices; an index outside [0, K) (or not an integer, unless
 * `round`) gives an all-zero row. `round`: float labels are rounded as tf.round does first.
 */
function oneHotOfIndices(arr: ArrayLike<number>, K: number, shape: number[], round: boolean): Tensor {
  const n = arr.length;
  const out = new Float32Array(n * K);
  for (let i = 0; i < n; i++) {
    const c = round ? roundHalfEven(arr[i]!) : arr[i]!;
    if (Number.isInteger(c) && c >= 0 && c < K) out[i * K + c] = 1;
  }
  return tf.tensor(out, shape, "float32");
}

/**
 * The same one-hot as tensor ops, for backends whose storage is elsewhere (a GPU): reading the
 * labels back would cost more than the kernels. Exported for the test that both ways agree.
 */
export function toOneHotOps(t: Tensor, K: number, spatial: number[]): Tensor {
  return tf.tidy(() => {
    const idx = tf.reshape(t.dtype === "int32" ? t : tf.cast(tf.round(t), "int32"), spatial);
    // tf.oneHot gives all-zero rows for indices outside [0, K) on the cpu backend; mask
    // explicitly so every backend ignores them.
    const valid = tf.logicalAnd(tf.greaterEqual(idx, 0), tf.less(idx, K));
    const safe = tf.where(valid, idx, tf.zerosLike(idx));
    return tf.mul(tf.cast(tf.oneHot(safe as Tensor, K), "float32"), tf.cast(tf.expandDims(valid, -1), "float32"));
  });
}
