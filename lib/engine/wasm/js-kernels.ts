/**
 * Fused JavaScript kernels working in place on the backend's own memory (the wasm heap, or the cpu
 * backend's typed arrays): batch-norm training forward/backward and LeakyReLU backward.
 *
 * Why: composed of tf ops, a training-mode BN is ~6 passes forward and ~10 backward, each a separate
 * kernel with its own output buffer (and tfjs reduces over axis 0 by transposing first); LeakyReLU's
 * stock gradient is Greater + Multiply + Select. One JS loop over Float32Arrays does each in 2-3
 * passes with no temporaries (measured in lib/bench: see the profile printed by
 * `ummkd bench train-step --profile`).
 */
import type { KernelFunc, TensorInfo, DataType } from "@tensorflow/tfjs-core";
import { tf } from "../tf.ts";

/** The two storage models we support: the wasm backend's heap, or a cpu-style backend's typed arrays. */
interface HeapBackend {
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array;
}
interface ArrayBackend {
  readSync(dataId: object): unknown;
  makeTensorInfo(shape: number[], dtype: DataType, values?: Float32Array): TensorInfo;
}

/** Whether `backend` exposes memory we can run JS loops on. */
export function supportsJsKernels(backend: unknown): boolean {
  const b = backend as Partial<HeapBackend & ArrayBackend>;
  return typeof b.typedArrayFromHeap === "function" || (typeof b.readSync === "function" && typeof b.makeTensorInfo === "function");
}

/**
 * The backend's float32 buffer pool, if it has one (the native backend's `ummkdAllocF32`, see
 * native/buffers.ts). Its arrays have undefined contents: only for outputs a kernel overwrites entirely.
 */
export function pooledF32(backend: unknown): ((n: number) => Float32Array) | undefined {
  return (backend as { ummkdAllocF32?: (n: number) => Float32Array }).ummkdAllocF32;
}

/**
 * Inputs as JS Float32Arrays and fresh output arrays; `done()` publishes the outputs.
 *
 * On wasm, JS loops over Float32Array views of the wasm heap run ~5-8x slower in Node 20's V8
 * than over ordinary typed arrays (measured: 1M-element LeakyReLU-grad loop 15-20 ms vs 2-3 ms), so
 * inputs are copied out with one memcpy (ArrayBuffer.slice, ~0.4 ms per 4 MB), computed on, and
 * copied back with one `set`. Outputs are allocated before any view is taken (allocation can grow
 * the heap and detach views).
 */
export function io(backend: unknown, inputs: TensorInfo[], outShapes: number[][], overwrites = false): { ins: Float32Array[]; outs: Float32Array[]; done: () => TensorInfo[] } {
  const hb = backend as HeapBackend;
  const fresh = () => outShapes.map((s) => new Float32Array(s.reduce((a, b) => a * b, 1)));
  if (typeof hb.typedArrayFromHeap === "function") {
    const outs = fresh();
    const infos = outShapes.map((s) => hb.makeOutput(s, "float32"));
    const ins = inputs.map((t) => {
      const v = hb.typedArrayFromHeap(t);
      return new Float32Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
    });
    return {
      ins,
      outs,
      done: () => {
        infos.forEach((t, i) => hb.typedArrayFromHeap(t).set(outs[i]!));
        return infos;
      },
    };
  }
  const ab = backend as ArrayBackend;
  // `overwrites`: the caller writes every output element, so the native backend's buffer pool
  // (native/buffers.ts) may hand out reused arrays; kernels that accumulate into zeros get fresh ones
  const pool = overwrites ? pooledF32(backend) : undefined;
  const outs = pool ? outShapes.map((s) => pool(s.reduce((a, b) => a * b, 1))) : fresh();
  return {
    ins: inputs.map((t) => ab.readSync(t.dataId) as Float32Array),
    outs,
    done: () => outShapes.map((s, i) => ab.makeTensorInfo(s, "float32", outs[i])),
  };
}

function checkFloat(name: string, ts: TensorInfo[]): void {
  for (const t of ts) if (t.dtype !== "float32") throw new Error(`${name} (ummkd JS kernel): expected float32 inputs, got ${t.dtype}`);
}

/** UmmkdBatchNormTrain: inputs {x, gamma, beta}, attrs {epsilon} -> [y, mean, variance]. */
export const batchNormTrainJs: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, gamma, beta } = inputs as { x: TensorInfo; gamma: TensorInfo; beta: TensorInfo };
  checkFloat("UmmkdBatchNormTrain", [x, gamma, beta]);
  const eps = (attrs as { epsilon: number }).epsilon;
  const C = x.shape[x.shape.length - 1]!;
  const {
    ins: [xv, g, b],
    outs: [y, mean, variance],
    done,
  } = io(backend, [x, gamma, beta], [x.shape, [C], [C]]);
  const n = xv!.length;
  const M = n / C;
  const s = new Float64Array(C);
  for (let i = 0; i < n; i += C) for (let c = 0; c < C; c++) s[c]! += xv![i + c]!;
  const mu = new Float64Array(C);
  for (let c = 0; c < C; c++) mu[c] = s[c]! / M;
  const ss = new Float64Array(C);
  for (let i = 0; i < n; i += C)
    for (let c = 0; c < C; c++) {
      const d = xv![i + c]! - mu[c]!;
      ss[c]! += d * d;
    }
  const scale = new Float32Array(C);
  const shift = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    const v = ss[c]! / M;
    mean![c] = mu[c]!;
    variance![c] = v;
    scale[c] = g![c]! / Math.sqrt(v + eps);
    shift[c] = b![c]! - mu[c]! * scale[c]!;
  }
  for (let i = 0; i < n; i += C) for (let c = 0; c < C; c++) y![i + c] = xv![i + c]! * scale[c]! + shift[c]!;
  return done();
};

/** UmmkdBatchNormTrainGrad: inputs {dy, x, gamma, mean, variance}, attrs {epsilon} -> [dx, dgamma, dbeta]. */
export const batchNormTrainGradJs: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, x, gamma, mean, variance } = inputs as Record<"dy" | "x" | "gamma" | "mean" | "variance", TensorInfo>;
  checkFloat("UmmkdBatchNormTrainGrad", [dy, x, gamma, mean, variance]);
  const eps = (attrs as { epsilon: number }).epsilon;
  const C = x.shape[x.shape.length - 1]!;
  const {
    ins: [dyv, xv, g, mu, v],
    outs: [dx, dgamma, dbeta],
    done,
  } = io(backend, [dy, x, gamma, mean, variance], [x.shape, [C], [C]]);
  const n = xv!.length;
  const M = n / C;
  const rstd = new Float64Array(C);
  for (let c = 0; c < C; c++) rstd[c] = 1 / Math.sqrt(v![c]! + eps);
  const sdy = new Float64Array(C);
  const sdyx = new Float64Array(C); // sum dy * (x - mean)
  for (let i = 0; i < n; i += C)
    for (let c = 0; c < C; c++) {
      const d = dyv![i + c]!;
      sdy[c]! += d;
      sdyx[c]! += d * (xv![i + c]! - mu![c]!);
    }
  // dx = gamma*rstd*(dy - sdy/M - xhat * (sdyxhat/M)), xhat = (x-mean)*rstd, sdyxhat = sdyx*rstd
  const k = new Float32Array(C);
  const a = new Float32Array(C);
  const bb = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    const r = rstd[c]!;
    dbeta![c] = sdy[c]!;
    dgamma![c] = sdyx[c]! * r;
    k[c] = g![c]! * r; // multiplies dy
    a[c] = (g![c]! * r * r * r * sdyx[c]!) / M; // multiplies (x - mean)
    bb[c] = (g![c]! * r * sdy[c]!) / M - a[c]! * mu![c]!; // constant (folds the -a*mean)
  }
  for (let i = 0; i < n; i += C) for (let c = 0; c < C; c++) dx![i + c] = k[c]! * dyv![i + c]! - a[c]! * xv![i + c]! - bb[c]!;
  return done();
};

/** UmmkdLeakyReluGrad: inputs {dy, x}, attrs {alpha} -> dx = x > 0 ? dy : alpha * dy. */
export const leakyReluGradJs: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, x } = inputs as { dy: TensorInfo; x: TensorInfo };
  checkFloat("UmmkdLeakyReluGrad", [dy, x]);
  const alpha = (attrs as { alpha: number }).alpha;
  const {
    ins: [d, xv],
    outs: [dx],
    done,
  } = io(backend, [dy, x], [x.shape]);
  const n = xv!.length;
  for (let i = 0; i < n; i++) dx![i] = xv![i]! > 0 ? d![i]! : alpha * d![i]!;
  return done()[0]!;
};

/** LeakyRelu forward: inputs {x}, attrs {alpha}. */
export const leakyReluJs: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x } = inputs as { x: TensorInfo };
  checkFloat("LeakyRelu", [x]);
  const alpha = (attrs as { alpha: number }).alpha;
  const {
    ins: [xv],
    outs: [y],
    done,
  } = io(backend, [x], [x.shape]);
  const n = xv!.length;
  for (let i = 0; i < n; i++) {
    const v = xv![i]!;
    y![i] = v > 0 ? v : alpha * v;
  }
  return done()[0]!;
};

/**
 * UmmkdFlipSwapFilter (internal): spatially flip a conv filter and swap its channel axes,
 * [...k, Ci, Co] -> [...k reversed, Co, Ci] (the filter of dx as a forward conv). One pass; wasm's
 * Reverse kernel takes ~5-10 ms for a 3x3x128x128 filter.
 */
export const flipSwapFilterJs: KernelFunc = ({ inputs, backend }) => {
  const { filter } = inputs as { filter: TensorInfo };
  checkFloat("UmmkdFlipSwapFilter", [filter]);
  const s = filter.shape;
  const Ci = s[s.length - 2]!;
  const Co = s[s.length - 1]!;
  const K = s.slice(0, -2).reduce((a, b) => a * b, 1);
  const {
    ins: [w],
    outs: [o],
    done,
  } = io(backend, [filter], [[...s.slice(0, -2), Co, Ci]]);
  const cc = Ci * Co;
  for (let k = 0; k < K; k++) {
    const src = k * cc;
    const dst = (K - 1 - k) * cc;
    for (let i = 0; i < Ci; i++) for (let j = 0; j < Co; j++) o![dst + j * Ci + i] = w![src + i * Co + j]!;
  }
  return done()[0]!;
};

/**
 * MaxPoolGrad (2D, NHWC) for wasm: tfjs-backend-wasm 4.22's C++ MaxPoolGrad returns wrong
 * gradients (found by the end-to-end gradient test; off by O(1) even for a 1x4x4x1 input, while
 * the cpu kernel matches a loop reference). The gradient of each window goes to its first maximum
 * (row-major), as in TensorFlow and tfjs-backend-cpu.
 */
export const maxPoolGradJs: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
  checkFloat("MaxPoolGrad", [dy, input]);
  const a = attrs as unknown as { filterSize: number | [number, number]; strides: number | [number, number]; pad: "same" | "valid" | number; dimRoundingMode?: "floor" | "round" | "ceil" };
  const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
  const {
    ins: [g, x],
    outs: [dx],
    done,
  } = io(backend, [dy, input], [input.shape]);
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: Ho, outWidth: Wo, strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = info;
  const pt = info.padInfo.top, pl = info.padInfo.left;
  for (let n = 0; n < N; n++)
    for (let oh = 0; oh < Ho; oh++)
      for (let ow = 0; ow < Wo; ow++)
        for (let c = 0; c < C; c++) {
          let best = -Infinity;
          let at = -1;
          for (let kh = 0; kh < fh; kh++) {
            const ih = oh * sh - pt + kh;
            if (ih < 0 || ih >= H) continue;
            for (let kw = 0; kw < fw; kw++) {
              const iw = ow * sw - pl + kw;
              if (iw < 0 || iw >= W) continue;
              const k = ((n * H + ih) * W + iw) * C + c;
              if (x![k]! > best || at < 0) {
                best = x![k]!;
                at = k;
              }
            }
          }
          if (at >= 0) dx![at]! += g![((n * Ho + oh) * Wo + ow) * C + c]!;
        }
  return done()[0]!;
};

type Pool3DAttrs = { filterSize: number | [number, number, number]; strides: number | [number, number, number]; pad: "same" | "valid" | number; dimRoundingMode?: "floor" | "round" | "ceil" };

/**
 * Visit each (output position, channel) of a 3D max-pool with the flat input index of its first
 * maximum (row-major over the window), NDHWC.
 */
function pool3dArgmax(x: Float32Array, shape: number[], a: Pool3DAttrs, visit: (outIndex: number, inIndex: number) => void): number[] {
  const info = tf.backend_util.computePool3DInfo(shape as [number, number, number, number, number], a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
  const { batchSize: N, inDepth: D, inHeight: H, inWidth: W, inChannels: C, outDepth: Do, outHeight: Ho, outWidth: Wo } = info;
  const { strideDepth: sd, strideHeight: sh, strideWidth: sw, filterDepth: fd, filterHeight: fh, filterWidth: fw } = info;
  const pf = info.padInfo.front, pt = info.padInfo.top, pl = info.padInfo.left;
  let o = 0;
  for (let n = 0; n < N; n++)
    for (let od = 0; od < Do; od++)
      for (let oh = 0; oh < Ho; oh++)
        for (let ow = 0; ow < Wo; ow++)
          for (let c = 0; c < C; c++, o++) {
            let best = -Infinity;
            let at = -1;
            for (let kd = 0; kd < fd; kd++) {
              const id = od * sd - pf + kd;
              if (id < 0 || id >= D) continue;
              for (let kh = 0; kh < fh; kh++) {
                const ih = oh * sh - pt + kh;
                if (ih < 0 || ih >= H) continue;
                for (let kw = 0; kw < fw; kw++) {
                  const iw = ow * sw - pl + kw;
                  if (iw < 0 || iw >= W) continue;
                  const k = (((n * D + id) * H + ih) * W + iw) * C + c;
                  if (x[k]! > best || at < 0) {
                    best = x[k]!;
                    at = k;
                  }
                }
              }
            }
            visit(o, at);
          }
  return [N, Do, Ho, Wo, C];
}

/**
 * MaxPool3D for wasm: tfjs-backend-wasm 4.22's C++ MaxPool3D returns wrong maxima as soon as the
 * depth or height exceeds one window or the batch exceeds 1 (e.g. 2x8x16x16x4: off by up to 0.4 on
 * unit normals; the cpu kernel matches a loop reference).
 */
export const maxPool3dJs: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x } = inputs as { x: TensorInfo };
  checkFloat("MaxPool3D", [x]);
  const a = attrs as unknown as Pool3DAttrs;
  const info = tf.backend_util.computePool3DInfo(x.shape as [number, number, number, number, number], a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
  const {
    ins: [xv],
    outs: [y],
    done,
  } = io(backend, [x], [info.outShape]);
  pool3dArgmax(xv!, x.shape, a, (o, at) => {
    y![o] = at >= 0 ? xv![at]! : -Infinity;
  });
  return done()[0]!;
};

/** MaxPool3DGrad for wasm (its C++ version is wrong like its forward). Inputs {dy, input}. */
export const maxPool3dGradJs: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
  checkFloat("MaxPool3DGrad", [dy, input]);
  const a = attrs as unknown as Pool3DAttrs;
  const {
    ins: [g, xv],
    outs: [dx],
    done,
  } = io(backend, [dy, input], [input.shape]);
  pool3dArgmax(xv!, input.shape, a, (o, at) => {
    if (at >= 0) dx![at]! += g![o]!;
  });
  return done()[0]!;
};

/**
 * UmmkdDepthIm2col (internal, for conv3d as one conv2d): x [N, Dp, M, Ci] -> [N, Do, M, kd*Ci] with
 * out[n, od, m, a*Ci + ci] = x[n, od*sd + a*dd, m, ci]. Attrs {kd, sd, dd, Do}.
 */
export const depthIm2colJs: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x } = inputs as { x: TensorInfo };
  checkFloat("UmmkdDepthIm2col", [x]);
  const { kd, sd, dd, Do } = attrs as unknown as { kd: number; sd: number; dd: number; Do: number };
  const [N, Dp, M, Ci] = x.shape as [number, number, number, number];
  const {
    ins: [xv],
    outs: [o],
    done,
  } = io(backend, [x], [[N, Do, M, kd * Ci]]);
  const K = kd * Ci;
  for (let n = 0; n < N; n++)
    for (let od = 0; od < Do; od++)
      for (let a = 0; a < kd; a++) {
        const d = od * sd + a * dd;
        if (d >= Dp) continue;
        let src = (n * Dp + d) * M * Ci;
        let dst = (n * Do + od) * M * K + a * Ci;
        for (let m = 0; m < M; m++, src += Ci, dst += K) for (let c = 0; c < Ci; c++) o![dst + c] = xv![src + c]!;
      }
  return done()[0]!;
};

/** UmmkdClipByValueGrad: inputs {dy, x}, attrs {clipValueMin, clipValueMax} -> dx = (min <= x <= max) ? dy : 0. */
export const clipByValueGradJs: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, x } = inputs as { dy: TensorInfo; x: TensorInfo };
  checkFloat("UmmkdClipByValueGrad", [dy, x]);
  const a = attrs as unknown as { clipValueMin: number; clipValueMax: number };
  // compared as float32, as tfjs' GreaterEqual/LessEqual against scalar tensors do
  const lo = Math.fround(a.clipValueMin), hi = Math.fround(a.clipValueMax);
  const {
    ins: [d, xv],
    outs: [dx],
    done,
  } = io(backend, [dy, x], [x.shape], true);
  const n = xv!.length;
  for (let i = 0; i < n; i++) {
    const v = xv![i]!;
    dx![i] = v >= lo && v <= hi ? d![i]! : 0;
  }
  return done()[0]!;
};
