/**
 * Advisory lock files, so two processes working on the same run (same checkpoint folder, same
 * cache entry) take turns instead of both doing the work. The lock file is created exclusively
 * (`O_EXCL`) and holds `{pid, hostname, startedAt, token}` (plus, on Linux, the holder's start
 * time). A lock on this host is stale, and taken over, when its holder
 * - is gone (pid not running), or the pid now belongs to another process (other start time);
 * - is this very process but the lock is not among those it holds (left by an earlier, failed
 *   call, e.g. a notebook cell), so a process never waits on itself;
 * - is a tslab notebook kernel that did not mark the lock as its own training (`kernelTraining`):
 *   kernels train in a child process (lib/notebooks/subprocess.ts), so such a lock is left over
 *   from a stopped cell and the kernel is idle (issue 25: a second kernel waited 12 minutes on one).
 * A waiter polls until the lock is free or its timeout passes (LockTimeoutError naming the lock
 * file and the holder); within one process, concurrent callers of the same lock take turns.
 *
 * @example
 * const lock = await acquireLock(join(runDir, "run.lock"), { onWait: (h) => console.error(`waiting for ${h}`) });
 * try { ... } finally { lock.release(); }
 */
import { closeSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { dirname } from "node:path";
import { LockTimeoutError, withPath } from "./errors.ts";
import { pidAlive } from "./atomic.ts";
import { isTslabKernelArgv, processArgv, processStartTime } from "./process-info.ts";

/** Contents of a lock file. */
export interface LockInfo {
  pid: number;
  hostname: string;
  /** ISO time the holder took the lock. */
  startedAt: string;
  /** Random per acquisition: `release` removes the file only if it is still ours. */
  token: string;
  /** The holder's start time (/proc/<pid>/stat), so that a reused pid is not taken for the holder. */
  procStart?: string;
  /** Set when the holder is a notebook kernel training in its own process (UMMKD_IN_PROCESS=1). */
  kernelTraining?: boolean;
}

/** Tokens of the locks this process holds, by path (one map per process, even where this module is loaded twice, as in a tslab kernel: CommonJS and ESM copies). */
const held: Map<string, string> = ((globalThis as Record<symbol, unknown>)[Symbol.for("ummkd.heldLocks")] ??= new Map<string, string>()) as Map<string, string>;

/**
 * A training child of a notebook kernel (UMMKD_CHILD_OF_KERNEL=1, lib/notebooks/subprocess.ts)
 * removes the locks it holds when it is interrupted (SIGINT: Kernel > Interrupt) or terminated,
 * then exits (130 / 143), so that no lock is left even when the kernel that would clean up is gone.
 */
function releaseOnSignal(): void {
  const g = globalThis as Record<symbol, unknown>;
  if (process.env.UMMKD_CHILD_OF_KERNEL !== "1" || g[Symbol.for("ummkd.lockSignals")]) return;
  g[Symbol.for("ummkd.lockSignals")] = true;
  for (const [sig, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
    process.on(sig, () => {
      for (const [path, token] of held) if (readLock(path)?.token === token) rmSync(path, { force: true });
      process.exit(code);
    });
  }
}

export interface LockOptions {
  /** Give up after this many ms (default: wait forever). 0 = try once. */
  timeoutMs?: number;
  /** Poll interval in ms (default 200). */
  pollMs?: number;
  /** Called once when the lock is busy and we start waiting, with a description of the holder. */
  onWait?: (holder: string, info: LockInfo | undefined) => void;
  /** A lock file that cannot be parsed and is older than this is stale (default 10 s: a holder
   * writes its JSON right after creating the file, so only a crash in between leaves it empty). */
  unreadableStaleMs?: number;
}

/** A held lock. */
export interface Lock {
  readonly path: string;
  readonly info: LockInfo;
  /** Remove the lock file if it is still ours (idempotent). */
  release(): void;
}

/** Read a lock file; undefined when absent or unparsable. */
export function readLock(path: string): LockInfo | undefined {
  try {
    const j = JSON.parse(readFileSync(path, "utf8")) as LockInfo;
    return typeof j.pid === "number" && typeof j.hostname === "string" ? j : undefined;
  } catch {
    return undefined;
  }
}

function describe(info: LockInfo | undefined): string {
  return info ? `pid ${info.pid} on ${info.hostname} since ${info.startedAt}` : "an unknown process (unreadable lock file)";
}

/** Stale = on this host, held by a dead process, a reused pid, this process (not holding it) or an idle kernel; or unreadable and old. */
export function isStale(path: string, info: LockInfo | undefined, unreadableStaleMs = 10_000): boolean {
  if (info) {
    if (info.hostname !== hostname()) return false;
    if (info.pid === process.pid) return held.get(path) !== info.token;
    if (!pidAlive(info.pid)) return true;
    const start = processStartTime(info.pid);
    if (info.procStart && start && start !== info.procStart) return true;
    const argv = processArgv(info.pid);
    return !info.kernelTraining && argv !== undefined && isTslabKernelArgv(argv);
  }
  try {
    return Date.now() - statSync(path).mtimeMs > unreadableStaleMs;
  } catch {
    return false; // gone already
  }
}

function tryCreate(path: string, info: LockInfo): boolean {
  let fd: number;
  try {
    fd = openSync(path, "wx");
  } catch (e) {
    if ((e as { code?: string }).code === "EEXIST") return false;
    throw e;
  }
  try {
    writeSync(fd, JSON.stringify(info) + "\n");
  } catch (e) {
    throw withPath(e, path); // ENOSPC on the descriptor carries no path
  } finally {
    closeSync(fd);
  }
  return true;
}

/**
 * Take the lock at `path`, waiting while a live process holds it; a stale lock is removed first.
 * @throws LockTimeoutError when `timeoutMs` passes while the lock is still held
 */
export async function acquireLock(path: string, opts: LockOptions = {}): Promise<Lock> {
  const poll = opts.pollMs ?? 200;
  const staleMs = opts.unreadableStaleMs ?? 10_000;
  const t0 = Date.now();
  const procStart = processStartTime(process.pid);
  const info: LockInfo = {
    pid: process.pid, hostname: hostname(), startedAt: new Date().toISOString(), token: randomBytes(8).toString("hex"),
    ...(procStart ? { procStart } : {}), ...(isTslabKernelArgv(process.argv) ? { kernelTraining: true } : {}),
  };
  mkdirSync(dirname(path), { recursive: true });
  let announced = false;
  for (;;) {
    info.startedAt = new Date().toISOString();
    if (tryCreate(path, info)) break;
    const holder = readLock(path);
    if (isStale(path, holder, staleMs)) {
      // Move it aside under a unique name (only one of several waiters wins the rename), then retry.
      const aside = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.stale`;
      try {
        renameSync(path, aside);
        // Another waiter may have taken over between our read and our rename: if what we moved is
        // not the stale lock we judged, put it back (link fails if a third one was created meanwhile).
        const moved = readLock(aside);
        if (moved && moved.token !== holder?.token) {
          try {
            linkSync(aside, path);
          } catch {
            /* a newer lock exists; ours is retried below */
          }
        }
        rmSync(aside, { force: true });
      } catch {
        /* another waiter took it over first */
      }
      continue;
    }
    const waited = Date.now() - t0;
    if (opts.timeoutMs !== undefined && waited >= opts.timeoutMs) throw new LockTimeoutError(path, describe(holder), waited / 1000);
    if (!announced) {
      announced = true;
      opts.onWait?.(describe(holder), holder);
    }
    await new Promise((r) => setTimeout(r, opts.timeoutMs === undefined ? poll : Math.min(poll, Math.max(1, opts.timeoutMs - waited))));
  }
  let released = false;
  held.set(path, info.token);
  releaseOnSignal();
  return {
    path,
    info: { ...info },
    release() {
      if (released) return;
      released = true;
      if (held.get(path) === info.token) held.delete(path);
      if (readLock(path)?.token === info.token) rmSync(path, { force: true });
    },
  };
}

/** Run `fn` while holding the lock at `path` (released afterwards, also on error). */
export async function withLock<T>(path: string, fn: () => Promise<T> | T, opts: LockOptions = {}): Promise<T> {
  const lock = await acquireLock(path, opts);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}
