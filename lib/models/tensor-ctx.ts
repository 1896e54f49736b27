/**
 * The real forward pass of a network written against `Ctx`: features flow as `Feat`, the
 * per-modality tensors of this call, held either as one tensor per modality ("parts") or as one
 * tensor over the concatenated batch ("merged"), converted lazily. A layer whose parameters are
 * per modality runs on the parts with each modality's own parameters; a layer whose parameters
 * are all shared runs once on the merged batch (normalization statistics over both modalities);
 * parameter-free ops and shared-kernel convs run on whatever form the features are in.
 */
import { tf, type Tensor, type Tensor4D, type Tensor5D, type Variable } from "../engine/tf.ts";
import { conv2d as engineConv2d, conv3d as engineConv3d, conv3dTranspose as engineConv3dTranspose, dropout as engineDropout } from "../engine/ops.ts";
import { ShapeError } from "../util/errors.ts";
import type { Ctx, ConvSpec, DeconvSpec } from "./context.ts";
import { normalize } from "./norm.ts";
import { isPerModality, type ParamRole, type Segment } from "./sharing.ts";
import type { Modality, NormKind, Setting } from "./types.ts";
import { MODALITY_NAMES } from "./types.ts";

/** Features of the modalities of one call. */
export class Feat {
  private constructor(
    readonly mods: readonly Modality[],
    readonly sizes: readonly number[],
    private partsT: Tensor[] | undefined,
    private mergedT: Tensor | undefined,
  ) {}
  static fromParts(mods: readonly Modality[], parts: Tensor[]): Feat {
    return new Feat(mods, parts.map((p) => p.shape[0]!), parts, parts.length === 1 ? parts[0] : undefined);
  }
  static fromMerged(mods: readonly Modality[], sizes: readonly number[], merged: Tensor): Feat {
    return new Feat(mods, sizes, mods.length === 1 ? [merged] : undefined, merged);
  }
  get isMerged(): boolean {
    return this.mergedT !== undefined;
  }
  parts(): Tensor[] {
    if (!this.partsT) this.partsT = tf.split(this.mergedT!, [...this.sizes], 0);
    return this.partsT;
  }
  merged(): Tensor {
    if (!this.mergedT) this.mergedT = tf.concat(this.partsT!, 0);
    return this.mergedT;
  }
  shape(): number[] {
    const t = this.mergedT ?? this.partsT![0]!;
    return [this.sizes.reduce((a, b) => a + b, 0), ...t.shape.slice(1)];
  }
  /** Apply a parameter-free op in the current form. */
  map(fn: (t: Tensor, partIndex: number) => Tensor): Feat {
    if (this.mergedT) return Feat.fromMerged(this.mods, this.sizes, fn(this.mergedT, -1));
    return Feat.fromParts(this.mods, this.partsT!.map((t, i) => fn(t, i)));
  }
  /** Binary op: merged if both are, else per part. */
  zip(other: Feat, fn: (a: Tensor, b: Tensor) => Tensor): Feat {
    if (this.mergedT && other.mergedT) return Feat.fromMerged(this.mods, this.sizes, fn(this.mergedT, other.mergedT));
    const a = this.parts();
    const b = other.parts();
    return Feat.fromParts(this.mods, a.map((t, i) => fn(t, b[i]!)));
  }
}

export interface TensorCtxOptions {
  setting: Setting;
  normKind: NormKind;
  training: boolean;
  /** Dropout rate (training only). */
  dropout: number;
  normEpsilon?: number;
  normMomentum?: number;
  normGroups?: number;
  /** Returns the seed of the next dropout mask (training with dropout only). */
  nextDropoutSeed: () => number;
  /** Looks up the variable of a parameter for a modality (or the shared one). */
  variable: (name: string, modality: Modality) => Variable;
  /** Segment and role of a parameter name. */
  specOf: (name: string) => { segment: Segment; role: ParamRole };
  /** Sees each normalization layer's input (ApplyOptions.onNormInput). */
  onNormInput?: (layer: string, modality: Modality | null, x: Tensor) => void;
}

function symPad(x: Tensor, kernel: number[]): Tensor {
  const pads: Array<[number, number]> = [[0, 0], ...kernel.map((k) => [Math.floor(k / 2), Math.floor(k / 2)] as [number, number]), [0, 0]];
  return tf.mirrorPad(x, pads, "symmetric");
}

/**
 * Sub-pixel upsampling by r with the released code's channel order (its batch > 1 branch):
 * out[n, y, x, k] = in[n, y / r, x / r, r*r*k + (x % r) * r + (y % r)], i.e. channels split into
 * contiguous groups of r*r per output channel, x-phase major. One reshape-transpose-reshape.
 */
export function phaseShift(x: Tensor, r: number): Tensor {
  const [b, h, w, c] = x.shape as [number, number, number, number];
  const k = c / (r * r);
  return tf.tidy(() => {
    const t = tf.reshape(x, [b, h, w, k, r, r]); // [..., k, xPhase, yPhase]
    const p = tf.transpose(t, [0, 1, 5, 2, 4, 3]); // [b, h, yPhase, w, xPhase, k]
    return tf.reshape(p, [b, h * r, w * r, k]);
  });
}

/**
 * SAME transposed conv (NDHWC, filter [kd, kh, kw, cout, cin]). Along an axis whose kernel size is
 * 1 and stride s > 1, the result is the stride-1 transposed conv with s - 1 zero slices after each
 * slice (SAME pads nothing there, so input slice i lands on output slice s*i): computed that way,
 * which skips the work on the empty slices (the notes' [3,3,1] stride-2 quirk on the slice axis).
 * Intermediates are left to the caller's tf.tidy.
 */
export function transposedConv3d(x: Tensor, filter: Tensor, o: DeconvSpec): Tensor {
  const s = x.shape;
  const strides = o.strides.map((st, i) => (o.kernel[i] === 1 ? 1 : st)) as [number, number, number];
  const out: [number, number, number, number, number] = [s[0]!, s[1]! * strides[0], s[2]! * strides[1], s[3]! * strides[2], o.cout];
  let y: Tensor = engineConv3dTranspose(x as Tensor5D, filter as Tensor5D, out, strides, "same");
  for (let ax = 0; ax < 3; ax++) {
    const st = o.strides[ax]!;
    if (o.kernel[ax] !== 1 || st === 1) continue;
    const cur = y;
    const sh = cur.shape;
    // [.., n, ..] -> [.., n, st, ..] with the data at index 0 -> [.., n*st, ..]
    const expanded = tf.expandDims(cur, ax + 2);
    const pads = expanded.shape.map((_, i) => (i === ax + 2 ? [0, st - 1] : [0, 0]) as [number, number]);
    const padded = tf.pad(expanded, pads);
    y = tf.reshape(padded, sh.map((d, i) => (i === ax + 1 ? d! * st : d!)));
  }
  return y;
}

export class TensorCtx implements Ctx<Feat> {
  constructor(private readonly o: TensorCtxOptions) {}
  private perModality(name: string): boolean {
    return isPerModality(this.o.setting, this.o.specOf(name));
  }
  segment(_s: Segment): void {}
  shape(x: Feat): number[] {
    return x.shape();
  }

  private convOne(x: Tensor, kernel: Tensor, o: ConvSpec): Tensor {
    const xin = o.pad === "symmetric" ? symPad(x, o.kernel) : x;
    const pad = o.pad === "symmetric" ? "valid" : "same";
    if (o.kernel.length === 2) return engineConv2d(xin as Tensor4D, kernel as Tensor4D, 1, pad, o.dilation ?? 1);
    if ((o.dilation ?? 1) !== 1) throw new ShapeError("conv: dilation is only supported in 2D");
    return engineConv3d(xin as Tensor5D, kernel as Tensor5D, 1, pad);
  }

  conv(name: string, x: Feat, o: ConvSpec): Feat {
    const kname = `${name}/kernel`;
    const bname = `${name}/bias`;
    const run = (t: Tensor, m: Modality): Tensor => {
      const y = this.convOne(t, this.o.variable(kname, m), o);
      return o.bias ? tf.add(y, this.o.variable(bname, m)) : y;
    };
    if (this.perModality(kname)) {
      const parts = x.parts();
      return Feat.fromParts(x.mods, parts.map((t, i) => run(t, x.mods[i]!)));
    }
    return x.map((t, i) => run(t, x.mods[Math.max(i, 0)]!));
  }

  deconv(name: string, x: Feat, o: DeconvSpec): Feat {
    const kname = `${name}/kernel`;
    const run = (t: Tensor, m: Modality): Tensor => transposedConv3d(t, this.o.variable(kname, m), o);
    if (this.perModality(kname)) {
      const parts = x.parts();
      return Feat.fromParts(x.mods, parts.map((t, i) => run(t, x.mods[i]!)));
    }
    return x.map((t, i) => run(t, x.mods[Math.max(i, 0)]!));
  }

  norm(name: string, x: Feat): Feat {
    const o = this.o;
    const params = (m: Modality) => ({
      gamma: o.variable(`${name}/gamma`, m),
      beta: o.variable(`${name}/beta`, m),
      movingMean: o.normKind === "batch" ? o.variable(`${name}/moving_mean`, m) : undefined,
      movingVar: o.normKind === "batch" ? o.variable(`${name}/moving_variance`, m) : undefined,
    });
    const apply = (t: Tensor, m: Modality) => {
      const p = params(m);
      return normalize(t, { gamma: p.gamma, beta: p.beta, ...(p.movingMean ? { movingMean: p.movingMean, movingVar: p.movingVar! } : {}) }, {
        kind: o.normKind,
        training: o.training,
        ...(o.normEpsilon !== undefined ? { epsilon: o.normEpsilon } : {}),
        ...(o.normMomentum !== undefined ? { momentum: o.normMomentum } : {}),
        ...(o.normGroups !== undefined ? { groups: o.normGroups } : {}),
      });
    };
    const seen = o.onNormInput;
    if (this.perModality(`${name}/gamma`)) {
      const parts = x.parts();
      return Feat.fromParts(x.mods, parts.map((t, i) => (seen?.(name, x.mods[i]!, t), apply(t, x.mods[i]!))));
    }
    // shared normalization: one set of statistics over all samples of this call
    const merged = x.merged();
    seen?.(name, null, merged);
    return Feat.fromMerged(x.mods, x.sizes, apply(merged, x.mods[0]!));
  }

  lrelu(x: Feat): Feat {
    return x.map((t) => tf.leakyRelu(t, 0.2));
  }
  dropout(x: Feat): Feat {
    if (!this.o.training || this.o.dropout <= 0) return x;
    // bit-identical to tf.dropout(t, rate, undefined, seed), in one kernel
    return x.map((t) => engineDropout(t, this.o.dropout, this.o.nextDropoutSeed()));
  }
  maxPool(x: Feat): Feat {
    return x.map((t) => (t.rank === 4 ? tf.maxPool(t as Tensor4D, 2, 2, "same") : tf.maxPool3d(t as Tensor5D, 2, 2, "same")));
  }
  add(a: Feat, b: Feat): Feat {
    return a.zip(b, (p, q) => tf.add(p, q));
  }
  concat(a: Feat, b: Feat): Feat {
    return a.zip(b, (p, q) => tf.concat([p, q], -1));
  }
  padChannels(x: Feat, before: number, after: number): Feat {
    return x.map((t) => tf.pad(t, [...t.shape.slice(0, -1).map(() => [0, 0] as [number, number]), [before, after]]));
  }
  phaseShift(x: Feat, r: number): Feat {
    return x.map((t) => phaseShift(t, r));
  }
}

/** Stable variable name of a parameter instance: `name` if shared, `name/ct` or `name/mri` if per modality. */
export function instanceName(name: string, perModality: boolean, m: Modality): string {
  return perModality ? `${name}/${MODALITY_NAMES[m]}` : name;
}
