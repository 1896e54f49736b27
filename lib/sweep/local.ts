/**
 * The local executor: a sweep's pending plans as parallel child processes on this machine, at most
 * `jobs` at a time, each `ummkd sweep task --dir <sweep> --index <i>` with `UMMKD_THREADS =
 * threads` (default: cores / jobs). The native engine scales poorly from 1 to 2 threads on small
 * networks, so two 1-thread runs side by side do more runs per hour than one 2-thread run.
 *
 * One progress view for all jobs: each running plan's step (read from its training log,
 * `<train>/<hash>/log.jsonl`), and a line per finished or failed task; in a terminal the view is
 * redrawn in place. Each task's output goes to `logs/task-<i>.log` in the sweep folder.
 */
import { spawn } from "node:child_process";
import { closeSync, createWriteStream, existsSync, mkdirSync, openSync, readSync, statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { REPO_ROOT } from "../util/repo-root.ts";
import { trainDir } from "../experiment/runner.ts";
import { OptionError } from "../util/errors.ts";
import { pendingEntries, readManifest, taskLogPath, useSweepDirs, type SweepEntry } from "./manifest.ts";
import { cliNodeArgs } from "../util/node-flags.ts";

/** The last `bytes` bytes of a file as text ("" when absent). */
export function readTail(path: string, bytes = 4096): string {
  if (!existsSync(path)) return "";
  const size = statSync(path).size;
  const n = Math.min(size, bytes);
  const buf = Buffer.alloc(n);
  const fd = openSync(path, "r");
  try {
    readSync(fd, buf, 0, n, size - n);
  } finally {
    closeSync(fd);
  }
  return buf.toString("utf8");
}

/** The last `n` non-empty lines of a file. */
export function lastLines(path: string, n: number): string[] {
  return readTail(path, 16384).split(/\r?\n|\r/).filter((l) => l.trim()).slice(-n);
}

/** The latest step in a run's training log (0 when it has not logged yet). */
export function loggedStep(hash: string): number {
  const lines = readTail(join(trainDir(hash), "log.jsonl")).split("\n").filter(Boolean).reverse();
  for (const l of lines) {
    try {
      const r = JSON.parse(l) as { step?: number };
      if (typeof r.step === "number") return r.step;
    } catch {
      /* a partial first line of the tail */
    }
  }
  return 0;
}

export interface LocalSweepOptions {
  /** Parallel jobs (default: the number of cores). */
  jobs?: number;
  /** UMMKD_THREADS of each job (default: max(1, floor(cores / jobs))). */
  threads?: number;
  /** Where progress goes (default: stderr; redrawn in place when it is a TTY). */
  out?: NodeJS.WriteStream;
  /** Redraw/print interval in ms (default 1000 in a TTY, 30000 otherwise). */
  intervalMs?: number;
}

export interface LocalSweepResult {
  total: number;
  /** Plans already stored before this run (skipped). */
  skipped: number;
  trained: number;
  failed: { entry: SweepEntry; code: number | null; log: string }[];
  wallS: number;
}

/** Jobs and threads per job for `cores` cores (threads = cores / jobs, at least 1). */
export function localParallelism(o: { jobs?: number; threads?: number }, cores = availableParallelism()): { jobs: number; threads: number } {
  const jobs = o.jobs ?? cores;
  if (!Number.isInteger(jobs) || jobs < 1) throw new OptionError("--jobs", jobs, "a positive integer");
  const threads = o.threads ?? Math.max(1, Math.floor(cores / jobs));
  if (!Number.isInteger(threads) || threads < 1) throw new OptionError("--threads", threads, "a positive integer");
  return { jobs, threads };
}

/**
 * Run every pending plan of the sweep in `dir` as child processes.
 * @returns counts and the failed tasks (with their log files)
 */
export async function runLocalSweep(dir: string, o: LocalSweepOptions = {}): Promise<LocalSweepResult> {
  const m = readManifest(dir);
  useSweepDirs(m);
  const { jobs, threads } = localParallelism(o);
  const pending = pendingEntries(m);
  const out = o.out ?? process.stderr;
  const tty = !!out.isTTY;
  const t0 = Date.now();
  const queue = [...pending];
  const running = new Map<number, { entry: SweepEntry; started: number }>();
  const result: LocalSweepResult = { total: m.plans.length, skipped: m.plans.length - pending.length, trained: 0, failed: [], wallS: 0 };
  let drawn = 0;
  const say = (line: string) => {
    if (tty && drawn > 0) out.write(`\x1b[${drawn}A\x1b[J`);
    drawn = 0;
    out.write(line + "\n");
  };
  const view = () => {
    const done = result.skipped + result.trained;
    const head = `[sweep] ${m.id}: ${done}/${m.plans.length} stored, ${running.size} running, ${queue.length} queued, ${result.failed.length} failed (${jobs} jobs x ${threads} threads, ${((Date.now() - t0) / 1000).toFixed(0)} s)`;
    const rows = [...running.values()].map(({ entry, started }) => `  task ${entry.index} ${entry.label}: step ${loggedStep(entry.hash)}/${entry.plan.train.steps} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
    if (tty) {
      if (drawn > 0) out.write(`\x1b[${drawn}A\x1b[J`);
      const lines = [head, ...rows];
      out.write(lines.join("\n") + "\n");
      drawn = lines.length;
    } else out.write([head, ...rows].join("\n") + "\n");
  };
  say(`[sweep] ${m.id}: ${m.plans.length} plans, ${result.skipped} already stored, ${pending.length} to train with ${jobs} jobs x ${threads} threads`);
  const timer = pending.length > 0 ? setInterval(view, o.intervalMs ?? (tty ? 1000 : 30000)) : undefined;
  const startOne = (entry: SweepEntry): Promise<void> =>
    new Promise((resolveTask) => {
      const log = taskLogPath(dir, entry.index);
      mkdirSync(dirname(log), { recursive: true });
      const sink = createWriteStream(log, { flags: "a" });
      const child = spawn(process.execPath, cliNodeArgs("sweep", "task", "--dir", dir, "--index", String(entry.index)), {
        cwd: REPO_ROOT,
        env: { ...process.env, UMMKD_THREADS: String(threads), UMMKD_IN_PROCESS: "1" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      running.set(entry.index, { entry, started: Date.now() });
      say(`[sweep] task ${entry.index} started: ${entry.label} (${entry.hash}), pid ${child.pid}`);
      child.stdout.pipe(sink, { end: false });
      child.stderr.pipe(sink, { end: false });
      const finish = (code: number | null, why?: string) => {
        running.delete(entry.index);
        sink.end(() => {
          if (code === 0) {
            result.trained++;
            say(`[sweep] task ${entry.index} done: ${entry.label} (${entry.hash})`);
          } else {
            result.failed.push({ entry, code, log });
            say(`[sweep] task ${entry.index} FAILED (${why ?? `exit ${code}`}): ${entry.label} (${entry.hash}); log ${log}:\n${lastLines(log, 5).map((l) => "    " + l).join("\n")}`);
          }
          resolveTask();
        });
      };
      child.on("error", (e) => finish(null, e.message));
      child.on("close", (code, signal) => finish(code, signal ? `killed by ${signal}` : undefined));
    });
  const worker = async () => {
    for (let e = queue.shift(); e; e = queue.shift()) await startOne(e);
  };
  try {
    await Promise.all(Array.from({ length: Math.min(jobs, pending.length) }, worker));
  } finally {
    if (timer) clearInterval(timer);
  }
  result.wallS = (Date.now() - t0) / 1000;
  say(`[sweep] ${m.id}: ${result.trained} trained, ${result.skipped} already stored, ${result.failed.length} failed in ${result.wallS.toFixed(1)} s`);
  return result;
}
