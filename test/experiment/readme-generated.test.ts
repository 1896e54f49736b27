import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generatedBlocks, replaceBlocks } from "../../lib/notebooks/claim.ts";
import { seedSd } from "../../lib/notebooks/comparisons.ts";
import { deviationRows } from "../../lib/notebooks/deviations.ts";
import { loadConfig } from "../../lib/plan/config.ts";
import { expandPlans } from "../../lib/plan/plan.ts";

const ROOT = join(import.meta.dirname, "../..");

describe("README's generated blocks (deviations from the paper, the answer to 'does Ours beat Joint')", () => {
  it("README.md equals its regeneration from the committed run records (run `npm run readme` after new records)", () => {
    const text = readFileSync(join(ROOT, "README.md"), "utf8");
    expect(replaceBlocks(text, generatedBlocks())).toBe(text);
  });
  it("a missing marker is an error naming it", () => {
    expect(() => replaceBlocks("no markers here", { claim: "x" })).toThrow(/BEGIN generated: claim/);
  });
  it("replaces only between its markers", () => {
    const t = "a\n<!-- BEGIN generated: x (npm run readme) -->\nold\n<!-- END generated: x -->\nb";
    expect(replaceBlocks(t, { x: "new" })).toBe("a\n<!-- BEGIN generated: x (npm run readme) -->\nnew\n<!-- END generated: x -->\nb");
  });
});

describe("deviation rows come from the resolved plans", () => {
  const plan = expandPlans(loadConfig(join(ROOT, "data/configs/table2_abdominal.json")), "cpu")[0]!.plan;
  const rows = deviationRows(plan, [0, 1, 2], 4);
  const get = (item: string) => rows.find((r) => r.item === item)!;
  it("batch per modality is the plan's batchSize, against the paper's 2 (Section IV-A: batch 4, balanced)", () => {
    expect(get("batch").cpu).toBe(`${plan.train.batchSize} per modality (${2 * plan.train.batchSize} per step)`);
    expect(get("batch").paper).toMatch(/2 per modality/);
    expect(get("batch").differs).toBe(plan.train.batchSize !== 2);
  });
  it("steps, normalization momentum and replicates follow the plan and the seeds given", () => {
    expect(get("steps").cpu).toBe(plan.train.steps.toLocaleString("en-US"));
    expect(get("normalization").cpu).toContain(`decay ${plan.model.normMomentum}`);
    expect(get("replicates").cpu).toBe("3 seeds (0, 1, 2) per setting and fold");
  });
});

describe("seed SD", () => {
  it("is the sample SD over the seeds of one fold, averaged over folds; NaN with one seed", () => {
    // fold 0: 70, 72, 74 -> SD 2; fold 1: 60, 61 -> SD 0.7071
    const m = [70, 72, 74].map((d, seed) => ({ fold: 0, seed, dice: d })).concat([60, 61].map((d, seed) => ({ fold: 1, seed, dice: d })));
    expect(seedSd(m)).toBeCloseTo((2 + Math.SQRT1_2) / 2, 12);
    expect(seedSd([{ fold: 0, seed: 0, dice: 70 }])).toBeNaN();
  });
});
