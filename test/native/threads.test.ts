/**
 * Every native kernel of a training step gives the same output on 1 and on 2 oneDNN threads, to
 * float32 summation-order noise (1e-5 of the output's largest element; measured: at most ~2e-6).
 * Each native kernel is wrapped for the step: it runs on 1 thread, then on 2, the outputs are
 * compared and the 2-thread ones returned. A race, a per-thread partial sum lost or a thread-count
 * dependent layout would show here, kernel by kernel, with the shapes that broke.
 * The group-norm kernels (instance / layer / group norm) are checked on their own shapes, as the
 * networks here use batch norm.
 * (test/native/train-step.test.ts compares the whole step with tfjs cpu on 1 thread.)
 */
import { describe, it, expect } from "vitest";
import { tf, type Scalar, type Tensor } from "../../lib/engine/tf.ts";
import { initEngine, groupNorm } from "../../lib/engine/index.ts";
import { buildModel } from "../../lib/models/index.ts";
import type { NetworkName } from "../../lib/models/types.ts";
import { NATIVE_BACKEND, NATIVE_KERNELS, setNativeThreads } from "../../lib/engine/native/index.ts";
import { Rng } from "../../lib/util/rng.ts";
import { native, randn } from "./helpers.ts";
import { REQUIRES } from "../requires.ts";
import type { KernelConfig, TensorInfo } from "@tensorflow/tfjs-core";

if (native.ok) await initEngine({ backend: "native" });

interface Mismatch { kernel: string; shapes: string; rel: number }

/** Wraps the native kernels; returns the kernels seen, the mismatches and a restore function. */
function wrapKernels(tol: number): { seen: Set<string>; bad: Mismatch[]; restore: () => void } {
  const backend = tf.findBackend(NATIVE_BACKEND) as unknown as { readSync(id: unknown): ArrayLike<number>; disposeData(id: unknown): void };
  const seen = new Set<string>(), bad: Mismatch[] = [], originals: KernelConfig[] = [];
  const outs = (o: TensorInfo | TensorInfo[]) => (Array.isArray(o) ? o : [o]);
  for (const name of NATIVE_KERNELS) {
    const k = tf.getKernel(name, NATIVE_BACKEND);
    if (!k) continue;
    originals.push(k);
    const f = k.kernelFunc;
    tf.unregisterKernel(name, NATIVE_BACKEND);
    tf.registerKernel({
      ...k,
      kernelFunc: (args) => {
        seen.add(name);
        setNativeThreads(1);
        const one = outs(f(args) as TensorInfo | TensorInfo[]);
        const v1 = one.map((t) => Float64Array.from(backend.readSync(t.dataId)));
        one.forEach((t) => backend.disposeData(t.dataId));
        setNativeThreads(2);
        const two = f(args) as TensorInfo | TensorInfo[];
        outs(two).forEach((t, i) => {
          const a = v1[i]!, b = backend.readSync(t.dataId);
          let max = 0, diff = 0;
          for (let j = 0; j < a.length; j++) {
            max = Math.max(max, Math.abs(a[j]!));
            diff = Math.max(diff, Math.abs(a[j]! - b[j]!));
          }
          if (!(diff <= tol * max)) {
            const shapes = Object.entries(args.inputs).map(([key, x]) => `${key} ${(x as TensorInfo).shape.join("x")}`).join(", ");
            bad.push({ kernel: name, shapes, rel: diff / max });
          }
        });
        return two;
      },
    });
  }
  const restore = () => {
    for (const k of originals) {
      tf.unregisterKernel(k.kernelName, NATIVE_BACKEND);
      tf.registerKernel(k);
    }
    setNativeThreads(native.ok ? native.threads : 1);
  };
  return { seen, bad, restore };
}

describe.skipIf(!native.ok)(`${REQUIRES.native} native kernels: 1 thread vs 2 threads`, () => {
  const cases: [NetworkName, number[]][] = [["dilated2d", [2, 16, 16, 3]], ["unet3d", [1, 16, 16, 16, 1]]];
  for (const [network, shape] of cases) {
    it(`${network} ${shape}: every kernel of a forward + backward step agrees`, async () => {
      await tf.setBackend(NATIVE_BACKEND);
      const rng = new Rng(7);
      const n = shape.reduce((a, b) => a * b, 1) / shape[shape.length - 1]!;
      const xs = [randn(rng, shape), randn(rng, shape)].map((v) => tf.tensor(v, shape));
      const ys = [0, 1].map(() => tf.oneHot(tf.tensor(Int32Array.from({ length: n }, () => rng.int(3)), shape.slice(0, -1), "int32"), 3));
      const net = buildModel({ network, setting: "ours", width: 0.125, numClasses: 3, seed: 3, dropout: 0, init: "he" });
      const { seen, bad, restore } = wrapKernels(1e-5);
      try {
        const loss = () => tf.tidy(() => {
          const [lA, lB] = net.applyPair(xs[0]!, xs[1]!, true);
          return tf.add(tf.losses.softmaxCrossEntropy(ys[0]!, lA!), tf.losses.softmaxCrossEntropy(ys[1]!, lB!)) as Scalar;
        });
        const { value, grads } = tf.variableGrads(loss, net.trainableVariables());
        tf.dispose([value, ...Object.values(grads)]);
      } finally {
        restore();
        tf.dispose([...xs, ...ys]);
        net.dispose();
      }
      // the step ran through the oneDNN convolutions and their gradients, and the test saw them
      const conv = network === "unet3d" ? ["Conv3D", "UmmkdConv3DBackpropFilter"] : ["Conv2D", "UmmkdConv2DBackpropFilter"];
      for (const k of conv) expect(seen.has(k), `${k} not run natively (seen: ${[...seen].join(", ")})`).toBe(true);
      expect(bad, bad.map((m) => `${m.kernel} (${m.shapes}): ${m.rel.toExponential(2)}`).join("; ")).toEqual([]);
    });
  }

  // Instance / layer / group norm (UmmkdGroupNorm(Grad)): large enough to run threaded (>= 2^14
  // values), with channel blocks spanning all channels (C <= 64) and strided ones (C > 64).
  const norms: Array<[string, number[], number]> = [["instance", [2, 32, 32, 8], 8], ["layer", [2, 16, 16, 64], 1], ["group", [2, 8, 8, 8, 40], 20], ["instance", [2, 16, 16, 96], 96]];
  it.each(norms)("%s norm %j (G = %i): forward and gradient kernels agree", async (_kind, shape, G) => {
    await tf.setBackend(NATIVE_BACKEND);
    const rng = new Rng(11);
    const C = shape[shape.length - 1]!;
    const x = tf.tensor(randn(rng, shape), shape), w = tf.tensor(randn(rng, shape), shape);
    const g = tf.tensor1d(randn(rng, [C])), b = tf.tensor1d(randn(rng, [C]));
    const { seen, bad, restore } = wrapKernels(1e-5);
    try {
      const grads = tf.grads((xx: Tensor, gg: Tensor, bb: Tensor) => tf.sum(tf.mul(groupNorm(xx, gg, bb, G, 1e-6), w)))([x, g, b]);
      tf.dispose(grads);
    } finally {
      restore();
      tf.dispose([x, w, g, b]);
    }
    for (const k of ["UmmkdGroupNorm", "UmmkdGroupNormGrad"]) expect(seen.has(k), `${k} not run natively (seen: ${[...seen].join(", ")})`).toBe(true);
    expect(bad, bad.map((m) => `${m.kernel} (${m.shapes}): ${m.rel.toExponential(2)}`).join("; ")).toEqual([]);
  });
});
