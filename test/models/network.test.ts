import { beforeAll, describe, expect, it } from "vitest";
import { initEngine, tf, type Tensor } from "../../lib/engine/index.ts";
import { buildModel, phaseShift } from "../../lib/models/index.ts";
import { transposedConv3d } from "../../lib/models/tensor-ctx.ts";
import { OptionError, ShapeError } from "../../lib/util/errors.ts";

beforeAll(async () => {
  await initEngine();
});


describe("sharing semantics", () => {
  const x = (seed: number, b = 2) => tf.randomNormal([b, 16, 16, 3], 0, 1, "float32", seed);
  const maxDiff = (a: Tensor, b: Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);

  it("chilopod: applyPair = two separate apply calls (own batch statistics per modality)", () => {
    const net = buildModel({ network: "dilated2d", setting: "chilopod", width: 0.0625, dropout: 0, seed: 1 });
    const xA = x(1);
    const xB = tf.add(tf.mul(x(2), 3), 2);
    const [a, b] = net.applyPair(xA, xB, true);
    const a1 = net.apply(xA, 0, true);
    const b1 = net.apply(xB, 1, true);
    expect(maxDiff(a, a1)).toBeLessThan(1e-5);
    expect(maxDiff(b, b1)).toBeLessThan(1e-5);
    tf.dispose([xA, xB, a, b, a1, b1]);
    net.dispose();
  });

  it("joint: applyPair normalizes over both modalities together (= apply on the concatenated batch)", () => {
    const net = buildModel({ network: "dilated2d", setting: "joint", width: 0.0625, dropout: 0, seed: 1 });
    const xA = x(1);
    const xB = tf.add(tf.mul(x(2), 3), 2);
    const [a, b] = net.applyPair(xA, xB, true);
    const both = net.apply(tf.concat([xA, xB], 0), 0, true);
    const [ca, cb] = tf.split(both, [2, 2], 0);
    expect(maxDiff(a, ca!)).toBeLessThan(1e-5);
    expect(maxDiff(b, cb!)).toBeLessThan(1e-5);
    const alone = net.apply(xA, 0, true);
    expect(maxDiff(a, alone)).toBeGreaterThan(1e-4);
    tf.dispose([xA, xB, a, b, both, ca!, cb!, alone]);
    net.dispose();
  });

  it("chilopod: a training call updates only that modality's moving statistics; eval uses them", () => {
    const net = buildModel({ network: "dilated2d", setting: "chilopod", width: 0.0625, seed: 1 });
    const s0 = net.getState();
    tf.dispose(net.apply(tf.add(x(5), 4), 0, true));
    const s1 = net.getState();
    const changed = (k: string) => maxDiff(s0.get(k)!, s1.get(k)!) > 0;
    expect(changed("group_1/rb_1/bn_1/moving_mean/ct")).toBe(true);
    expect(changed("group_1/rb_1/bn_1/moving_mean/mri")).toBe(false);
    expect(changed("group_1/rb_1/bn_1/gamma/ct")).toBe(false);
    const e0 = net.apply(x(6), 0, false);
    const e1 = net.apply(x(6), 1, false);
    expect(maxDiff(e0, e1)).toBeGreaterThan(0);
    tf.dispose([...s0.values(), ...s1.values(), e0, e1]);
    net.dispose();
  });

  it("individual: one modality's output does not depend on the other modality's parameters", () => {
    const net = buildModel({ network: "dilated2d", setting: "individual", width: 0.0625, seed: 1 });
    const xb = x(7);
    const before = net.apply(xb, 1, false);
    const st = net.getState();
    const perturbed = new Map([...st].map(([k, v]) => [k, k.endsWith("/ct") ? tf.add(v, 0.5) : v.clone()]));
    net.setState(perturbed);
    const after = net.apply(xb, 1, false);
    expect(maxDiff(before, after)).toBe(0);
    const ctAfter = net.apply(xb, 0, false);
    expect(maxDiff(before, ctAfter)).toBeGreaterThan(0);
    tf.dispose([xb, before, after, ctAfter, ...st.values(), ...perturbed.values()]);
    net.dispose();
  });

  it("dropout: same dropoutSeed gives the same output, another seed another; eval has no dropout", () => {
    const net = buildModel({ network: "dilated2d", setting: "ours", width: 0.0625, seed: 1 });
    const xa = x(8);
    const p = net.apply(xa, 0, true, { dropoutSeed: 5 });
    const q = net.apply(xa, 0, true, { dropoutSeed: 5 });
    const r = net.apply(xa, 0, true, { dropoutSeed: 6 });
    expect(maxDiff(p, q)).toBe(0);
    expect(maxDiff(p, r)).toBeGreaterThan(0);
    const e1 = net.apply(xa, 0, false);
    const e2 = net.apply(xa, 0, false);
    expect(maxDiff(e1, e2)).toBe(0);
    tf.dispose([xa, p, q, r, e1, e2]);
    net.dispose();
  });
});

describe("phaseShift: the released code's channel order", () => {
  it("out[n, y, x, k] = in[n, y/r, x/r, r*r*k + (x%r)*r + (y%r)]", () => {
    const r = 2;
    const [B, H, W, K] = [2, 2, 3, 3];
    const C = r * r * K;
    const vals = Array.from({ length: B * H * W * C }, (_, i) => i);
    const x = tf.tensor(vals, [B, H, W, C]);
    const y = phaseShift(x, r);
    expect(y.shape).toEqual([B, H * r, W * r, K]);
    const out = y.dataSync();
    for (let n = 0; n < B; n++)
      for (let yy = 0; yy < H * r; yy++)
        for (let xx = 0; xx < W * r; xx++)
          for (let k = 0; k < K; k++) {
            const src = vals[((n * H + Math.floor(yy / r)) * W + Math.floor(xx / r)) * C + r * r * k + (xx % r) * r + (yy % r)]!;
            expect(out[((n * H * r + yy) * W * r + xx) * K + k]).toBe(src);
          }
    tf.dispose([x, y]);
  });
});

describe("input and option errors", () => {
  it("ShapeError for a wrong rank, channel count or a size not divisible by 8; OptionError for bad options", () => {
    const net = buildModel({ network: "dilated2d", setting: "ours", width: 0.0625 });
    const bad1 = tf.zeros([1, 16, 16, 1]);
    const bad2 = tf.zeros([1, 12, 16, 3]);
    expect(() => net.apply(bad1, 0, false)).toThrow(ShapeError);
    expect(() => net.apply(bad2, 0, false)).toThrow(/divisible by 8/);
    expect(() => net.apply(tf.zeros([1, 16, 16, 3]), 2 as never, false)).toThrow(OptionError);
    expect(() => buildModel({ network: "dilated2d", setting: "w" as never })).toThrow(OptionError);
    expect(() => buildModel({ network: "unet3d", setting: "ours", norm: "weight" as never })).toThrow(OptionError);
    expect(() => buildModel({ network: "unet3d", setting: "ours", dropout: 1 })).toThrow(OptionError);
    tf.dispose([bad1, bad2]);
    net.dispose();
  });
});

describe("transposedConv3d (SAME, stride 2) vs a direct loop", () => {
  it.each([[[1, 3, 3]], [[3, 3, 3]]])("kernel %j", (kernel) => {
    const [B, D, H, W, Ci, Co] = [2, 2, 3, 2, 3, 2];
    const xs = Array.from({ length: B * D * H * W * Ci }, (_, i) => Math.sin(i * 1.7));
    const ws = Array.from({ length: kernel[0]! * kernel[1]! * kernel[2]! * Co * Ci }, (_, i) => Math.cos(i * 0.9));
    const x = tf.tensor(xs, [B, D, H, W, Ci]);
    const w = tf.tensor(ws, [...kernel, Co, Ci]);
    const y = tf.tidy(() => transposedConv3d(x, w, { kernel, cout: Co, strides: [2, 2, 2] }));
    const inSz = [D, H, W];
    const outSz = inSz.map((n) => 2 * n);
    const padL = kernel.map((k, a) => Math.floor(Math.max((inSz[a]! - 1) * 2 + k - outSz[a]!, 0) / 2));
    const ref = new Float64Array(B * outSz[0]! * outSz[1]! * outSz[2]! * Co);
    for (let n = 0; n < B; n++)
      for (let d = 0; d < D; d++)
        for (let h = 0; h < H; h++)
          for (let ww = 0; ww < W; ww++)
            for (let kd = 0; kd < kernel[0]!; kd++)
              for (let kh = 0; kh < kernel[1]!; kh++)
                for (let kw = 0; kw < kernel[2]!; kw++) {
                  const od = d * 2 + kd - padL[0]!;
                  const oh = h * 2 + kh - padL[1]!;
                  const ow = ww * 2 + kw - padL[2]!;
                  if (od < 0 || oh < 0 || ow < 0 || od >= outSz[0]! || oh >= outSz[1]! || ow >= outSz[2]!) continue;
                  for (let co = 0; co < Co; co++)
                    for (let ci = 0; ci < Ci; ci++)
                      ref[(((n * outSz[0]! + od) * outSz[1]! + oh) * outSz[2]! + ow) * Co + co]! +=
                        xs[(((n * D + d) * H + h) * W + ww) * Ci + ci]! * ws[(((kd * kernel[1]! + kh) * kernel[2]! + kw) * Co + co) * Ci + ci]!;
                }
    expect(y.shape).toEqual([B, ...outSz, Co]);
    const got = y.dataSync();
    for (let i = 0; i < ref.length; i++) expect(got[i]).toBeCloseTo(ref[i]!, 4);
    tf.dispose([x, w, y]);
  });
});

describe("initialisation", () => {
  const kernelStd = (init: "truncated-normal" | "he") => {
    const net = buildModel({ network: "dilated2d", setting: "joint", width: 0.25, init, seed: 4 });
    const v = net.trainableVariables().find((x) => x.name.endsWith("group_5/rb_1/conv_2/kernel"))!;
    const d = Array.from(v.dataSync() as Float32Array);
    const mean = d.reduce((a, b) => a + b, 0) / d.length;
    const std = Math.sqrt(d.reduce((a, b) => a + (b - mean) ** 2, 0) / d.length);
    const fanIn = v.shape[0]! * v.shape[1]! * v.shape[2]!;
    const gammaOnes = net.trainableVariables().filter((x) => x.name.endsWith("/gamma")).every((x) => x.dataSync().every((g) => g === 1));
    net.dispose();
    return { std, fanIn, gammaOnes };
  };
  it("default: truncated normal std 0.01 (truncation at 2 std leaves ~0.88 of it); he: std sqrt(2 / fan_in)", () => {
    const t = kernelStd("truncated-normal");
    expect(t.std).toBeGreaterThan(0.0083);
    expect(t.std).toBeLessThan(0.0093);
    expect(t.gammaOnes).toBe(true);
    const h = kernelStd("he");
    const target = 0.8796 * Math.sqrt(2 / h.fanIn);
    expect(Math.abs(h.std - target) / target).toBeLessThan(0.05);
  });
  it("the same seed gives the same weights, another seed others", () => {
    const a = buildModel({ network: "unet3d", setting: "ours", width: 0.125, seed: 1 });
    const b = buildModel({ network: "unet3d", setting: "ours", width: 0.125, seed: 1 });
    const c = buildModel({ network: "unet3d", setting: "ours", width: 0.125, seed: 2 });
    const k = (n: typeof a) => Array.from(n.trainableVariables()[0]!.dataSync());
    expect(k(a)).toEqual(k(b));
    expect(k(a)).not.toEqual(k(c));
    [a, b, c].forEach((n) => n.dispose());
  });
});
