/**
 * The batch source: resumable unpaired batches for the trainer (lib/train/types.ts BatchSource)
 * built from preprocessed cases, using lib/data's sample cutters (2.5D slices, 3D patches) and,
 * when asked, lib/data's seeded augmentation. What production trains on (lib/experiment/runner.ts)
 * and what the tests use; the only one (the former lib/data UnpairedSampler merged into it).
 *   - mode "2d": x [B, H, W, 3] (NHWC, 2.5D slices z-1, z, z+1), y [B, H, W].
 *   - mode "3d": x [B, D, H, W, 1] (NDHWC, D = slice axis z), y [B, D, H, W].
 *
 * Batch k of modality m is drawn from an Rng seeded by (seed, m, k): the source's whole state is
 * the two counters, so it is JSON-serialisable and a restored source continues exactly. The two
 * modalities draw independently (the authors' shuffle_batch per modality).
 */
import type { Case, ModalityName } from "../data/types.ts";
import { slice25DInto, patch3DInto, choosePatchStart } from "../data/samples.ts";
import { foregroundZRange } from "../data/crop.ts";
import type { Modality } from "../models/types.ts";
import type { Batch, BatchSource, ValidationSet } from "./types.ts";
import { augmentSample, type AugmentOptions } from "../data/augment.ts";
import { Rng } from "../util/rng.ts";
import { DataError, OptionError, ShapeError } from "../util/errors.ts";

export type SampleMode = "2d" | "3d";

function mix(seed: number, a: number, b: number): number {
  let h = (seed >>> 0) ^ 0x27d4eb2d;
  for (const v of [a + 1, b + 1]) {
    h = Math.imul(h ^ v, 0x9e3779b1) >>> 0;
    h ^= h >>> 15;
  }
  return h >>> 0;
}

function planeOf(cases: Case[], what: string): [number, number] {
  if (!cases.length) throw new DataError(what, "no cases");
  const [W, H] = cases[0]!.image.shape;
  for (const c of cases) {
    if (c.image.shape[0] !== W || c.image.shape[1] !== H) throw new ShapeError(`${what}: case ${c.id} is ${c.image.shape[0]}x${c.image.shape[1]} in-plane, expected ${W}x${H}`);
    if (!c.label) throw new DataError(c.image.source ?? c.id, "case has no label volume (needed for training/validation)");
  }
  return [H, W];
}

/**
 * Fill one batch of `n` samples from `cases` with sample positions chosen by `pick`; with `augment`,
 * each sample is then augmented in place (lib/data/augment.ts) with draws from `augRng`.
 */
function fillBatch(cases: Case[], mode: SampleMode, depth: number, n: number, pick: (k: number) => [number, number], augment?: { options: AugmentOptions; rng: Rng }): Batch {
  const [H, W] = planeOf(cases, "batch");
  const plane = H * W;
  const caseIds: string[] = [];
  const slices: number[] = [];
  const per = mode === "2d" ? plane * 3 : depth * plane;
  const yPer = mode === "2d" ? plane : depth * plane;
  const x = new Float32Array(n * per);
  const y = new Uint8Array(n * yPer);
  for (let k = 0; k < n; k++) {
    const [ci, z] = pick(k);
    const c = cases[ci]!;
    if (mode === "2d") slice25DInto(c.image, c.label, z, x, k * per, y, k * yPer);
    else patch3DInto(c.image, c.label, z, depth, x, k * per, y, k * yPer);
    caseIds.push(c.id);
    slices.push(z);
  }
  if (augment)
    for (let k = 0; k < n; k++)
      augmentSample(x.subarray(k * per, (k + 1) * per), y.subarray(k * yPer, (k + 1) * yPer), H, W, mode === "2d" ? { channels: 3, planar: false } : { channels: 1, planar: true }, augment.rng, augment.options);
  const xShape = mode === "2d" ? [n, H, W, 3] : [n, depth, H, W, 1];
  const yShape = mode === "2d" ? [n, H, W] : [n, depth, H, W];
  return { x, xShape, y, yShape, caseIds, slices };
}

/** How a training source chooses where its samples lie. */
export interface SamplingOptions {
  /** 3D patch depth in slices (default 8). */
  depth?: number;
  /**
   * Fraction of samples centred on a slice of one foreground class, the class chosen uniformly
   * among those present in the case (nnU-Net's oversampling of foreground, per class so that small
   * organs are seen as often as the liver). The rest: 2D a uniformly random slice; 3D lib/data's
   * choosePatchStart (half aligned blocks, half centred in the foreground z-range). Default 0.
   */
  classCentred?: number;
  /**
   * 3D: consecutive patches drawn from each chosen volume (the authors' loader draws 2 per volume);
   * default 1. The batch size must be a multiple of it.
   */
  patchesPerCase?: number;
  /**
   * Seeded augmentation of every training sample (lib/data/augment.ts: in-plane affine + intensity
   * jitter), from its own Rng per batch so that the sample positions do not change with it. Default
   * off; a plan's `data.augmentation` is "none" (the paper's runs have none online).
   */
  augment?: AugmentOptions | false;
}

/** Slices holding each foreground class 1..K-1 of a label volume (empty list where absent). */
export function classSlices(label: { data: Uint8Array; shape: [number, number, number] | number[] }, numClasses: number): number[][] {
  const [nx, ny, nz] = label.shape as [number, number, number];
  const plane = nx * ny;
  const out: number[][] = Array.from({ length: numClasses - 1 }, () => []);
  for (let z = 0; z < nz; z++) {
    const seen = new Uint8Array(numClasses);
    const s = label.data.subarray(z * plane, (z + 1) * plane);
    for (let i = 0; i < s.length; i++) seen[s[i]!] = 1;
    for (let k = 1; k < numClasses; k++) if (seen[k]) out[k - 1]!.push(z);
  }
  return out;
}

/**
 * Unpaired, seeded, resumable training source. Each sample: a random case, then (with
 * probability `classCentred`) a slice of a randomly chosen present class as the sample's centre,
 * else the default position rule (see {@link SamplingOptions}).
 */
export class CaseBatchSource implements BatchSource {
  private counts: [number, number] = [0, 0];
  private readonly fg: Record<ModalityName, ([number, number] | null)[]>;
  /** cls[m][case]: for each class present in the case, the slices holding it. */
  private readonly cls: Record<ModalityName, number[][][]>;
  private readonly depth: number;
  private readonly classCentred: number;
  private readonly patchesPerCase: number;
  private readonly augment: AugmentOptions | undefined;
  /**
   * @param data training cases per modality (preprocessed; in each modality one in-plane size, every case labelled)
   * @throws ShapeError for mixed in-plane sizes; DataError for a modality without cases or a case without label; OptionError on a bad mode or option
   */
  constructor(
    private readonly data: Record<ModalityName, Case[]>,
    private readonly mode: SampleMode,
    private readonly seed: number,
    sampling: SamplingOptions = {},
  ) {
    if (mode !== "2d" && mode !== "3d") throw new OptionError("mode", mode, ["2d", "3d"]);
    planeOf(data.ct, "training CT cases");
    planeOf(data.mri, "training MRI cases");
    this.depth = sampling.depth ?? 8;
    this.classCentred = sampling.classCentred ?? 0;
    this.patchesPerCase = sampling.patchesPerCase ?? 1;
    if (!(Number.isInteger(this.patchesPerCase) && this.patchesPerCase > 0)) throw new OptionError("patchesPerCase", this.patchesPerCase, "a positive integer");
    this.augment = sampling.augment || undefined;
    this.fg = { ct: data.ct.map((c) => foregroundZRange(c.label!)), mri: data.mri.map((c) => foregroundZRange(c.label!)) };
    const K = (cases: Case[]) => 1 + cases.reduce((m, c) => Math.max(m, c.label!.data.reduce((a, v) => (v > a ? v : a), 0)), 0);
    const k = Math.max(K(data.ct), K(data.mri));
    // per case, the slice lists of the classes present in it (computed once, not per sample)
    const present = (c: Case) => classSlices(c.label!, k).filter((zs) => zs.length > 0);
    this.cls = { ct: data.ct.map(present), mri: data.mri.map(present) };
  }
  /**
   * The next batch of one modality.
   * @param modality 0 = CT, 1 = MRI
   * @throws OptionError when `batchSize` is not a positive multiple of `patchesPerCase`
   */
  next(modality: Modality, batchSize: number): Batch {
    const ppc = this.patchesPerCase;
    if (!(Number.isInteger(batchSize) && batchSize > 0 && batchSize % ppc === 0))
      throw new OptionError("batchSize", batchSize, ppc > 1 ? `a positive multiple of patchesPerCase ${ppc}` : "a positive integer");
    const m: ModalityName = modality === 0 ? "ct" : "mri";
    const k = this.counts[modality]++;
    const rng = new Rng(mix(this.seed, modality, k));
    const augment = this.augment ? { options: this.augment, rng: new Rng(mix(this.seed, modality + 2, k)) } : undefined;
    const cases = this.data[m];
    const depth = this.depth;
    let ci = 0;
    return fillBatch(cases, this.mode, depth, batchSize, (j) => {
      if (j % ppc === 0) ci = rng.int(cases.length);
      const nz = cases[ci]!.image.shape[2];
      // the draws below happen in a fixed order whatever the branch, so a source is a pure function of its counters
      const u = rng.next();
      const present = this.cls[m][ci]!;
      if (this.classCentred > 0 && u < this.classCentred && present.length) {
        const zs = present[rng.int(present.length)]!;
        const zc = zs[rng.int(zs.length)]!;
        return [ci, this.mode === "2d" ? zc : Math.min(Math.max(0, zc - Math.floor(depth / 2)), Math.max(0, nz - depth))];
      }
      return [ci, this.mode === "2d" ? rng.int(nz) : choosePatchStart(rng, nz, depth, this.fg[m][ci]!)];
    }, augment);
  }
  state(): unknown {
    return { counts: [...this.counts] };
  }
  restore(state: unknown): void {
    const c = (state as { counts?: unknown })?.counts;
    if (!Array.isArray(c) || c.length !== 2 || !c.every((v) => Number.isInteger(v) && v >= 0))
      throw new DataError("checkpoint source state", `expected {counts: [n, n]}, got ${JSON.stringify(state)}`);
    this.counts = [c[0], c[1]];
  }
}

/**
 * Fixed validation batches per modality: foreground slices (2D) or foreground-centred patches
 * (3D) of the validation cases, evenly spaced over each case's foreground z-range, `perCase` each.
 */
export function validationSet(data: Record<ModalityName, Case[]>, mode: SampleMode, options: { perCase?: number; batchSize?: number; depth?: number } = {}): ValidationSet {
  const perCase = options.perCase ?? (mode === "2d" ? 4 : 1);
  const bs = options.batchSize ?? (mode === "2d" ? 4 : 1);
  const depth = options.depth ?? 8;
  const build = (cases: Case[]): Batch[] => {
    const picks: [number, number][] = [];
    cases.forEach((c, ci) => {
      const nz = c.image.shape[2];
      const fg = foregroundZRange(c.label!) ?? [0, nz - 1];
      for (let k = 0; k < perCase; k++) {
        const z = Math.round(fg[0] + ((k + 0.5) * (fg[1] - fg[0])) / perCase);
        picks.push([ci, mode === "2d" ? z : Math.min(Math.max(0, z - Math.floor(depth / 2)), Math.max(0, nz - depth))]);
      }
    });
    const out: Batch[] = [];
    for (let s = 0; s + bs <= picks.length; s += bs) out.push(fillBatch(cases, mode, depth, bs, (k) => picks[s + k]!));
    if (!out.length && picks.length) out.push(fillBatch(cases, mode, depth, picks.length, (k) => picks[k]!));
    return out;
  };
  return { batches: [build(data.ct), build(data.mri)] };
}
