/**
 * Benchmark: load + preprocess one CHAOS MRI volume (image + label .nii.gz from the data root),
 * ours (lib/data) against nibabel + scipy (Debian python3-nibabel / python3-scipy via
 * /usr/bin/python3, OMP_NUM_THREADS=1) in the same run, on the same files, with the same steps:
 *   read image + label -> resample to SPACING (trilinear image / nearest label, the
 *   `affine_transform(diag(target/spacing), order=1|0, mode="nearest")` grid rule) -> ROI crop
 *   SIZE around the foreground centre kept inside the plane (pad with the image minimum) -> clip
 *   at the 98th percentile -> z-score.
 * Both outputs are compared (max |diff| of the normalised image, label voxels that differ).
 * Median of REPEATS runs per side; wall and CPU time. Writes results/bench/data_loading.csv
 * atomically. Run: `npx tsx lib/bench/data.bench.ts` (or through `npm run bench`).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { readNifti } from "../data/nifti.ts";
import { mapLabelVolume } from "../data/labels.ts";
import { CHAOS_LABELS } from "../data/datasets.ts";
import { preprocessCase } from "../data/preprocess.ts";
import { resolveDataRoot } from "../data/root.ts";
import { writeFileAtomic } from "../util/atomic.ts";

const CASE = "1";
const SPACING: [number, number, number] = [1.5, 1.5, 5.0];
const SIZE: [number, number] = [192, 192];
const REPEATS = 3;

const PEER = String.raw`
import json, sys, time
import numpy as np, nibabel as nib
from scipy import ndimage
img_f, lab_f, out_f, sx, sy, sz, H, W, reps = sys.argv[1], sys.argv[2], sys.argv[3], *map(float, sys.argv[4:7]), int(sys.argv[7]), int(sys.argv[8]), int(sys.argv[9])
target = np.array([sx, sy, sz])
def fit(c, n, w):
    half = w // 2
    start = min(max(c - half, 0), n - w) if n >= w else -((w - n) // 2)
    return start
def run():
    t0 = time.perf_counter(); c0 = time.process_time()
    im = nib.load(img_f); lb = nib.load(lab_f)
    x = im.get_fdata(dtype=np.float32); l = np.asarray(lb.dataobj).astype(np.uint8)
    sp = np.array(im.header.get_zooms()[:3], dtype=np.float64)
    t1 = time.perf_counter(); c1 = time.process_time()
    shape = [max(1, int(np.floor(n * s / t + 0.5))) for n, s, t in zip(x.shape, sp, target)]
    m = np.diag(target / sp)
    x = ndimage.affine_transform(x, m, output_shape=shape, order=1, mode="nearest")
    l = ndimage.affine_transform(l, m, output_shape=shape, order=0, mode="nearest")
    ii, jj, _ = np.nonzero(l)
    cx, cy = int(np.floor(ii.mean() + 0.5)), int(np.floor(jj.mean() + 0.5))
    x0, y0 = fit(cx, shape[0], W), fit(cy, shape[1], H)
    out = np.full((W, H, shape[2]), x.min(), dtype=np.float32)
    lo = np.zeros((W, H, shape[2]), dtype=np.uint8)
    xa, xb = max(0, -x0), min(W, shape[0] - x0); ya, yb = max(0, -y0), min(H, shape[1] - y0)
    out[xa:xb, ya:yb] = x[x0 + xa:x0 + xb, y0 + ya:y0 + yb]
    lo[xa:xb, ya:yb] = l[x0 + xa:x0 + xb, y0 + ya:y0 + yb]
    t = np.percentile(out, 98)
    np.minimum(out, t, out=out)
    out = (out - out.mean()) / out.std()
    t2 = time.perf_counter(); c2 = time.process_time()
    return out, lo, (t1 - t0, t2 - t1, t2 - t0, c2 - c0)
res = [run() for _ in range(reps)]
out, lo, _ = res[-1]
np.ascontiguousarray(out.transpose(2, 1, 0)).astype(np.float32).tofile(out_f + ".f32")
np.ascontiguousarray(lo.transpose(2, 1, 0)).tofile(out_f + ".u8")
print(json.dumps({"times": [r[2] for r in res], "read": [r[2][0] for r in res], "pre": [r[2][1] for r in res], "total": [r[2][2] for r in res], "cpu": [r[2][3] for r in res], "shape": list(out.shape)}))
`;

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;

/** Runs the benchmark, writes results/bench/data_loading.csv, returns the summary row. */
export async function bench(): Promise<Record<string, string | number>> {
  const root = resolveDataRoot();
  const imgF = join(root, "chaos_t2_mr", `image_${CASE}.nii.gz`);
  const labF = join(root, "chaos_t2_mr", `label_${CASE}.nii.gz`);
  const read: number[] = [], pre: number[] = [], total: number[] = [], cpu: number[] = [];
  let result: ReturnType<typeof preprocessCase> | undefined;
  for (let r = 0; r < REPEATS; r++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const image = readNifti(imgF).volume;
    const label = mapLabelVolume(readNifti(labF).volume, CHAOS_LABELS, labF);
    const t1 = performance.now();
    result = preprocessCase({ id: CASE, modality: "mri", image, label }, { spacing: SPACING, size: SIZE });
    const t2 = performance.now();
    const c = process.cpuUsage(c0);
    read.push((t1 - t0) / 1000);
    pre.push((t2 - t1) / 1000);
    total.push((t2 - t0) / 1000);
    cpu.push((c.user + c.system) / 1e6);
  }
  const dir = mkdtempSync(join(tmpdir(), "ummkd-data-bench-"));
  let peer: { read: number[]; pre: number[]; total: number[]; cpu: number[]; shape: number[] };
  let maxDiff = 0;
  let labelDiff = 0;
  try {
    const out = execFileSync(
      "/usr/bin/python3",
      ["-c", PEER, imgF, labF, join(dir, "out"), ...SPACING.map(String), String(SIZE[0]), String(SIZE[1]), String(REPEATS)],
      { encoding: "utf8", maxBuffer: 1 << 24, env: { ...process.env, OMP_NUM_THREADS: "1", OPENBLAS_NUM_THREADS: "1" } },
    );
    peer = JSON.parse(out);
    const px = readFileSync(join(dir, "out.f32"));
    const theirs = new Float32Array(px.buffer, px.byteOffset, px.byteLength / 4);
    const lu = readFileSync(join(dir, "out.u8"));
    const ours = result!;
    if (theirs.length !== ours.image.data.length) throw new Error(`data bench: output sizes differ (${ours.image.shape} vs ${peer.shape})`);
    for (let i = 0; i < theirs.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(theirs[i]! - ours.image.data[i]!));
      if (lu[i] !== ours.label!.data[i]) labelDiff++;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const row = {
    date: new Date().toISOString(),
    case: `chaos_t2_mr/image_${CASE}`,
    in_shape: readNifti(imgF).volume.shape.join("x"),
    out_shape: result!.image.shape.join("x"),
    spacing_mm: SPACING.join("x"),
    repeats: REPEATS,
    ours_read_s: +median(read).toFixed(4),
    ours_preprocess_s: +median(pre).toFixed(4),
    ours_total_s: +median(total).toFixed(4),
    peer_read_s: +median(peer.read).toFixed(4),
    peer_preprocess_s: +median(peer.pre).toFixed(4),
    peer_total_s: +median(peer.total).toFixed(4),
    ours_over_peer_total: +(median(total) / median(peer.total)).toFixed(4),
    ours_volumes_per_s: +(1 / median(total)).toFixed(3),
    peer_volumes_per_s: +(1 / median(peer.total)).toFixed(3),
    ours_cpu_s: +median(cpu).toFixed(4),
    peer_cpu_s: +median(peer.cpu).toFixed(4),
    max_abs_diff_image: +maxDiff.toExponential(3),
    label_voxels_differing: labelDiff,
    load_avg_1m: +(loadavg()[0] ?? 0).toFixed(2),
    node: process.version,
  };
  writeFileAtomic("results/bench/data_loading.csv", `${Object.keys(row).join(",")}\n${Object.values(row).join(",")}\n`);
  console.log(
    `data bench ${row.case} ${row.in_shape} -> ${row.out_shape}: ours ${row.ours_total_s} s (read ${row.ours_read_s}, preprocess ${row.ours_preprocess_s}), ` +
      `nibabel+scipy ${row.peer_total_s} s (read ${row.peer_read_s}, preprocess ${row.peer_preprocess_s}); ratio ${row.ours_over_peer_total}; ` +
      `max |diff| ${row.max_abs_diff_image}, label voxels differing ${labelDiff} -> results/bench/data_loading.csv`,
  );
  if (maxDiff > 1e-3 || labelDiff > 0) throw new Error(`data bench: ours and nibabel+scipy disagree (max |diff| ${maxDiff}, ${labelDiff} label voxels)`);
  return row;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  bench().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
