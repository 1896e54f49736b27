import { describe, it, expect } from "vitest";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { checkParams, ParamError } from "../../lib/plan/params.ts";
import { comparisonTable, committedResults, guardOverwrite, variantName } from "../../lib/notebooks/variants.ts";
import { run as cli } from "../../lib/cli/experiment.ts";
import { derivedFromStore } from "../../lib/notebooks/results.ts";
import { DataError } from "../../lib/util/errors.ts";
import type { SummaryRow } from "../../lib/experiment/summary.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

describe("notebook parameters are checked", () => {
  it("a typo names the key, the value and the known keys (and the likely one)", () => {
    expect(() => checkParams({ profile: "smoke", alpah: 0.3 })).toThrow(ParamError);
    expect(() => checkParams({ alpah: 0.3 })).toThrow(/parameter 'alpah' = 0\.3: unknown parameter \(did you mean alpha or alphas\?\); known: profile, seeds, folds, alpha/);
  });
  it.each([
    [{ alpha: 1.5 }, /'alpha' = 1\.5: expected a number in \[0, 1\]/],
    [{ alpha: -0.1 }, /'alpha' = -0\.1/],
    [{ alpha: "0.3" }, /'alpha' = "0\.3"/],
    [{ alphas: [0.1, 2] }, /'alphas' = \[0\.1,2\]: expected a non-empty array of numbers in \[0, 1\]/],
    [{ norm: "batchnorm" }, /'norm' = "batchnorm": expected one of batch, instance, layer, group/],
    [{ norms: [] }, /'norms' = \[\]/],
    [{ profile: "fast" }, /'profile' = "fast": expected one of smoke, quick, cpu, paper/],
    [{ seeds: [0, 1.5] }, /'seeds' = \[0,1\.5\]: expected a non-empty array of non-negative integers/],
    [{ seeds: 3 }, /'seeds' = 3/],
    [{ steps: 0 }, /'steps' = 0: expected a positive integer/],
    [{ settings: ["ours", "teacher"] }, /'settings'/],
    [{ force: "yes" }, /'force' = "yes": expected true or false/],
  ])("%j is refused", (p, msg) => {
    expect(() => checkParams(p as Record<string, unknown>)).toThrow(msg);
  });
  it("valid values pass; undefined/null entries (the cell's defaults) are dropped", () => {
    expect(checkParams({ profile: "cpu", seeds: undefined, norm: "instance", alpha: 0, alphas: [0, 1], force: false, norms: null })).toEqual({ profile: "cpu", norm: "instance", alpha: 0, alphas: [0, 1], force: false });
  });
});

describe("variant folders", () => {
  it("the defaults write to the profile's folder", () => {
    expect(variantName("table1_cardiac", "cpu", { profile: "cpu", norm: "batch", alpha: 0.5, force: true })).toBe("cpu");
    expect(variantName("figure6_alpha", "quick", {})).toBe("quick");
  });
  it("what differs names the folder, in a fixed order", () => {
    expect(variantName("table1_cardiac", "cpu", { norm: "instance", alpha: 0.3 })).toBe("cpu-alpha0.3-norm_instance");
    expect(variantName("figure6_alpha", "quick", { alphas: [0.1, 0.9], seeds: [0, 1] }, { seeds: [0] })).toBe("quick-alphas0.1_0.9-seeds0_1");
    expect(variantName("figure6_alpha", "quick", { alpha: 0.5 })).toBe("quick-alpha0.5"); // no alpha default in that notebook
  });
  it("restating the profile's own seeds or steps is no variant", () => {
    expect(variantName("table1_cardiac", "cpu", { seeds: [0], steps: 500 }, { seeds: [0], steps: 500 })).toBe("cpu");
    expect(variantName("table1_cardiac", "cpu", { steps: 100 }, { seeds: [0], steps: 500 })).toBe("cpu-steps100");
  });
});

describe("committed results are never overwritten unless forced", () => {
  const committed = join(ROOT, "results", "table1_cardiac", "cpu");
  it("a folder tracked by git is committed; a temp folder and a gitignored variant are not", () => {
    expect(committedResults(committed)).toBe(true);
    expect(committedResults(mkdtempSync(join(tmpdir(), "ummkd-res-")))).toBe(false);
    expect(committedResults(join(ROOT, "results", "table1_cardiac", "cpu-alpha0.3"))).toBe(false);
  });
  it("guardOverwrite names the folder and the way to force it", () => {
    const env = process.env.UMMKD_FORCE;
    delete process.env.UMMKD_FORCE;
    try {
      expect(() => guardOverwrite(committed, false)).toThrow(DataError);
      expect(() => guardOverwrite(committed, false)).toThrow(/^results\/table1_cardiac\/cpu: holds committed results .*force: true .*--force/);
      expect(() => guardOverwrite(committed, true)).not.toThrow();
      // a re-derivation from the committed run store replaces them without force
      expect(() => guardOverwrite(committed, false, true)).not.toThrow();
    } finally {
      if (env !== undefined) process.env.UMMKD_FORCE = env;
    }
  });
  it("the CLI refuses before training: a config (no tables or figures) at --profile cpu into a notebook's committed folder", async () => {
    await expect(cli(["--config", join(ROOT, "data", "configs", "table1_cardiac.json"), "--profile", "cpu"])).rejects.toThrow(/results\/table1_cardiac\/cpu: holds committed results/);
    await expect(cli(["--config", join(ROOT, "data", "configs", "table2_abdominal.json"), "--profile", "cpu"])).rejects.toThrow(/results\/table2_abdominal\/cpu: holds committed results/);
  });
  it("results count as a re-derivation only when every run's record is in the run store", () => {
    const store = mkdtempSync(join(tmpdir(), "ummkd-store-"));
    const prev = process.env.UMMKD_RUN_STORE;
    process.env.UMMKD_RUN_STORE = store;
    try {
      const run = (keys: string[]) => ({ experiments: [{ runs: keys.map((key) => ({ key })) }] }) as unknown as Parameters<typeof derivedFromStore>[0];
      writeFileSync(join(store, "aaaa.json"), "{}");
      writeFileSync(join(store, "bbbb.json"), "{}");
      expect(derivedFromStore(run(["aaaa", "bbbb"]))).toBe(true);
      expect(derivedFromStore(run(["aaaa", "cccc"]))).toBe(false); // one run from the cache or trained elsewhere
      expect(derivedFromStore(run([]))).toBe(false);
    } finally {
      if (prev === undefined) delete process.env.UMMKD_RUN_STORE;
      else process.env.UMMKD_RUN_STORE = prev;
    }
  });
});

describe("a variant beside the committed numbers", () => {
  it("matches setting and modality (and norm/alpha where the committed file has several)", () => {
    const root = mkdtempSync(join(tmpdir(), "ummkd-vs-"));
    mkdirSync(join(root, "table1_cardiac", "cpu"), { recursive: true });
    writeFileSync(
      join(root, "table1_cardiac", "cpu", "summary.csv"),
      ["setting,norm,alpha,condition,modality,structure,metric,mean,std,n", "ours,batch,0.5,clean,ct,mean,dice,80,1,6", "ours,batch,0.5,clean,mri,mean,dice,70,1,6", "ours,batch,0.5,clean,ct,LVM,dice,60,1,6"].join("\n") + "\n",
    );
    const row = (modality: string, mean: number): SummaryRow => ({ setting: "ours", norm: "instance", alpha: 0.3, condition: "clean", modality, structure: "mean", metric: "dice", mean, std: 1, n: 6 }) as SummaryRow;
    const t = comparisonTable({ name: "table1_cardiac", profile: "cpu", variant: "cpu-alpha0.3-norm_instance", summary: [row("ct", 82.5), row("mri", 65)] }, root)!;
    expect(t.file).toBe("vs_committed");
    const lines = t.csv.trim().split("\n");
    expect(lines[0]).toBe('setting,modality,norm,alpha,this run (cpu-alpha0.3-norm_instance),committed (cpu),"committed norm, α",difference');
    expect(lines[1]).toBe('ours,ct,instance,0.3,82.5,80,"batch, 0.5",2.5');
    expect(lines[2]).toBe('ours,mri,instance,0.3,65,70,"batch, 0.5",-5');
    expect(comparisonTable({ name: "table1_cardiac", profile: "cpu", variant: "cpu", summary: [row("ct", 1)] }, root)).toBeUndefined();
  });
});

describe("one row per parameter (lib/plan/params.ts): the notebook cell, the CLI flags and the configs read it", () => {
  it("α's default and range come from the loss (lib/losses/total.ts) and are checked alike by all three entry points", async () => {
    const { ALPHA_RANGE, DEFAULT_ALPHA } = await import("../../lib/losses/total.ts");
    const { param, paramsFromFlags, paramCellLine } = await import("../../lib/plan/params.ts");
    const { validateConfig } = await import("../../lib/plan/config.ts");
    expect([param("alpha").default, DEFAULT_ALPHA, ALPHA_RANGE]).toEqual([0.5, 0.5, [0, 1]]);
    const allowed = param("alphas").allowed;
    expect(() => checkParams({ alphas: [0.5, 1.5] })).toThrow(allowed);
    expect(() => paramsFromFlags({ alphas: "0.5,1.5" })).toThrow(allowed);
    const cfg = { name: "c", artefact: "x", task: "cardiac", network: "dilated2d", settings: ["ours"] };
    expect(() => validateConfig({ ...cfg, alphas: [0.5, 1.5] }, "c.json")).toThrow(allowed);
    expect(validateConfig(cfg, "c.json").alphas).toEqual([DEFAULT_ALPHA]);
    expect(paramCellLine("alpha")).toBe("  alpha: 0.5, // KD weight α of Joint+KD and Ours (eq. 5); a number in [0, 1]");
    expect(param("alpha").usedBy!("joint")).toBe(false);
    expect(param("alpha").usedBy!("ours")).toBe(true);
  });
  it("flags parse to the same values a parameters cell holds", async () => {
    const { paramsFromFlags } = await import("../../lib/plan/params.ts");
    const p = paramsFromFlags({ profile: "smoke", seeds: "0, 1", alphas: "0.1,0.9", norms: "batch,group", settings: "ours", steps: "3", force: true, data: "/d", folds: "0" });
    expect(p).toEqual({ profile: "smoke", seeds: [0, 1], alphas: [0.1, 0.9], norms: ["batch", "group"], settings: ["ours"], steps: 3, force: true, dataRoot: "/d", folds: [0] });
    expect(checkParams(p as Record<string, unknown>)).toEqual(p);
    expect(paramsFromFlags({ force: false })).toEqual({});
    expect(() => paramsFromFlags({ steps: "0" })).toThrow(/--steps/);
    expect(() => paramsFromFlags({ norms: "batch,," })).toThrow(/--norms.*no empty items/);
  });
  it("a notebook's defaults are its rows' defaults (Table I: norm batch, α 0.5); restating them is no variant", () => {
    expect(variantName("table1_cardiac", "cpu", { norm: "batch", alpha: 0.5 })).toBe("cpu");
    expect(variantName("table5_normalization", "cpu", { alpha: 0.5 })).toBe("cpu");
    expect(variantName("figure6_alpha", "cpu", { alpha: 0.5 })).toBe("cpu-alpha0.5");
  });
});
