import { isolatedRunDirs } from "../run-dirs.ts";
import { describe, it, expect, beforeEach, afterEach } from "vitest";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { validateConfig, type ExperimentConfig } from "../../lib/plan/config.ts";
import { expandPlans, planHash, resolvePlan, type RunPlan } from "../../lib/plan/plan.ts";
import { runExperiment } from "../../lib/experiment/runner.ts";
import { foldSplit, makeFolds, makeKFold } from "../../lib/data/kfold.ts";
import { Rng } from "../../lib/util/rng.ts";

const cardiac = (extra: Record<string, unknown> = {}): ExperimentConfig =>
  validateConfig({ name: "t", artefact: "T", task: "cardiac", network: "dilated2d", settings: ["individual", "ours"], ...extra }, "t.json");
const abdominal = (extra: Record<string, unknown> = {}): ExperimentConfig =>
  validateConfig({ name: "a", artefact: "A", task: "abdominal", network: "unet3d", settings: ["joint", "ours"], ...extra }, "a.json");

/** Every leaf path of a JSON value (arrays by index). */
function leaves(v: unknown, path: string[] = []): string[][] {
  if (v === null || typeof v !== "object") return [path];
  return Object.entries(v as Record<string, unknown>).flatMap(([k, x]) => leaves(x, [...path, k]));
}
function withLeaf(plan: RunPlan, path: string[]): unknown {
  const copy = structuredClone(plan) as unknown as Record<string, unknown>;
  let o = copy as Record<string, unknown>;
  for (const k of path.slice(0, -1)) o = o[k] as Record<string, unknown>;
  const last = path.at(-1)!;
  const v = o[last];
  o[last] = typeof v === "number" ? v + 1 : typeof v === "string" ? `${v}x` : typeof v === "boolean" ? !v : [v];
  return copy;
}

describe("resolvePlan / planHash", () => {
  it("resolves every section of a plan (data, model, train, evaluate) at a profile", () => {
    const p = resolvePlan(cardiac(), "quick", { setting: "ours", norm: "batch", alpha: 0.5, seed: 3 });
    expect(p.data.source).toBe("synthetic");
    expect(p.data.split).toEqual({ kind: "synthetic", cases: { train: 6, val: 1, test: 4 }, cohortSeeds: { train: 1, val: 2, test: 3 } });
    expect(p.data.sampling).toEqual({ mode: "2d", depth: 1, classCentred: 0 });
    expect(p.model).toMatchObject({ network: "dilated2d", setting: "ours", norm: "batch", width: 1 / 16, dropout: 0.25, numClasses: 5 });
    // paper defaults that the profile does not override: T = 2, eta = 1e-4, lr decay 0.95
    expect(p.train).toMatchObject({ steps: 40, batchSize: 4, lr: 1e-3, lrDecay: 0.95, alpha: 0.5, T: 2, eta: 1e-4, seed: 3, optimizer: "adam", selection: "last" });
    expect(p.evaluate).toEqual({ metrics: ["dice", "hd", "hd95", "assd"], outlier: false, blockDepth: 1 });
    expect(Object.isFrozen(p.train)).toBe(true);
  });

  it("gives alpha 0 to settings without KD, and errors on an out-of-range fold", () => {
    expect(resolvePlan(cardiac(), "quick", { setting: "individual", norm: "batch", alpha: 0.5, seed: 0 }).train.alpha).toBe(0);
    expect(() => resolvePlan(cardiac(), "quick", { setting: "ours", norm: "batch", alpha: 0.5, seed: 0, fold: 1 })).toThrow(/fold/);
  });

  it("changes the hash when any field of the plan changes", () => {
    const p = resolvePlan(cardiac(), "quick", { setting: "ours", norm: "batch", alpha: 0.5, seed: 0 });
    const h = planHash(p);
    expect(h).toMatch(/^[0-9a-f]{16}$/);
    const paths = leaves(p);
    expect(paths.length).toBeGreaterThan(40);
    for (const path of paths) expect(planHash(withLeaf(p, path) as RunPlan), path.join(".")).not.toBe(h);
  });

  it("changes the hash when a profile value changes through the config (lr, T, dropout, steps)", () => {
    const base = planHash(resolvePlan(cardiac(), "quick", { setting: "ours", norm: "batch", alpha: 0.5, seed: 0 }));
    for (const train of [{ lr: 5e-4 }, { temperature: 4 }, { steps: 41 }, { eta: 0 }]) {
      const c = cardiac({ profiles: { quick: { train } } });
      expect(planHash(resolvePlan(c, "quick", { setting: "ours", norm: "batch", alpha: 0.5, seed: 0 })), JSON.stringify(train)).not.toBe(base);
    }
    expect(planHash(resolvePlan(cardiac({ profiles: { quick: { classCentred: 0.5 } } }), "quick", { setting: "ours", norm: "batch", alpha: 0.5, seed: 0 }))).not.toBe(base);
  });

  it("expands a grid: KD settings per alpha, non-KD once, folds outermost", () => {
    const plans = expandPlans(cardiac({ alphas: [0.1, 0.5] }), "quick", { seeds: [0, 1] });
    expect(plans.map((p) => `${p.plan.model.setting}:${p.plan.train.alpha}:${p.plan.train.seed}`)).toEqual([
      "individual:0:0", "individual:0:1", "ours:0.1:0", "ours:0.1:1", "ours:0.5:0", "ours:0.5:1",
    ]);
    expect(new Set(plans.map((p) => p.hash)).size).toBe(6);
  });

  it("abdominal at cpu without real data is refused, naming the data root (it fell back to a synthetic split of 0 cases)", () => {
    expect(() => expandPlans(abdominal(), "cpu", { dataRoot: "/nonexistent-ummkd-root" })).toThrow(/data root.*btcv_sabs_ct\/ and chaos_t2_mr\//);
    // smoke and quick are synthetic by design and still expand without data
    expect(expandPlans(abdominal(), "quick", { dataRoot: "/nonexistent-ummkd-root" }).every((p) => p.plan.data.source === "synthetic")).toBe(true);
  });
});

describe("k-fold splits (lib/data/kfold.ts)", () => {
  it("deals a seeded shuffle round-robin: every case in exactly one fold, sizes differ by at most one", () => {
    const ids = Array.from({ length: 10 }, (_, i) => String(i));
    const folds = makeFolds(ids, 4, new Rng(1));
    expect(folds.map((f) => f.length).sort()).toEqual([2, 2, 3, 3]);
    expect(folds.flat().sort((a, b) => Number(a) - Number(b))).toEqual(ids);
    expect(makeFolds(ids, 4, new Rng(1))).toEqual(folds); // deterministic
  });

  it("fold f tests its fold, validates on the first ids of fold f+1, trains on the rest (hand case)", () => {
    const f = { dataset: "x", k: 3, seed: 0, cases: { ct: ["1", "2", "3", "4", "5", "6"], mri: ["a", "b", "c"] }, folds: { ct: [["1", "4"], ["2", "5"], ["3", "6"]], mri: [["a"], ["b"], ["c"]] } };
    const s = foldSplit(f, 2, { ct: 1, mri: 0 });
    expect(s.test).toEqual({ ct: ["3", "6"], mri: ["c"] });
    expect(s.val).toEqual({ ct: ["1"], mri: [] });
    expect(s.train).toEqual({ ct: ["2", "4", "5"], mri: ["a", "b"] });
    expect(() => foldSplit(f, 3, { ct: 1, mri: 0 })).toThrow(/fold/);
    expect(() => foldSplit(f, 0, { ct: 3, mri: 0 })).toThrow(/valPerModality/);
  });

  it("over all folds, every case is tested exactly once", () => {
    const kf = makeKFold("x", { ct: Array.from({ length: 16 }, (_, i) => String(i)), mri: Array.from({ length: 20 }, (_, i) => String(100 + i)) }, 4, 2020);
    const tested = [0, 1, 2, 3].flatMap((f) => { const s = foldSplit(kf, f, { ct: 2, mri: 2 }); return [...s.test.ct, ...s.test.mri]; });
    expect(tested).toHaveLength(36);
    expect(new Set(tested).size).toBe(36);
    for (const f of [0, 1, 2, 3]) {
      const s = foldSplit(kf, f, { ct: 2, mri: 2 });
      for (const m of ["ct", "mri"] as const) {
        expect(s.train[m].some((id) => s.test[m].includes(id) || s.val[m].includes(id))).toBe(false);
        expect(s.train[m].length + s.val[m].length + s.test[m].length).toBe(m === "ct" ? 16 : 20);
      }
    }
  });
});

describe("run store / cache: a stored run is never served for a different plan", () => {
  const tmp = isolatedRunDirs("ummkd-plan-");

  it("retrains after an lr change, serves the unchanged plan from the cache", async () => {
    const c1 = cardiac({ settings: ["ours"] });
    const opts = { profile: "smoke", progress: "none" as const };
    const a = await runExperiment(c1, opts);
    expect([a.trained, a.cached]).toEqual([1, 0]);
    const again = await runExperiment(c1, opts);
    expect([again.trained, again.cached]).toEqual([0, 1]);
    expect(again.runs[0]!.rows).toEqual(a.runs[0]!.rows);
    const c2 = cardiac({ settings: ["ours"], profiles: { smoke: { train: { lr: 2e-3 } } } });
    const b = await runExperiment(c2, opts);
    expect([b.trained, b.cached]).toEqual([1, 0]);
    expect(b.runs[0]!.key).not.toBe(a.runs[0]!.key);
    expect(b.runs[0]!.plan.train.lr).toBe(2e-3);
    expect(readdirSync(join(tmp(), "cache")).sort()).toEqual([`${a.runs[0]!.key}.json`, `${b.runs[0]!.key}.json`].sort());
    // smoke runs never go to the committed store
    expect(() => readdirSync(join(tmp(), "store"))).toThrow();
  }, 120_000);
});
