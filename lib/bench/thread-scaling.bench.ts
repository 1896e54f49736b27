/**
 * Benchmark (engine issue, item 5): where the native engine's second thread helps. The 2D step of
 * the train-step bench (setting "ours", batch norm, W=0.25, 64x64, 8 per modality) and the 3D
 * U-Net step run in one process with the thread count alternated step by step (1, 2, 1, 2, ...:
 * `ummkd bench thread-scaling`), every top-level kernel call timed; PyTorch's step at 1 and 2
 * threads (`torch_train_step.py`, alternating processes) is the peer's scaling in the same run.
 *
 * Writes results/bench/thread_scaling.csv (tidy: one row per network, implementation, thread count
 * and part: "(step)", "(in kernels)", "(between kernels)" or a kernel name; ms is the median per
 * step) and thread_scaling.json atomically. UMMKD_BENCH_SCALING_STEPS (default 15) timed steps per
 * thread count, UMMKD_BENCH_ROUNDS (default 3) PyTorch rounds.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { writeFileAtomic, writeJsonAtomic } from "../util/atomic.ts";
import { gitState } from "../util/provenance.ts";
import { lastJsonLine, median, netArgs, r2, runTorch, type NetConfig } from "./train-step.bench.ts";
import type { ThreadScalingResult } from "./train-step.ts";
import { cliNodeArgs } from "../util/node-flags.ts";
import { REPO_ROOT as ROOT } from "../util/repo-root.ts";

const STEPS = Number(process.env.UMMKD_BENCH_SCALING_STEPS ?? 15);
const ROUNDS = Math.max(1, Number(process.env.UMMKD_BENCH_ROUNDS ?? 3));
const CONFIGS: NetConfig[] = [
  { network: "dilated2d", width: 0.25, size: 64, batch: 8 },
  { network: "unet3d", width: 0.25, size: 64, batch: 2, depth: 8 },
];

export async function bench(): Promise<void> {
  const torchOk = existsSync("/usr/bin/python3") && (() => {
    try {
      execFileSync("/usr/bin/python3", ["-c", "import torch"], { stdio: "ignore" });
      return true;
    } catch {
      return false;
    }
  })();
  const git = gitState();
  const rows: Record<string, string | number>[] = [];
  const raw: unknown[] = [];
  for (const c of CONFIGS) {
    const load = r2(loadavg()[0]!);
    console.log(`[bench thread-scaling] ${c.network}: ours, threads 1,2 alternated, ${STEPS} steps each ...`);
    const out = execFileSync(process.execPath, cliNodeArgs("bench", "thread-scaling", ...netArgs(c, STEPS, 2), "--threads", "1,2", "--json"), {
      cwd: ROOT,
      env: { ...process.env, UMMKD_BACKEND: "native" },
      stdio: ["ignore", "pipe", "pipe"],
      maxBuffer: 64 << 20,
      timeout: 20 * 60 * 1000,
    }).toString();
    const res = lastJsonLine(out) as unknown as ThreadScalingResult;
    const base = { network: c.network, norm: "batch", width: c.width, size: c.depth ? `${c.depth}x${c.size}x${c.size}` : `${c.size}x${c.size}`, batch_per_modality: c.batch };
    const tail = { steps: STEPS, load_avg_1m: load, commit: git.commit ?? "", dirty: String(git.dirty), created_at: new Date().toISOString() };
    const one = res.byThreads.find((t) => t.threads === 1)!;
    for (const t of res.byThreads) {
      const speedup = (a: number, b: number) => (b > 0 ? r2(a / b) : "");
      rows.push({ ...base, impl: "ours", threads: t.threads, part: "(step)", ms: t.ms_median, calls: "", speedup_vs_1: speedup(one.ms_median, t.ms_median), ...tail });
      rows.push({ ...base, impl: "ours", threads: t.threads, part: "(in kernels)", ms: t.kernel_ms_median, calls: "", speedup_vs_1: speedup(one.kernel_ms_median, t.kernel_ms_median), ...tail });
      rows.push({ ...base, impl: "ours", threads: t.threads, part: "(between kernels)", ms: t.outside_ms_median, calls: "", speedup_vs_1: speedup(one.outside_ms_median, t.outside_ms_median), ...tail });
      for (const k of t.kernels) {
        const k1 = one.kernels.find((x) => x.kernel === k.kernel);
        rows.push({ ...base, impl: "ours", threads: t.threads, part: k.kernel, ms: k.ms, calls: k.calls, speedup_vs_1: k1 ? speedup(k1.ms, k.ms) : "", ...tail });
      }
    }
    console.log(`[bench thread-scaling]   ours: ${res.byThreads.map((t) => `${t.threads} thr ${t.ms_median} ms (kernels ${t.kernel_ms_median}, between ${t.outside_ms_median})`).join("; ")}`);
    const torch: Record<number, number[]> = { 1: [], 2: [] };
    if (torchOk) {
      for (let r = 0; r < ROUNDS; r++) for (const n of [1, 2]) torch[n]!.push(...runTorch(c, n).ms_steps);
      for (const n of [1, 2]) rows.push({ ...base, impl: "torch", threads: n, part: "(step)", ms: r2(median(torch[n]!)), calls: "", speedup_vs_1: r2(median(torch[1]!) / median(torch[n]!)), ...tail });
      console.log(`[bench thread-scaling]   PyTorch: 1 thr ${r2(median(torch[1]!))} ms, 2 thr ${r2(median(torch[2]!))} ms`);
    }
    raw.push({ config: c, ours: res, torch });
  }
  const cols = Object.keys(rows[0]!);
  writeFileAtomic(join(ROOT, "results/bench/thread_scaling.csv"), [cols.join(","), ...rows.map((r) => cols.map((k) => String(r[k])).join(","))].join("\n") + "\n");
  writeJsonAtomic(join(ROOT, "results/bench/thread_scaling.json"), { steps: STEPS, rounds: ROUNDS, runs: raw });
  console.log("[bench thread-scaling] wrote results/bench/thread_scaling.csv and thread_scaling.json");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  await bench();
}
