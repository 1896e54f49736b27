/** Typed errors whose messages name the parameter or file, what was expected and what was received. */
import { accessSync, constants, existsSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";

export class UmmkdError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
    // A user or environment error: the notebook kernel (bin/tslab-kernel.cjs) prints it as one
    // line, no stack. A registered symbol, so it survives module copies and vm contexts.
    Object.defineProperty(this, Symbol.for("ummkd.userError"), { value: true });
  }
}
/** Bad or unreadable input data; `file` is the path at fault. */
export class DataError extends UmmkdError {
  constructor(readonly file: string, problem: string) {
    super(`${file}: ${problem}`);
  }
}
/** Shapes that do not fit together. */
export class ShapeError extends UmmkdError {}
/** An option outside its allowed values. */
export class OptionError extends UmmkdError {
  constructor(readonly option: string, received: unknown, allowed: readonly unknown[] | string) {
    super(
      `option '${option}': got ${JSON.stringify(received)}, expected ${
        typeof allowed === "string" ? allowed : `one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}`
      }`,
    );
  }
}
/** Training diverged (NaN/Inf loss). */
export class NonFiniteLossError extends UmmkdError {
  constructor(readonly step: number, readonly losses: Record<string, number>, readonly checkpoint?: string) {
    super(
      `non-finite loss at step ${step}: ${JSON.stringify(losses)}` +
        (checkpoint ? `; last good checkpoint kept at ${checkpoint}` : "; no checkpoint was written yet"),
    );
  }
}

/** Runtime guard for string-literal unions: throws an OptionError listing the allowed values. */
export function oneOf<T extends string>(option: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value === "string" && (allowed as readonly string[]).includes(value)) return value as T;
  throw new OptionError(option, value, allowed);
}

/** A concurrent run holds the lock and did not finish within the wait limit. */
export class LockTimeoutError extends UmmkdError {
  constructor(readonly lockFile: string, holder: string, waitedS: number) {
    super(`${lockFile}: still locked by ${holder} after waiting ${waitedS.toFixed(0)} s (another run of the same plan; wait for it, or delete the lock file if that process is gone)`);
  }
}

/** Plain words for the file-system error codes a user or their environment causes. */
const FS_CODES: Record<string, string> = {
  ENOENT: "no such file or folder",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOSPC: "no space left on the device",
  EDQUOT: "disk quota exceeded",
  EROFS: "read-only file system",
  ENOTDIR: "a part of the path is a file, not a folder",
  EISDIR: "is a folder, expected a file",
  EEXIST: "already exists",
  ENOTEMPTY: "folder is not empty",
  EMFILE: "too many open files",
  EIO: "input/output error",
  ENAMETOOLONG: "file name too long",
  ELOOP: "too many symbolic links",
  EBUSY: "resource busy",
  EXDEV: "cannot rename across file systems",
};

/**
 * Why nothing can be created at `path`: its nearest existing ancestor is on a read-only file
 * system, not writable, or a file; undefined when it is a writable folder. (Node's recursive mkdir
 * reports ENOENT on a read-only file system; this says what is really in the way.)
 */
export function whyNotWritable(path: string): string | undefined {
  let head = resolve(path);
  while (!existsSync(head)) {
    const parent = dirname(head);
    if (parent === head) break;
    head = parent;
  }
  // Node's mkdir -p loops for ever under /proc and /sys (a missing entry there reports neither ENOENT nor EEXIST as it expects)
  if (/^\/(proc|sys)(\/|$)/.test(head)) return `${head} is in a kernel pseudo-file system (/proc, /sys), where no folder can be made`;
  try {
    if (!statSync(head).isDirectory()) return head === resolve(path) ? undefined : `${head} is a file, not a folder [ENOTDIR]`;
    accessSync(head, constants.W_OK);
    return undefined;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "EROFS") return `${head} is on a read-only file system [EROFS]`;
    if (code === "EACCES" || code === "EPERM") return `${head} is not writable (permission denied) [${code}]`;
    return undefined;
  }
}

/**
 * Give a file-system error raised while writing `path` that path, when it has none: a write or
 * fsync on an open file descriptor (ENOSPC, EDQUOT, EIO) carries no path, and "no space left on
 * the device" without one does not say which device.
 * @returns the same error object
 */
export function withPath<E>(e: E, path: string): E {
  const err = e as { code?: unknown; path?: unknown } | null;
  if (err && typeof err === "object" && typeof err.code === "string" && typeof err.path !== "string") {
    try {
      err.path = path;
    } catch {
      /* a frozen error: leave it */
    }
  }
  return e;
}

/**
 * One line for an error the user or the environment caused (our typed errors, and Node file-system
 * errors such as EACCES or ENOSPC, named with their path), or undefined for a programming error
 * (which the CLI lets through with its stack trace).
 */
export function userErrorMessage(e: unknown): string | undefined {
  if (e instanceof UmmkdError) return e.message;
  const err = e as { code?: unknown; path?: unknown; dest?: unknown; syscall?: unknown } | null;
  if (err && typeof err.code === "string" && FS_CODES[err.code]) {
    const where = typeof err.path === "string" ? err.path : "";
    const to = typeof err.dest === "string" ? ` -> ${err.dest}` : "";
    const op = typeof err.syscall === "string" ? ` (${err.syscall})` : "";
    // mkdir -p through an existing file reports EEXIST on that file.
    const what = err.code === "EEXIST" && err.syscall === "mkdir" ? "is a file, expected a folder" : FS_CODES[err.code];
    // mkdir -p on a read-only file system reports ENOENT: say what is in the way
    const blocked = err.code === "ENOENT" && err.syscall === "mkdir" && where ? whyNotWritable(where) : undefined;
    if (blocked) return `${where}: cannot be created: ${blocked}`;
    return `${where}${to}${where ? ": " : ""}${what}${op} [${err.code}]`;
  }
  return undefined;
}
