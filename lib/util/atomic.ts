/**
 * Atomic file writes: write to a temp file in the same directory, fsync, rename over the target.
 * A reader never sees a half-written results file or checkpoint, and an interrupted write leaves
 * the previous version intact. Temp names carry the writer's pid (`.<name>.<pid>.<random>.tmp`),
 * so `cleanStaleTemps` can remove what a killed writer left behind without touching a live one's.
 */
import { mkdirSync, openSync, writeSync, fsyncSync, closeSync, renameSync, rmSync, existsSync, readdirSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { dirname, basename, join, sep } from "node:path";
import { withPath } from "./errors.ts";

function tempName(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
}

function code(e: unknown): string | undefined {
  return (e as { code?: string } | null)?.code;
}

/** Write `data` to `path` atomically (temp file in the same folder, fsync, rename). */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempName(path);
  const fd = openSync(tmp, "w");
  try {
    const buf = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
    closeSync(fd);
  } catch (e) {
    try {
      closeSync(fd);
    } catch {
      /* already closed */
    }
    rmSync(tmp, { force: true });
    throw withPath(e, path); // a failed write (ENOSPC) on the descriptor carries no path
  }
  try {
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** `writeFileAtomic` of pretty-printed JSON with a trailing newline. */
export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, null, 2) + "\n");
}

/** Remove a replaced folder; failure (e.g. a read-only folder) is a warning, not a failed write. */
function removeOld(old: string): void {
  try {
    rmSync(old, { recursive: true, force: true });
  } catch (e) {
    console.warn(`[ummkd] ${old}: could not remove the replaced copy (${code(e) ?? (e as Error).message}); the new one is in place, delete it by hand`);
  }
}

/**
 * Atomically publish a directory: `build(tmpDir)` fills a temp sibling, which is then renamed to
 * `path` (an existing `path` is replaced only after the new one is complete). Safe against
 * concurrent writers of the same `path`: each uses its own temp and `.old` names and retries the
 * swap, the last complete one wins, and no temp folder is left behind.
 */
export async function writeDirAtomic(path: string, build: (tmpDir: string) => Promise<void> | void): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempName(path);
  mkdirSync(tmp, { recursive: true });
  try {
    await build(tmp);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    // name the file as it would have been published (the temp folder is gone), or the folder
    const err = e as { path?: unknown } | null;
    if (err && typeof err === "object" && typeof err.path === "string" && err.path.startsWith(tmp + sep)) err.path = path + err.path.slice(tmp.length);
    throw withPath(e, path);
  }
  const olds: string[] = [];
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        renameSync(tmp, path); // succeeds when `path` is absent (or an empty folder)
        break;
      } catch (e) {
        if ((code(e) !== "ENOTEMPTY" && code(e) !== "EEXIST") || attempt >= 1000) throw e;
      }
      // Move the current version aside (named `<tmp>.old`, which findCheckpoint-style readers
      // recover from if we die right here); another writer may have done so already (ENOENT).
      const old = `${tempName(path)}.old`;
      try {
        renameSync(path, old);
        olds.push(old);
      } catch (e) {
        if (code(e) !== "ENOENT") throw e;
      }
    }
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  for (const old of olds) removeOld(old);
}

const TEMP_RE = /^\.(.+)\.(\d+)\.([0-9a-f]+)\.tmp(\.old)?$/;

/** True when a process with this pid exists on this host. */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return code(e) === "EPERM";
  }
}

/**
 * Remove the temp files and folders that killed writers (`writeFileAtomic`, `writeDirAtomic`) left
 * in `dir`: those whose writer pid is no longer running (with `only`: only the temps of that target name). A `.old` copy is removed only when its
 * target exists (else it is the last complete version, which readers recover from).
 * @returns the removed paths
 */
export function cleanStaleTemps(dir: string, only?: string): string[] {
  if (!existsSync(dir)) return [];
  const removed: string[] = [];
  for (const name of readdirSync(dir)) {
    const m = TEMP_RE.exec(name);
    if (!m || (only !== undefined && m[1] !== only)) continue;
    const pid = Number(m[2]);
    if (pid === process.pid || pidAlive(pid)) continue;
    if (m[4] && !existsSync(join(dir, m[1]!))) continue;
    try {
      rmSync(join(dir, name), { recursive: true, force: true });
      removed.push(join(dir, name));
    } catch {
      /* e.g. read-only: leave it, the next start tries again */
    }
  }
  return removed;
}
