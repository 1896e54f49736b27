/**
 * `buildModel`: a two-modality segmentation network (dilated2d or unet3d) under one of the seven
 * settings, implemented functionally over tf.Variables: the forward code of each network is
 * written once against `Ctx` (see context.ts); parameter specs come from running it on shapes,
 * the variables are created from the specs (one copy, or one per modality as `sharing.ts` says),
 * and the real forward pass runs it on tensors.
 */
import { tf, type Tensor, type Variable } from "../engine/tf.ts";
import { OptionError, ShapeError, oneOf } from "../util/errors.ts";
import { ShapeCtx, type Ctx } from "./context.ts";
import { dilated2dForward, DILATED2D_STRIDE } from "./dilated2d.ts";
import { unet3dForward, UNET3D_STRIDE } from "./unet3d.ts";
import { countFromSpecs, isPerModality, type ParamSpec } from "./sharing.ts";
import { Feat, TensorCtx, instanceName } from "./tensor-ctx.ts";
import { DEFAULT_NORM_GROUPS, DEFAULT_NORM_MOMENTUM } from "./norm.ts";
import {
  DEFAULT_NORM,
  INIT_SCHEMES,
  L2_SCOPES,
  NETWORKS,
  NORM_KINDS,
  SETTINGS,
  type ApplyOptions,
  type Modality,
  type ModelOptions,
  type SegmentationNetwork,
} from "./types.ts";

/** Fills the defaults of ModelOptions and validates them. */
export function resolveModelOptions(opts: ModelOptions): Required<ModelOptions> {
  const network = oneOf("network", opts.network, NETWORKS);
  const setting = oneOf("setting", opts.setting, SETTINGS);
  const o: Required<ModelOptions> = {
    network,
    setting,
    width: opts.width ?? 1,
    norm: oneOf("norm", opts.norm ?? DEFAULT_NORM, NORM_KINDS),
    numClasses: opts.numClasses ?? 5,
    inChannels: opts.inChannels ?? (network === "dilated2d" ? 3 : 1),
    seed: opts.seed ?? 0,
    dropout: opts.dropout ?? (network === "dilated2d" ? 0.25 : 0),
    init: oneOf("init", opts.init ?? "truncated-normal", INIT_SCHEMES),
    initStd: opts.initStd ?? 0.01,
    normMomentum: opts.normMomentum ?? DEFAULT_NORM_MOMENTUM,
    normEpsilon: opts.normEpsilon ?? -1,
    normGroups: opts.normGroups ?? DEFAULT_NORM_GROUPS,
    l2Scope: oneOf("l2Scope", opts.l2Scope ?? (network === "dilated2d" ? "kernels" : "all"), L2_SCOPES),
  };
  const posInt = (k: string, v: number) => {
    if (!Number.isInteger(v) || v < 1) throw new OptionError(k, v, "a positive integer");
  };
  if (!(o.width > 0 && Number.isFinite(o.width))) throw new OptionError("width", o.width, "a positive number");
  posInt("numClasses", o.numClasses);
  posInt("inChannels", o.inChannels);
  posInt("normGroups", o.normGroups);
  if (!Number.isInteger(o.seed)) throw new OptionError("seed", o.seed, "an integer");
  if (!(o.dropout >= 0 && o.dropout < 1)) throw new OptionError("dropout", o.dropout, "a number in [0, 1)");
  if (!(o.initStd > 0)) throw new OptionError("initStd", o.initStd, "a positive number");
  if (!(o.normMomentum >= 0 && o.normMomentum <= 1)) throw new OptionError("normMomentum", o.normMomentum, "a number in [0, 1]");
  if (!(o.normEpsilon === -1 || o.normEpsilon > 0)) throw new OptionError("normEpsilon", o.normEpsilon, "a positive number (or -1 for the default)");
  return o;
}

function forwardOf(o: Required<ModelOptions>): <V>(ctx: Ctx<V>, x: V) => V {
  const cfg = { width: o.width, numClasses: o.numClasses, inChannels: o.inChannels };
  return o.network === "dilated2d" ? (ctx, x) => dilated2dForward(ctx, x, cfg) : (ctx, x) => unet3dForward(ctx, x, cfg);
}

/** A small input shape the description can be traced with (the parameter shapes do not depend on it). */
function traceShape(o: Required<ModelOptions>): number[] {
  return o.network === "dilated2d" ? [1, 8, 8, o.inChannels] : [1, 8, 8, 8, o.inChannels];
}

/**
 * The layer description of a network: every parameter (before per-modality duplication) with
 * shape, role and segment. No tensors are allocated.
 */
export function describeModel(opts: ModelOptions): ParamSpec[] {
  const o = resolveModelOptions(opts);
  const ctx = new ShapeCtx(o.norm);
  forwardOf(o)(ctx, traceShape(o));
  return ctx.specs;
}

/** ShapeCtx that also sums the elements of every feature map it produces. */
class CountingCtx extends ShapeCtx {
  elements = 0;
  private n(s: number[]): number[] {
    this.elements += s.reduce((a, b) => a * b, 1);
    return s;
  }
  override conv(name: string, x: number[], o: Parameters<ShapeCtx["conv"]>[2]): number[] {
    return this.n(super.conv(name, x, o));
  }
  override deconv(name: string, x: number[], o: Parameters<ShapeCtx["deconv"]>[2]): number[] {
    return this.n(super.deconv(name, x, o));
  }
  override norm(name: string, x: number[]): number[] {
    return this.n(super.norm(name, x));
  }
  override lrelu(x: number[]): number[] {
    return this.n(super.lrelu(x));
  }
  override dropout(x: number[]): number[] {
    return this.n(super.dropout(x));
  }
  override maxPool(x: number[]): number[] {
    return this.n(super.maxPool(x));
  }
  override add(a: number[], b: number[]): number[] {
    return this.n(super.add(a, b));
  }
  override concat(a: number[], b: number[]): number[] {
    return this.n(super.concat(a, b));
  }
  override padChannels(x: number[], before: number, after: number): number[] {
    return this.n(super.padChannels(x, before, after));
  }
  override phaseShift(x: number[], r: number): number[] {
    return this.n(super.phaseShift(x, r));
  }
}

/**
 * Elements of all feature maps of one forward pass on an input of `inputShape` ([B, H, W, C] or
 * [B, D, H, W, C]), from the layer description (no allocation): what backpropagation keeps, for
 * memory estimates before a large network is built.
 */
export function activationElements(opts: ModelOptions, inputShape: readonly number[]): number {
  const o = resolveModelOptions(opts);
  const ctx = new CountingCtx(o.norm);
  forwardOf(o)(ctx, [...inputShape]);
  return ctx.elements;
}

/**
 * Trainable parameter count (the paper's "Param Scale"), from the layer description (no allocation).
 * @example countParams({ network: "dilated2d", setting: "ours" }) // 39,342,840
 */
export function countParams(opts: ModelOptions): number {
  const o = resolveModelOptions(opts);
  return countFromSpecs(describeModel(o), o.setting);
}

/** FNV-1a hash of a string to a 31-bit integer (seed derivation). */
function hash32(s: string, seed: number): number {
  let h = 0x811c9dc5 ^ seed;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) & 0x7fffffff;
}

let networkCounter = 0;

class ModalityNetwork implements SegmentationNetwork {
  readonly options: Required<ModelOptions>;
  private readonly specs: ParamSpec[];
  private readonly specByName = new Map<string, ParamSpec>();
  /** Variables by instance name, in creation order. */
  private readonly vars = new Map<string, Variable>();
  private readonly forward: <V>(ctx: Ctx<V>, x: V) => V;
  private unseededCalls = 0;
  private disposed = false;

  constructor(opts: ModelOptions) {
    this.options = resolveModelOptions(opts);
    this.specs = describeModel(this.options);
    this.forward = forwardOf(this.options);
    const o = this.options;
    const netId = networkCounter++;
    for (const p of this.specs) {
      this.specByName.set(p.name, p);
      const per = isPerModality(o.setting, p);
      const mods: Modality[] = per ? [0, 1] : [0];
      for (const m of mods) {
        const name = instanceName(p.name, per, m);
        const init = tf.tidy(() => {
          const seed = hash32(name, o.seed);
          switch (p.init) {
            case "zeros":
              return tf.zeros(p.shape);
            case "ones":
              return tf.ones(p.shape);
            default: {
              const std = o.init === "he" ? Math.sqrt(2 / (p.fanIn ?? 1)) : o.initStd;
              return p.init === "normal" && o.init !== "he"
                ? tf.randomNormal(p.shape, 0, std, "float32", seed)
                : tf.truncatedNormal(p.shape, 0, std, "float32", seed);
            }
          }
        });
        this.vars.set(name, tf.variable(init, p.trainable, `ummkd_net${netId}/${name}`));
        init.dispose();
      }
    }
  }

  private variable(name: string, m: Modality): Variable {
    const p = this.specByName.get(name);
    if (!p) throw new Error(`internal: unknown parameter ${name}`);
    const v = this.vars.get(instanceName(name, isPerModality(this.options.setting, p), m));
    if (!v) throw new Error(`internal: no variable for ${name} (modality ${m})`);
    return v;
  }

  private checkInput(x: Tensor, what: string): void {
    const o = this.options;
    const rank = o.network === "dilated2d" ? 4 : 5;
    const stride = o.network === "dilated2d" ? DILATED2D_STRIDE : UNET3D_STRIDE;
    const layout = o.network === "dilated2d" ? "[B, H, W, C]" : "[B, D, H, W, C]";
    if (x.rank !== rank || x.shape[rank - 1] !== o.inChannels) {
      throw new ShapeError(`${o.network}.apply: ${what} must be ${layout} with C = ${o.inChannels}, got [${x.shape}]`);
    }
    const bad = x.shape.slice(1, -1).some((d) => d % stride !== 0);
    if (bad) throw new ShapeError(`${o.network}.apply: ${what} spatial size must be divisible by ${stride}, got [${x.shape}]`);
  }

  private run(xs: Tensor[], mods: Modality[], training: boolean, opts: ApplyOptions): Tensor[] {
    if (this.disposed) throw new Error(`${this.options.network}: network was disposed`);
    xs.forEach((x, i) => this.checkInput(x, xs.length > 1 ? `x${"AB"[i]}` : "x"));
    const base = opts.dropoutSeed ?? hash32(`unseeded:${this.unseededCalls++}`, this.options.seed);
    let k = 0;
    const ctx = new TensorCtx({
      setting: this.options.setting,
      normKind: this.options.norm,
      training,
      dropout: this.options.dropout,
      ...(this.options.normEpsilon > 0 ? { normEpsilon: this.options.normEpsilon } : {}),
      normMomentum: this.options.normMomentum,
      normGroups: this.options.normGroups,
      nextDropoutSeed: () => hash32(`dropout:${k++}`, base),
      ...(opts.onNormInput ? { onNormInput: opts.onNormInput } : {}),
      variable: (n, m) => this.variable(n, m),
      specOf: (n) => this.specByName.get(n)!,
    });
    return tf.tidy(() => {
      const inputs = xs.map((x) => (x.dtype === "float32" ? x : tf.cast(x, "float32")));
      const out = this.forward(ctx, Feat.fromParts(mods, inputs));
      return out.parts().map((t) => t);
    });
  }

  apply(x: Tensor, modality: Modality, training: boolean, opts: ApplyOptions = {}): Tensor {
    if (modality !== 0 && modality !== 1) throw new OptionError("modality", modality, [0, 1]);
    return this.run([x], [modality], training, opts)[0]!;
  }

  applyPair(xA: Tensor, xB: Tensor, training: boolean, opts: ApplyOptions = {}): [Tensor, Tensor] {
    const [a, b] = this.run([xA, xB], [0, 1], training, opts);
    return [a!, b!];
  }

  trainableVariables(): Variable[] {
    return [...this.vars.values()].filter((v) => v.trainable);
  }

  regularizedVariables(): Variable[] {
    if (this.options.l2Scope === "all") return this.trainableVariables();
    const out: Variable[] = [];
    for (const [name, v] of this.vars) {
      const base = this.baseName(name);
      if (this.specByName.get(base)?.role === "kernel") out.push(v);
    }
    return out;
  }

  private baseName(instance: string): string {
    if (this.specByName.has(instance)) return instance;
    return instance.slice(0, instance.lastIndexOf("/"));
  }

  countParams(): number {
    return countFromSpecs(this.specs, this.options.setting);
  }

  /** Names and shapes of all state entries (trainable + moving statistics), in a stable order. */
  stateShapes(): Map<string, number[]> {
    return new Map([...this.vars].map(([n, v]) => [n, v.shape]));
  }

  getState(): Map<string, Tensor> {
    return new Map([...this.vars].map(([n, v]) => [n, v.clone()]));
  }

  setState(state: Map<string, Tensor>): void {
    for (const [n, v] of this.vars) {
      const t = state.get(n);
      if (!t) throw new ShapeError(`setState: missing entry '${n}' (network ${this.options.network}, setting ${this.options.setting})`);
      if (t.shape.join() !== v.shape.join()) throw new ShapeError(`setState: '${n}' must have shape [${v.shape}], got [${t.shape}]`);
    }
    for (const n of state.keys()) if (!this.vars.has(n)) throw new ShapeError(`setState: unknown entry '${n}' for ${this.options.network}/${this.options.setting}`);
    tf.tidy(() => {
      for (const [n, v] of this.vars) {
        const t = state.get(n)!;
        v.assign(t.dtype === "float32" ? t : tf.cast(t, "float32"));
      }
    });
  }

  dispose(): void {
    if (this.disposed) return;
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
    this.disposed = true;
  }
}

/**
 * Builds a two-modality network for a setting.
 * @example const net = buildModel({ network: "dilated2d", setting: "ours", width: 0.25 });
 *          const [ct, mri] = net.applyPair(xCt, xMri, true);
 * @throws OptionError for an unknown network/setting/norm or an out-of-range option
 */
export function buildModel(opts: ModelOptions): SegmentationNetwork & { stateShapes(): Map<string, number[]> } {
  return new ModalityNetwork(opts);
}
