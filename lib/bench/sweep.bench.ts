/**
 * Local sweep throughput: the Table I grid (7 runs) through `ummkd sweep --executor local` with
 * `--jobs 1 --threads 2` (one run at a time on both cores) vs `--jobs 2 --threads 1` (two 1-thread
 * runs side by side), each from an empty run store, cache and training folder; runs per hour =
 * 7 / wall time. The native engine gains little from a second thread on these small networks, so
 * the second should approach twice the first. The load average at the start of each side is
 * recorded: numbers from a busy machine are not comparable.
 *
 * `UMMKD_BENCH_SWEEP_PROFILE` (default `cpu`; `smoke` checks the bench itself), `UMMKD_BENCH_SWEEP_ARGS`
 * (extra sweep flags, e.g. `--settings individual,ours`), `UMMKD_BENCH_OUT` (default results/bench).
 * Writes <out>/sweep_throughput.csv (other profiles: sweep_throughput_<profile>.csv) atomically. Run: `npx tsx lib/bench/sweep.bench.ts`
 * (or `UMMKD_BENCH_ONLY=sweep npm run bench`).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { writeFileAtomic } from "../util/atomic.ts";
import { cliNodeArgs } from "../util/node-flags.ts";
import { REPO_ROOT as ROOT } from "../util/repo-root.ts";

const NOTEBOOK = "table1_cardiac";

const extraArgs = () => (process.env.UMMKD_BENCH_SWEEP_ARGS ?? "").split(/\s+/).filter(Boolean);

/** One side: a fresh sweep with `jobs` x `threads`; returns its wall time and number of runs. */
function side(profile: string, jobs: number, threads: number): { runs: number; wallS: number; load1: number } {
  const tmp = mkdtempSync(join(tmpdir(), "ummkd-sweep-bench-"));
  try {
    const env = { ...process.env, UMMKD_RUN_STORE: join(tmp, "store"), UMMKD_CACHE: join(tmp, "cache"), UMMKD_TRAIN_DIR: join(tmp, "train"), UMMKD_SWEEP_DIR: join(tmp, "sweeps") };
    const load1 = loadavg()[0]!;
    const t0 = performance.now();
    const r = spawnSync(process.execPath, cliNodeArgs("sweep", "--notebook", NOTEBOOK, "--profile", profile, "--jobs", String(jobs), "--threads", String(threads), ...extraArgs()), { cwd: ROOT, env, encoding: "utf8" });
    const wallS = (performance.now() - t0) / 1000;
    if (r.status !== 0) throw new Error(`sweep bench: --jobs ${jobs} --threads ${threads} failed (exit ${r.status}):\n${(r.stderr + r.stdout).slice(-2000)}`);
    const m = /(\d+) plans, 0 already stored, (\d+) run now, 0 failed/.exec(r.stdout);
    if (!m || m[1] !== m[2]) throw new Error(`sweep bench: expected every plan trained from empty folders, got: ${r.stdout.trim().split("\n").at(-1)}`);
    return { runs: Number(m[2]), wallS, load1 };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Runs both sides, writes results/bench/sweep_throughput.csv, returns the rows. */
export async function bench(): Promise<Record<string, string | number>[]> {
  const profile = process.env.UMMKD_BENCH_SWEEP_PROFILE ?? "cpu";
  const rows: Record<string, string | number>[] = [];
  for (const [jobs, threads] of [[1, 2], [2, 1]] as const) {
    const s = side(profile, jobs, threads);
    rows.push({
      date: new Date().toISOString(), cpu: JSON.stringify(cpus()[0]?.model ?? "?"), cores: availableParallelism(), notebook: NOTEBOOK, profile, args: JSON.stringify(extraArgs().join(" ")),
      jobs, threads_per_job: threads, runs: s.runs, wall_s: s.wallS.toFixed(1), runs_per_hour: ((3600 * s.runs) / s.wallS).toFixed(2), load1_at_start: s.load1.toFixed(2),
    });
    console.log(`sweep bench ${profile} ${NOTEBOOK}: --jobs ${jobs} --threads ${threads}: ${s.runs} runs in ${s.wallS.toFixed(1)} s = ${rows.at(-1)!.runs_per_hour} runs/h (load ${s.load1.toFixed(2)} at start)`);
  }
  const csv = `${Object.keys(rows[0]!).join(",")}\n${rows.map((r) => Object.values(r).join(",")).join("\n")}\n`;
  writeFileAtomic(join(process.env.UMMKD_BENCH_OUT ?? join(ROOT, "results", "bench"), profile === "cpu" ? "sweep_throughput.csv" : `sweep_throughput_${profile}.csv`), csv);
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  bench().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
