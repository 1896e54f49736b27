/**
 * `prepare`: a raw download -> preprocessed NIfTI (image + label per case) plus `manifest.json`
 * (geometry, label maps, preprocessing record per case), built in a temp folder and renamed into
 * place when complete, so an interrupted run leaves nothing half-written.
 *
 * Output layout: `<out>/<modality>/<id>_image.nii.gz`, `<out>/<modality>/<id>_label.nii.gz`,
 * `<out>/manifest.json`.
 */
import { existsSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import type { Case, ModalityName } from "./types.ts";
import { DataError, oneOf } from "../util/errors.ts";
import { cleanStaleTemps, writeDirAtomic, writeJsonAtomic } from "../util/atomic.ts";
import { checkOutputPath, checkReplaceableDir, checkWritableOutput } from "../util/paths.ts";
import { DATASETS, DATASET_NAMES, type DatasetName } from "./datasets.ts";
import { listBtcvCases, listChaosCases, loadBtcvCase, loadChaosCase } from "./abdominal.ts";
import { listMmwhsCases, listSifaFiles, loadMmwhsCase, loadSifaFile } from "./cardiac.ts";
import { preprocessCase, type PreprocessOptions } from "./preprocess.ts";
import { writeNifti } from "./nifti-write.ts";

/** Options; `size` [0, 0] keeps the full plane (no ROI crop). */
export interface PrepareOptions extends PreprocessOptions {
  /** For `abdominal`: CT and MRI source folders (default `<src>/btcv_sabs_ct`, `<src>/chaos_t2_mr`). */
  ctSrc?: string;
  mriSrc?: string;
  /** Only these case ids (all when undefined). */
  ids?: string[];
  /** Progress callback. */
  log?: (msg: string) => void;
  /** Replace an existing output folder that holds an earlier `prepare`'s manifest.json. */
  force?: boolean;
}

/** The files an earlier `prepareDataset` wrote (from its manifest.json): each case's image and label. */
function manifestFiles(j: unknown): string[] {
  const cases = (j as Partial<Manifest> | null)?.cases;
  return Array.isArray(cases) ? cases.flatMap((c) => [c?.image, c?.label].filter((f): f is string => typeof f === "string")) : [];
}

/** True for a manifest.json written by `prepareDataset`. */
function isManifest(j: unknown): boolean {
  const m = j as Partial<Manifest> | null;
  return !!m && typeof m.dataset === "string" && Array.isArray(m.cases) && Array.isArray(m.sources);
}

export interface ManifestCase {
  id: string;
  modality: ModalityName;
  image: string;
  label: string;
  shape: [number, number, number];
  spacing: [number, number, number];
  affine: number[][];
  labelCounts: number[];
  meta: Record<string, unknown>;
}

export interface Manifest {
  dataset: DatasetName;
  classes: readonly string[];
  labelMaps: unknown;
  options: Omit<PrepareOptions, "log">;
  sources: string[];
  cases: ManifestCase[];
}

/** A lazily loaded case source: ids plus a loader, so cases are read one at a time. */
interface Source {
  dir: string;
  items: Array<{ id: string; load: () => Case[] }>;
}

function sourcesFor(dataset: DatasetName, src: string, opts: PrepareOptions): Source[] {
  const keep = (id: string) => !opts.ids || opts.ids.includes(id);
  const chaos = (dir: string): Source => ({ dir, items: listChaosCases(dir).filter(keep).map((id) => ({ id, load: () => [loadChaosCase(dir, id)] })) });
  const btcv = (dir: string): Source => ({ dir, items: listBtcvCases(dir).filter(keep).map((id) => ({ id, load: () => [loadBtcvCase(dir, id)] })) });
  switch (dataset) {
    case "chaos":
      return [chaos(src)];
    case "btcv":
      return [btcv(src)];
    case "abdominal": {
      const ct = opts.ctSrc ?? join(src, "btcv_sabs_ct");
      const mr = opts.mriSrc ?? join(src, "chaos_t2_mr");
      for (const d of [ct, mr]) if (!existsSync(d)) throw new DataError(d, "folder not found (abdominal needs BTCV CT and CHAOS MRI folders; pass ctSrc/mriSrc)");
      return [btcv(ct), chaos(mr)];
    }
    case "mmwhs":
      return [{ dir: src, items: listMmwhsCases(src).filter((r) => keep(r.id)).map((r) => ({ id: r.id, load: () => [loadMmwhsCase(r)] })) }];
    case "sifa":
      return [{ dir: src, items: listSifaFiles(src).map((f) => ({ id: f, load: () => loadSifaFile(f) })) }];
  }
}

/**
 * Default preprocessing per dataset: SIFA slices are already cropped and z-scored by PnP-AdaNet;
 * MM-WHS volumes are sliced coronally like PnP-AdaNet's; the abdominal sets axially.
 */
export function defaultPrepareOptions(dataset: DatasetName): PreprocessOptions {
  if (dataset === "sifa") return { size: undefined, clipPercent: 0, zscore: false };
  // PnP-AdaNet sliced the MM-WHS volumes coronally (authors' notes section 6)
  if (dataset === "mmwhs") return { slicePlane: "coronal", size: [256, 256], clipPercent: 2, zscore: true };
  return { slicePlane: "z", size: [256, 256], clipPercent: 2, zscore: true };
}

/**
 * Converts `src` into the preprocessed form under `out` (replacing `out` atomically when complete).
 * @throws DataError naming the offending file (unreadable, mismatched grids, unknown labels, NaN, empty folder)
 */
export async function prepareDataset(dataset: DatasetName, src: string, out: string, opts: PrepareOptions = {}): Promise<Manifest> {
  oneOf("dataset", dataset, DATASET_NAMES);
  if (!existsSync(src)) throw new DataError(src, "source folder not found");
  // Never delete or overwrite the user's data: the output must be apart from every source, and a
  // non-empty output folder is replaced only if it is an earlier output of ours and force is set.
  checkOutputPath({ option: "--out", path: out }, [{ option: "--src", path: src }, { option: "--src (ct)", path: opts.ctSrc }, { option: "--src (mri)", path: opts.mriSrc }]);
  checkReplaceableDir("--out", out, { file: "manifest.json", isOwn: isManifest, ownFiles: manifestFiles, force: opts.force ?? false });
  checkWritableOutput("--out", out, { replaced: true }); // a link or a read-only disk fails here, not after the work
  // an interrupted earlier prepare (SIGINT, kill -9) left its temp folder `.<out>.<pid>.<hex>.tmp` beside --out
  for (const t of cleanStaleTemps(dirname(resolve(out)), basename(resolve(out)))) opts.log?.(`removed ${t}, left by an interrupted prepare`);
  const def = DATASETS[dataset];
  const pre: PreprocessOptions = { ...defaultPrepareOptions(dataset), ...Object.fromEntries(Object.entries(opts).filter(([k, v]) => ["size", "spacing", "clipPercent", "zscore", "slicePlane", "keepInside"].includes(k) && v !== undefined)) };
  if (pre.size && (pre.size[0] <= 0 || pre.size[1] <= 0)) pre.size = undefined; // [0, 0]: keep the full plane
  const sources = sourcesFor(dataset, src, opts);
  const total = sources.reduce((a, s) => a + s.items.length, 0);
  if (total === 0) throw new DataError(src, `no ${dataset} cases to prepare`);
  const { log, force: _force, ...optsNoLog } = opts;
  const manifest: Manifest = { dataset, classes: def.classes, labelMaps: def.labelMaps, options: { ...optsNoLog, ...pre }, sources: sources.map((s) => s.dir), cases: [] };
  await writeDirAtomic(out, (tmp) => {
    let done = 0;
    for (const s of sources) {
      for (const item of s.items) {
        for (const raw of item.load()) {
          const c = preprocessCase(raw, pre);
          const mod = c.modality;
          const safe = c.id.replace(/[^A-Za-z0-9_.#-]/g, "_").replace(/#/g, "_");
          const imgRel = `${mod}/${safe}_image.nii.gz`;
          const labRel = `${mod}/${safe}_label.nii.gz`;
          writeNifti(join(tmp, imgRel), c.image, `ummkd ${dataset} ${mod} ${c.id}`);
          writeNifti(join(tmp, labRel), c.label!, `ummkd ${dataset} ${mod} ${c.id} labels`);
          const counts = new Array<number>(def.classes.length).fill(0);
          for (let i = 0; i < c.label!.data.length; i++) counts[c.label!.data[i]!]!++;
          manifest.cases.push({ id: c.id, modality: mod, image: imgRel, label: labRel, shape: c.image.shape, spacing: c.image.spacing, affine: c.image.affine, labelCounts: counts, meta: c.meta ?? {} });
        }
        log?.(`${dataset}: ${++done}/${total} ${item.id}`);
      }
    }
    writeJsonAtomic(join(tmp, "manifest.json"), manifest);
  });
  return manifest;
}
