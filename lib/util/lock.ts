/**
 * Advisory lock files, so two processes working on the same run (same checkpoint folder, same
 * cache entry) take turns instead of both doing the work. The lock file is created exclusively
 * (`O_EXCL`) and holds `{pid, hostname, startedAt, token}`; a lock whose holder process is gone
 * (same host, pid not running) is stale and taken over. A waiter polls until the lock is free or
 * its timeout passes (LockTimeoutError naming the lock file and the holder).
 *
 * @example
 * const lock = await acquireLock(join(runDir, "run.lock"), { onWait: (h) => console.error(`waiting for ${h}`) });
 * try { ... } finally { lock.release(); }
 */
import { closeSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { dirname } from "node:path";
import { LockTimeoutError } from "./errors.ts";
import { pidAlive } from "./atomic.ts";

/** Contents of a lock file. */
export interface LockInfo {
  pid: number;
  hostname: string;
  /** ISO time the holder took the lock. */
  startedAt: string;
  /** Random per acquisition: `release` removes the file only if it is still ours. */
  token: string;
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

/** Stale = held by a dead process on this host, or unreadable and old. */
function isStale(path: string, info: LockInfo | undefined, unreadableStaleMs: number): boolean {
  if (info) return info.hostname === hostname() && !pidAlive(info.pid);
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
  const info: LockInfo = { pid: process.pid, hostname: hostname(), startedAt: new Date().toISOString(), token: randomBytes(8).toString("hex") };
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
  return {
    path,
    info: { ...info },
    release() {
      if (released) return;
      released = true;
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
