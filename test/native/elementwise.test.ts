/**
 * Native elementwise kernels (binary ops in each broadcast mode, unary ops, Sum over leading /
 * trailing axes), LeakyRelu, pads and the fused Adam / LeakyReLU-grad kernels vs the tfjs cpu
 * backend or the formulas of lib/engine/kernel-names.ts; no tensor leaks.
 */
import { describe, it, expect } from "vitest";
import { tf, type Tensor } from "../../lib/engine/tf.ts";
import { Rng } from "../../lib/util/rng.ts";
import { native, randn, runOn, expectClose } from "./helpers.ts";
import { dropout } from "../../lib/engine/ops.ts";
import { REQUIRES } from "../requires.ts";

const pairs: [number[], number[]][] = [
  [[3, 5, 7], [3, 5, 7]], // same shape
  [[], [3, 5, 7]], // a scalar
  [[3, 5, 7], [1]], // b scalar
  [[3, 5, 7], [7]], // b repeats over leading axes
  [[3, 5, 7], [1, 5, 7]],
  [[5, 7], [3, 5, 7]], // a repeats
  [[3, 5, 7], [3, 5, 1]], // each b entry over a trailing block
  [[3, 1, 1], [3, 5, 7]], // each a entry
  [[3, 5, 7], [3, 1, 7]], // other broadcast: cpu fallback
];

describe.skipIf(!native.ok)(`${REQUIRES.native} native elementwise kernels`, () => {
  it("binary ops match cpu bit for bit in every broadcast mode (and NaN/Inf semantics)", async () => {
    const rng = new Rng(1);
    for (const [sa, sb] of pairs) {
      const av = randn(rng, sa), bv = randn(rng, sb);
      if (av.length > 3) { av[0] = NaN; av[1] = Infinity; av[2] = 0; }
      if (bv.length > 3) { bv[2] = 0; bv[3] = -Infinity; }
      const run = (be: "native" | "cpu") => runOn(be, () => {
        const a = tf.tensor(av, sa), b = tf.tensor(bv, sb);
        return [tf.add(a, b), tf.sub(a, b), tf.mul(a, b), tf.div(a, b), tf.maximum(a, b), tf.minimum(a, b), tf.squaredDifference(a, b)];
      });
      const n = await run("native"), c = await run("cpu");
      n.forEach((v, i) => expect(Array.from(v), `op ${i} ${sa} vs ${sb}`).toEqual(Array.from(c[i]!)));
    }
  });

  it("unary ops match cpu", async () => {
    const rng = new Rng(2);
    const xv = randn(rng, [4, 33]).map((v) => v * 3);
    xv[0] = 0; xv[1] = -0.5; xv[2] = NaN;
    const run = (be: "native" | "cpu") => runOn(be, () => {
      const x = tf.tensor(xv, [4, 33]);
      return [tf.sqrt(x), tf.square(x), tf.neg(x), tf.exp(x), tf.log(x), tf.abs(x), tf.rsqrt(x), tf.reciprocal(x), tf.floor(x), tf.relu(x), tf.clipByValue(x, -1.5, 0.7)];
    });
    const n = await run("native"), c = await run("cpu");
    n.forEach((v, i) => expect(Array.from(v), `unary op ${i}`).toEqual(Array.from(c[i]!)));
  });

  it("Sum over leading, trailing, all and middle axes (keepDims) matches cpu", async () => {
    const rng = new Rng(3);
    const xv = randn(rng, [6, 5, 4, 3]);
    const axes: (number | number[] | undefined)[] = [undefined, -1, 3, [2, 3], 0, [0, 1, 2], [1, 2], 1, [0, 3]];
    for (const keep of [false, true]) {
      const run = (be: "native" | "cpu") => runOn(be, () => axes.map((ax) => tf.sum(tf.tensor(xv, [6, 5, 4, 3]), ax, keep)));
      const n = await run("native"), c = await run("cpu");
      n.forEach((v, i) => expectClose(v, c[i]!, 1e-6, `sum axis ${JSON.stringify(axes[i])} keepDims ${keep}`));
      await tf.setBackend("native");
      expect(tf.tidy(() => tf.sum(tf.tensor(xv, [6, 5, 4, 3]), [1, 2], keep).shape)).toEqual(keep ? [6, 1, 1, 3] : [6, 3]);
    }
  });
});

describe.skipIf(!native.ok)(`${REQUIRES.native} native LeakyRelu, pads and the fused Adam / LeakyReLU-grad kernels`, () => {
  it("LeakyRelu matches cpu; UmmkdLeakyReluGrad matches dx = x > 0 ? dy : alpha dy", async () => {
    const rng = new Rng(4);
    const xv = randn(rng, [2, 7, 5, 3]), dyv = randn(rng, [2, 7, 5, 3]);
    xv[0] = 0;
    const y = (be: "native" | "cpu") => runOn(be, () => tf.leakyRelu(tf.tensor(xv, [2, 7, 5, 3]), 0.2));
    expect(Array.from((await y("native"))[0]!)).toEqual(Array.from((await y("cpu"))[0]!));
    const [dx] = await runOn("native", () => tf.engine().runKernel("UmmkdLeakyReluGrad", { dy: tf.tensor(dyv, [2, 7, 5, 3]), x: tf.tensor(xv, [2, 7, 5, 3]) }, { alpha: 0.2 } as never) as Tensor);
    expect(Array.from(dx!)).toEqual(Array.from(xv, (x, i) => Math.fround(x > 0 ? dyv[i]! : 0.2 * dyv[i]!)));
  });

  it("PadV2 and MirrorPad (reflect, symmetric) match cpu on ranks 2-5", async () => {
    const rng = new Rng(5);
    const cases: [number[], [number, number][]][] = [
      [[4, 5], [[1, 2], [2, 1]]],
      [[2, 6, 5, 3], [[0, 0], [3, 3], [2, 4], [0, 0]]],
      [[2, 6, 5, 3], [[0, 0], [1, 0], [0, 0], [0, 0]]],
      [[1, 4, 5, 6, 2], [[0, 0], [1, 2], [2, 1], [3, 3], [0, 0]]],
      [[3, 4, 5], [[0, 0], [0, 0], [0, 0]]],
      [[1, 5, 4, 70], [[0, 0], [1, 1], [2, 3], [0, 0]]], // edge blocks of >= 64 values
    ];
    for (const [shape, pads] of cases) {
      const xv = randn(rng, shape);
      const run = (be: "native" | "cpu") => runOn(be, () => {
        const x = tf.tensor(xv, shape);
        const outs = [tf.pad(x, pads), tf.pad(x, pads, 1.5)];
        const fits = pads.every(([a, b], i) => a < shape[i]! && b < shape[i]!);
        if (fits) outs.push(tf.mirrorPad(x, pads, "reflect"));
        outs.push(tf.mirrorPad(x, pads.map(([a, b], i) => [Math.min(a, shape[i]!), Math.min(b, shape[i]!)] as [number, number]), "symmetric"));
        return outs;
      });
      const n = await run("native"), c = await run("cpu");
      n.forEach((v, i) => expect(Array.from(v), `pad ${i} of ${shape} ${JSON.stringify(pads)}`).toEqual(Array.from(c[i]!)));
    }
  });

  it("a zero PadV2 into a reused pool buffer (left holding another pad's 3s) still pads with zeros", async () => {
    const rng = new Rng(15);
    const shape = [2, 8, 9, 32], pads: [number, number][] = [[0, 0], [1, 1], [1, 1], [0, 0]];
    const xv = randn(rng, shape);
    const run = (be: "native" | "cpu") => runOn(be, () => {
      const x = tf.tensor(xv, shape);
      tf.pad(x, pads, 3).dispose(); // 2*10*11*32 = 7040 values: pooled on native
      return [tf.pad(x, pads)];
    });
    const n = await run("native"), c = await run("cpu");
    expect(Array.from(n[0]!)).toEqual(Array.from(c[0]!));
  });

  it("UmmkdAdamUpdate matches the formula of kernel-names.ts (float64, rounded once)", async () => {
    const rng = new Rng(6);
    const n = 50000;
    const [w, g, m, v] = [0, 1, 2, 3].map(() => randn(rng, [n]));
    for (let i = 0; i < n; i++) v![i] = Math.abs(v![i]!);
    const a = { lr: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, c1: 1 - 0.9 ** 3, c2: 1 - 0.999 ** 3 };
    const outs = await runOn("native", () => tf.engine().runKernel("UmmkdAdamUpdate",
      { value: tf.tensor1d(w!), gradient: tf.tensor1d(g!), m: tf.tensor1d(m!), v: tf.tensor1d(v!) }, a as never) as Tensor[]);
    const ref = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
    for (let i = 0; i < n; i++) {
      const mi = a.beta1 * m![i]! + (1 - a.beta1) * g![i]!;
      const vi = a.beta2 * v![i]! + (1 - a.beta2) * g![i]! * g![i]!;
      ref[0]![i] = w![i]! - (a.lr * (mi / a.c1)) / (Math.sqrt(vi / a.c2) + a.epsilon);
      ref[1]![i] = mi;
      ref[2]![i] = vi;
    }
    // same double operations in the same order (threaded and AVX2 paths included: n >= 2^14): bit for bit
    outs.forEach((o, i) => expect(Array.from(o), `output ${i}`).toEqual(Array.from(ref[i]!)));
  });
});

describe.skipIf(!native.ok)(`${REQUIRES.native} native UmmkdDropout, Transpose and Softmax`, () => {
  it("UmmkdDropout gives tf.dropout's outputs bit for bit (long streams, several seeds and rates)", async () => {
    const rng = new Rng(11);
    for (const [shape, rate, seed] of [[[3, 7, 5], 0.25, 0], [[8, 64, 64, 4], 0.25, 123456789], [[300001], 0.5, "abc"], [[2, 33], 0.9, 4294967295]] as [number[], number, number | string][]) {
      const xv = randn(rng, shape);
      xv[0] = NaN;
      xv[1] = -0;
      const ours = await runOn("native", () => dropout(tf.tensor(xv, shape), rate, seed));
      const ref = await runOn("cpu", () => tf.dropout(tf.tensor(xv, shape), rate, undefined, seed));
      expect(ours[0]!.length).toBe(ref[0]!.length);
      let diff = 0;
      for (let i = 0; i < ref[0]!.length; i++) if (!Object.is(ours[0]![i], ref[0]![i])) diff++;
      expect(diff, `${shape} rate ${rate} seed ${seed}`).toBe(0);
    }
  });

  it("dropout's gradient on native is the saved multiplier (dy * mask)", async () => {
    const xv = randn(new Rng(12), [4, 9, 3]);
    const g = await runOn("native", () => tf.grad((x: Tensor) => tf.sum(tf.mul(dropout(x, 0.3, 77), 2)))(tf.tensor(xv, [4, 9, 3])));
    const mask = await runOn("cpu", () => tf.mul(tf.div(tf.floor(tf.add(tf.randomUniform([4, 9, 3], 0, 1, "float32", 77), 0.7)), 0.7), 2));
    expect(Array.from(g[0]!)).toEqual(Array.from(mask[0]!));
  });

  it("Transpose matches cpu bit for bit (collapsed axes, rank 1-6, large threaded case)", async () => {
    const rng = new Rng(13);
    for (const [shape, perm] of [[[8, 8, 8, 8, 8, 10], [0, 1, 3, 2, 4, 5]], [[8, 8, 8, 10, 8, 8], [0, 1, 4, 2, 5, 3]], [[2, 3, 4, 5], [3, 1, 0, 2]], [[4, 5, 6], [0, 2, 1]], [[3, 4, 5, 6, 7], [4, 3, 2, 1, 0]], [[7], [0]], [[5, 1, 3], [1, 2, 0]]] as [number[], number[]][]) {
      const xv = randn(rng, shape);
      const n = await runOn("native", () => tf.transpose(tf.tensor(xv, shape), perm));
      const c = await runOn("cpu", () => tf.transpose(tf.tensor(xv, shape), perm));
      expect(Array.from(n[0]!), `${shape} ${perm}`).toEqual(Array.from(c[0]!));
    }
  });

  it("Softmax over the last axis matches cpu (float32 rounding of the same double formula)", async () => {
    const rng = new Rng(14);
    for (const shape of [[32768, 5], [3, 4, 7], [1, 1]]) {
      const xv = randn(rng, shape).map((v) => v * 4);
      const n = await runOn("native", () => tf.softmax(tf.tensor(xv, shape)));
      const c = await runOn("cpu", () => tf.softmax(tf.tensor(xv, shape)));
      expectClose(n[0]!, c[0]!, 2e-7, `softmax ${shape}`);
    }
  });
});

describe.skipIf(!native.ok)(`${REQUIRES.native} float32 tensors stored in other typed arrays`, () => {
  it("a float32 cast of a bool tensor (Uint8Array storage) works in native kernels", async () => {
    const run = (be: "native" | "cpu") => runOn(be, () => {
      const mask = tf.cast(tf.less(tf.tensor2d([[1, -2, 3], [-4, 5, -6]]), 0), "float32");
      return [tf.mul(tf.tensor2d([[1, 2, 3], [4, 5, 6]]), mask), tf.mul(tf.ones([2, 3, 4]), tf.reshape(mask, [2, 3, 1])), tf.sqrt(mask)];
    });
    const n = await run("native"), c = await run("cpu");
    n.forEach((v, i) => expect(Array.from(v)).toEqual(Array.from(c[i]!)));
  });
});

describe.skipIf(!native.ok)(`${REQUIRES.native} native comparison and logical kernels`, () => {
  it("match cpu in every broadcast mode, with NaN, ±0 and Inf", async () => {
    const rng = new Rng(8);
    for (const [sa, sb] of pairs) {
      const av = randn(rng, sa), bv = randn(rng, sb);
      if (av.length > 3) { av[0] = NaN; av[1] = -0; av[2] = Infinity; }
      if (bv.length > 3) { bv[0] = NaN; bv[1] = 0; bv[2] = av[3] ?? 0; }
      const run = (be: "native" | "cpu") => runOn(be, () => {
        const a = tf.tensor(av, sa), b = tf.tensor(bv, sb);
        const outs = [tf.less(a, b), tf.lessEqual(a, b), tf.greater(a, b), tf.greaterEqual(a, b), tf.equal(a, b), tf.notEqual(a, b)];
        const pa = tf.greater(a, 0), pb = tf.less(b, 0.5);
        outs.push(tf.logicalAnd(pa, pb), tf.logicalOr(pa, pb));
        return outs.map((t) => tf.cast(t, "float32"));
      });
      const n = await run("native"), c = await run("cpu");
      n.forEach((v, i) => expect(Array.from(v), `op ${i} ${sa} vs ${sb}`).toEqual(Array.from(c[i]!)));
    }
  });
});

describe.skipIf(!native.ok)(`${REQUIRES.native} native BatchMatMul`, () => {
  it("matches cpu: 2D/3D/4D, transposes, batch broadcast, and a fallback case", async () => {
    const rng = new Rng(10);
    const cases: [number[], number[], boolean, boolean][] = [
      [[33, 5], [5, 7], false, false],
      [[5, 33], [5, 7], true, false],
      [[33, 5], [7, 5], false, true],
      [[3, 9, 4], [3, 4, 6], false, false],
      [[3, 4, 9], [3, 6, 4], true, true],
      [[2, 3, 9, 4], [1, 4, 6], false, false],
      [[1, 9, 4], [2, 3, 4, 6], false, false],
      [[2, 1, 9, 4], [1, 3, 4, 6], false, false], // two-sided broadcast: cpu kernel
    ];
    for (const [sa, sb, ta, tb] of cases) {
      const av = randn(rng, sa), bv = randn(rng, sb);
      const run = (be: "native" | "cpu") => runOn(be, () => tf.matMul(tf.tensor(av, sa), tf.tensor(bv, sb), ta, tb));
      expectClose((await run("native"))[0]!, (await run("cpu"))[0]!, 1e-5, `matmul ${sa} ${sb} ${ta} ${tb}`);
    }
  });
});
