/**
 * Benchmark (engine issue, `npm run bench`): one Adam step of the paper's 2D network (setting
 * "ours": Chilopod + KD loss; width W=0.25, 64x64x3, batch 8 per modality) and of the 3D U-Net
 * (same setting, W=0.25, 8x64x64x1 patches, 2 per modality), both with batch norm, and Table V's
 * 2D step with instance, layer and group norm (native only), on each backend that
 * loads here — wasm + kernel pack (1 thread: the threaded wasm build cannot run in Node), and the
 * native oneDNN engine at 1 and 2 threads when its addon is built — beside the same network in
 * PyTorch CPU (Debian python3-torch, `torch_train_step.py`) at the same thread count, in the same run.
 *
 * Each configuration runs in its own process (`ummkd bench train-step --json` with UMMKD_BACKEND /
 * UMMKD_THREADS; `torch_train_step.py --threads`), so backends and thread pools do not interfere.
 * Each configuration runs UMMKD_BENCH_ROUNDS times (default 3) alternating with its PyTorch peer, and
 * the step times of all rounds are pooled. Reported: median and minimum step time; ratio = ours /
 * PyTorch (median and min). On a shared machine the minimum is the steadier number; the 1-minute
 * load average at the start of each configuration is in the CSV.
 *
 * Writes results/bench/train_step.csv and results/bench/train_step.json atomically.
 * Run: `npx tsx lib/bench/train-step.bench.ts` (or through `npm run bench`).
 * Environment: UMMKD_BENCH_STEPS (default 10), UMMKD_BENCH_WARMUP (default 5), UMMKD_BENCH_ROUNDS (default 3),
 * UMMKD_BENCH_BACKENDS (e.g. `webgpu`: only those engines), UMMKD_BENCH_OUT (output folder instead of results/bench),
 * UMMKD_BENCH_TRIAL=1 (toy sizes, to try the machinery; needs UMMKD_BENCH_OUT).
 * The webgpu row (issue 29) runs where the webgpu engine loads; on a machine without a GPU its
 * adapter is Mesa llvmpipe (software rendering on the CPU), named in the row's `adapter` column.
 * Five warm-up steps on both sides: after two, our native steps still fell by 20-40 % over the next
 * five (JIT, buffer pool and heap sizing settling; e.g. 453, 311, 378, 287, 279, 286, 219 ms in the
 * 2026-12-02 run), so the median measured the warm-up rather than a training run's steady step.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { writeFileAtomic, writeJsonAtomic } from "../util/atomic.ts";
import { gitState } from "../util/provenance.ts";
import { cliNodeArgs } from "../util/node-flags.ts";
import { REPO_ROOT as ROOT } from "../util/repo-root.ts";

const PY = "/usr/bin/python3";
export interface NetConfig {
  network: "dilated2d" | "unet3d";
  width: number;
  size: number;
  batch: number;
  depth?: number;
  /** Modality-specific normalization (Table V); batch unless given. */
  norm?: "batch" | "instance" | "layer" | "group";
}
/**
 * The 2D network at the engine issue's CPU scale, and the 3D U-Net at a CPU scale (64x64x8 patches,
 * 2 per modality as in the released 3D code), with batch norm; then Table V's configurations: the
 * same 2D step with instance, layer and group norm (native only: wasm is the portable fallback).
 */
const CONFIGS: NetConfig[] = [
  { network: "dilated2d", width: 0.25, size: 64, batch: 8 },
  { network: "unet3d", width: 0.25, size: 64, batch: 2, depth: 8 },
  { network: "dilated2d", width: 0.25, size: 64, batch: 8, norm: "instance" },
  { network: "dilated2d", width: 0.25, size: 64, batch: 8, norm: "layer" },
  { network: "dilated2d", width: 0.25, size: 64, batch: 8, norm: "group" },
];
const STEPS = Number(process.env.UMMKD_BENCH_STEPS ?? 10);
const WARMUP = Number(process.env.UMMKD_BENCH_WARMUP ?? 5);
const ROUNDS = Math.max(1, Number(process.env.UMMKD_BENCH_ROUNDS ?? 3));
/**
 * UMMKD_BENCH_TRIAL=1: a trial of the machinery at toy sizes (2D W=1/8 32x32 and 3D W=1/8 8x32x32,
 * batch 2), for a backend too slow for the real configurations (webgpu on llvmpipe); its numbers
 * mean nothing, so it needs UMMKD_BENCH_OUT and never writes results/bench.
 */
const TRIAL = process.env.UMMKD_BENCH_TRIAL === "1";
const TRIAL_CONFIGS: NetConfig[] = [
  { network: "dilated2d", width: 0.125, size: 32, batch: 2 },
  { network: "unet3d", width: 0.125, size: 32, batch: 2, depth: 8 },
];
/** UMMKD_BENCH_BACKENDS=webgpu,native: only these engines (default: every one that loads). */
const BACKENDS = process.env.UMMKD_BENCH_BACKENDS?.split(",").map((x) => x.trim()).filter(Boolean);
/** UMMKD_BENCH_OUT: the folder for train_step.csv/json (default results/bench; a trial run writes elsewhere). */
const OUT = process.env.UMMKD_BENCH_OUT ? resolve(process.env.UMMKD_BENCH_OUT) : join(ROOT, "results/bench");

export interface Run {
  ms_per_step: number;
  ms_steps: number[];
  params: number;
  threads: number;
  thread_policy?: string;
  backend?: string;
  backendReason?: string;
  torch?: string;
  tensor_leak_per_step?: number;
  /** WebGPU adapter label (webgpu rows only). */
  adapter?: string;
}

export function lastJsonLine(out: string): Run {
  const line = out.trim().split("\n").reverse().find((l) => l.startsWith("{"));
  if (!line) throw new Error(`no JSON line in output:\n${out.slice(-2000)}`);
  return JSON.parse(line) as Run;
}

export function netArgs(c: NetConfig, steps = STEPS, warmup = WARMUP): string[] {
  return ["--network", c.network, ...(c.norm ? ["--norm", c.norm] : []), "--width", String(c.width), "--size", String(c.size), "--batch", String(c.batch), ...(c.depth ? ["--depth", String(c.depth)] : []), "--steps", String(steps), "--warmup", String(warmup)];
}

function runOurs(c: NetConfig, backend: string, threads: number): Run {
  const args = cliNodeArgs("bench", "train-step", ...netArgs(c), "--json");
  const out = execFileSync(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, UMMKD_BACKEND: backend, UMMKD_THREADS: String(threads) },
    stdio: ["ignore", "pipe", "pipe"],
    maxBuffer: 64 << 20,
    timeout: 15 * 60 * 1000,
  }).toString();
  return lastJsonLine(out);
}

export function runTorch(c: NetConfig, threads: number): Run {
  const args = [join(ROOT, "lib/bench/torch_train_step.py"), ...netArgs(c), "--threads", String(threads)];
  return lastJsonLine(execFileSync(PY, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], timeout: 15 * 60 * 1000 }).toString());
}

function nativeAvailable(): string | null {
  try {
    const out = execFileSync(process.execPath, ["--import", "tsx", "-e", 'import("./lib/engine/native/index.ts").then(async m => { const r = await m.loadNative(); console.log(JSON.stringify(r.ok ? {ok:true} : r)); })'], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 120000,
    }).toString();
    const r = JSON.parse(out.trim().split("\n").pop()!) as { ok: boolean; reason?: string };
    return r.ok ? null : (r.reason ?? "not available");
  } catch (e) {
    return `native engine not loadable: ${String((e as Error).message).split("\n")[0]}`;
  }
}

/**
 * The WebGPU adapter's label when the webgpu engine loads (forced, as UMMKD_BACKEND=webgpu does, so
 * on a machine without a GPU this is Mesa llvmpipe: software rendering), else null and why not.
 */
function webgpuAvailable(): { adapter: string } | { whyNot: string } {
  try {
    const out = execFileSync(process.execPath, ["--import", "tsx", "-e", 'import("./lib/engine/index.ts").then(async m => { try { const e = await m.initEngine({ backend: "webgpu" }); console.log(JSON.stringify({ adapter: m.adapterLabel(e.adapter) })); } catch (err) { console.log(JSON.stringify({ whyNot: String(err.message).split("\\n")[0] })); } m.releaseWebgpu(); })'], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 120000,
    }).toString();
    return JSON.parse(out.trim().split("\n").pop()!) as { adapter: string } | { whyNot: string };
  } catch (e) {
    return { whyNot: `webgpu engine not loadable: ${String((e as Error).message).split("\n")[0]}` };
  }
}

const min = (a: number[]) => Math.min(...a);
export const median = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
export const r2 = (x: number) => Math.round(x * 100) / 100;

export async function bench(): Promise<void> {
  const torchOk = existsSync(PY) && (() => {
    try {
      execFileSync(PY, ["-c", "import torch"], { stdio: "ignore" });
      return true;
    } catch {
      return false;
    }
  })();
  const nativeWhyNot = nativeAvailable();
  let configs: Array<{ backend: string; threads: number }> = [{ backend: "wasm", threads: 1 }];
  if (nativeWhyNot === null) configs.push({ backend: "native", threads: 1 }, { backend: "native", threads: 2 });
  else console.log(`[bench train-step] native engine skipped: ${nativeWhyNot}`);
  // WebGPU (issue 29): on a machine without a GPU its adapter is Mesa llvmpipe, a CPU rasteriser;
  // the row says so in its adapter column (and is no GPU number)
  const wg = webgpuAvailable();
  if ("adapter" in wg) configs.push({ backend: "webgpu", threads: 1 });
  else console.log(`[bench train-step] webgpu engine skipped: ${wg.whyNot}`);
  if (BACKENDS) configs = configs.filter((c) => BACKENDS.includes(c.backend));
  if (!torchOk) console.log("[bench train-step] PyTorch peer skipped: /usr/bin/python3 with torch not found (Debian python3-torch)");
  const rows: Record<string, string | number>[] = [];
  const runs: unknown[] = [];
  const git = gitState();
  if (TRIAL && !process.env.UMMKD_BENCH_OUT) throw new Error("UMMKD_BENCH_TRIAL=1 needs UMMKD_BENCH_OUT (a trial never writes results/bench)");
  for (const net of TRIAL ? TRIAL_CONFIGS : CONFIGS) {
    for (const c of configs) {
      if (net.norm && net.norm !== "batch" && (c.backend === "wasm" || c.backend === "webgpu")) continue;
      const load = loadavg()[0]!;
      const label = `${net.network} ${net.norm ?? "batch"} norm W=${net.width} ${net.depth ? `${net.depth}x` : ""}${net.size}x${net.size} B=${net.batch}`;
      // ROUNDS alternations of ours and PyTorch, step times pooled: on a shared machine whose speed
      // drifts over minutes, alternating keeps the two sides under the same conditions
      const oursRuns: Run[] = [], torchRuns: Run[] = [];
      let failed = false;
      for (let r = 0; r < ROUNDS && !failed; r++) {
        console.log(`[bench train-step] ${label}: round ${r + 1}/${ROUNDS}: ours on ${c.backend} @${c.threads} thread(s)${torchOk ? ", then PyTorch" : ""} ...`);
        try {
          oursRuns.push(runOurs(net, c.backend, c.threads));
        } catch (e) {
          console.log(`[bench train-step]   FAILED: ${String((e as Error).message).split("\n").slice(0, 3).join(" | ")}`);
          failed = true;
          break;
        }
        if (torchOk) torchRuns.push(runTorch(net, c.threads));
      }
      if (failed || oursRuns.length === 0) continue;
      const ours = oursRuns[0]!;
      const torch = torchRuns[0];
      const oursSteps = oursRuns.flatMap((x) => x.ms_steps), torchSteps = torchRuns.flatMap((x) => x.ms_steps);
      const oursMed = median(oursSteps), torchMed = torchSteps.length ? median(torchSteps) : NaN;
      const row = {
        network: net.network,
        setting: "ours",
        norm: net.norm ?? "batch",
        width: net.width,
        size: net.depth ? `${net.depth}x${net.size}x${net.size}` : `${net.size}x${net.size}`,
        batch_per_modality: net.batch,
        backend: ours.backend ?? c.backend,
        threads: ours.threads,
        adapter: ours.adapter ?? "",
        ours_ms_median: r2(oursMed),
        ours_ms_min: r2(min(oursSteps)),
        torch_ms_median: torch ? r2(torchMed) : "",
        torch_ms_min: torch ? r2(min(torchSteps)) : "",
        ratio_median: torch ? r2(oursMed / torchMed) : "",
        ratio_min: torch ? r2(min(oursSteps) / min(torchSteps)) : "",
        params_ours: ours.params,
        params_torch: torch ? torch.params : "",
        steps: STEPS,
        warmup: WARMUP,
        rounds: oursRuns.length,
        load_avg_1m: r2(load),
        torch_version: torch?.torch ?? "",
        commit: git.commit ?? "",
        dirty: String(git.dirty),
        created_at: new Date().toISOString(),
      };
      rows.push(row);
      runs.push({ ours: oursRuns, torch: torchRuns });
      console.log(`[bench train-step]   ${row.backend}@${row.threads}: ours ${row.ours_ms_median} ms (min ${row.ours_ms_min}), PyTorch ${row.torch_ms_median} ms (min ${row.torch_ms_min}), ratio ${row.ratio_median} (min-based ${row.ratio_min}) over ${row.rounds} rounds x ${STEPS} steps`);
    }
  }
  if (rows.length === 0) throw new Error("train-step bench: every configuration failed");
  const cols = Object.keys(rows[0]!);
  const csv = [cols.join(","), ...rows.map((r) => cols.map((k) => String(r[k])).join(","))].join("\n") + "\n";
  writeFileAtomic(join(OUT, "train_step.csv"), csv);
  writeJsonAtomic(join(OUT, "train_step.json"), { configs: TRIAL ? TRIAL_CONFIGS : CONFIGS, ...(TRIAL ? { trial: true } : {}), steps: STEPS, warmup: WARMUP, rounds: ROUNDS, rows, runs });
  console.log(`[bench train-step] wrote ${join(OUT, "train_step.csv")} and train_step.json`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  await bench();
}
