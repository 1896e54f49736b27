/**
 * Training progress display, one helper for every place a run happens:
 * - inside a tslab Jupyter kernel: one output updated in place (`tslab.newDisplay()`);
 * - in a terminal (stderr is a TTY): a cli-progress bar with step, losses and ETA;
 * - otherwise (CI, pipes, logs): a plain line at most every `throttleMs` and at the end.
 * Detection never loads tslab: it only looks for an already-running tslab kernel in the module cache.
 */
import { createRequire } from "node:module";
import cliProgress from "cli-progress";
import type { TrainProgress } from "./types.ts";

export type ProgressMode = "auto" | "notebook" | "tty" | "log" | "none";

export interface ProgressReporter {
  readonly mode: Exclude<ProgressMode, "auto">;
  update(p: TrainProgress): void;
  /** A line said once, e.g. "resuming at step 607 of 1500" (reporters without it drop it). */
  note?(message: string): void;
  /** Final line / bar stop. */
  done(message?: string): void;
}

export interface ProgressOptions {
  mode?: ProgressMode;
  /** Minimum milliseconds between log lines in "log" mode (default 10 s) and notebook updates (250 ms). */
  throttleMs?: number;
  /** Prefix (e.g. the setting name). */
  label?: string;
  /** Appended to each progress line, e.g. "run 2 of 7, all runs ETA 12m30s" (lib/experiment/runner.ts). */
  suffix?: (p: TrainProgress) => string;
  /** Where "log" lines go (default: process.stderr). */
  write?: (line: string) => void;
}

const require = createRequire(import.meta.url);

interface TslabDisplay {
  text(s: string): void;
}

/** The tslab public module if this process is a running tslab kernel, else undefined. */
function tslabKernel(): { newDisplay(): TslabDisplay } | undefined {
  try {
    const cache = require.cache as Record<string, { exports: Record<string, unknown> } | undefined>;
    for (const [path, mod] of Object.entries(cache)) {
      if (!/[\\/]tslab[\\/]dist[\\/]jupyter\.js$/.test(path)) continue;
      if (mod?.exports?.lastWriteDisplayData == null) continue;
      const pub = require(path.replace(/jupyter\.js$/, "public.js")) as { newDisplay?: () => TslabDisplay };
      if (typeof pub.newDisplay === "function") return pub as { newDisplay(): TslabDisplay };
    }
  } catch {
    /* not in a kernel */
  }
  return undefined;
}

/** Which mode "auto" resolves to in this process. */
export function detectProgressMode(): Exclude<ProgressMode, "auto"> {
  if (tslabKernel()) return "notebook";
  if (process.stderr.isTTY) return "tty";
  return "log";
}

export function fmtDuration(s: number): string {
  if (!Number.isFinite(s)) return "?";
  s = Math.max(0, Math.round(s));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, "0")}m` : m > 0 ? `${m}m${String(sec).padStart(2, "0")}s` : `${sec}s`;
}

function fmt(x: number): string {
  return Number.isFinite(x) ? (Math.abs(x) >= 0.01 || x === 0 ? x.toFixed(4) : x.toExponential(2)) : String(x);
}

const formatLine = (p: TrainProgress, label: string) => formatProgress(p, label);

/** One human line: step, losses, lr, elapsed, ETA, last validation. */
export function formatProgress(p: TrainProgress, label = ""): string {
  const pct = ((100 * p.step) / p.totalSteps).toFixed(1);
  const l = p.losses;
  let s = `${label ? label + " " : ""}step ${p.step}/${p.totalSteps} (${pct}%) loss ${fmt(l.total)} seg ct ${fmt(l.segCt)} mri ${fmt(l.segMri)} kd ${fmt(l.kd)} lr ${p.lr.toExponential(2)} | ${fmtDuration(p.elapsedS)} elapsed, ETA ${fmtDuration(p.etaS)}`;
  if (p.lastVal) s += ` | val@${p.lastVal.step} dice ct ${p.lastVal.diceCt.toFixed(3)} mri ${p.lastVal.diceMri.toFixed(3)} kd ${fmt(p.lastVal.kd)}`;
  return s;
}

/** Create the progress reporter for this environment (or the forced `mode`). */
export function createProgress(opts: ProgressOptions = {}): ProgressReporter {
  const mode = !opts.mode || opts.mode === "auto" ? detectProgressMode() : opts.mode;
  const label = opts.label ?? "";
  const suffix = opts.suffix;
  const formatProgress = (p: TrainProgress, l: string) => formatLine(p, l) + (suffix ? ` | ${suffix(p)}` : "");
  if (mode === "none") return { mode, update() {}, done() {} };
  if (mode === "notebook") {
    const kernel = tslabKernel();
    const display = kernel?.newDisplay();
    const throttle = opts.throttleMs ?? 250;
    let last = 0;
    let lastLine = "";
    return {
      mode,
      update(p) {
        lastLine = formatProgress(p, label);
        const now = Date.now();
        if (now - last >= throttle || p.step === p.totalSteps) {
          last = now;
          display?.text(lastLine);
        }
      },
      note(message) {
        lastLine = lastLine ? `${message}\n${lastLine}` : message;
        display?.text(lastLine);
      },
      done(message) {
        display?.text(message ? `${lastLine}\n${message}` : lastLine);
      },
    };
  }
  if (mode === "tty") {
    const bar = new cliProgress.SingleBar(
      { format: `${label ? label + " " : ""}{bar} {value}/{total} | loss {loss} kd {kd} | lr {lr} | ETA {etaS}{val}`, stream: process.stderr, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      mode,
      update(p) {
        const payload = {
          loss: fmt(p.losses.total),
          kd: fmt(p.losses.kd),
          lr: p.lr.toExponential(2),
          etaS: fmtDuration(p.etaS),
          val: p.lastVal ? ` | val pooled dice ct ${p.lastVal.diceCt.toFixed(3)} mri ${p.lastVal.diceMri.toFixed(3)}` : "",
        };
        if (!started) {
          bar.start(p.totalSteps, p.step, payload);
          started = true;
        } else bar.update(p.step, payload);
      },
      note(message) {
        if (started) bar.stop();
        started = false;
        process.stderr.write(message + "\n");
      },
      done(message) {
        if (started) bar.stop();
        if (message) process.stderr.write(message + "\n");
      },
    };
  }
  const write = opts.write ?? ((line: string) => process.stderr.write(line + "\n"));
  const throttle = opts.throttleMs ?? 10_000;
  let last = -Infinity;
  let pending: TrainProgress | undefined;
  return {
    mode,
    update(p) {
      const now = Date.now();
      if (now - last >= throttle || p.step === p.totalSteps) {
        last = now;
        pending = undefined;
        write(formatProgress(p, label));
      } else pending = p;
    },
    note(message) {
      write(`${label ? label + " " : ""}${message}`);
    },
    done(message) {
      if (pending) write(formatProgress(pending, label));
      pending = undefined;
      if (message) write(message);
    },
  };
}
