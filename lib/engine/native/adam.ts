/**
 * Adam with a native fused, in-place update on the `native` backend.
 *
 * tfjs' AdamOptimizer runs ~13 elementwise ops per variable, each allocating a fresh output (page
 * faults on multi-MB buffers); on the paper's 2D network (2.5M parameters) that is ~100 ms of a
 * step. `NativeAdamOptimizer` is a drop-in subclass (same state, `getWeights`/`setWeights`,
 * `accBeta1`/`accBeta2`, class name "Adam") whose update is one pass over w, m, v, g in C++, with
 * tfjs' float32 operation order, so the values equal tfjs' (checked in test/native/adam.test.ts).
 *
 * In place is used only when the variable and both moments are float32, on the native backend,
 * and not shared (refCount 1: e.g. no live `tf.clone` of the variable); otherwise the stock tfjs
 * update runs for that variable. Like any in-place update, an array previously returned by
 * `variable.dataSync()` (on cpu-derived backends, the storage itself) sees the new values.
 */
import { AdamOptimizer, type Optimizer, type Tensor, type Variable, type TensorInfo } from "@tensorflow/tfjs-core";
import type { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import { tf } from "../tf.ts";
import { loadAddon, type NativeAddon } from "./addon.ts";
import { f32 } from "./conv.ts";

type Grads = Parameters<AdamOptimizer["applyGradients"]>[0];

interface AdamFields {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: Variable;
  accBeta2: Variable;
  accumulatedFirstMoment: ({ originalName: string; variable: Variable } | undefined)[];
  accumulatedSecondMoment: ({ originalName: string; variable: Variable } | undefined)[];
  incrementIterations(): void;
}

/** AdamOptimizer whose per-variable update runs natively in place on the `native` backend. */
export class NativeAdamOptimizer extends AdamOptimizer {
  /** How many variables the last `applyGradients` updated natively in place (diagnostics, tests). */
  inPlaceUpdates = 0;

  static override get className(): string {
    return "Adam";
  }

  override applyGradients(variableGradients: Grads): void {
    const a = loadAddon();
    if ("reason" in a || tf.getBackend() !== "native") {
      super.applyGradients(variableGradients);
      return;
    }
    const addon: NativeAddon = a.addon;
    const self = this as unknown as AdamFields;
    const backend = tf.backend() as unknown as MathBackendCPU;
    this.inPlaceUpdates = 0;
    const names = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients);
    tf.tidy(() => {
      const oneMinusAccBeta1 = tf.sub(1, self.accBeta1);
      const oneMinusAccBeta2 = tf.sub(1, self.accBeta2);
      const s = Float32Array.from([
        -self.learningRate, self.beta1, 1 - self.beta1, self.beta2, 1 - self.beta2,
        oneMinusAccBeta1.dataSync()[0]!, oneMinusAccBeta2.dataSync()[0]!, self.epsilon,
      ]);
      names.forEach((name, i) => {
        const value = tf.engine().registeredVariables[name]!;
        if (self.accumulatedFirstMoment[i] == null) {
          self.accumulatedFirstMoment[i] = { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        }
        if (self.accumulatedSecondMoment[i] == null) {
          self.accumulatedSecondMoment[i] = { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        }
        const gradient: Tensor | undefined = Array.isArray(variableGradients) ? variableGradients[i]!.tensor : (variableGradients as Record<string, Tensor>)[name];
        if (gradient == null) return;
        const m = self.accumulatedFirstMoment[i]!.variable, v = self.accumulatedSecondMoment[i]!.variable;
        const info = (t: Tensor) => t as unknown as TensorInfo;
        const wv = f32(backend, info(value)), mv = f32(backend, info(m)), vv = f32(backend, info(v)), gv = f32(backend, info(gradient));
        const exclusive = [value, m, v].every((t) => backend.refCount(t.dataId) === 1);
        if (wv && mv && vv && gv && exclusive && gv.length === wv.length) {
          addon.adam(wv, mv, vv, gv, s);
          this.inPlaceUpdates++;
          return;
        }
        // Stock tfjs update for this variable (shared storage, other dtype).
        const newM = tf.add(tf.mul(m, self.beta1), tf.mul(gradient, 1 - self.beta1));
        const newV = tf.add(tf.mul(v, self.beta2), tf.mul(tf.square(gradient), 1 - self.beta2));
        const mHat = tf.div(newM, oneMinusAccBeta1), vHat = tf.div(newV, oneMinusAccBeta2);
        m.assign(newM);
        v.assign(newV);
        value.assign(tf.add(tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), self.epsilon)), -self.learningRate), value));
      });
      self.accBeta1.assign(tf.mul(self.accBeta1, self.beta1));
      self.accBeta2.assign(tf.mul(self.accBeta2, self.beta2));
    });
    self.incrementIterations();
  }
}

/**
 * `tf.train.adam` replacement: a {@link NativeAdamOptimizer} (which behaves exactly like tfjs'
 * Adam on other backends, and updates in place natively on `native`).
 */
export function adam(learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon?: number): Optimizer {
  return new NativeAdamOptimizer(learningRate, beta1, beta2, epsilon);
}

let stockAdam: typeof tf.train.adam | undefined;

/**
 * Makes `tf.train.adam` return a {@link NativeAdamOptimizer} (process-wide), so every trainer and
 * benchmark gets the fused update without code changes. Called by `loadNative()` unless
 * `UMMKD_NATIVE_ADAM=0`. Safe on every backend: off `native` it runs tfjs' own update.
 * @returns whether the replacement is installed
 */
export function installNativeAdam(): boolean {
  if (process.env.UMMKD_NATIVE_ADAM === "0") return false;
  if (stockAdam) return true;
  stockAdam = tf.train.adam;
  tf.train.adam = (learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon: number | null = null) =>
    new NativeAdamOptimizer(learningRate, beta1, beta2, epsilon ?? undefined);
  return true;
}
