/**
 * The compiled oneDNN addon (`build/Release/ummkd_native.node`, built by `npm run build:native`)
 * and its typed surface. Every buffer is a Float32Array used in place (no copies); `params` packs
 * the integer attributes described in `src/*.cc`.
 */
import { createRequire } from "node:module";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The functions the addon exports (see `src/addon.cc`). */
export interface NativeAddon {
  /** oneDNN version, e.g. "2.6.3 (OpenMP)". */
  version(): string;
  /** Instruction set oneDNN dispatches to (e.g. "avx2", "avx512_core"). */
  isa(): string;
  setThreads(n: number): void;
  threads(): number;
  /**
   * Convolution. `params` = [kind, nsp, layout, hasBias, post, N, Ci, Co, in[nsp], k[nsp],
   * out[nsp], stride[nsp], dilation-1[nsp], padL[nsp], padR[nsp]]; kind 0: (x, filter) -> y,
   * 1: (dy, filter) -> dx, 2: (x, dy) -> dFilter.
   */
  conv(params: Int32Array, a: Float32Array, b: Float32Array, out: Float32Array, bias: Float32Array | null, alpha: number): void;
  /** The oneDNN implementation chosen for `params` (e.g. "brgconv:avx512_core"). */
  convImpl(params: Int32Array, alpha: number): string;
  /** params = [nsp, N, C, in[nsp], k[nsp], out[nsp], stride[nsp], padL[nsp], padR[nsp]]. */
  maxPool(params: Int32Array, x: Float32Array, y: Float32Array): void;
  maxPoolGrad(params: Int32Array, x: Float32Array, dy: Float32Array, dx: Float32Array): void;
  /** params = [N, S, C]. Writes y, mean and (biased) variance. */
  bnTrain(params: Int32Array, eps: number, x: Float32Array, gamma: Float32Array, beta: Float32Array, y: Float32Array, mean: Float32Array, variance: Float32Array): void;
  bnTrainGrad(params: Int32Array, eps: number, dy: Float32Array, x: Float32Array, gamma: Float32Array, mean: Float32Array, variance: Float32Array, dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array): void;
  /**
   * Group normalization (src/gnorm.cc); params = [B, S, C, G] (G divides C; instance: G = C,
   * layer: G = 1). Writes y, mean [B*G] and rstd = 1/sqrt(biased variance + eps) [B*G].
   */
  groupNorm(params: Int32Array, eps: number, x: Float32Array, gamma: Float32Array, beta: Float32Array, y: Float32Array, mean: Float32Array, rstd: Float32Array): void;
  /** Gradient of groupNorm from its saved mean and rstd: writes dx, dgamma [C], dbeta [C]. */
  groupNormGrad(params: Int32Array, dy: Float32Array, x: Float32Array, gamma: Float32Array, mean: Float32Array, rstd: Float32Array, dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array): void;
  /** Elementwise binary op (see `src/elementwise.cc` for op and mode codes). */
  binary(op: number, mode: number, a: Float32Array, b: Float32Array, out: Float32Array): void;
  /** Elementwise unary op (see `src/elementwise.cc`). */
  unary(op: number, a: Float32Array, out: Float32Array): void;
  /** out[i] = sum of x over the i-th block of x.length / out.length contiguous entries. */
  sumInner(x: Float32Array, out: Float32Array): void;
  /** out[j] = sum over rows of x viewed as [rows, out.length]. */
  sumOuter(x: Float32Array, out: Float32Array): void;
  /** One fused Adam step (UmmkdAdamUpdate); s = [lr, beta1, beta2, epsilon, c1, c2]. */
  adamUpdate(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, s: Float64Array, wOut: Float32Array, mOut: Float32Array, vOut: Float32Array): void;
  leakyRelu(x: Float32Array, out: Float32Array, alpha: number): void;
  /** out = a OP b (0/1); op 0 <, 1 <=, 2 >, 3 >=, 4 ==, 5 !=; broadcast modes as binary(). */
  compare(op: number, mode: number, a: Float32Array, b: Float32Array, out: Uint8Array): void;
  /** Batched matmul; params = [Ba, Bb, M, K, N, transposeA, transposeB] (batch 1 broadcasts). */
  matmul(params: Int32Array, a: Float32Array, b: Float32Array, out: Float32Array): void;
  leakyReluGrad(dy: Float32Array, x: Float32Array, out: Float32Array, alpha: number): void;
  /** UmmkdDropout: state = Alea's [c, s0, s1, s2] for the seed (aleaState); writes y and the multiplier. */
  dropout(x: Float32Array, y: Float32Array, mult: Float32Array, state: Float64Array, rate: number): void;
  /** out = x with axes of `shape` permuted by `perm` (float32). */
  transpose(x: Float32Array, out: Float32Array, shape: Int32Array, perm: Int32Array): void;
  /**
   * For every o < nOuter: dst[o*dstRow + dstOff, + run) = src[o*srcRow + srcOff, + run); params =
   * [nOuter, srcRow, srcOff, dstRow, dstOff, run] (one part of a Concat or SplitV along any axis).
   */
  copyRows?(src: Float32Array, dst: Float32Array, params: Int32Array): void;
  /** Softmax over contiguous rows of K values. */
  softmax(x: Float32Array, out: Float32Array, K: number): void;
}

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Absolute path where `npm run build:native` puts the addon (`UMMKD_NATIVE_ADDON` overrides it,
 * e.g. to test the fallback when the addon is missing).
 */
export const ADDON_PATH = process.env.UMMKD_NATIVE_ADDON ?? join(here, "build", "Release", "ummkd_native.node");

let cached: { addon: NativeAddon } | { reason: string } | undefined;

/** Loads the addon once; returns it, or a one-line reason why it cannot be used. Never throws. */
export function loadAddon(): { addon: NativeAddon } | { reason: string } {
  if (cached) return cached;
  if (!existsSync(ADDON_PATH)) {
    cached = { reason: `native addon not built (${ADDON_PATH} missing; run \`npm run build:native\`, needs libdnnl-dev)` };
    return cached;
  }
  try {
    const req = createRequire(import.meta.url);
    cached = { addon: req(ADDON_PATH) as NativeAddon };
  } catch (err) {
    const msg = (err instanceof Error ? err.message : String(err)).split("\n")[0];
    cached = { reason: `native addon failed to load (is oneDNN/libdnnl installed?): ${msg}` };
  }
  return cached;
}
