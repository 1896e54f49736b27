/**
 * Kernels of `UmmkdDropout` (../kernel-names.ts): tf.dropout in one pass.
 *
 * tf.dropout(x, rate, undefined, seed) is
 *   multiplier = floor(randomUniform(x.shape, 0, 1, "float32", seed) + keep) / keep;  y = x * multiplier
 * with keep = 1 - rate and every intermediate a float32 tensor. randomUniform draws seedrandom's
 * Alea generator seeded with String(seed) (tfjs-core's UniformRandom). {@link aleaFill} and
 * {@link dropoutFill} reproduce that stream and those float32 roundings exactly, so the masks are
 * bit-identical to tf.dropout's (checked in test/engine/dropout.test.ts); the native engine runs the
 * same recurrence in C++ (`src/dropout.cc`).
 */
import { tf, type Tensor } from "../tf.ts";
import type { KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import type { UmmkdDropoutAttrs } from "../kernel-names.ts";

/** Alea's state {c, s0, s1, s2} right after seeding (seedrandom 3's Alea + Mash, Baagoe's algorithm). */
export interface AleaState {
  c: number;
  s0: number;
  s1: number;
  s2: number;
}

function mash(): (data: string) => number {
  let n = 0xefc8249d;
  return (data: string) => {
    for (let i = 0; i < data.length; i++) {
      n += data.charCodeAt(i);
      let h = 0.02519603282416938 * n;
      n = h >>> 0;
      h -= n;
      h *= n;
      n = h >>> 0;
      h -= n;
      n += h * 0x100000000;
    }
    return (n >>> 0) * 2.3283064365386963e-10;
  };
}

/** The state of `seedrandom.alea(String(seed))` before its first draw. */
export function aleaState(seed: number | string): AleaState {
  const m = mash();
  const key = String(seed);
  let s0 = m(" "), s1 = m(" "), s2 = m(" ");
  s0 -= m(key);
  if (s0 < 0) s0 += 1;
  s1 -= m(key);
  if (s1 < 0) s1 += 1;
  s2 -= m(key);
  if (s2 < 0) s2 += 1;
  return { c: 1, s0, s1, s2 };
}

/**
 * Fills `out` with the first out.length numbers of `seedrandom.alea(String(seed))` (the stream
 * tf.randomUniform draws), rounded to out's element type (a Float32Array gets tf.randomUniform's
 * float32 values).
 */
export function aleaFill(seed: number | string, out: Float32Array | Float64Array): void {
  let { c, s0, s1, s2 } = aleaState(seed);
  for (let i = 0; i < out.length; i++) {
    const t = 2091639 * s0 + c * 2.3283064365386963e-10;
    s0 = s1;
    s1 = s2;
    c = t | 0;
    out[i] = s2 = t - c;
  }
}

/** The first n numbers of `seedrandom.alea(String(seed))`, in double. */
export function aleaUniforms(seed: number | string, n: number): Float64Array {
  const out = new Float64Array(n);
  aleaFill(seed, out);
  return out;
}

/** `rate` and `seed` checked as tf.dropout checks them. */
export function checkDropoutAttrs(a: UmmkdDropoutAttrs): void {
  if (!(a.rate >= 0 && a.rate < 1)) throw new RangeError(`dropout: rate must be a number in [0, 1), got ${a.rate}`);
  if (typeof a.seed !== "number" && typeof a.seed !== "string") throw new TypeError(`dropout: seed must be a number or a string, got ${typeof a.seed}`);
}

/**
 * y[i] = x[i] * mult[i], mult[i] = floor(u_i + keep) / keep in float32, u_i the i-th Alea draw
 * rounded to float32, keep = fround(1 - rate). Same arithmetic as tf.dropout on every backend.
 */
export function dropoutFill(x: Float32Array, y: Float32Array, mult: Float32Array, rate: number, seed: number | string): void {
  aleaFill(seed, mult); // u_i as float32, overwritten by the multiplier below (as src/dropout.cc)
  const keep = Math.fround(1 - rate);
  for (let i = 0; i < x.length; i++) {
    const m = Math.fround(Math.floor(Math.fround(mult[i]! + keep)) / keep);
    mult[i] = m;
    y[i] = x[i]! * m;
  }
}

/** tf-op version (what tf.dropout runs), for backends whose memory JS cannot reach. */
export function dropoutPortable(x: Tensor, a: UmmkdDropoutAttrs): [Tensor, Tensor] {
  checkDropoutAttrs(a);
  return tf.tidy(() => {
    const keep = 1 - a.rate;
    const mult = tf.div(tf.floor(tf.add(tf.randomUniform(x.shape, 0, 1, "float32", a.seed), keep)), keep);
    return [tf.mul(x, mult), mult];
  });
}

/** JS version on the backend's memory (wasm heap or cpu arrays). */
export function dropoutJsFactory(io: (backend: unknown, inputs: TensorInfo[], outShapes: number[][]) => { ins: Float32Array[]; outs: Float32Array[]; done: () => TensorInfo[] }): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x } = inputs as { x: TensorInfo };
    const a = attrs as unknown as UmmkdDropoutAttrs;
    checkDropoutAttrs(a);
    if (x.dtype !== "float32") throw new Error(`UmmkdDropout: x must be float32, got ${x.dtype}`);
    const {
      ins: [xv],
      outs: [y, mult],
      done,
    } = io(backend, [x], [x.shape, x.shape]);
    dropoutFill(xv!, y!, mult!, a.rate, a.seed);
    return done();
  };
}
