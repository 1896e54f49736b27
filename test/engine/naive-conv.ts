/**
 * Independent float64 reference for N-d channels-last convolution and its gradients, written as
 * plain loops straight from the definition (no tfjs). Padding follows TensorFlow's SAME rule,
 * computed here from scratch: out = ceil(in / s), total = max((out-1)*s + (k-1)*d + 1 - in, 0),
 * before = floor(total / 2); VALID: out = ceil((in - (k-1)*d) / s), before = 0.
 */
export interface ConvSpec {
  /** x shape [N, ...spatial, Ci] */
  xShape: number[];
  /** filter shape [...k, Ci, Co] */
  wShape: number[];
  strides: number[];
  dilations: number[];
  pad: "same" | "valid";
}

export function geometry(spec: ConvSpec): { out: number[]; before: number[] } {
  const sp = spec.xShape.slice(1, -1);
  const out: number[] = [];
  const before: number[] = [];
  sp.forEach((n, a) => {
    const k = spec.wShape[a]!, s = spec.strides[a]!, d = spec.dilations[a]!;
    const eff = (k - 1) * d + 1;
    if (spec.pad === "same") {
      const o = Math.ceil(n / s);
      const total = Math.max((o - 1) * s + eff - n, 0);
      out.push(o);
      before.push(Math.floor(total / 2));
    } else {
      out.push(Math.ceil((n - eff + 1) / s));
      before.push(0);
    }
  });
  return { out, before };
}

function strides(shape: number[]): number[] {
  const st = new Array(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) st[i] = st[i + 1] * shape[i + 1]!;
  return st;
}

/** Visit every (n, out position, kernel position) with the matching in-bounds input position. */
function visit(spec: ConvSpec, f: (xi: number, wBase: number, yBase: number) => void): void {
  const { out, before } = geometry(spec);
  const nsp = out.length;
  const N = spec.xShape[0]!;
  const Ci = spec.xShape[nsp + 1]!;
  const Co = spec.wShape[nsp + 1]!;
  const xSt = strides(spec.xShape);
  const wSt = strides(spec.wShape);
  const yShape = [N, ...out, Co];
  const ySt = strides(yShape);
  const ks = spec.wShape.slice(0, nsp);
  const oIdx = new Array(nsp).fill(0);
  const kIdx = new Array(nsp).fill(0);
  const total = out.reduce((a, b) => a * b, 1);
  const ktotal = ks.reduce((a, b) => a * b, 1);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < total; o++) {
      let r = o;
      for (let a = nsp - 1; a >= 0; a--) {
        oIdx[a] = r % out[a]!;
        r = Math.floor(r / out[a]!);
      }
      for (let k = 0; k < ktotal; k++) {
        let rk = k;
        for (let a = nsp - 1; a >= 0; a--) {
          kIdx[a] = rk % ks[a]!;
          rk = Math.floor(rk / ks[a]!);
        }
        let xi = n * xSt[0]!;
        let ok = true;
        let wBase = 0;
        let yBase = n * ySt[0]!;
        for (let a = 0; a < nsp; a++) {
          const i = oIdx[a]! * spec.strides[a]! + kIdx[a]! * spec.dilations[a]! - before[a]!;
          if (i < 0 || i >= spec.xShape[a + 1]!) {
            ok = false;
            break;
          }
          xi += i * xSt[a + 1]!;
          wBase += kIdx[a]! * wSt[a]!;
          yBase += oIdx[a]! * ySt[a + 1]!;
        }
        if (!ok) continue;
        for (let ci = 0; ci < Ci; ci++) f(xi + ci, wBase + ci * Co, yBase);
      }
    }
  void Ci;
}

export function outShape(spec: ConvSpec): number[] {
  const { out } = geometry(spec);
  return [spec.xShape[0]!, ...out, spec.wShape[spec.wShape.length - 1]!];
}

export function convForward(spec: ConvSpec, x: ArrayLike<number>, w: ArrayLike<number>): Float64Array {
  const ys = outShape(spec);
  const Co = ys[ys.length - 1]!;
  const y = new Float64Array(ys.reduce((a, b) => a * b, 1));
  visit(spec, (xi, wb, yb) => {
    for (let c = 0; c < Co; c++) y[yb + c]! += x[xi]! * w[wb + c]!;
  });
  return y;
}

/** Gradients of L = sum(conv(x, w) * r). */
export function convGrads(spec: ConvSpec, x: ArrayLike<number>, w: ArrayLike<number>, r: ArrayLike<number>): { dx: Float64Array; dw: Float64Array } {
  const Co = spec.wShape[spec.wShape.length - 1]!;
  const dx = new Float64Array(x.length);
  const dw = new Float64Array(w.length);
  visit(spec, (xi, wb, yb) => {
    for (let c = 0; c < Co; c++) {
      dx[xi]! += w[wb + c]! * r[yb + c]!;
      dw[wb + c]! += x[xi]! * r[yb + c]!;
    }
  });
  return { dx, dw };
}
