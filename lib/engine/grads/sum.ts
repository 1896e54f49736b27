/**
 * Gradient of Sum: dy broadcast back to x's shape with tf.broadcastTo (one Tile kernel). tfjs-core's
 * own gradient multiplies the reshaped dy by a freshly built ones(x.shape) (a JS loop filling
 * x.size ones, then a Multiply): the same values, two full-size passes and a temporary more.
 */
import { tf, type Tensor } from "../tf.ts";
import type { GradConfig, NamedAttrMap } from "@tensorflow/tfjs-core";

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
        const g = tf.broadcastTo(tf.reshape(dy, shape), x.shape);
        return g.dtype === "float32" ? g : tf.cast(g, "float32");
      },
    };
  },
};
