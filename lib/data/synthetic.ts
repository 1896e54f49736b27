/**
 * Synthetic cardiac and abdominal phantoms: the embedded data that lets every notebook run on a
 * fresh machine with no download, and the cardiac task run where no real cardiac CT exists.
 *
 * Each case is a label map of parametric shapes (random per case, from a seed) plus an image
 * rendered from it with a modality-specific intensity model, so that the CT/MRI shift is real:
 * - CT-like: linear tissue values on a Hounsfield-like scale (contrast-filled blood bright,
 *   myocardium/parenchyma mid-grey, fat negative, bone very bright), additive Gaussian noise.
 * - MRI-like: different, partly inverted contrast (e.g. cardiac: blood bright but vessels of
 *   unequal brightness, myocardium dark; abdominal T2-SPIR-like: spleen/kidneys bright, liver
 *   dark, fat suppressed), a smooth multiplicative bias field, in-plane blur (lower effective
 *   resolution) and Rician noise.
 * Unlabelled distractors (right ventricle / spine / body wall) make the task more than a threshold.
 *
 * Everything is deterministic from the seed (lib/util/rng.ts). Results from these cases are
 * labelled `data_source = "synthetic"` everywhere they appear.
 *
 * Label schemes (index = class): cardiac 1 LV myocardium (LVM), 2 LA cavity (LAC), 3 LV cavity
 * (LVC), 4 ascending aorta (AA) — the MM-WHS order of the paper's Table I; abdominal 1 liver,
 * 2 right kidney, 3 left kidney, 4 spleen — lib/data/datasets.ts ABDOMINAL_CLASSES (the CHAOS codes).
 */
import { Rng } from "../util/rng.ts";
import { OptionError } from "../util/errors.ts";
import type { Affine, Case, ImageVolume, LabelVolume, ModalityName } from "./types.ts";

export type SyntheticTask = "cardiac" | "abdominal";
export const CARDIAC_STRUCTURES = ["LVM", "LAC", "LVC", "AA"] as const;
export const ABDOMINAL_STRUCTURES = ["liver", "R-kdy", "L-kdy", "spleen"] as const;

export interface PhantomOptions {
  /** Grid [nx, ny, nz]; default [64, 64, 24]. */
  shape?: [number, number, number];
  /** Voxel size in mm; default [2, 2, 4] (so the default grid spans 128 x 128 x 96 mm). */
  spacing?: [number, number, number];
}

type Vec3 = [number, number, number];

function diagAffine(spacing: Vec3): Affine {
  return [
    [spacing[0], 0, 0, 0],
    [0, spacing[1], 0, 0],
    [0, 0, spacing[2], 0],
    [0, 0, 0, 1],
  ];
}

/** Normalised coordinates in [-1, 1] per axis for voxel (x, y, z). */
function coords(shape: Vec3): (i: number) => Vec3 {
  const [nx, ny, nz] = shape;
  return (i) => {
    const x = i % nx;
    const y = Math.floor(i / nx) % ny;
    const z = Math.floor(i / (nx * ny));
    return [(2 * x + 1) / nx - 1, (2 * y + 1) / ny - 1, (2 * z + 1) / nz - 1];
  };
}

/** Inside-ness of an axis-aligned ellipsoid (value < 1 inside). */
function ell(p: Vec3, c: Vec3, r: Vec3): number {
  const a = (p[0] - c[0]) / r[0];
  const b = (p[1] - c[1]) / r[1];
  const d = (p[2] - c[2]) / r[2];
  return a * a + b * b + d * d;
}

function jitter(rng: Rng, v: number, amount: number): number {
  return v + (rng.next() * 2 - 1) * amount;
}

/** Label map + tissue map (tissue ids index the intensity tables below). */
interface Anatomy {
  label: Uint8Array;
  tissue: Uint8Array;
}

// Cardiac tissue ids: 0 air/lung, 1 chest soft tissue, 2 LVM, 3 LA blood, 4 LV blood, 5 aorta blood, 6 RV blood (unlabelled), 7 fat
function cardiacAnatomy(shape: Vec3, rng: Rng): Anatomy {
  const n = shape[0] * shape[1] * shape[2];
  const label = new Uint8Array(n);
  const tissue = new Uint8Array(n);
  const at = coords(shape);
  const lvC: Vec3 = [jitter(rng, 0.1, 0.08), jitter(rng, 0.05, 0.08), jitter(rng, -0.1, 0.1)];
  const lvR: Vec3 = [jitter(rng, 0.24, 0.04), jitter(rng, 0.2, 0.04), jitter(rng, 0.45, 0.08)];
  const wall = jitter(rng, 0.35, 0.08); // myocardium thickness relative to cavity radius
  const laC: Vec3 = [lvC[0] - jitter(rng, 0.2, 0.05), lvC[1] + jitter(rng, 0.38, 0.05), lvC[2] + jitter(rng, 0.35, 0.08)];
  const laR: Vec3 = [jitter(rng, 0.21, 0.03), jitter(rng, 0.17, 0.03), jitter(rng, 0.3, 0.05)];
  const aoC: [number, number] = [lvC[0] - jitter(rng, 0.32, 0.05), lvC[1] - jitter(rng, 0.05, 0.05)];
  const aoR = jitter(rng, 0.12, 0.02);
  const aoTilt = jitter(rng, 0, 0.15);
  const rvC: Vec3 = [lvC[0] + jitter(rng, 0.3, 0.04), lvC[1] - jitter(rng, 0.22, 0.04), lvC[2]];
  const rvR: Vec3 = [jitter(rng, 0.18, 0.03), jitter(rng, 0.14, 0.03), jitter(rng, 0.38, 0.05)];
  const bodyR: [number, number] = [jitter(rng, 0.92, 0.04), jitter(rng, 0.8, 0.04)];
  for (let i = 0; i < n; i++) {
    const p = at(i);
    const body = (p[0] / bodyR[0]) ** 2 + (p[1] / bodyR[1]) ** 2;
    let t = body < 1 ? (body > 0.8 ? 7 : 0) : 0; // fat rim inside body, lungs (air) elsewhere inside
    if (body < 1 && Math.abs(p[0]) < 0.35 && p[1] > 0.2) t = 1; // mediastinal soft tissue
    const dlv = ell(p, lvC, lvR);
    const outer: Vec3 = [lvR[0] * (1 + wall), lvR[1] * (1 + wall), lvR[2] * (1 + wall * 0.5)];
    const dmy = ell(p, lvC, outer);
    const dla = ell(p, laC, laR);
    const drv = ell(p, rvC, rvR);
    const ax = aoC[0] + aoTilt * p[2];
    const dao = ((p[0] - ax) / aoR) ** 2 + ((p[1] - aoC[1]) / aoR) ** 2;
    let l = 0;
    if (drv < 1) t = 6;
    if (dao < 1 && p[2] > lvC[2] - 0.2) {
      t = 5;
      l = 4;
    }
    if (dla < 1) {
      t = 3;
      l = 2;
    }
    if (dmy < 1) {
      t = 2;
      l = 1;
    }
    if (dlv < 1) {
      t = 4;
      l = 3;
    }
    label[i] = l;
    tissue[i] = t;
  }
  return { label, tissue };
}

// Abdominal tissue ids: 0 air, 1 muscle/soft tissue, 2 liver, 3 spleen, 4 R kidney, 5 L kidney, 6 fat, 7 spine (bone), 8 bowel/fluid
function abdominalAnatomy(shape: Vec3, rng: Rng): Anatomy {
  const n = shape[0] * shape[1] * shape[2];
  const label = new Uint8Array(n);
  const tissue = new Uint8Array(n);
  const at = coords(shape);
  // x: patient right at x < 0 (radiological display puts it on the image left); y: anterior at y < 0
  const liC: Vec3 = [jitter(rng, -0.35, 0.05), jitter(rng, -0.05, 0.06), jitter(rng, 0.2, 0.1)];
  const liR: Vec3 = [jitter(rng, 0.4, 0.04), jitter(rng, 0.42, 0.04), jitter(rng, 0.6, 0.08)];
  const spC: Vec3 = [jitter(rng, 0.48, 0.05), jitter(rng, 0.3, 0.05), jitter(rng, 0.25, 0.1)];
  const spR: Vec3 = [jitter(rng, 0.13, 0.03), jitter(rng, 0.22, 0.03), jitter(rng, 0.35, 0.06)];
  const rkC: Vec3 = [jitter(rng, -0.3, 0.04), jitter(rng, 0.45, 0.04), jitter(rng, -0.3, 0.1)];
  const lkC: Vec3 = [jitter(rng, 0.3, 0.04), jitter(rng, 0.45, 0.04), jitter(rng, -0.2, 0.1)];
  const kR = (): Vec3 => [jitter(rng, 0.12, 0.02), jitter(rng, 0.15, 0.02), jitter(rng, 0.35, 0.05)];
  const rkR = kR();
  const lkR = kR();
  const spineC: [number, number] = [0, jitter(rng, 0.55, 0.03)];
  const bodyR: [number, number] = [jitter(rng, 0.95, 0.03), jitter(rng, 0.82, 0.03)];
  const bowel: { c: Vec3; r: number }[] = [];
  for (let k = 0; k < 4; k++) bowel.push({ c: [jitter(rng, 0.05, 0.3), jitter(rng, -0.35, 0.15), jitter(rng, -0.2, 0.5)], r: jitter(rng, 0.12, 0.04) });
  for (let i = 0; i < n; i++) {
    const p = at(i);
    const body = (p[0] / bodyR[0]) ** 2 + (p[1] / bodyR[1]) ** 2;
    let t = body < 1 ? (body > 0.78 ? 6 : 1) : 0;
    let l = 0;
    if (body < 1) {
      if ((p[0] - spineC[0]) ** 2 + (p[1] - spineC[1]) ** 2 < 0.12 ** 2) t = 7;
      for (const b of bowel) if (ell(p, b.c, [b.r, b.r, b.r * 1.5]) < 1) t = 8;
      if (ell(p, liC, liR) < 1) [t, l] = [2, 1];
      if (ell(p, spC, spR) < 1) [t, l] = [3, 4];
      if (ell(p, rkC, rkR) < 1) [t, l] = [4, 2];
      if (ell(p, lkC, lkR) < 1) [t, l] = [5, 3];
    }
    label[i] = l;
    tissue[i] = t;
  }
  return { label, tissue };
}

// Mean intensity per tissue id, and per-case jitter of those means.
const CT_VALUES: Record<SyntheticTask, number[]> = {
  // HU-like: air/lung, soft, LVM, LA, LV, AO, RV, fat
  cardiac: [-800, 40, 110, 330, 350, 380, 300, -90],
  // air, muscle, liver, spleen, R kidney, L kidney, fat, bone, bowel
  abdominal: [-1000, 30, 70, 48, 170, 165, -100, 500, 10],
};
const MRI_VALUES: Record<SyntheticTask, number[]> = {
  // bSSFP-like: lung dark, soft mid, myocardium dark, blood pools bright but unequal, fat bright
  cardiac: [20, 250, 120, 520, 600, 420, 560, 700],
  // T2-SPIR-like: liver dark, spleen/kidneys bright, fat suppressed, bone dark, fluid very bright
  abdominal: [10, 180, 220, 520, 600, 590, 80, 60, 800],
};

function smoothField(shape: Vec3, rng: Rng, amplitude: number): Float32Array {
  // Sum of a few low-frequency cosines: a smooth multiplicative bias around 1.
  const n = shape[0] * shape[1] * shape[2];
  const f = new Float32Array(n).fill(1);
  const at = coords(shape);
  const waves = Array.from({ length: 3 }, () => ({
    k: [rng.next() * 2, rng.next() * 2, rng.next()] as Vec3,
    ph: rng.next() * 2 * Math.PI,
  }));
  for (let i = 0; i < n; i++) {
    const p = at(i);
    let s = 0;
    for (const w of waves) s += Math.cos(Math.PI * (w.k[0] * p[0] + w.k[1] * p[1] + w.k[2] * p[2]) + w.ph);
    f[i] = 1 + (amplitude * s) / waves.length;
  }
  return f;
}

/** In-plane 3x3 box blur (per z slice), edges clamped. */
function blurInPlane(img: Float32Array, shape: Vec3): Float32Array {
  const [nx, ny, nz] = shape;
  const out = new Float32Array(img.length);
  for (let z = 0; z < nz; z++)
    for (let y = 0; y < ny; y++)
      for (let x = 0; x < nx; x++) {
        let s = 0;
        for (let dy = -1; dy <= 1; dy++)
          for (let dx = -1; dx <= 1; dx++) {
            const xx = Math.min(nx - 1, Math.max(0, x + dx));
            const yy = Math.min(ny - 1, Math.max(0, y + dy));
            s += img[xx + nx * (yy + ny * z)]!;
          }
        out[x + nx * (y + ny * z)] = s / 9;
      }
  return out;
}

function render(task: SyntheticTask, modality: ModalityName, anat: Anatomy, shape: Vec3, rng: Rng): Float32Array {
  const base = (modality === "ct" ? CT_VALUES : MRI_VALUES)[task];
  const means = base.map((v) => v * (1 + (rng.next() * 2 - 1) * 0.08));
  const n = anat.tissue.length;
  const img = new Float32Array(n);
  // mild within-tissue texture so that regions are not flat
  const texture = smoothField(shape, rng.fork("texture"), 0.06);
  for (let i = 0; i < n; i++) img[i] = means[anat.tissue[i]!]! * texture[i]!;
  if (modality === "ct") {
    const sigma = task === "cardiac" ? 25 : 12;
    for (let i = 0; i < n; i++) img[i] = img[i]! + sigma * rng.normal();
    return img;
  }
  const blurred = blurInPlane(img, shape);
  const bias = smoothField(shape, rng.fork("bias"), 0.3);
  const sigma = 40;
  for (let i = 0; i < n; i++) {
    const v = blurred[i]! * bias[i]!;
    // Rician noise: magnitude of a complex signal with Gaussian noise on both channels
    const re = v + sigma * rng.normal();
    const im = sigma * rng.normal();
    img[i] = Math.sqrt(re * re + im * im);
  }
  return img;
}

/**
 * One synthetic case.
 * @param task "cardiac" (4 structures) or "abdominal" (4 organs)
 * @param modality "ct" or "mri": the intensity model (see the file comment)
 * @param seed fixes the anatomy, the intensities and the noise
 * @returns a Case with image (float32, x fastest) and label (uint8, 0..4) on the same grid
 */
export function syntheticCase(task: SyntheticTask, modality: ModalityName, seed: number, options: PhantomOptions = {}): Case {
  if (task !== "cardiac" && task !== "abdominal") throw new OptionError("task", task, ["cardiac", "abdominal"]);
  if (modality !== "ct" && modality !== "mri") throw new OptionError("modality", modality, ["ct", "mri"]);
  const shape = options.shape ?? [64, 64, 24];
  const spacing = options.spacing ?? [2, 2, 4];
  for (const [k, v] of shape.entries())
    if (!Number.isInteger(v) || v < 4) throw new OptionError(`shape[${k}]`, v, "an integer >= 4");
  const rng = new Rng(seed);
  const anat = task === "cardiac" ? cardiacAnatomy(shape, rng.fork("anatomy")) : abdominalAnatomy(shape, rng.fork("anatomy"));
  const data = render(task, modality, anat, shape, rng.fork(`render-${modality}`));
  const affine = diagAffine(spacing);
  const image: ImageVolume = { data, shape: [...shape], spacing: [...spacing], affine, source: `synthetic:${task}:${modality}:${seed}` };
  const label: LabelVolume = { data: anat.label, shape: [...shape], spacing: [...spacing], affine: diagAffine(spacing), source: image.source };
  return {
    id: `syn-${task}-${modality}-${String(seed)}`,
    modality,
    image,
    label,
    meta: { synthetic: true, task, seed, structures: task === "cardiac" ? CARDIAC_STRUCTURES : ABDOMINAL_STRUCTURES },
  };
}

/**
 * A cohort of `n` synthetic cases of one task and modality. Case k uses seed
 * `seed * 1000 + k * 2 + (modality === "mri")`, so CT and MRI cohorts are different subjects
 * (unpaired), and growing `n` keeps the first cases unchanged.
 */
export function syntheticCohort(task: SyntheticTask, modality: ModalityName, n: number, seed: number, options: PhantomOptions = {}): Case[] {
  if (!Number.isInteger(n) || n < 1) throw new OptionError("n", n, "a positive integer");
  return Array.from({ length: n }, (_, k) => {
    const c = syntheticCase(task, modality, seed * 1000 + k * 2 + (modality === "mri" ? 1 : 0), options);
    return { ...c, id: `syn-${task}-${modality}-${String(k).padStart(3, "0")}` };
  });
}

export interface ArtefactOptions {
  seed: number;
  /** Gaussian noise sigma as a fraction of the image's intensity standard deviation; default 0.5. */
  noise?: number;
  /** Number of streaks (bright/dark lines radiating from a point, like metal or beam-hardening); default 6. */
  streaks?: number;
  /** Streak amplitude as a fraction of the intensity standard deviation; default 1.5. */
  streakAmplitude?: number;
  /** Multiplicative bias field amplitude; default 0.25. */
  bias?: number;
}

/**
 * Table VI's "outlier case": a copy of `c` with artefacts added to the image (label unchanged):
 * additive Gaussian noise, streaks radiating from a random in-body point in every axial slice
 * (alternating bright and dark, decaying with distance), and a smooth multiplicative bias field.
 * Intensity offsets are relative to the image's own standard deviation, so it works on real
 * (HU) and synthetic images alike. Deterministic from `options.seed`.
 */
export function addArtefacts(c: Case, options: ArtefactOptions): Case {
  const { seed } = options;
  const noise = options.noise ?? 0.5;
  const nStreaks = options.streaks ?? 6;
  const amp = options.streakAmplitude ?? 1.5;
  const biasAmp = options.bias ?? 0.25;
  const src = c.image.data;
  const shape = c.image.shape;
  const [nx, ny, nz] = shape;
  const rng = new Rng(seed);
  let mean = 0;
  for (const v of src) mean += v;
  mean /= src.length;
  let varSum = 0;
  for (const v of src) varSum += (v - mean) ** 2;
  const sd = Math.sqrt(varSum / src.length) || 1;
  const bias = smoothField(shape, rng.fork("bias"), biasAmp);
  const cx = nx * (0.35 + 0.3 * rng.next());
  const cy = ny * (0.35 + 0.3 * rng.next());
  const angles = Array.from({ length: nStreaks }, (_, k) => (Math.PI * k) / nStreaks + rng.next() * 0.2);
  const width = Math.max(0.6, nx / 96);
  const out = new Float32Array(src.length);
  for (let z = 0; z < nz; z++)
    for (let y = 0; y < ny; y++)
      for (let x = 0; x < nx; x++) {
        const i = x + nx * (y + ny * z);
        const dx = x - cx;
        const dy = y - cy;
        const r = Math.hypot(dx, dy);
        let streak = 0;
        angles.forEach((a, k) => {
          const d = Math.abs(-Math.sin(a) * dx + Math.cos(a) * dy); // distance to the line through (cx, cy)
          if (d < 2 * width) streak += (k % 2 === 0 ? 1 : -1) * Math.exp(-(d * d) / (width * width)) * Math.exp(-r / nx);
        });
        out[i] = (src[i]! - mean) * bias[i]! + mean + sd * (amp * streak + noise * rng.normal());
      }
  return {
    ...c,
    id: `${c.id}-artefacts`,
    image: { ...c.image, data: out, source: `${c.image.source ?? c.id} + artefacts(seed ${seed})` },
    meta: { ...(c.meta ?? {}), artefacts: { seed, noise, streaks: nStreaks, streakAmplitude: amp, bias: biasAmp } },
  };
}
