/**
 * Convolution gradients of the kernel pack (our Conv2D / Conv3D / transposed-conv gradient configs
 * and the Ummkd*Backprop* kernels) on the cpu and wasm backends, against:
 *  - an independent float64 loop reference (naive-conv.ts),
 *  - finite differences of tfjs's forward conv (exact up to rounding: the loss is linear),
 *  - tfjs's own cpu kernels where they exist (dilation 1),
 * plus no-leak checks.
 */
import { describe, it, expect, beforeAll } from "vitest";
import { initEngine, tf, conv2dBackpropFilter, conv2dBackpropInput, conv3d, conv3dTranspose, type BackendName } from "../../lib/engine/index.ts";
import type { Tensor, Tensor4D, Tensor5D } from "../../lib/engine/tf.ts";
import { convForward, convGrads, outShape, type ConvSpec } from "./naive-conv.ts";
import { Rng } from "../../lib/util/rng.ts";

function rand(rng: Rng, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.next() * 2 - 1;
  return a;
}
const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

function maxRelErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let scale = 1e-6;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]!));
  let m = 0;
  for (let i = 0; i < want.length; i++) m = Math.max(m, Math.abs(got[i]! - want[i]!));
  return m / scale;
}

interface Case2D {
  name: string;
  x: [number, number, number, number];
  k: [number, number];
  co: number;
  s: number;
  d: number;
  pad: "same" | "valid";
}

const CASES_2D: Case2D[] = [
  { name: "3x3 same s1 d1, 1ch", x: [2, 7, 9, 1], k: [3, 3], co: 3, s: 1, d: 1, pad: "same" },
  { name: "3x3 same s1 d2, 3ch", x: [2, 9, 8, 3], k: [3, 3], co: 4, s: 1, d: 2, pad: "same" },
  { name: "3x3 same s1 d4, 3ch", x: [1, 11, 10, 3], k: [3, 3], co: 2, s: 1, d: 4, pad: "same" },
  { name: "3x3 valid s1 d2", x: [2, 9, 7, 3], k: [3, 3], co: 2, s: 1, d: 2, pad: "valid" },
  { name: "3x3 same s2, odd", x: [2, 9, 7, 3], k: [3, 3], co: 4, s: 2, d: 1, pad: "same" },
  { name: "3x3 valid s2, odd", x: [2, 9, 7, 1], k: [3, 3], co: 2, s: 2, d: 1, pad: "valid" },
  { name: "5x5 same s1 (output conv)", x: [2, 8, 8, 3], k: [5, 5], co: 5, s: 1, d: 1, pad: "same" },
  { name: "2x3 same s2 even", x: [1, 8, 6, 2], k: [2, 3], co: 3, s: 2, d: 1, pad: "same" },
  { name: "1x1 valid", x: [3, 5, 4, 3], k: [1, 1], co: 2, s: 1, d: 1, pad: "valid" },
];

interface Case3D {
  name: string;
  x: [number, number, number, number, number];
  k: [number, number, number];
  co: number;
  s: number;
  d: number;
  pad: "same" | "valid";
}
const CASES_3D: Case3D[] = [
  { name: "3x3x3 same s1", x: [2, 4, 5, 6, 2], k: [3, 3, 3], co: 3, s: 1, d: 1, pad: "same" },
  { name: "3x3x1 same s1 1ch", x: [1, 3, 6, 5, 1], k: [3, 3, 1], co: 2, s: 1, d: 1, pad: "same" },
  { name: "3x3x3 same s2 odd", x: [1, 5, 5, 7, 2], k: [3, 3, 3], co: 2, s: 2, d: 1, pad: "same" },
  { name: "3x3x3 same d2", x: [1, 5, 6, 5, 3], k: [3, 3, 3], co: 2, s: 1, d: 2, pad: "same" },
  { name: "3x3x3 valid s1", x: [2, 5, 5, 4, 1], k: [3, 3, 3], co: 2, s: 1, d: 1, pad: "valid" },
  // kernel smaller than stride: tfjs's own SAME padding is off by one here, ours follows TensorFlow
  { name: "3x3x1 same s2 (kernel < stride)", x: [1, 4, 6, 6, 2], k: [3, 3, 1], co: 3, s: 2, d: 1, pad: "same" },
];

/** Our gradients of L = sum(conv(x, w) * r) through tf.grads (uses the installed gradient configs). */
function tfGrads(x: Tensor, w: Tensor, r: Tensor, conv: (x: Tensor, w: Tensor) => Tensor): [Float32Array, Float32Array] {
  const [gx, gw] = tf.grads((a: Tensor, b: Tensor) => tf.sum(tf.mul(conv(a, b), r)))([x, w]);
  const out: [Float32Array, Float32Array] = [gx!.dataSync() as Float32Array, gw!.dataSync() as Float32Array];
  gx!.dispose();
  gw!.dispose();
  return out;
}

for (const backend of ["cpu", "wasm"] as BackendName[]) {
  describe(`conv gradients on ${backend}`, () => {
    beforeAll(async () => {
      await initEngine({ backend });
    });

    it.each(CASES_2D)("conv2d $name: vs float64 loops and finite differences, no leaks", (c) => {
      const rng = new Rng(11);
      const spec: ConvSpec = { xShape: c.x, wShape: [...c.k, c.x[3], c.co], strides: [c.s, c.s], dilations: [c.d, c.d], pad: c.pad };
      const ys = outShape(spec);
      const xv = rand(rng, size(c.x)), wv = rand(rng, size(spec.wShape)), rv = rand(rng, size(ys));
      const x = tf.tensor4d(xv, c.x), w = tf.tensor4d(wv, spec.wShape as [number, number, number, number]), r = tf.tensor(rv, ys);
      const conv = (a: Tensor, b: Tensor) => tf.conv2d(a as Tensor4D, b as Tensor4D, c.s, c.pad, "NHWC", c.d);
      // Forward agrees with the reference (shape and values), so the comparison below is meaningful.
      const yt = conv(x, w);
      expect(yt.shape).toEqual(ys);
      expect(maxRelErr(yt.dataSync(), convForward(spec, xv, wv))).toBeLessThan(1e-5);
      yt.dispose();
      const before = tf.memory().numTensors;
      const [gx, gw] = tfGrads(x, w, r, conv);
      expect(tf.memory().numTensors).toBe(before);
      const ref = convGrads(spec, xv, wv, rv);
      expect(maxRelErr(gx, ref.dx)).toBeLessThan(1e-5);
      expect(maxRelErr(gw, ref.dw)).toBeLessThan(1e-5);
      // Finite differences on a few entries (the loss is linear in x and in w: central differences are exact up to rounding).
      const L = (xa: Float32Array, wa: Float32Array) =>
        tf.tidy(() => tf.sum(tf.mul(conv(tf.tensor4d(xa, c.x), tf.tensor(wa, spec.wShape)), r)).dataSync()[0]!);
      for (const [arr, g, other] of [
        [xv, gx, "x"],
        [wv, gw, "w"],
      ] as const) {
        for (let t = 0; t < 3; t++) {
          const i = Math.floor(rng.next() * arr.length);
          const h = 0.5;
          const p = arr.slice(), m = arr.slice();
          p[i]! += h;
          m[i]! -= h;
          const fd = other === "x" ? (L(p, wv) - L(m, wv)) / (2 * h) : (L(xv, p) - L(xv, m)) / (2 * h);
          expect(Math.abs(fd - g[i]!)).toBeLessThan(2e-3 * Math.max(1, Math.abs(fd)));
        }
      }
      tf.dispose([x, w, r]);
    });

    it.each(CASES_2D.filter((c) => c.d === 1))("conv2d $name: kernels match tfjs's own cpu kernels", async (c) => {
      const rng = new Rng(5);
      const wShape: [number, number, number, number] = [...c.k, c.x[3], c.co];
      const spec: ConvSpec = { xShape: c.x, wShape, strides: [c.s, c.s], dilations: [1, 1], pad: c.pad };
      const ys = outShape(spec) as [number, number, number, number];
      const x = tf.tensor4d(rand(rng, size(c.x)), c.x), w = tf.tensor4d(rand(rng, size(wShape)), wShape), dy = tf.tensor4d(rand(rng, size(ys)), ys);
      const ourW = conv2dBackpropFilter(x, dy, wShape, c.s, c.pad, 1).dataSync();
      const ourX = conv2dBackpropInput(dy, w, c.x, c.s, c.pad, 1).dataSync();
      // tfjs's stock cpu kernels, run explicitly on the cpu backend.
      const prev = tf.getBackend();
      await tf.setBackend("cpu");
      const attrs = { strides: c.s, pad: c.pad, dataFormat: "NHWC", dimRoundingMode: undefined };
      const stockW = tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, { ...attrs, filterShape: wShape } as never) as Tensor;
      const stockX = tf.engine().runKernel("Conv2DBackpropInput", { dy, filter: w }, { ...attrs, inputShape: c.x } as never) as Tensor;
      expect(maxRelErr(ourW, stockW.dataSync())).toBeLessThan(1e-5);
      expect(maxRelErr(ourX, stockX.dataSync())).toBeLessThan(1e-5);
      await tf.setBackend(prev);
      tf.dispose([x, w, dy, stockW, stockX]);
    });

    it.each(CASES_3D)("conv3d $name: vs float64 loops, no leaks", (c) => {
      const rng = new Rng(3);
      const spec: ConvSpec = { xShape: c.x, wShape: [...c.k, c.x[4], c.co], strides: [c.s, c.s, c.s], dilations: [c.d, c.d, c.d], pad: c.pad };
      const ys = outShape(spec);
      const xv = rand(rng, size(c.x)), wv = rand(rng, size(spec.wShape)), rv = rand(rng, size(ys));
      const x = tf.tensor5d(xv, c.x), w = tf.tensor(wv, spec.wShape), r = tf.tensor(rv, ys);
      const conv = (a: Tensor, b: Tensor) => conv3d(a as Tensor5D, b as Tensor5D, c.s, c.pad, c.d);
      const yt = conv(x, w);
      expect(maxRelErr(yt.dataSync(), convForward(spec, xv, wv))).toBeLessThan(1e-5);
      yt.dispose();
      const before = tf.memory().numTensors;
      const [gx, gw] = tfGrads(x, w, r, conv);
      expect(tf.memory().numTensors).toBe(before);
      const ref = convGrads(spec, xv, wv, rv);
      expect(maxRelErr(gx, ref.dx)).toBeLessThan(1e-5);
      expect(maxRelErr(gw, ref.dw)).toBeLessThan(1e-5);
      tf.dispose([x, w, r]);
    });

    it("conv3dTranspose (3D U-Net up-path, [3,3,1] stride 2) is trainable: grads vs float64 loops", () => {
      // y = conv3dTranspose(z, W) is the adjoint of c = conv3d(., W): <y, r> = <z, conv3d(r, W)>,
      // so dL/dz = conv3d(r, W) and dL/dW = dW of conv3d with input r and output-gradient z.
      const rng = new Rng(9);
      const outS: [number, number, number, number, number] = [1, 4, 6, 6, 2]; // transposed-conv output (= conv input)
      const kShape: [number, number, number, number, number] = [3, 3, 1, 2, 3]; // [kd,kh,kw, Cout(=conv in), Cin(=conv out)]
      const spec: ConvSpec = { xShape: outS, wShape: kShape, strides: [2, 2, 2], dilations: [1, 1, 1], pad: "same" };
      const zs = outShape(spec) as [number, number, number, number, number];
      const zv = rand(rng, size(zs)), wv = rand(rng, size(kShape)), rv = rand(rng, size(outS));
      const z = tf.tensor5d(zv, zs), w = tf.tensor(wv, kShape) as Tensor5D, r = tf.tensor(rv, outS);
      const before = tf.memory().numTensors;
      const [gz, gw] = tf.grads((a: Tensor, b: Tensor) => tf.sum(tf.mul(conv3dTranspose(a as Tensor5D, b as Tensor5D, outS, 2, "same"), r)))([z, w]);
      const ref = convGrads(spec, rv, wv, zv); // x := r, dy := z
      expect(maxRelErr(gz!.dataSync(), convForward(spec, rv, wv))).toBeLessThan(1e-5);
      expect(maxRelErr(gw!.dataSync(), ref.dw)).toBeLessThan(1e-5);
      tf.dispose([gz!, gw!]);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([z, w, r]);
    });

    it.each([
      { x: [2, 5, 6, 4, 3], k: [3, 3, 3, 3, 2], s: 1, d: 1, pad: "same" },
      { x: [1, 4, 6, 6, 2], k: [3, 3, 1, 2, 3], s: 2, d: 1, pad: "same" },
      { x: [1, 7, 6, 5, 2], k: [3, 2, 3, 2, 2], s: [2, 1, 2], d: 1, pad: "valid" },
      { x: [1, 7, 7, 6, 1], k: [3, 3, 3, 1, 2], s: 1, d: 2, pad: "same" },
    ] as const)("tf.conv3d on this backend matches tfjs's stock cpu Conv3D (tfjs padding): x $x k $k s $s d $d $pad", async (c) => {
      const rng = new Rng(21);
      const x = tf.tensor(rand(rng, size([...c.x])), [...c.x]) as Tensor5D, w = tf.tensor(rand(rng, size([...c.k])), [...c.k]) as Tensor5D;
      const ours = tf.conv3d(x, w, c.s as never, c.pad, "NDHWC", c.d);
      const prev = tf.getBackend();
      await tf.setBackend("cpu");
      const stock = tf.conv3d(x, w, c.s as never, c.pad, "NDHWC", c.d);
      expect(ours.shape).toEqual(stock.shape);
      expect(maxRelErr(ours.dataSync(), stock.dataSync())).toBeLessThan(1e-5);
      await tf.setBackend(prev);
      tf.dispose([x, w, ours, stock]);
    });

    it("tf.conv3d's gradient refuses the shapes where tfjs pads differently from TensorFlow", () => {
      const x = tf.zeros([1, 4, 6, 6, 1]), w = tf.zeros([3, 3, 1, 1, 1]);
      expect(() => tf.grad((a: Tensor) => tf.sum(tf.conv3d(a as Tensor5D, w as Tensor5D, 2, "same")))(x)).toThrow(/lib\/engine\/ops.ts/);
      tf.dispose([x, w]);
    });

    it("conv2dTranspose is trainable with our gradients: grads vs float64 loops", () => {
      const rng = new Rng(13);
      const outS: [number, number, number, number] = [2, 7, 6, 3];
      const kShape: [number, number, number, number] = [3, 3, 3, 4];
      const spec: ConvSpec = { xShape: outS, wShape: kShape, strides: [2, 2], dilations: [1, 1], pad: "same" };
      const zs = outShape(spec) as [number, number, number, number];
      const zv = rand(rng, size(zs)), wv = rand(rng, size(kShape)), rv = rand(rng, size(outS));
      const z = tf.tensor4d(zv, zs), w = tf.tensor(wv, kShape) as Tensor4D, r = tf.tensor(rv, outS);
      const y = tf.conv2dTranspose(z, w, outS, 2, "same");
      const yRef = convGrads(spec, new Float64Array(size(outS)), wv, zv).dx; // conv2dTranspose = dx of conv
      expect(maxRelErr(y.dataSync(), yRef)).toBeLessThan(1e-5);
      const [gz, gw] = tf.grads((a: Tensor, b: Tensor) => tf.sum(tf.mul(tf.conv2dTranspose(a as Tensor4D, b as Tensor4D, outS, 2, "same"), r)))([z, w]);
      expect(maxRelErr(gz!.dataSync(), convForward(spec, rv, wv))).toBeLessThan(1e-5);
      expect(maxRelErr(gw!.dataSync(), convGrads(spec, rv, wv, zv).dw)).toBeLessThan(1e-5);
      tf.dispose([y, gz!, gw!, z, w, r]);
    });
  });
}
