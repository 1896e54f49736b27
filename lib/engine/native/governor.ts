/**
 * The native engine's thread governor: with `UMMKD_THREADS` unset (or `auto`), the OpenMP thread
 * count follows the cores that the rest of the machine leaves free (issue 16 item 4).
 *
 * Why: a fork-join kernel on 2 threads waits at every barrier for its slowest thread. When another
 * process holds a core, one of our threads is descheduled for a scheduler slice (milliseconds) at
 * every one of the hundreds of parallel regions of a training step: beside a second training at 2
 * threads the 2D step took 4-32x its quiet time instead of the ~2x of a fair share. One thread per
 * free core never waits at a barrier.
 *
 * How: every {@link GOVERNOR_INTERVAL_MS} (checked on each native kernel call, one clock read), the
 * governor reads the machine's busy CPU time (`/proc/stat`) and this process's own (`/proc/self/stat`,
 * every thread), both in clock ticks; others = (machine busy - own) / elapsed, in cores. Free cores =
 * cores - others. At n threads it steps down when free < n - 0.5 (to max(1, round(free))) and up by
 * one when free >= n + 0.7, so that two auto processes settle at one thread each (each sees the other
 * use one core) and a briefly busy browser does not make it flap.
 *
 * Determinism: the thread count changes the summation order of some oneDNN reductions (~1e-6,
 * test/native/threads.test.ts), so an auto run is reproducible only under the same load. Runs meant
 * to be bit-reproducible (sweeps, committed records, tests) fix `UMMKD_THREADS`; the run record says
 * which policy trained it ({@link ThreadGovernor.describe}).
 *
 * Not Linux (no /proc): the governor stays at its maximum.
 */
import { readFileSync } from "node:fs";

/** Minimum time between two load samples. */
export const GOVERNOR_INTERVAL_MS = 500;

/** One sample: the machine's busy and this process's CPU time, in clock ticks, and the wall time (ms). */
export interface CpuSample {
  machineBusy: number;
  own: number;
  wallMs: number;
}

/** Clock ticks per second of /proc's counters (USER_HZ: 100 on every Linux ABI in use). */
export const CLK_TCK = 100;

/**
 * Busy ticks of all CPUs from /proc/stat's first line ("cpu user nice system idle iowait irq softirq
 * steal guest guest_nice"): everything but idle and iowait (guest time is already in user).
 */
export function parseProcStat(text: string): number {
  const line = text.split("\n").find((l) => l.startsWith("cpu "));
  if (!line) throw new Error("/proc/stat: no aggregate 'cpu' line");
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  if (f.length < 4 || f.some((x) => !Number.isFinite(x))) throw new Error(`/proc/stat: unreadable 'cpu' line: ${line}`);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = f;
  return user + nice + system + irq + softirq + steal;
}

/** utime + stime (ticks, every thread) from /proc/self/stat; fields are counted after the ")" closing the command name. */
export function parseSelfStat(text: string): number {
  const rest = text.slice(text.lastIndexOf(")") + 2).trim().split(/\s+/);
  // rest[0] is field 3 (state); utime and stime are fields 14 and 15
  const utime = Number(rest[11]), stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error("/proc/self/stat: unreadable utime/stime");
  return utime + stime;
}

/** Reads a sample from /proc; undefined where /proc is not there (not Linux). */
export function procSample(): CpuSample | undefined {
  try {
    return { machineBusy: parseProcStat(readFileSync("/proc/stat", "utf8")), own: parseSelfStat(readFileSync("/proc/self/stat", "utf8")), wallMs: performance.now() };
  } catch {
    return undefined;
  }
}

/** Cores the rest of the machine used between two samples (>= 0). */
export function othersCores(a: CpuSample, b: CpuSample): number {
  const dtS = (b.wallMs - a.wallMs) / 1000;
  if (dtS <= 0) return 0;
  return Math.max(0, (b.machineBusy - a.machineBusy - (b.own - a.own)) / CLK_TCK / dtS);
}

/**
 * The thread count after a sample: `n` now, `max` the most allowed, `free` = cores - others.
 * Down when free < n - 0.5 (to max(1, round(free))); up by one when free >= n + 0.7.
 */
export function nextThreads(n: number, max: number, free: number): number {
  if (free < n - 0.5) return Math.max(1, Math.min(max, Math.round(free)));
  if (n < max && free >= n + 0.7) return n + 1;
  return n;
}

/** Adapts the OpenMP thread count of the native engine to the load (see the module comment). */
export class ThreadGovernor {
  private last: CpuSample | undefined;
  private n: number;
  private since: number;
  private readonly msAt = new Map<number, number>();
  private switches = 0;

  /** @param max the most threads, and the cores whose free share it follows (every core) */
  constructor(
    readonly max: number,
    private readonly apply: (n: number) => void,
    private readonly sample: () => CpuSample | undefined = procSample,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.n = max;
    this.since = now();
    this.last = sample();
    apply(max);
  }

  /** Current thread count. */
  get threads(): number {
    return this.n;
  }

  /** Called before every native kernel: samples the load at most every GOVERNOR_INTERVAL_MS. */
  tick(): void {
    if (!this.last || this.now() - this.last.wallMs < GOVERNOR_INTERVAL_MS) return;
    const s = this.sample();
    if (!s) return;
    const free = this.max - othersCores(this.last, s);
    this.last = s;
    const next = nextThreads(this.n, this.max, free);
    if (next !== this.n) {
      const t = this.now();
      this.msAt.set(this.n, (this.msAt.get(this.n) ?? 0) + t - this.since);
      this.since = t;
      this.n = next;
      this.switches++;
      this.apply(next);
    }
  }

  /** Share of wall time spent at each thread count so far, e.g. { 1: 0.25, 2: 0.75 }. */
  shares(): Record<number, number> {
    const ms = new Map(this.msAt);
    ms.set(this.n, (ms.get(this.n) ?? 0) + this.now() - this.since);
    const total = [...ms.values()].reduce((a, b) => a + b, 0) || 1;
    return Object.fromEntries([...ms.entries()].sort((a, b) => a[0] - b[0]).map(([k, v]) => [k, Math.round((v / total) * 1000) / 1000]));
  }

  /** For provenance: "auto 1-2 threads by load (2 threads 75% of the time, 1 thread 25%; 3 switches)". */
  describe(): string {
    const parts = Object.entries(this.shares())
      .sort((a, b) => Number(b[0]) - Number(a[0]))
      .map(([k, v]) => `${k} thread${k === "1" ? "" : "s"} ${Math.round(v * 100)}%`);
    return `auto 1-${this.max} threads by load (${parts.join(", ")} of the time; ${this.switches} switch${this.switches === 1 ? "" : "es"})`;
  }
}
