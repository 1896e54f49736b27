/**
 * Native (oneDNN) convolution kernels vs the tfjs cpu backend, the adjoint identity and finite
 * differences: 2D and 3D, odd sizes, stride 2, dilation 2/4, 'same'/'valid', no tensor leaks.
 */
import { describe, it, expect } from "vitest";
import { tf, type Tensor, type Tensor4D, type Tensor5D } from "../../lib/engine/tf.ts";
import { Rng } from "../../lib/util/rng.ts";
import { native, randn, runOn, expectClose, dot } from "./helpers.ts";
import { REQUIRES } from "../requires.ts";

type Pad = "same" | "valid" | number;
interface Case { x: number[]; f: number[]; strides: number | number[]; pad: Pad; dil: number }

const cases2D: Case[] = [
  { x: [2, 7, 9, 3], f: [3, 3, 3, 4], strides: 1, pad: "same", dil: 1 },
  { x: [2, 7, 9, 3], f: [3, 3, 3, 4], strides: 2, pad: "same", dil: 1 },
  { x: [2, 8, 9, 1], f: [3, 2, 1, 4], strides: 2, pad: "valid", dil: 1 },
  { x: [1, 8, 7, 3], f: [5, 5, 3, 2], strides: 2, pad: 1, dil: 1 },
  { x: [1, 11, 13, 3], f: [3, 3, 3, 2], strides: 1, pad: "same", dil: 2 },
  { x: [1, 13, 12, 2], f: [3, 3, 2, 3], strides: 1, pad: "valid", dil: 2 },
  { x: [1, 17, 15, 3], f: [3, 3, 3, 2], strides: 1, pad: "same", dil: 4 },
];
const cases3D: Case[] = [
  { x: [1, 5, 6, 7, 2], f: [3, 3, 3, 2, 3], strides: 1, pad: "same", dil: 1 },
  { x: [2, 5, 7, 6, 2], f: [3, 3, 3, 2, 3], strides: 2, pad: "same", dil: 1 },
  { x: [1, 6, 5, 7, 1], f: [2, 3, 3, 1, 2], strides: 2, pad: "valid", dil: 1 },
  { x: [1, 7, 7, 7, 2], f: [3, 3, 3, 2, 2], strides: 1, pad: "same", dil: 2 },
  { x: [1, 6, 9, 5, 2], f: [3, 3, 3, 2, 2], strides: 1, pad: "same", dil: 4 },
  { x: [1, 9, 9, 9, 1], f: [3, 3, 3, 1, 2], strides: 1, pad: "valid", dil: 4 },
  // 'same' + stride 2 on an even depth: depth padding only at the back (0, 1); channel counts that
  // are not multiples of 8 (the blocked layout of the 3D filter gradient pads them).
  { x: [1, 8, 6, 6, 9], f: [3, 3, 3, 9, 10], strides: 2, pad: "same", dil: 1 },
  { x: [2, 4, 5, 6, 16], f: [3, 3, 3, 16, 8], strides: 1, pad: "same", dil: 1 },
  // tfjs 3D 'same' with filter < stride on even sizes gives a negative leading pad (not clamped).
  { x: [1, 4, 6, 5, 2], f: [1, 1, 3, 2, 3], strides: 2, pad: "same", dil: 1 },
];
const name = (c: Case) => `x=${c.x} f=${c.f} s=${c.strides} pad=${c.pad} dil=${c.dil}`;
const TOL = 2e-5;

function forward(c: Case, x: Tensor, w: Tensor): Tensor {
  const strides = c.strides as never, dil = c.dil as never;
  return c.x.length === 4
    ? tf.conv2d(x as Tensor4D, w as Tensor4D, strides, c.pad as "same", "NHWC", dil)
    : tf.conv3d(x as Tensor5D, w as Tensor5D, strides, c.pad as "same", "NDHWC", dil);
}

function dims(c: Case, v: number | number[]): number[] {
  const n = c.x.length - 2;
  return typeof v === "number" ? Array(n).fill(v) : v;
}

describe.skipIf(!native.ok)(`${REQUIRES.native} native convolution kernels`, () => {
  for (const c of [...cases2D, ...cases3D]) {
    const is2D = c.x.length === 4;
    it(`${is2D ? "2D" : "3D"} ${name(c)}`, async () => {
      const rng = new Rng(c.x.reduce((a, b) => a * 31 + b, c.dil));
      const xv = randn(rng, c.x), wv = randn(rng, c.f);
      const fwd = (be: "native" | "cpu") => runOn(be, () => forward(c, tf.tensor(xv, c.x), tf.tensor(wv, c.f)));
      const [yN] = await fwd("native");
      const [yC] = await fwd("cpu");
      expectClose(yN!, yC!, TOL, "forward vs cpu");

      // Gradients through the Ummkd kernels (dilations supported), on the native backend.
      const outShape = tf.tidy(() => forward(c, tf.zeros(c.x), tf.zeros(c.f)).shape);
      const dyv = randn(rng, outShape);
      const attrs = { strides: dims(c, c.strides), pad: c.pad, dilations: dims(c, c.dil) };
      const [dxN] = await runOn("native", () => tf.engine().runKernel(is2D ? "UmmkdConv2DBackpropInput" : "UmmkdConv3DBackpropInput",
        { dy: tf.tensor(dyv, outShape), filter: tf.tensor(wv, c.f) }, { ...attrs, inputShape: c.x } as never) as Tensor);
      const [dwN] = await runOn("native", () => tf.engine().runKernel(is2D ? "UmmkdConv2DBackpropFilter" : "UmmkdConv3DBackpropFilter",
        { x: tf.tensor(xv, c.x), dy: tf.tensor(dyv, outShape) }, { ...attrs, filterShape: c.f } as never) as Tensor);

      // Adjoint identity with the cpu forward: <conv(x,w), dy> = <x, dx> = <w, dW>.
      const l = dot(yC!, dyv);
      expect(Math.abs(dot(xv, dxN!) - l)).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(l)) + 1e-3);
      expect(Math.abs(dot(wv, dwN!) - l)).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(l)) + 1e-3);

      // Central finite differences of L(x, w) = <conv_cpu(x, w), dy> at a few entries.
      const h = 1e-2;
      const loss = async (xa: Float32Array, wa: Float32Array) => dot((await runOn("cpu", () => forward(c, tf.tensor(xa, c.x), tf.tensor(wa, c.f))))[0]!, dyv);
      for (const [which, base, grad] of [["x", xv, dxN!], ["w", wv, dwN!]] as const) {
        for (let k = 0; k < 3; k++) {
          const i = rng.int(base.length);
          const plus = Float32Array.from(base), minus = Float32Array.from(base);
          plus[i]! += h;
          minus[i]! -= h;
          const fd = which === "x" ? ((await loss(plus, wv)) - (await loss(minus, wv))) / (2 * h) : ((await loss(xv, plus)) - (await loss(xv, minus))) / (2 * h);
          expect(Math.abs(fd - grad[i]!), `d${which}[${i}]: fd ${fd} vs native ${grad[i]}`).toBeLessThanOrEqual(5e-3 * (1 + Math.abs(fd)));
        }
      }

      // Standard tfjs gradient kernels (no dilation in tfjs): native vs cpu.
      if (c.dil === 1) {
        const std = async (be: "native" | "cpu") => runOn(be, () => [
          tf.engine().runKernel(is2D ? "Conv2DBackpropInput" : "Conv3DBackpropInputV2",
            { dy: tf.tensor(dyv, outShape), filter: tf.tensor(wv, c.f) },
            { strides: attrs.strides, pad: c.pad, inputShape: c.x, dataFormat: is2D ? "NHWC" : "NDHWC" } as never) as Tensor,
          tf.engine().runKernel(is2D ? "Conv2DBackpropFilter" : "Conv3DBackpropFilterV2",
            { x: tf.tensor(xv, c.x), dy: tf.tensor(dyv, outShape) },
            { strides: attrs.strides, pad: c.pad, filterShape: c.f, dataFormat: is2D ? "NHWC" : "NDHWC" } as never) as Tensor,
        ]);
        const [sdxN, sdwN] = await std("native");
        const [sdxC, sdwC] = await std("cpu");
        expectClose(sdxN!, sdxC!, TOL, "Conv*BackpropInput vs cpu");
        expectClose(sdwN!, sdwC!, TOL, "Conv*BackpropFilter vs cpu");
        expectClose(dxN!, sdxC!, TOL, "Ummkd dx vs cpu");
        expectClose(dwN!, sdwC!, TOL, "Ummkd dW vs cpu");
      }
    });
  }

  it("geometries oneDNN cannot express (tfjs numeric pad with unequal strides) fall back to cpu", async () => {
    const rng = new Rng(5);
    const xv = randn(rng, [1, 8, 7, 3]), wv = randn(rng, [5, 5, 3, 2]);
    const run = (be: "native" | "cpu") => runOn(be, () => tf.conv2d(tf.tensor4d(xv, [1, 8, 7, 3]), tf.tensor4d(wv, [5, 5, 3, 2]), [2, 1], 1));
    expectClose((await run("native"))[0]!, (await run("cpu"))[0]!, TOL, "fallback");
  });

  it("FusedConv2D with bias and each fusable activation matches cpu", async () => {
    const rng = new Rng(7);
    const xv = randn(rng, [2, 9, 7, 3]), wv = randn(rng, [3, 3, 3, 4]), bv = randn(rng, [4]);
    for (const activation of ["linear", "relu", "leakyrelu", "elu", "sigmoid", "relu6"] as const) {
      for (const [strides, pad, dil] of [[1, "same", 2], [2, "valid", 1]] as const) {
        const run = (be: "native" | "cpu") => runOn(be, () => tf.fused.conv2d({
          x: tf.tensor4d(xv, [2, 9, 7, 3]), filter: tf.tensor4d(wv, [3, 3, 3, 4]), strides, pad, dilations: dil,
          bias: tf.tensor1d(bv), activation, leakyreluAlpha: 0.1,
        }));
        expectClose((await run("native"))[0]!, (await run("cpu"))[0]!, TOL, `FusedConv2D ${activation} s=${strides}`);
      }
    }
  });

  it("conv2dTranspose and conv3dTranspose (Conv*BackpropInput kernels) match cpu", async () => {
    const rng = new Rng(11);
    const x2 = randn(rng, [2, 5, 4, 3]), w2 = randn(rng, [3, 3, 2, 3]);
    const x3 = randn(rng, [1, 3, 4, 5, 3]), w3 = randn(rng, [2, 2, 2, 2, 3]);
    const run = (be: "native" | "cpu") => runOn(be, () => [
      tf.conv2dTranspose(tf.tensor4d(x2, [2, 5, 4, 3]), tf.tensor4d(w2, [3, 3, 2, 3]), [2, 10, 8, 2], 2, "same"),
      tf.conv3dTranspose(tf.tensor5d(x3, [1, 3, 4, 5, 3]), tf.tensor5d(w3, [2, 2, 2, 2, 3]), [1, 6, 8, 10, 2], 2, "valid"),
    ]);
    const n = await run("native"), c = await run("cpu");
    expectClose(n[0]!, c[0]!, TOL, "conv2dTranspose");
    expectClose(n[1]!, c[1]!, TOL, "conv3dTranspose");
  });
});
