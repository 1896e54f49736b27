/**
 * `ummkd train --config FILE [--out DIR] [--fresh] [--progress auto|tty|log|none]`
 *
 * Trains one network/setting headless from a JSON config and leaves `<out>/checkpoint/`,
 * `<out>/log.jsonl` and `<out>/config.json` (the resolved config). Re-running with the same out
 * directory resumes from the last checkpoint (unless --fresh). Config file:
 *
 * ```json
 * {
 *   "train": { "preset": "quick", "model": { "network": "dilated2d", "setting": "ours" }, "seed": 1 },
 *   "data": { "kind": "synthetic", "task": "cardiac", "trainCases": 4, "valCases": 1, "shape": [64, 64, 24] },
 *   "out": "runs/ours-quick"
 * }
 * ```
 * `data.kind` "nifti" takes `train` and optional `val` lists per modality of
 * `{ "image": "ct1.nii.gz", "label": "ct1_label.nii.gz" }` (paths relative to the config file);
 * images are clipped (top 2%) and z-scored per volume unless `"preprocess": false`.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { engineFacts, initEngine } from "../engine/index.ts";
import type { Case, ModalityName } from "../data/types.ts";
import { readNifti } from "../data/nifti.ts";
import { assertSameGrid } from "../data/geometry.ts";
import { checkStepMemory, estimateStepBytes } from "../bench/train-step-memory.ts";
import { preprocessCase } from "../data/preprocess.ts";
import { syntheticCohort } from "../data/synthetic.ts";
import { CaseBatchSource, validationSet } from "../train/batch-source.ts";
import { checkObject, type ObjectSpec } from "../train/check.ts";
import { TRAIN_CONFIG_SPEC, resolveTrainConfig, validateTrainConfig } from "../train/config.ts";
import { train } from "../train/trainer.ts";
import { assertResumable } from "../train/resume.ts";
import type { ProgressMode } from "../train/progress.ts";
import { writeJsonAtomic } from "../util/atomic.ts";
import { DataError, OptionError, oneOf } from "../util/errors.ts";
import { provenance } from "../util/provenance.ts";
import { checkOutputPath, checkWritableOutput } from "../util/paths.ts";
import { parseFlags } from "./args.ts";

const CASE_LIST = { type: "array" as const, items: { type: "object" as const, fields: { image: { type: "string" as const, required: true }, label: { type: "string" as const, required: true } } } };
const SPLIT_SPEC: ObjectSpec = { ct: { ...CASE_LIST, required: true }, mri: { ...CASE_LIST, required: true } };

const DATA_SPEC: Record<"synthetic" | "nifti", ObjectSpec> = {
  synthetic: {
    kind: { type: "string", enum: ["synthetic"], required: true },
    task: { type: "string", enum: ["cardiac", "abdominal"], required: true },
    trainCases: { type: "integer", min: 1 },
    valCases: { type: "integer", min: 0 },
    seed: { type: "integer" },
    shape: { type: "array", items: { type: "integer", min: 1 } },
    spacing: { type: "array", items: { type: "number", min: 0, exclusiveMin: true } },
  },
  nifti: {
    kind: { type: "string", enum: ["nifti"], required: true },
    train: { type: "object", fields: SPLIT_SPEC, required: true },
    val: { type: "object", fields: SPLIT_SPEC },
    preprocess: { type: "boolean" },
  },
};

const FILE_SPEC: ObjectSpec = {
  train: { type: "object", fields: TRAIN_CONFIG_SPEC, required: true },
  data: { type: "object", required: true, fields: {} /* checked per kind below */ },
  out: { type: "string" },
};

type CaseRef = { image: string; label: string };
type DataConfig =
  | { kind: "synthetic"; task: "cardiac" | "abdominal"; trainCases?: number; valCases?: number; seed?: number; shape?: number[]; spacing?: number[] }
  | { kind: "nifti"; train: Record<ModalityName, CaseRef[]>; val?: Record<ModalityName, CaseRef[]>; preprocess?: boolean };

/** Validate the whole config file; errors name the file and the key path. */
export function validateTrainFile(raw: unknown, file: string): { train: ReturnType<typeof validateTrainConfig>; data: DataConfig; out?: string } {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new OptionError(file, raw, "a JSON object with keys train, data, out");
  const { data, ...rest } = raw as Record<string, unknown>;
  checkObject({ ...rest, data: {} }, FILE_SPEC, file);
  validateTrainConfig((raw as { train: unknown }).train, `${file}: train`);
  const kind = oneOf(`${file}: data.kind`, (data as { kind?: unknown })?.kind, ["synthetic", "nifti"] as const);
  checkObject(data, DATA_SPEC[kind], `${file}: data`);
  const d = data as DataConfig;
  if (d.kind === "synthetic") {
    if (d.shape && d.shape.length !== 3) throw new OptionError(`${file}: data.shape`, d.shape, "[nx, ny, nz]");
    if (d.spacing && d.spacing.length !== 3) throw new OptionError(`${file}: data.spacing`, d.spacing, "[sx, sy, sz]");
  }
  return raw as { train: ReturnType<typeof validateTrainConfig>; data: DataConfig; out?: string };
}

function readCase(ref: CaseRef, m: ModalityName, base: string, numClasses: number): Case {
  const imagePath = resolve(base, ref.image);
  const labelPath = resolve(base, ref.label);
  const image = readNifti(imagePath).volume;
  const lab = readNifti(labelPath).volume;
  // shape, spacing and affine (a mirrored or oblique label would train on misaligned voxels)
  assertSameGrid(image, lab, labelPath);
  const y = new Uint8Array(lab.data.length);
  for (let i = 0; i < y.length; i++) {
    const v = lab.data[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= numClasses) {
      throw new DataError(labelPath, `voxel ${i} has label ${v}; expected integer class indices 0..${numClasses - 1} (numClasses ${numClasses}; map raw label codes with 'ummkd prepare')`);
    }
    y[i] = v;
  }
  return { id: ref.image, modality: m, image: { ...image, source: imagePath }, label: { ...lab, data: y, source: labelPath } };
}

function loadData(d: DataConfig, base: string, numClasses: number): { train: Record<ModalityName, Case[]>; val: Record<ModalityName, Case[]> } {
  const prep = (c: Case) => preprocessCase(c, { size: undefined, clipPercent: 2, zscore: true });
  if (d.kind === "synthetic") {
    const opts = { ...(d.shape ? { shape: d.shape as [number, number, number] } : {}), ...(d.spacing ? { spacing: d.spacing as [number, number, number] } : {}) };
    const seed = d.seed ?? 1;
    const split = (n: number, s: number) => ({
      ct: n > 0 ? syntheticCohort(d.task, "ct", n, s, opts).map(prep) : [],
      mri: n > 0 ? syntheticCohort(d.task, "mri", n, s, opts).map(prep) : [],
    });
    return { train: split(d.trainCases ?? 4, seed), val: split(d.valCases ?? 1, seed + 1000) };
  }
  const load = (s: Record<ModalityName, CaseRef[]> | undefined) => ({
    ct: (s?.ct ?? []).map((r) => readCase(r, "ct", base, numClasses)).map((c) => (d.preprocess === false ? c : prep(c))),
    mri: (s?.mri ?? []).map((r) => readCase(r, "mri", base, numClasses)).map((c) => (d.preprocess === false ? c : prep(c))),
  });
  return { train: load(d.train), val: load(d.val) };
}

/**
 * The data a run trains on, as flat fields (`kind`, `trainCases`, `train.ct[0].image` with paths
 * made absolute, ...) plus `content`, a SHA-256 over every loaded case's voxels and labels, so a
 * resume after any change of data source or content is refused naming the field.
 */
function fingerprintData(d: DataConfig, base: string, data: ReturnType<typeof loadData>): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (v: unknown, key: string) => {
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${key}[${i}]`));
    else if (v !== null && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, key ? `${key}.${k}` : k);
    else out[key] = typeof v === "string" && /\.(image|label)$/.test(key) ? resolve(base, v) : String(v);
  };
  walk(d, "");
  const h = createHash("sha256");
  for (const split of [data.train, data.val]) {
    for (const c of [...split.ct, ...split.mri]) {
      h.update(`${c.modality}:${c.image.shape}\n`);
      h.update(new Uint8Array(c.image.data.buffer, c.image.data.byteOffset, c.image.data.byteLength));
      if (c.label) h.update(new Uint8Array(c.label.data.buffer, c.label.data.byteOffset, c.label.data.byteLength));
    }
  }
  out.content = h.digest("hex");
  return out;
}

/** Entries a run folder of `ummkd train` may hold (its config.json, log, checkpoint, lock, atomic-write temps). */
const RUN_ENTRY_RE = /^(config\.json|log\.jsonl|checkpoint|run\.lock|\..+\.\d+\.[0-9a-f]+\.tmp(\.old)?)$/;

/** True for the config.json that `ummkd train` writes into its run folder. */
function isRunConfig(j: unknown): boolean {
  const o = j as Record<string, unknown> | null;
  return !!o && typeof o === "object" && typeof o.config === "object" && typeof o.provenance === "object" && typeof o.source === "string";
}

/**
 * `--out` must be new, empty, or a run folder this command made (its config.json of ours); the
 * command writes only config.json, log.jsonl, checkpoint/ and run.lock there, so a folder of the
 * user's (whose config.json or log.jsonl would be overwritten) is refused before anything is written.
 * @throws OptionError naming --out and what is in the way
 */
export function checkTrainOut(out: string): void {
  if (!existsSync(out)) return;
  if (!statSync(out).isDirectory()) throw new OptionError("--out", out, "a run folder (it is an existing file)");
  const entries = readdirSync(out);
  const foreign = entries.filter((e) => !RUN_ENTRY_RE.test(e));
  let own = false;
  try {
    own = isRunConfig(JSON.parse(readFileSync(resolve(out, "config.json"), "utf8")));
  } catch {
    own = false;
  }
  // a run killed before it wrote config.json has only log.jsonl (JSON lines with a "type") and checkpoint/
  const ownLog = () => {
    try {
      const first = readFileSync(resolve(out, "log.jsonl"), "utf8").split("\n")[0]!;
      return first === "" || typeof (JSON.parse(first) as { type?: unknown }).type === "string";
    } catch {
      return false;
    }
  };
  if (entries.includes("config.json") ? !own : entries.includes("log.jsonl") && !ownLog())
    throw new OptionError("--out", out, `a new or empty folder, or a run folder of 'ummkd train' (its ${entries.includes("config.json") ? "config.json" : "log.jsonl"} is not one of ours, so it is not overwritten; nothing was changed)`);
  if (!own && foreign.length) throw new OptionError("--out", out, `a new or empty folder, or a run folder of 'ummkd train': it holds ${foreign.slice(0, 3).join(", ")}${foreign.length > 3 ? ", …" : ""} and no run of ours (nothing was changed)`);
}

const HELP = `usage: ummkd train --config FILE [--out DIR] [--fresh] [--progress auto|tty|log|none]

Trains one network/setting from a JSON config ({"train": {...}, "data": {...}, "out": "..."});
re-running with the same output directory resumes from its last checkpoint unless --fresh.`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, { config: { type: "string" }, out: { type: "string" }, fresh: { type: "boolean" }, progress: { type: "string" }, help: { type: "boolean", short: "h" } }, "train");
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.config) throw new OptionError("--config", undefined, "a JSON config file");
  const file = resolve(values.config);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new DataError(file, `cannot read JSON config: ${(e as Error).message}`);
  }
  const cfgFile = validateTrainFile(raw, file);
  const config = resolveTrainConfig(cfgFile.train);
  const out = resolve(values.out ?? (cfgFile.out ? resolve(dirname(file), cfgFile.out) : "runs/train"));
  const progress = oneOf("--progress", values.progress ?? "auto", ["auto", "tty", "log", "none"] as const) as ProgressMode;
  // never overwrite an input (the config, a NIfTI case) nor write into a folder of the user's
  const inputs: { option: string; path: string }[] = [{ option: "--config", path: file }];
  if (cfgFile.data.kind === "nifti")
    for (const split of [cfgFile.data.train, cfgFile.data.val])
      for (const refs of Object.values(split ?? {})) for (const r of refs) inputs.push({ option: "data.image", path: resolve(dirname(file), r.image) }, { option: "data.label", path: resolve(dirname(file), r.label) });
  checkOutputPath({ option: "--out", path: out }, inputs);
  checkWritableOutput("--out", out);
  checkTrainOut(out);
  const engine = await initEngine();
  const numClasses = config.model.numClasses ?? 5; // lib/models/network.ts's default
  const data = loadData(cfgFile.data, dirname(file), numClasses);
  for (const c of [...data.train.ct, ...data.train.mri, ...data.val.ct, ...data.val.mri]) {
    const [nx, ny] = c.image.shape;
    if (nx % 8 || ny % 8) throw new DataError(c.image.source ?? c.id, `in-plane size ${nx}x${ny} is not a multiple of 8, which both networks need for training (crop/pad it with 'ummkd prepare' or data.shape)`);
  }
  if (!data.train.ct.length || !data.train.mri.length) throw new DataError(file, "data: training needs cases of both modalities (ct and mri)");
  const mode = config.model.network === "unet3d" ? "3d" : "2d";
  // a network or batch beyond this machine's memory is refused now, with the estimate (width 100 grew for minutes)
  const [nx, ny] = [...data.train.ct, ...data.train.mri].reduce(([a, b], c) => [Math.max(a, c.image.shape[0]), Math.max(b, c.image.shape[1])], [0, 0]);
  const inShape = mode === "3d" ? [config.batchSize, 8, nx, ny, 1] : [config.batchSize, nx, ny, 3];
  checkStepMemory(`${file}: train.model.width / train.batchSize`, { width: config.model.width ?? 1, batchSize: config.batchSize, plane: [nx, ny] }, `${config.model.network} on ${nx}x${ny}`, estimateStepBytes(config.model, inShape));
  const source = new CaseBatchSource(data.train, mode, config.seed);
  const validation = data.val.ct.length && data.val.mri.length ? validationSet(data.val, mode) : undefined;
  const dataFingerprint = fingerprintData(cfgFile.data, dirname(file), data);
  // Refuse before touching the run folder (config.json) when its checkpoint has another plan or data.
  if (!values.fresh) assertResumable(out, config, dataFingerprint);
  if (values.fresh) rmSync(resolve(out, "checkpoint"), { recursive: true, force: true });
  // config.json is (re)written only once the checkpoint (if any) has loaded: a refused resume leaves the run folder as it was.
  const writeConfig = () => writeJsonAtomic(resolve(out, "config.json"), { config, data: cfgFile.data, source: file, engine, provenance: provenance(config.seed, engineFacts()) });
  const label = `${config.model.network}/${config.model.setting}`;
  const r = await train(config, { train: source, ...(validation ? { validation } : {}) }, { runDir: out, progress, label, dataFingerprint, onStart: writeConfig });
  r.model.dispose();
  console.log(JSON.stringify({ out, steps: r.steps, resumedFrom: r.resumedFrom, checkpoint: r.checkpoint, log: r.logPath, lastLosses: r.lastLosses, wallS: r.wallS }));
  return 0;
}
