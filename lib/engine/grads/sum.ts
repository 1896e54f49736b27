/**
 * Gradient of Sum: dy broadcast back to x's shape. On the cpu-style backends (cpu, native) with
 * tf.broadcastTo, i.e. one Tile kernel (the pack's block-copy Tile, js-cpu-fast.ts); tfjs-core's own
 * gradient multiplies the reshaped dy by a freshly built ones(x.shape) (a JS loop filling x.size
 * ones, then a Multiply): the same values, two full-size passes and a temporary more. Elsewhere
 * tfjs-core's form is kept (tfjs-backend-wasm's Tile is ~100x slower than its Multiply).
 */
import { tf, type Tensor } from "../tf.ts";
import type { GradConfig, NamedAttrMap } from "@tensorflow/tfjs-core";

const TILE_BACKENDS = new Set(["cpu", "native"]);

export const sumGrad: GradConfig = {
  kernelName: "Sum",
  inputsToSave: ["x"],
  gradFunc: (dys: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const dy = Array.isArray(dys) ? dys[0]! : dys;
    const [x] = saved as [Tensor];
    const shape = x.shape.slice();
    for (const a of tf.util.parseAxisParam(attrs.axis as number | number[], x.shape)) shape[a] = 1;
    return {
      x: () => {
        if (!TILE_BACKENDS.has(tf.getBackend())) return tf.mul(tf.reshape(dy, shape), tf.ones(x.shape, "float32"));
        const g = tf.broadcastTo(tf.reshape(dy, shape), x.shape);
        return g.dtype === "float32" ? g : tf.cast(g, "float32");
      },
    };
  },
};
