/**
 * Networks are written once, against `Ctx<V>`: run with `ShapeCtx` (V = a shape) the forward
 * code yields the layer description (parameter specs, no allocation: full-scale counts are exact
 * and cheap); run with `TensorCtx` (V = feature tensors) it is the real forward pass.
 */
import { ShapeError } from "../util/errors.ts";
import type { NormKind } from "./types.ts";
import type { ParamSpec, Segment } from "./sharing.ts";

export interface ConvSpec {
  /** Kernel spatial size: [kh, kw] (2D) or [kd, kh, kw] (3D, D-first). */
  kernel: number[];
  cout: number;
  /** Dilation (2D only); default 1. */
  dilation?: number;
  /** "same" zero padding, or "symmetric" (tf.pad SYMMETRIC by floor(k/2), then VALID). */
  pad: "same" | "symmetric";
  /** Add a bias (only the 3D head); default false. */
  bias?: boolean;
}

export interface DeconvSpec {
  /** [kd, kh, kw] */
  kernel: number[];
  cout: number;
  /** [sd, sh, sw] */
  strides: number[];
}

/** The operations the two networks are made of. */
export interface Ctx<V> {
  /** Segment (encoder/bottleneck/decoder) of the parameters declared from now on. */
  segment(s: Segment): void;
  shape(x: V): number[];
  conv(name: string, x: V, o: ConvSpec): V;
  deconv(name: string, x: V, o: DeconvSpec): V;
  norm(name: string, x: V): V;
  lrelu(x: V): V;
  dropout(x: V): V;
  /** Max-pool, window 2 and stride 2 on every spatial axis, SAME padding. */
  maxPool(x: V): V;
  add(a: V, b: V): V;
  /** Concatenate on the channel axis. */
  concat(a: V, b: V): V;
  /** Zero-pad the channel axis. */
  padChannels(x: V, before: number, after: number): V;
  /** Sub-pixel upsampling by r (2D). */
  phaseShift(x: V, r: number): V;
}

/** Parameter specs of a conv kernel [...kernel, cin, cout] (+ bias). */
export function convSpecs(name: string, cin: number, o: ConvSpec, segment: Segment): ParamSpec[] {
  const fanIn = o.kernel.reduce((a, b) => a * b, 1) * cin;
  const out: ParamSpec[] = [
    { name: `${name}/kernel`, shape: [...o.kernel, cin, o.cout], role: "kernel", segment, trainable: true, init: "truncated-normal", fanIn },
  ];
  if (o.bias) out.push({ name: `${name}/bias`, shape: [o.cout], role: "bias", segment, trainable: true, init: "zeros" });
  return out;
}

/** Parameter specs of a normalization layer over C channels. */
export function normSpecs(name: string, c: number, kind: NormKind, segment: Segment): ParamSpec[] {
  const out: ParamSpec[] = [
    { name: `${name}/gamma`, shape: [c], role: "gamma", segment, trainable: true, init: "ones" },
    { name: `${name}/beta`, shape: [c], role: "beta", segment, trainable: true, init: "zeros" },
  ];
  if (kind === "batch") {
    out.push({ name: `${name}/moving_mean`, shape: [c], role: "movingMean", segment, trainable: false, init: "zeros" });
    out.push({ name: `${name}/moving_variance`, shape: [c], role: "movingVar", segment, trainable: false, init: "ones" });
  }
  return out;
}

/** Static shapes through the network; records the parameter specs. */
export class ShapeCtx implements Ctx<number[]> {
  readonly specs: ParamSpec[] = [];
  private seg: Segment = "encoder";
  private names = new Set<string>();
  constructor(readonly normKind: NormKind) {}

  private push(ps: ParamSpec[]): void {
    for (const p of ps) {
      if (this.names.has(p.name)) throw new Error(`ShapeCtx: duplicate parameter name ${p.name}`);
      this.names.add(p.name);
      this.specs.push(p);
    }
  }
  segment(s: Segment): void {
    this.seg = s;
  }
  shape(x: number[]): number[] {
    return x;
  }
  conv(name: string, x: number[], o: ConvSpec): number[] {
    const cin = x[x.length - 1]!;
    this.push(convSpecs(name, cin, o, this.seg));
    // SAME and symmetric-pad+VALID both keep the spatial size at stride 1
    return [...x.slice(0, -1), o.cout];
  }
  deconv(name: string, x: number[], o: DeconvSpec): number[] {
    const cin = x[x.length - 1]!;
    const fanIn = o.kernel.reduce((a, b) => a * b, 1) * cin;
    // tf.conv3dTranspose filter layout: [kd, kh, kw, cout, cin]; random-normal init (notes section 2)
    this.push([{ name: `${name}/kernel`, shape: [...o.kernel, o.cout, cin], role: "kernel", segment: this.seg, trainable: true, init: "normal", fanIn }]);
    const sp = x.slice(1, -1).map((d, i) => d * o.strides[i]!);
    return [x[0]!, ...sp, o.cout];
  }
  norm(name: string, x: number[]): number[] {
    this.push(normSpecs(name, x[x.length - 1]!, this.normKind, this.seg));
    return x;
  }
  lrelu(x: number[]): number[] {
    return x;
  }
  dropout(x: number[]): number[] {
    return x;
  }
  maxPool(x: number[]): number[] {
    return [x[0]!, ...x.slice(1, -1).map((d) => Math.ceil(d / 2)), x[x.length - 1]!];
  }
  add(a: number[], b: number[]): number[] {
    if (a.join() !== b.join()) throw new ShapeError(`add: shapes differ [${a}] vs [${b}]`);
    return a;
  }
  concat(a: number[], b: number[]): number[] {
    if (a.slice(0, -1).join() !== b.slice(0, -1).join()) throw new ShapeError(`concat: shapes differ [${a}] vs [${b}]`);
    return [...a.slice(0, -1), a[a.length - 1]! + b[b.length - 1]!];
  }
  padChannels(x: number[], before: number, after: number): number[] {
    return [...x.slice(0, -1), x[x.length - 1]! + before + after];
  }
  phaseShift(x: number[], r: number): number[] {
    const c = x[3]!;
    if (c % (r * r) !== 0) throw new ShapeError(`phaseShift: channels ${c} not divisible by r*r = ${r * r}`);
    return [x[0]!, x[1]! * r, x[2]! * r, c / (r * r)];
  }
}
