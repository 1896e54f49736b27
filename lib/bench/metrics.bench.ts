/**
 * Benchmark: per-class HD / HD95 / ASSD (and Dice) on a 256x256x128 label pair with 4 classes,
 * ours (lib/metrics: bounding-box-restricted exact FH EDT) against scipy in the same run
 * (Debian python3-scipy via /usr/bin/python3), on the same data:
 *
 * - `scipy_full`: medpy's recipe on the whole volume (binary_erosion XOR, distance_transform_edt
 *   with sampling=spacing, per class and direction) — what medpy/MONAI-style code does;
 * - `scipy_cropped`: the same, restricted to the union bounding box of the two masks (the trick
 *   we use), for a like-for-like algorithmic comparison.
 *
 * Times: wall clock and CPU (user+system; steadier on a shared machine), single-threaded on both
 * sides. Ours and scipy_cropped: median of REPEATS runs; scipy_full: one run (it is ~10x slower).
 * Both sides must agree on every number (rtol 1e-9). Writes results/bench/metrics_edt.csv
 * atomically. Run: `npx tsx lib/bench/metrics.bench.ts` (or through `npm run bench`).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { evaluateSegmentation, type ClassMetrics } from "../metrics/index.ts";
import { writeFileAtomic } from "../util/atomic.ts";
import { Rng } from "../util/rng.ts";

const SHAPE: [number, number, number] = [256, 256, 128];
const SPACING: [number, number, number] = [0.8, 0.8, 2.5];
const LABELS = [1, 2, 3, 4];
const REPEATS = 3;

/** Deterministic label pair: 4 ellipsoids; pred = wobbly, shifted ellipsoids plus a few islands. */
export function makeBenchPair(): { pred: Uint8Array; target: Uint8Array } {
  const [n0, n1, n2] = SHAPE;
  const target = new Uint8Array(n0 * n1 * n2);
  const pred = new Uint8Array(n0 * n1 * n2);
  // centre (voxels), radii (voxels), per class
  const objs = [
    { c: [100, 120, 60], r: [60, 45, 22] },
    { c: [170, 90, 50], r: [30, 35, 18] },
    { c: [150, 170, 75], r: [40, 28, 25] },
    { c: [70, 190, 40], r: [22, 25, 12] },
  ];
  let idx = 0;
  for (let k = 0; k < n2; k++) {
    for (let j = 0; j < n1; j++) {
      for (let i = 0; i < n0; i++, idx++) {
        objs.forEach((o, c) => {
          const x = (i - o.c[0]!) / o.r[0]!;
          const y = (j - o.c[1]!) / o.r[1]!;
          const z = (k - o.c[2]!) / o.r[2]!;
          if (x * x + y * y + z * z <= 1) target[idx] = c + 1;
          const xs = (i - o.c[0]! - 2) / o.r[0]!;
          const wobble = 1 + 0.12 * Math.sin(i / 7 + c) * Math.cos(j / 9) + 0.05 * Math.sin(k / 3);
          if (xs * xs + y * y + z * z <= wobble * wobble) pred[idx] = c + 1;
        });
      }
    }
  }
  // islands: small false-positive cubes of each class
  const rng = new Rng(5);
  for (let b = 0; b < 12; b++) {
    const c = 1 + (b % 4);
    const [a0, a1, a2] = [rng.int(n0 - 4), rng.int(n1 - 4), rng.int(n2 - 4)];
    for (let k = a2; k < a2 + 3; k++) for (let j = a1; j < a1 + 3; j++) for (let i = a0; i < a0 + 3; i++) pred[i + n0 * (j + n1 * k)] = c;
  }
  return { pred, target };
}

const PEER = String.raw`
import json, sys, time
import numpy as np
from scipy.ndimage import binary_erosion, distance_transform_edt, generate_binary_structure
d, n0, n1, n2, s0, s1, s2, repeats = sys.argv[1], *map(int, sys.argv[2:5]), *map(float, sys.argv[5:8]), int(sys.argv[8])
# files are axis-0-fastest: reshape C-order as [n2, n1, n0] and reverse the spacing
pred = np.fromfile(d + "/pred.u8", np.uint8).reshape(n2, n1, n0)
target = np.fromfile(d + "/target.u8", np.uint8).reshape(n2, n1, n0)
sp = (s2, s1, s0)
fp = generate_binary_structure(3, 1)
def metrics(p, t):
    bp = p ^ binary_erosion(p, structure=fp)
    bt = t ^ binary_erosion(t, structure=fp)
    d_pt = distance_transform_edt(~bt, sampling=sp)[bp]
    d_tp = distance_transform_edt(~bp, sampling=sp)[bt]
    inter = np.count_nonzero(p & t)
    return dict(dice=2.0 * inter / (np.count_nonzero(p) + np.count_nonzero(t)),
                hd=float(max(d_pt.max(), d_tp.max())),
                hd95=float(np.percentile(np.hstack((d_pt, d_tp)), 95)),
                assd=float(np.mean((d_pt.mean(), d_tp.mean()))))
def run(crop):
    out = []
    for c in (1, 2, 3, 4):
        p = pred == c
        t = target == c
        if crop:
            u = p | t
            sl = tuple(slice(a.min(), a.max() + 1) for a in np.nonzero(u))
            p, t = p[sl], t[sl]
        out.append(dict(label=c, **metrics(p, t)))
    return out
res = {}
for name, crop, reps in (("full", False, 1), ("cropped", True, repeats)):
    times, cpu = [], []
    for _ in range(reps):
        t0, c0 = time.perf_counter(), time.process_time()
        rows = run(crop)
        times.append(time.perf_counter() - t0); cpu.append(time.process_time() - c0)
    res[name] = dict(times=times, cpu=cpu, rows=rows)
print(json.dumps(res))
`;

interface PeerResult {
  full: { times: number[]; cpu: number[]; rows: { label: number; dice: number; hd: number; hd95: number; assd: number }[] };
  cropped: PeerResult["full"];
}

function maxRelDiff(ours: ClassMetrics[], theirs: PeerResult["full"]["rows"]): number {
  let m = 0;
  ours.forEach((r, i) => {
    const t = theirs[i]!;
    if (t.label !== r.label) throw new Error(`metrics bench: label order differs (${r.label} vs ${t.label})`);
    for (const k of ["dice", "hd", "hd95", "assd"] as const) {
      m = Math.max(m, Math.abs(r[k] - t[k]) / Math.max(1, Math.abs(t[k])));
    }
  });
  return m;
}

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;

/** Runs the benchmark, writes results/bench/metrics_edt.csv, returns the summary row. */
export async function bench(): Promise<Record<string, string | number>> {
  const { pred, target } = makeBenchPair();
  const a = { data: pred, shape: SHAPE, spacing: SPACING };
  const b = { data: target, shape: SHAPE, spacing: SPACING };
  const times: number[] = [];
  const cpu: number[] = [];
  let ours: ClassMetrics[] = [];
  for (let r = 0; r < REPEATS; r++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    ours = evaluateSegmentation(a, b, { labels: LABELS });
    const c = process.cpuUsage(c0);
    times.push((performance.now() - t0) / 1000);
    cpu.push((c.user + c.system) / 1e6);
  }
  const dir = mkdtempSync(join(tmpdir(), "ummkd-metrics-bench-"));
  let peer: PeerResult;
  try {
    writeFileSync(join(dir, "pred.u8"), pred);
    writeFileSync(join(dir, "target.u8"), target);
    const out = execFileSync(
      "/usr/bin/python3",
      ["-c", PEER, dir, ...SHAPE.map(String), ...SPACING.map(String), String(REPEATS)],
      { encoding: "utf8", maxBuffer: 1 << 24, env: { ...process.env, OMP_NUM_THREADS: "1" } },
    );
    peer = JSON.parse(out) as PeerResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const diffFull = maxRelDiff(ours, peer.full.rows);
  const diffCropped = maxRelDiff(ours, peer.cropped.rows);
  const oursS = median(times);
  const fullS = median(peer.full.times);
  const croppedS = median(peer.cropped.times);
  const row = {
    date: new Date().toISOString(),
    shape: SHAPE.join("x"),
    spacing_mm: SPACING.join("x"),
    classes: LABELS.length,
    repeats: REPEATS,
    scipy_full_repeats: 1,
    ours_s: +oursS.toFixed(4),
    scipy_full_s: +fullS.toFixed(4),
    scipy_cropped_s: +croppedS.toFixed(4),
    ours_over_scipy_full: +(oursS / fullS).toFixed(4),
    ours_over_scipy_cropped: +(oursS / croppedS).toFixed(4),
    ours_cpu_s: +median(cpu).toFixed(4),
    scipy_full_cpu_s: +median(peer.full.cpu).toFixed(4),
    scipy_cropped_cpu_s: +median(peer.cropped.cpu).toFixed(4),
    cpu_ours_over_scipy_full: +(median(cpu) / median(peer.full.cpu)).toFixed(4),
    cpu_ours_over_scipy_cropped: +(median(cpu) / median(peer.cropped.cpu)).toFixed(4),
    load_avg_1m: +(loadavg()[0] ?? 0).toFixed(2),
    max_rel_diff: diffFull > diffCropped ? diffFull : diffCropped,
    same_numbers: diffFull <= 1e-9 && diffCropped <= 1e-9 ? "yes" : "NO",
    node: process.version,
  };
  const header = Object.keys(row).join(",");
  const line = Object.values(row).join(",");
  writeFileAtomic("results/bench/metrics_edt.csv", `${header}\n${line}\n`);
  console.log(
    `metrics bench ${row.shape} x${row.classes} classes: ours ${oursS.toFixed(3)} s, scipy full ${fullS.toFixed(3)} s ` +
      `(ratio ${row.ours_over_scipy_full}), scipy cropped ${croppedS.toFixed(3)} s (ratio ${row.ours_over_scipy_cropped}); ` +
      `CPU ratios ${row.cpu_ours_over_scipy_full} / ${row.cpu_ours_over_scipy_cropped}; ` +
      `max rel diff ${row.max_rel_diff.toExponential(2)} -> results/bench/metrics_edt.csv`,
  );
  for (const r of ours) {
    console.log(`  label ${r.label}: dice ${r.dice.toFixed(4)} hd ${r.hd.toFixed(3)} hd95 ${r.hd95.toFixed(3)} assd ${r.assd.toFixed(4)} mm`);
  }
  if (row.same_numbers !== "yes") throw new Error(`metrics bench: ours and scipy disagree (max rel diff ${row.max_rel_diff})`);
  return row;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  bench().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
