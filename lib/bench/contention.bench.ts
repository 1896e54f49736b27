/**
 * Contention benchmark (issue 16 item 4, `npm run bench`): the 2D training step of the engine bench
 * (dilated2d, setting Ours, batch norm, W=0.25, 64x64, 8 per modality) on the native engine, quiet
 * and beside a competitor, under two thread policies:
 * - `auto` (the default: UMMKD_THREADS unset; the governor follows the free cores,
 *   lib/engine/native/governor.ts);
 * - `fixed` (UMMKD_THREADS = every core: the default before the governor).
 * Competitors: a second training step loop of ours under the same policy (two notebooks at once),
 * and one CPU-bound process (a busy loop: a browser tab, an IDE indexing). Reported per row: the
 * step's median and minimum time, the ratio to the quiet median of the same policy, and the thread
 * policy the measured process reports (for auto: the counts it used and for how long).
 *
 * Writes results/bench/train_step_contention.csv atomically (`UMMKD_BENCH_OUT` overrides the folder).
 * Run: `npx tsx lib/bench/contention.bench.ts` (or `UMMKD_BENCH_ONLY=contention npm run bench`).
 * Environment: UMMKD_BENCH_CONTENTION_STEPS (default 10), UMMKD_BENCH_WARMUP (default 2).
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { availableParallelism, cpus, loadavg } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { writeFileAtomic } from "../util/atomic.ts";
import { gitState } from "../util/provenance.ts";
import { lastJsonLine, median, netArgs, r2, type NetConfig, type Run } from "./train-step.bench.ts";
import { cliNodeArgs } from "../util/node-flags.ts";
import { REPO_ROOT as ROOT } from "../util/repo-root.ts";

const NET: NetConfig = { network: "dilated2d", width: 0.25, size: 64, batch: 8 };
const STEPS = Number(process.env.UMMKD_BENCH_CONTENTION_STEPS ?? 10);
const WARMUP = Number(process.env.UMMKD_BENCH_WARMUP ?? 2);

type Policy = "auto" | "fixed";
type Competitor = "none" | "ummkd-training" | "cpu-busy-loop";

function policyEnv(p: Policy): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, UMMKD_BACKEND: "native" };
  if (p === "auto") env.UMMKD_THREADS = "auto";
  else env.UMMKD_THREADS = String(availableParallelism());
  return env;
}

function stepArgs(steps: number, warmup: number): string[] {
  return cliNodeArgs("bench", "train-step", ...netArgs(NET, steps, warmup), "--json");
}

/** Starts a competitor and resolves once it is busy (our loop: after its first step's log line). */
async function startCompetitor(c: Competitor, p: Policy): Promise<ChildProcess | undefined> {
  if (c === "none") return undefined;
  if (c === "cpu-busy-loop") {
    const child = spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" });
    await new Promise((r) => setTimeout(r, 1000));
    return child;
  }
  // a long step loop of ours under the same policy, warm (network built, kernels compiled)
  const child = spawn(process.execPath, stepArgs(100000, 1), { cwd: ROOT, env: policyEnv(p), stdio: ["ignore", "ignore", "pipe"] });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, 60_000);
    child.stderr!.on("data", (d: Buffer) => {
      if (d.toString().includes("engine:")) {
        clearTimeout(t);
        setTimeout(resolve, 5000); // network built and a few steps run
      }
    });
    child.on("exit", (code) => reject(new Error(`contention bench: competitor exited early (${code})`)));
  });
  return child;
}

function measure(p: Policy): Run {
  const out = execFileSync(process.execPath, stepArgs(STEPS, WARMUP), { cwd: ROOT, env: policyEnv(p), stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20, timeout: 20 * 60 * 1000 }).toString();
  return lastJsonLine(out);
}

export async function bench(): Promise<Record<string, string | number>[]> {
  const git = gitState();
  const rows: Record<string, string | number>[] = [];
  const quiet = new Map<Policy, number>();
  for (const p of ["auto", "fixed"] as const) {
    for (const c of ["none", "ummkd-training", "cpu-busy-loop"] as const) {
      const load = loadavg()[0]!;
      const child = await startCompetitor(c, p);
      let run: Run;
      try {
        run = measure(p);
      } finally {
        child?.kill("SIGKILL");
      }
      const med = median(run.ms_steps);
      if (c === "none") quiet.set(p, med);
      rows.push({
        network: NET.network, norm: "batch", width: NET.width, size: `${NET.size}x${NET.size}`, batch_per_modality: NET.batch,
        policy: p, competitor: c, ms_median: r2(med), ms_min: r2(Math.min(...run.ms_steps)), ratio_to_quiet: r2(med / quiet.get(p)!),
        thread_policy: JSON.stringify(run.thread_policy ?? ""), steps: STEPS, warmup: WARMUP, cores: availableParallelism(), cpu: JSON.stringify(cpus()[0]?.model ?? "?"),
        load_avg_1m_at_start: r2(load), commit: git.commit ?? "", dirty: String(git.dirty), created_at: new Date().toISOString(),
      });
      console.log(`[bench contention] ${p} threads, competitor ${c}: ${r2(med)} ms/step (min ${r2(Math.min(...run.ms_steps))}), ${r2(med / quiet.get(p)!)}x quiet; ${run.thread_policy}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  const cols = Object.keys(rows[0]!);
  writeFileAtomic(join(process.env.UMMKD_BENCH_OUT ?? join(ROOT, "results", "bench"), "train_step_contention.csv"), [cols.join(","), ...rows.map((r) => cols.map((k) => String(r[k])).join(","))].join("\n") + "\n");
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  bench().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
