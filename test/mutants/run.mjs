#!/usr/bin/env node
// Mutation check of the test suite (issues #17, #30). Each test/mutants/*.patch is a deliberate,
// plausible bug; its header names the step it breaks and the test file(s) meant to kill it:
//   # step: model selection
//   # kills: test/experiment/selection.test.ts [more files]
//   # bug: one line saying what is wrong
//   diff --git a/lib/... (a patch that `git apply` takes; the header lines are ignored by it)
// The script copies the repository (HEAD by default, never the shared working tree), applies each
// patch to the copy in turn, runs the tests, expects them to FAIL ("killed"), and reverts the patch.
//
//   node test/mutants/run.mjs                  # every mutant, each against the test files its header names
//   node test/mutants/run.mjs --full           # every mutant against the whole suite (test/run.mjs; slow)
//   node test/mutants/run.mjs NAME ...         # some mutants (NAME = patch file name without .patch)
//   node test/mutants/run.mjs --worktree ...   # copy the working tree (tracked + untracked, not ignored) instead of HEAD
//   node test/mutants/run.mjs --rev REV ...    # copy commit REV instead of HEAD
//   node test/mutants/run.mjs --keep ...       # keep the copy (its path is printed)
//
// Before the mutants, the same tests run once on the unmutated copy: they must pass, or a "kill"
// would mean nothing (skip with --no-baseline). Exit 0 when every mutant was killed; 1 when one
// survived, did not apply or the baseline failed. Logs: $TMPDIR/ummkd-mutant-logs-*/NAME.log (kept).
// Weekly use: `node test/mutants/run.mjs --full` on the CI machine (a few minutes per mutant).
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const MUTANTS = join(ROOT, "test", "mutants");

const args = process.argv.slice(2);
const flag = (f) => {
  const i = args.indexOf(f);
  if (i >= 0) args.splice(i, 1);
  return i >= 0;
};
const full = flag("--full");
const fromWorktree = flag("--worktree");
const keep = flag("--keep");
const noBaseline = flag("--no-baseline");
const revAt = args.indexOf("--rev");
const rev = revAt >= 0 ? args.splice(revAt, 2)[1] : "HEAD";
const unknownFlag = args.find((a) => a.startsWith("-"));
if (unknownFlag) {
  console.error(`mutants: unknown option ${unknownFlag} (known: --full, --worktree, --rev REV, --keep, --no-baseline)`);
  process.exit(2);
}

/** A mutant's header: step, test files, bug. */
function readMutant(name) {
  const path = join(MUTANTS, `${name}.patch`);
  if (!existsSync(path)) return undefined;
  const text = readFileSync(path, "utf8");
  const field = (k) => text.match(new RegExp(`^# ${k}: (.*)$`, "m"))?.[1]?.trim();
  return { name, path, step: field("step") ?? "?", kills: (field("kills") ?? "").split(/\s+/).filter(Boolean), bug: field("bug") ?? "" };
}

const all = readdirSync(MUTANTS).filter((f) => f.endsWith(".patch")).map((f) => f.slice(0, -6)).sort();
const names = args.length ? args : all;
const mutants = names.map((n) => readMutant(n) ?? { name: n, missing: true });
for (const m of mutants) {
  if (m.missing) {
    console.error(`mutants: unknown mutant '${m.name}' (known: ${all.join(", ")})`);
    process.exit(2);
  }
  if (!m.kills.length) {
    console.error(`mutants: ${m.name}.patch names no test file ('# kills: ...' header)`);
    process.exit(2);
  }
}

const sh = (cmd, argv, opts = {}) => spawnSync(cmd, argv, { encoding: "utf8", maxBuffer: 1 << 28, ...opts });

// 1. the copy (of one commit, resolved once: HEAD may move while others commit)
const revSha = sh("git", ["rev-parse", "--verify", `${rev}^{commit}`], { cwd: ROOT }).stdout.trim();
if (!revSha) {
  console.error(`mutants: --rev ${rev}: not a commit`);
  process.exit(2);
}
const copy = mkdtempSync(join(tmpdir(), "ummkd-mutants-"));
if (fromWorktree) {
  const files = sh("git", ["ls-files", "-co", "--exclude-standard", "-z"], { cwd: ROOT }).stdout.split("\0").filter(Boolean);
  for (const f of files) {
    if (!existsSync(join(ROOT, f))) continue; // deleted in the working tree
    mkdirSync(dirname(join(copy, f)), { recursive: true });
    cpSync(join(ROOT, f), join(copy, f));
  }
} else {
  const tar = sh("bash", ["-c", `git -C "${ROOT}" archive --format=tar "${revSha}" | tar -x -C "${copy}"`]);
  if (tar.status !== 0) {
    console.error(`mutants: could not copy HEAD: ${tar.stderr}`);
    process.exit(2);
  }
}
// built and installed things the tests need (ignored by git): shared read-only by symlink
for (const p of ["node_modules", "lib/engine/native/build"]) if (existsSync(join(ROOT, p)) && !existsSync(join(copy, p))) symlinkSync(join(ROOT, p), join(copy, p));
const logs = mkdtempSync(join(tmpdir(), "ummkd-mutant-logs-")); // kept after the copy is removed
console.log(`mutants: ${mutants.length} on a copy of ${fromWorktree ? "the working tree" : `${rev} (${revSha.slice(0, 7)})`} in ${copy}; mode: ${full ? "full suite (test/run.mjs)" : "the test files each mutant names"}`);

const env = { ...process.env, UMMKD_THREADS: process.env.UMMKD_THREADS ?? "1" };
/** Run the tests in the copy; returns { ok, summary }. */
function runTests(files, log) {
  const argv = full ? [join(copy, "test", "run.mjs")] : [join(copy, "node_modules", "vitest", "vitest.mjs"), "run", ...files];
  const r = sh(process.execPath, argv, { cwd: copy, env });
  const out = `${r.stdout ?? ""}\n${r.stderr ?? ""}`;
  writeFileSync(log, out);
  // eslint-disable-next-line no-control-regex
  const plain = out.replace(/\x1b\[[0-9;]*m/g, "");
  const summary = plain.match(/Tests\s+(.*)$/m)?.[1]?.trim() ?? plain.match(/^\d+ passed, \d+ failed.*$/m)?.[0] ?? `exit ${r.status}`;
  return { ok: r.status === 0, summary };
}

let bad = 0;
// 2. baseline: the tests that are to kill the mutants pass without them
if (!noBaseline) {
  const files = [...new Set(mutants.flatMap((m) => m.kills))];
  const t0 = Date.now();
  const b = runTests(files, join(logs, "baseline.log"));
  console.log(`baseline (${full ? "full suite" : `${files.length} files`}): ${b.ok ? "passes" : "FAILS"} (${b.summary}; ${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  if (!b.ok) {
    console.log(`mutants: the unmutated tests fail; see ${join(logs, "baseline.log")}`);
    process.exit(1);
  }
}

// 3. the mutants, one at a time
const results = [];
for (const m of mutants) {
  const check = sh("git", ["apply", "--check", m.path], { cwd: copy });
  if (check.status !== 0) {
    console.log(`mutant ${m.name}: does NOT apply (code moved; update ${m.name}.patch): ${check.stderr.trim().split("\n")[0]}`);
    results.push([m.name, "does not apply"]);
    bad = 1;
    continue;
  }
  sh("git", ["apply", m.path], { cwd: copy });
  const t0 = Date.now();
  try {
    const r = runTests(m.kills, join(logs, `${m.name}.log`));
    const s = ((Date.now() - t0) / 1000).toFixed(0);
    if (r.ok) {
      console.log(`mutant ${m.name} [${m.step}]: SURVIVED ${full ? "the full suite" : m.kills.join(" ")} (${r.summary}; ${s} s)`);
      results.push([m.name, "SURVIVED"]);
      bad = 1;
    } else {
      console.log(`mutant ${m.name} [${m.step}]: killed by ${full ? "the full suite" : m.kills.join(" ")} (${r.summary}; ${s} s)`);
      results.push([m.name, "killed"]);
    }
  } finally {
    const rev = sh("git", ["apply", "-R", m.path], { cwd: copy });
    if (rev.status !== 0) {
      console.error(`mutants: could not revert ${m.name}.patch in the copy: ${rev.stderr}`);
      process.exit(2);
    }
  }
}
const killed = results.filter(([, s]) => s === "killed").length;
console.log(`mutants: ${killed} of ${results.length} killed${bad ? `; not killed: ${results.filter(([, s]) => s !== "killed").map(([n, s]) => `${n} (${s})`).join(", ")}` : ""}`);
console.log(`mutants: logs in ${logs}`);
if (keep) console.log(`mutants: copy kept in ${copy}`);
else rmSync(copy, { recursive: true, force: true });
process.exit(bad);
