/**
 * A record names the commit whose code trained it: provenance's git state is taken when the process
 * loads, not when the record is written. Checked in a throw-away clone: a process loads, the clone's
 * HEAD then moves on (as a training worktree's did while a run went on), and the process's
 * provenance still names the commit it loaded.
 */
import { describe, it, expect } from "vitest";
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, symlinkSync, writeFileSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../../lib/util/repo-root.ts";

const git = (cwd: string, ...args: string[]) => execFileSync("git", args, { cwd, encoding: "utf8" }).trim();

describe("provenance git state", () => {
  it("names the commit checked out when the process loaded, after HEAD moved", () => {
    const dir = mkdtempSync(join(tmpdir(), "ummkd-prov-"));
    try {
      const clone = join(dir, "repo");
      execFileSync("git", ["clone", "-q", "--local", REPO_ROOT, clone]);
      // The code under test is this working tree's lib/ (committed in the clone as the loaded state).
      rmSync(join(clone, "lib"), { recursive: true, force: true });
      cpSync(join(REPO_ROOT, "lib"), join(clone, "lib"), { recursive: true, filter: (src) => !src.includes(join("native", "build")) });
      const id = ["-c", "user.name=t", "-c", "user.email=t@t"];
      git(clone, "add", "-A", "lib");
      git(clone, ...id, "commit", "-q", "--allow-empty", "-m", "working tree's lib");
      symlinkSync(join(REPO_ROOT, "node_modules"), join(clone, "node_modules"));
      mkdirSync(join(clone, "tmp"), { recursive: true });
      const probe = join(clone, "tmp", "probe.mts");
      writeFileSync(
        probe,
        [
          `import { execFileSync } from "node:child_process";`,
          `import { provenance } from "../lib/util/provenance.ts";`,
          `execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "moved on"], { cwd: ${JSON.stringify(clone)} });`,
          `console.log(JSON.stringify(provenance(0).git));`,
        ].join("\n"),
      );
      const loaded = git(clone, "rev-parse", "HEAD");
      const out = execFileSync(process.execPath, [join(REPO_ROOT, "node_modules", "tsx", "dist", "cli.mjs"), probe], { cwd: clone, encoding: "utf8" });
      const after = git(clone, "rev-parse", "HEAD");
      expect(after).not.toBe(loaded);
      expect(JSON.parse(out.trim().split("\n").at(-1)!)).toEqual({ commit: loaded, dirty: false });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
