// Frozen plans handed to a child process as a file (lib/experiment/plans-file.ts, issue 28 item 2):
// the child trains exactly the given plans and reports each by its hash.
import { isolatedRunDirs } from "../run-dirs.ts";
import { describe, it, expect, beforeEach, afterEach } from "vitest";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../lib/plan/config.ts";
import { expandPlans } from "../../lib/plan/plan.ts";
import { readPlansFile, writePlansFile } from "../../lib/experiment/plans-file.ts";
import { findRun } from "../../lib/experiment/cache.ts";
import { run as cli } from "../../lib/cli/experiment.ts";
import { REPO_ROOT } from "../../lib/util/repo-root.ts";
import { DataError, OptionError } from "../../lib/util/errors.ts";

const cfg = loadConfig(join(REPO_ROOT, "data", "configs", "table1_cardiac.json"));

describe("plans file", () => {
  const tmp = isolatedRunDirs("ummkd-plans-");

  it("round-trips the plans and their hashes; the same plans give the same file", () => {
    const plans = expandPlans(cfg, "smoke", { alphas: [0.3], settings: ["individual", "ours"] });
    const f = writePlansFile({ config: cfg, profile: "smoke", force: false, plans });
    expect(writePlansFile({ config: cfg, profile: "smoke", force: false, plans })).toBe(f);
    const back = readPlansFile(f);
    expect(back.plans).toEqual(plans);
    expect(back.config).toEqual(cfg);
    expect(back.plans.map((p) => p.plan.train.alpha)).toEqual([0, 0.3]);
  });

  it("refuses a plan whose hash does not match this code, naming it", () => {
    const plans = expandPlans(cfg, "smoke", { settings: ["ours"] });
    const f = writePlansFile({ config: cfg, profile: "smoke", force: false, plans });
    const raw = JSON.parse(readFileSync(f, "utf8"));
    raw.plans[0].plan.train.alpha = 0.9; // edited after hashing
    writeFileSync(f, JSON.stringify(raw));
    expect(() => readPlansFile(f)).toThrow(DataError);
    expect(() => readPlansFile(f)).toThrow(new RegExp(`plan ${plans[0]!.hash} \\(ours a=0.9 s=0\\) now hashes to`));
  });

  it("`ummkd experiment --plans FILE` trains exactly the given plans and reports each by hash", async () => {
    const plans = expandPlans(cfg, "smoke", { settings: ["individual"], steps: 1 });
    expect(plans).toHaveLength(1);
    const f = writePlansFile({ config: cfg, profile: "smoke", force: false, plans });
    await expect(cli(["--plans", f, "--alphas", "0.3"])).rejects.toThrow(OptionError);
    const lines: string[] = [];
    const log = console.log;
    console.log = (...a: unknown[]) => void lines.push(a.join(" "));
    try {
      expect(await cli(["--plans", f, "--train-only"])).toBe(0);
    } finally {
      console.log = log;
    }
    expect(lines).toContain(`${plans[0]!.hash} individual a=0 s=0: done: trained`);
    expect(lines.at(-1)).toMatch(/^1 run \(1 trained, 0 from the cache\)/);
    expect(findRun(plans[0]!.hash)?.record).toMatchObject({ key: plans[0]!.hash, plan: plans[0]!.plan });
  }, 120_000);
});
