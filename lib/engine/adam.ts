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

/** Adam with a fused per-variable update; construct like `tf.train.adam(lr, beta1, beta2, epsilon)`. */
export class FusedAdamOptimizer extends AdamOptimizer {
  constructor(learningRate: number, beta1 = 0.9, beta2 = 0.999, epsilon: number | null = null) {
    super(learningRate, beta1, beta2, epsilon ?? undefined);
  }

  override applyGradients(variableGradients: NamedTensorMap | NamedTensor[]): void {
    const self = this as unknown as AdamInternals;
    const names = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients);
    const acc1 = self.accBeta1.dataSync()[0]!;
    const acc2 = self.accBeta2.dataSync()[0]!;
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
    this.incrementIterations();
  }
}

/** `tf.train.adam` with the fused update. */
export function fusedAdam(learningRate: number, beta1 = 0.9, beta2 = 0.999, epsilon: number | null = null): FusedAdamOptimizer {
  return new FusedAdamOptimizer(learningRate, beta1, beta2, epsilon);
}
