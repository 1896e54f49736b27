/**
 * Atomic file writes: write to a temp file in the same directory, fsync, rename over the target.
 * A reader never sees a half-written results file or checkpoint, and an interrupted write leaves
 * the previous version intact.
 */
import { mkdirSync, openSync, writeSync, fsyncSync, closeSync, renameSync, rmSync, existsSync } from "node:fs";
import { dirname, basename, join } from "node:path";

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const fd = openSync(tmp, "w");
  try {
    const buf = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, path);
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, null, 2) + "\n");
}

/**
 * Atomically publish a directory: `build(tmpDir)` fills a temp sibling, which is then renamed to
 * `path` (an existing `path` is replaced only after the new one is complete).
 */
export async function writeDirAtomic(path: string, build: (tmpDir: string) => Promise<void> | void): Promise<void> {
  const parent = dirname(path);
  mkdirSync(parent, { recursive: true });
  const tmp = join(parent, `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  mkdirSync(tmp, { recursive: true });
  try {
    await build(tmp);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  if (existsSync(path)) {
    const old = `${tmp}.old`;
    renameSync(path, old);
    renameSync(tmp, path);
    rmSync(old, { recursive: true, force: true });
  } else {
    renameSync(tmp, path);
  }
}
