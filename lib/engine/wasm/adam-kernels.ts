/** Kernels of `UmmkdAdamUpdate` (see lib/engine/adam.ts). */
import { tf, type Tensor } from "../tf.ts";
import type { KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import type { UmmkdAdamUpdateAttrs } from "../kernel-names.ts";

/** tf-op version of the update, for backends without a JS-reachable memory. */
export function adamUpdatePortable(value: Tensor, g: Tensor, m: Tensor, v: Tensor, a: UmmkdAdamUpdateAttrs): [Tensor, Tensor, Tensor] {
  return tf.tidy(() => {
    const m2 = tf.add(tf.mul(m, a.beta1), tf.mul(g, 1 - a.beta1));
    const v2 = tf.add(tf.mul(v, a.beta2), tf.mul(tf.square(g), 1 - a.beta2));
    const w2 = tf.add(tf.mul(tf.div(tf.div(m2, a.c1), tf.add(tf.sqrt(tf.div(v2, a.c2)), a.epsilon)), -a.lr), value);
    return [w2, m2, v2];
  });
}

/** JS version on the backend's memory (wasm heap or cpu arrays): one pass, three outputs. */
export function adamUpdateJsFactory(io: (backend: unknown, inputs: TensorInfo[], outShapes: number[][]) => { ins: Float32Array[]; outs: Float32Array[]; done: () => TensorInfo[] }): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { value, gradient, m, v } = inputs as Record<"value" | "gradient" | "m" | "v", TensorInfo>;
    const a = attrs as unknown as UmmkdAdamUpdateAttrs;
    const {
      ins: [w, g, m1, v1],
      outs: [w2, m2, v2],
      done,
    } = io(backend, [value, gradient, m, v], [value.shape, value.shape, value.shape]);
    const b1 = a.beta1, b2 = a.beta2, ob1 = 1 - a.beta1, ob2 = 1 - a.beta2, c1 = a.c1, c2 = a.c2, lr = a.lr, eps = a.epsilon;
    const n = w!.length;
    for (let i = 0; i < n; i++) {
      const gi = g![i]!;
      const mi = b1 * m1![i]! + ob1 * gi;
      const vi = b2 * v1![i]! + ob2 * gi * gi;
      m2![i] = mi;
      v2![i] = vi;
      w2![i] = w![i]! - (lr * (mi / c1)) / (Math.sqrt(vi / c2) + eps);
    }
    return done();
  };
}

