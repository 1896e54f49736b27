/**
 * Guards for output paths, so that no command overwrites or deletes what the user gave it as input
 * or a folder it did not create: an output equal to, inside, or containing an input is refused,
 * and a non-empty output folder is replaced only when it carries the project's own manifest, holds
 * no file that manifest does not list, and the caller passed `force`. Names that become path
 * segments are checked by `checkPathSegment`; `pathInside` keeps a joined path inside its root.
 */
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync } from "node:fs";
import { basename, dirname, join, resolve, sep } from "node:path";
import { OptionError, whyNotWritable } from "./errors.ts";

/** Absolute path with symlinks of its existing part resolved (the rest appended as written). */
export function canonicalPath(p: string): string {
  let head = resolve(p);
  const tail: string[] = [];
  while (!existsSync(head)) {
    const parent = dirname(head);
    if (parent === head) break;
    tail.unshift(basename(head));
    head = parent;
  }
  try {
    head = realpathSync(head);
  } catch {
    /* keep the resolved form */
  }
  return tail.length ? join(head, ...tail) : head;
}

function within(child: string, parent: string): boolean {
  return child === parent || child.startsWith(parent.endsWith(sep) ? parent : parent + sep);
}

/**
 * Refuse an output path that equals, contains or lies inside one of the inputs.
 * @param out the output option and its value, e.g. `{ option: "--out", path }`
 * @param inputs the inputs it must stay clear of (undefined entries are skipped)
 * @throws OptionError naming both options and paths
 */
export function checkOutputPath(out: { option: string; path: string }, inputs: ReadonlyArray<{ option: string; path: string | undefined }>): void {
  const o = canonicalPath(out.path);
  for (const inp of inputs) {
    if (inp.path === undefined) continue;
    const i = canonicalPath(inp.path);
    const how = o === i ? "is the same path as" : within(i, o) ? "contains" : within(o, i) ? "lies inside" : undefined;
    if (how) throw new OptionError(out.option, out.path, `a path apart from the input: it ${how} ${inp.option} ${inp.path}, which would be overwritten or deleted`);
  }
}

/**
 * Check that a folder may be (re)placed by a command's output: absent or empty is fine; a
 * non-empty folder must hold this project's manifest (`isOwn(parsed JSON)` true) and `force`.
 * @throws OptionError naming the option and what is in the way
 */
export function checkReplaceableDir(
  option: string,
  dir: string,
  manifest: { file: string; isOwn: (json: unknown) => boolean; force?: boolean; ownFiles?: (json: unknown) => readonly string[] },
): void {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) throw new OptionError(option, dir, "a folder (it is an existing file)");
  const entries = readdirSync(dir);
  if (entries.length === 0) return;
  let own = false;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(join(dir, manifest.file), "utf8"));
    own = manifest.isOwn(json);
  } catch {
    own = false;
  }
  if (!own) {
    throw new OptionError(option, dir, `a new or empty folder: it holds ${entries.length} entries and no ${manifest.file} of ours, so it is not replaced (nothing was changed)`);
  }
  // --force replaces only the tool's own files: a file the user added refuses the replacement
  if (manifest.ownFiles) checkOnlyOwnFiles(option, dir, manifest.file, manifest.ownFiles(json));
  if (!manifest.force) throw new OptionError(option, dir, `a new or empty folder, or --force to replace the earlier output it holds (${manifest.file} found)`);
}

/** Names that become one path segment: letters, digits, '.', '_', '-'; starting with a letter or digit; at most 200 characters. */
const SEGMENT_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

/** True when `s` is a safe single path segment (see {@link checkPathSegment}). */
export function isPathSegment(s: unknown): s is string {
  return typeof s === "string" && SEGMENT_RE.test(s);
}

/**
 * A name or id that becomes part of a path (a config's name, notebook, setting, profile, run id,
 * Slurm job name) must be one path segment of a safe alphabet, so that no value can climb out of
 * its output folder (`../x`), name an absolute path or hide a control character.
 * @throws OptionError naming `what` and the value
 */
export function checkPathSegment(what: string, value: unknown): string {
  if (isPathSegment(value)) return value;
  throw new OptionError(what, value, "one path segment of letters, digits, '.', '_' or '-' (starting with a letter or digit, at most 200 characters)");
}

/**
 * The folder `join(root, ...segments)`, checked to stay inside `root` once resolved (symlinks of
 * its existing part included).
 * @throws OptionError naming `option` when it would lie outside
 */
export function pathInside(option: string, root: string, ...segments: string[]): string {
  const p = join(root, ...segments);
  const r = canonicalPath(root);
  const c = canonicalPath(p);
  if (c === r || !within(c, r)) throw new OptionError(option, p, `a folder inside ${root} (it resolves to ${c})`);
  return p;
}

/**
 * Relative paths of the plain files below `dir` (hidden ones included; folders are walked, not
 * listed), for the "only our own files" checks.
 */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const name of readdirSync(d)) {
      const st = statSync(join(d, name), { throwIfNoEntry: false });
      const r = rel ? `${rel}/${name}` : name;
      if (st?.isDirectory()) walk(join(d, name), r);
      else out.push(r);
    }
  };
  walk(dir, "");
  return out;
}

/**
 * Check that a non-empty folder holds nothing but the files its manifest says the tool wrote
 * (`own`, relative paths) and the manifest itself, so that replacing the folder removes no file of
 * the user's.
 * @throws OptionError naming the option, the folder and the first foreign entries
 */
export function checkOnlyOwnFiles(option: string, dir: string, manifestFile: string, own: readonly string[]): void {
  if (!existsSync(dir)) return;
  const mine = new Set([manifestFile, ...own]);
  const foreign = listFiles(dir).filter((f) => !mine.has(f));
  if (foreign.length) {
    const shown = foreign.slice(0, 3).join(", ") + (foreign.length > 3 ? `, … (${foreign.length} in all)` : "");
    throw new OptionError(option, dir, `a folder holding only the files ${manifestFile} lists: it also holds ${shown}, which ummkd did not write, so it is not replaced (nothing was changed; move those files out first)`);
  }
}

/**
 * Check, before any work, that a command can write its output at `path`: the nearest existing
 * folder on the way is writable (a read-only file system or a folder without write permission is
 * named as such; Node's recursive mkdir would report ENOENT, and only at the end of the work).
 * With `replaced` (the folder is published by renaming a complete temp folder over it, as
 * `prepare` and `experiment` do), `path` must not be a symbolic link: the rename would fail with
 * ENOTDIR after all the work.
 * @throws OptionError naming the option, the path and what is in the way
 */
export function checkWritableOutput(option: string, path: string, o: { replaced?: boolean } = {}): void {
  if (o.replaced) {
    let link: string | undefined;
    try {
      if (lstatSync(path).isSymbolicLink()) link = readlinkSync(path);
    } catch {
      /* absent: fine */
    }
    if (link !== undefined) throw new OptionError(option, path, `a folder path that is not a symbolic link (it links to ${link}; the output is published by renaming a complete folder over it, so give the folder the link points to)`);
  }
  const why = whyNotWritable(path);
  if (why) throw new OptionError(option, path, `a location ummkd can write to: ${why}`);
}
