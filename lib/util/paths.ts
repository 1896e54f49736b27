/**
 * Guards for output paths, so that no command overwrites or deletes what the user gave it as input
 * or a folder it did not create: an output equal to, inside, or containing an input is refused,
 * and a non-empty output folder is replaced only when it carries the project's own manifest (and
 * the caller passed `force`).
 */
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { basename, dirname, join, resolve, sep } from "node:path";
import { OptionError } from "./errors.ts";

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
  manifest: { file: string; isOwn: (json: unknown) => boolean; force?: boolean },
): void {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) throw new OptionError(option, dir, "a folder (it is an existing file)");
  const entries = readdirSync(dir);
  if (entries.length === 0) return;
  let own = false;
  try {
    own = manifest.isOwn(JSON.parse(readFileSync(join(dir, manifest.file), "utf8")));
  } catch {
    own = false;
  }
  if (!own) {
    throw new OptionError(option, dir, `a new or empty folder: it holds ${entries.length} entries and no ${manifest.file} of ours, so it is not replaced (nothing was changed)`);
  }
  if (!manifest.force) throw new OptionError(option, dir, `a new or empty folder, or --force to replace the earlier output it holds (${manifest.file} found)`);
}
