/**
 * Adam with one fused kernel per variable (`UmmkdAdamUpdate`) instead of tfjs's ~14 (mul, add,
 * square, div, sqrt... each with its own output buffer). A drop-in subclass of tfjs's
 * `AdamOptimizer`: same state (`accumulatedFirstMoment`/`SecondMoment`, `accBeta1/2`), so
 * `getWeights` / `setWeights` / serialization and checkpoint code that reads those fields work
 * unchanged; the same update, up to float32 rounding (the fused loop computes in float64):
 *   m' = b1 m + (1 - b1) g;  v' = b2 v + (1 - b2) g^2;
 *   w' = w - lr * (m' / (1 - b1^t)) / (sqrt(v' / (1 - b2^t)) + eps).
 */
import { tf, type Tensor, type Variable } from "./tf.ts";
import { AdamOptimizer, type NamedTensorMap } from "@tensorflow/tfjs-core";
import { runUmmkdKernel } from "./grads/run-kernel.ts";
import { UmmkdAdamUpdate, type UmmkdAdamUpdateAttrs } from "./kernel-names.ts";

interface NamedTensor {
  name: string;
  tensor: Tensor;
}

interface AdamInternals {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accumulatedFirstMoment: Array<{ originalName: string; variable: Variable } | undefined>;
  accumulatedSecondMoment: Array<{ originalName: string; variable: Variable } | undefined>;
  accBeta1: Variable;
  accBeta2: Variable;
}

/** Backends whose scalars JS reads synchronously (no device round trip). */
const HOST_MEMORY_BACKENDS = new Set(["cpu", "native", "wasm", "tensorflow"]);

/** Adam with a fused per-variable update; construct like `tf.train.adam(lr, beta1, beta2, epsilon)`. */
export class FusedAdamOptimizer extends AdamOptimizer {
  /**
   * beta1^t and beta2^t as the float32 variables `accBeta1/2` hold them, mirrored in JS: a device
   * backend (webgpu) cannot read them synchronously. Each step multiplies in float32
   * (Math.fround of a product of two float32 values is the float32 product), as tf.mul does.
   */
  private accHost: [number, number];

  constructor(learningRate: number, beta1 = 0.9, beta2 = 0.999, epsilon: number | null = null) {
    super(learningRate, beta1, beta2, epsilon ?? undefined);
    this.accHost = [Math.fround(beta1), Math.fround(beta2)];
  }

  /** Set beta1^t and beta2^t (a checkpoint's values), in the variables and their JS mirror. */
  setBiasCorrection(accBeta1: number, accBeta2: number): void {
    const self = this as unknown as AdamInternals;
    tf.tidy(() => {
      self.accBeta1.assign(tf.scalar(accBeta1));
      self.accBeta2.assign(tf.scalar(accBeta2));
    });
    this.accHost = [Math.fround(accBeta1), Math.fround(accBeta2)];
  }

  /** beta1^t and beta2^t, read without a device round trip. */
  biasCorrection(): [number, number] {
    return [...this.accHost];
  }

  override applyGradients(variableGradients: NamedTensorMap | NamedTensor[]): void {
    const self = this as unknown as AdamInternals;
    const names = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients);
    // host memory: the variables themselves (as before); a device: the mirror
    const host = HOST_MEMORY_BACKENDS.has(tf.getBackend());
    const acc1 = host ? self.accBeta1.dataSync()[0]! : this.accHost[0];
    const acc2 = host ? self.accBeta2.dataSync()[0]! : this.accHost[1];
    const attrs: UmmkdAdamUpdateAttrs = { lr: self.learningRate, beta1: self.beta1, beta2: self.beta2, epsilon: self.epsilon, c1: 1 - acc1, c2: 1 - acc2 };
    tf.tidy(() => {
      names.forEach((name, i) => {
        const value = tf.engine().registeredVariables[name]!;
        self.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        self.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        const gradient = Array.isArray(variableGradients) ? variableGradients[i]!.tensor : variableGradients[name];
        if (gradient == null) return;
        const m = self.accumulatedFirstMoment[i]!.variable;
        const v = self.accumulatedSecondMoment[i]!.variable;
        const [w2, m2, v2] = runUmmkdKernel(UmmkdAdamUpdate, { value, gradient, m, v }, attrs) as Tensor[];
        m.assign(m2!);
        v.assign(v2!);
        value.assign(w2!);
      });
      self.accBeta1.assign(tf.mul(self.accBeta1, self.beta1));
      self.accBeta2.assign(tf.mul(self.accBeta2, self.beta2));
    });
    this.accHost = [Math.fround(acc1 * Math.fround(self.beta1)), Math.fround(acc2 * Math.fround(self.beta2))];
    this.incrementIterations();
  }
}

/** `tf.train.adam` with the fused update. */
export function fusedAdam(learningRate: number, beta1 = 0.9, beta2 = 0.999, epsilon: number | null = null): FusedAdamOptimizer {
  return new FusedAdamOptimizer(learningRate, beta1, beta2, epsilon);
}
