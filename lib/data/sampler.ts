/**
 * Unpaired sampling: every step draws one batch per modality, independently (the authors'
 * shuffle_batch per modality), from a seeded Rng. Batches are plain typed arrays plus shapes; the
 * trainer turns them into tensors.
 *   - mode "2d": x [B, H, W, 3] (NHWC, 2.5D slices z-1, z, z+1), y [B, H, W]; slices drawn uniformly
 *     over all (case, z) of the modality.
 *   - mode "3d": x [B, D, H, W, 1] (NDHWC, D = slice axis z), y [B, D, H, W]; a random case, then
 *     choosePatchStart (half aligned blocks, half centred in the foreground z-range).
 */
import type { Case, ModalityName } from "./types.ts";
import { Rng } from "../util/rng.ts";
import { OptionError, ShapeError } from "../util/errors.ts";
import { slice25DInto, patch3DInto, choosePatchStart } from "./samples.ts";
import { foregroundZRange } from "./crop.ts";
import { augmentSample, type AugmentOptions } from "./augment.ts";

export interface Batch {
  /** Images, float32, layout per `xShape` (NHWC or NDHWC). */
  x: Float32Array;
  xShape: number[];
  /** Class index per voxel, layout per `yShape` ([B,H,W] or [B,D,H,W]). */
  y: Uint8Array;
  yShape: number[];
  /** Which case and start slice each batch item came from. */
  caseIds: string[];
  slices: number[];
}

export interface UnpairedSamplerOptions {
  mode: "2d" | "3d";
  batchSize: number;
  /** 3D patch depth (slices); default 8. */
  depth?: number;
  /**
   * 3D: consecutive patches drawn from each chosen volume (the authors' loader draws 2 per volume);
   * default 1. The batch size must be a multiple of it.
   */
  patchesPerCase?: number;
  seed: number;
  /** Seeded augmentation; off when undefined or false. */
  augment?: AugmentOptions | false;
}

interface Pool {
  cases: Case[];
  H: number;
  W: number;
  slices: Array<[number, number]>;
  fg: Array<[number, number] | null>;
  rng: Rng;
}

export class UnpairedSampler {
  readonly modalities: ModalityName[];
  private readonly pools = new Map<ModalityName, Pool>();
  private readonly depth: number;

  /**
   * @param data cases per modality (preprocessed, all of one modality with the same in-plane size)
   * @throws ShapeError if a modality mixes in-plane sizes or a case lacks a label; OptionError on bad options
   */
  constructor(data: Partial<Record<ModalityName, Case[]>>, readonly options: UnpairedSamplerOptions) {
    if (options.mode !== "2d" && options.mode !== "3d") throw new OptionError("mode", options.mode, ["2d", "3d"]);
    if (!(Number.isInteger(options.batchSize) && options.batchSize > 0)) throw new OptionError("batchSize", options.batchSize, "a positive integer");
    this.depth = options.depth ?? 8;
    const ppc = options.patchesPerCase ?? 1;
    if (!(Number.isInteger(ppc) && ppc > 0 && options.batchSize % ppc === 0)) {
      throw new OptionError("patchesPerCase", ppc, `a positive integer dividing batchSize ${options.batchSize}`);
    }
    const root = new Rng(options.seed);
    this.modalities = (Object.keys(data) as ModalityName[]).filter((m) => (data[m]?.length ?? 0) > 0).sort();
    if (this.modalities.length === 0) throw new OptionError("data", "no cases", "at least one modality with cases");
    for (const m of this.modalities) {
      const cases = data[m]!;
      const [W, H] = cases[0]!.image.shape;
      const slices: Array<[number, number]> = [];
      cases.forEach((c, ci) => {
        if (c.image.shape[0] !== W || c.image.shape[1] !== H) {
          throw new ShapeError(`UnpairedSampler: ${m} case ${c.id} is ${c.image.shape[0]}x${c.image.shape[1]} in-plane, expected ${W}x${H} like ${cases[0]!.id}`);
        }
        if (!c.label) throw new ShapeError(`UnpairedSampler: ${m} case ${c.id} has no label volume`);
        for (let z = 0; z < c.image.shape[2]; z++) slices.push([ci, z]);
      });
      this.pools.set(m, { cases, H, W, slices, fg: cases.map((c) => foregroundZRange(c.label!)), rng: root.fork(m) });
    }
  }

  /** Draws one batch for one modality. */
  batch(m: ModalityName): Batch {
    const pool = this.pools.get(m);
    if (!pool) throw new OptionError("modality", m, this.modalities);
    const B = this.options.batchSize;
    const { H, W } = pool;
    const plane = H * W;
    const aug = this.options.augment;
    const caseIds: string[] = [];
    const slices: number[] = [];
    if (this.options.mode === "2d") {
      const x = new Float32Array(B * plane * 3);
      const y = new Uint8Array(B * plane);
      for (let b = 0; b < B; b++) {
        const [ci, z] = pool.slices[pool.rng.int(pool.slices.length)]!;
        const c = pool.cases[ci]!;
        slice25DInto(c.image, c.label, z, x, b * plane * 3, y, b * plane);
        if (aug) augmentSample(x.subarray(b * plane * 3, (b + 1) * plane * 3), y.subarray(b * plane, (b + 1) * plane), H, W, { channels: 3, planar: false }, pool.rng, aug);
        caseIds.push(c.id);
        slices.push(z);
      }
      return { x, xShape: [B, H, W, 3], y, yShape: [B, H, W], caseIds, slices };
    }
    const D = this.depth;
    const x = new Float32Array(B * D * plane);
    const y = new Uint8Array(B * D * plane);
    const ppc = this.options.patchesPerCase ?? 1;
    let ci = 0;
    for (let b = 0; b < B; b++) {
      if (b % ppc === 0) ci = pool.rng.int(pool.cases.length);
      const c = pool.cases[ci]!;
      const z0 = choosePatchStart(pool.rng, c.image.shape[2], D, pool.fg[ci]!);
      patch3DInto(c.image, c.label, z0, D, x, b * D * plane, y, b * D * plane);
      if (aug) augmentSample(x.subarray(b * D * plane, (b + 1) * D * plane), y.subarray(b * D * plane, (b + 1) * D * plane), H, W, { channels: 1, planar: true }, pool.rng, aug);
      caseIds.push(c.id);
      slices.push(z0);
    }
    return { x, xShape: [B, D, H, W, 1], y, yShape: [B, D, H, W], caseIds, slices };
  }

  /** One training step's batches: one per modality, drawn independently. */
  next(): Partial<Record<ModalityName, Batch>> {
    const out: Partial<Record<ModalityName, Batch>> = {};
    for (const m of this.modalities) out[m] = this.batch(m);
    return out;
  }
}
