/**
 * `ummkd diagnose` end to end on a smoke-profile run (synthetic abdominal data), trained here into
 * temporary store/cache/train folders with model selection "best-val-dice" so that best weights are
 * kept: precise-bn must reproduce the record's rows with the trained statistics, write both
 * estimates and every column; class-presence must count what an independently built production
 * source gives.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../../lib/cli/diagnose.ts";
import { REPO_ROOT } from "../../lib/util/repo-root.ts";
import { loadConfig } from "../../lib/plan/config.ts";
import { loadTaskData, structuresOf } from "../../lib/experiment/data.ts";
import { DIAGNOSIS_COLUMNS, loadBestModel, loadStoredRun } from "../../lib/notebooks/diagnose.ts";
import { expandPlans, planHash, type RunPlan } from "../../lib/plan/plan.ts";
import { runPlans } from "../../lib/experiment/runner.ts";
import { CaseBatchSource } from "../../lib/train/batch-source.ts";
import { DataError, OptionError } from "../../lib/util/errors.ts";

const ENV = ["UMMKD_CACHE", "UMMKD_TRAIN_DIR", "UMMKD_RUN_STORE"] as const;
const saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));
let tmp: string;
const hashes: Record<string, string> = {};
const plans: Record<string, RunPlan> = {};

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "ummkd-diagnose-"));
  process.env.UMMKD_CACHE = join(tmp, "cache");
  process.env.UMMKD_TRAIN_DIR = join(tmp, "train");
  process.env.UMMKD_RUN_STORE = join(tmp, "store");
  const config = loadConfig(join(REPO_ROOT, "data", "configs", "table2_abdominal.json"));
  const picked = expandPlans(config, "smoke", { settings: ["ours", "joint"], folds: [0] }).map(({ plan }) => {
    const p: RunPlan = { ...plan, train: { ...plan.train, selection: "best-val-dice" } };
    return { hash: planHash(p), plan: p };
  });
  for (const { hash, plan } of picked) {
    hashes[plan.model.setting] = hash;
    plans[plan.model.setting] = plan;
  }
  await runPlans(config, "smoke", picked, { progress: "none" });
}, 300_000);

afterAll(() => {
  for (const k of ENV) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  rmSync(tmp, { recursive: true, force: true });
});

function readCsvRows(path: string): Record<string, string>[] {
  const [head, ...lines] = readFileSync(path, "utf8").trim().split("\n");
  const cols = head!.split(",");
  return lines.map((l) => Object.fromEntries(l.split(",").map((v, i) => [cols[i]!, v])));
}

describe("ummkd diagnose precise-bn", () => {
  it.each(["ours", "joint"])("%s: reproduces the record, then evaluates both estimates", async (setting) => {
    const hash = hashes[setting]!;
    const out = join(tmp, "out");
    expect(await run(["precise-bn", hash, "--patches", "3", "--out", out])).toBe(0);
    const meta = JSON.parse(readFileSync(join(out, `precise_bn_${hash}.json`), "utf8"));
    expect(meta.reproducesRecord.compared).toBeGreaterThan(0);
    expect(meta.reproducesRecord.maxAbsDiff).toBe(0);
    expect(meta.patches).toBe(3);
    // ours: one instance per modality per layer; joint: one shared instance per layer (17 batch-norm layers)
    const instances = new Set(meta.layers.map((l: { instance: string }) => l.instance));
    expect([...instances].sort()).toEqual(setting === "ours" ? ["ct", "mri"] : ["shared"]);
    expect(meta.layers.length).toBe(setting === "ours" ? 34 : 17);
    // every per-modality layer saw 3 batches; a shared one 3 batches of both modalities
    for (const l of meta.layers) expect(l.batches).toBe(3);
    const rows = readCsvRows(join(out, `precise_bn_${hash}.csv`));
    expect(Object.keys(rows[0]!)).toEqual([...DIAGNOSIS_COLUMNS]);
    const byStat = (s: string) => rows.filter((r) => r.bn_statistics === s);
    expect(byStat("moving-average").length).toBeGreaterThan(0);
    expect(byStat("pooled").length).toBe(byStat("moving-average").length);
    expect(byStat("batch-average").length).toBe(byStat("moving-average").length);
    expect(new Set(byStat("pooled").map((r) => r.patches))).toEqual(new Set(["3"]));
    expect(meta.summary.map((s: { bn_statistics: string; modality: string }) => `${s.bn_statistics}/${s.modality}`).sort()).toEqual(
      ["batch-average/ct", "batch-average/mri", "moving-average/ct", "moving-average/mri", "pooled/ct", "pooled/mri"],
    );
  }, 300_000);

  it("--statistics pooled --metrics dice: one estimate, Dice rows only", async () => {
    const hash = hashes.ours!;
    const out = join(tmp, "out2");
    expect(await run(["precise-bn", hash, "--patches", "1", "--statistics", "pooled", "--metrics", "dice", "--out", out])).toBe(0);
    const rows = readCsvRows(join(out, `precise_bn_${hash}.csv`));
    expect(new Set(rows.map((r) => r.bn_statistics))).toEqual(new Set(["moving-average", "pooled"]));
    expect(new Set(rows.map((r) => r.metric))).toEqual(new Set(["dice"]));
  }, 300_000);

  it("the best weights are those the record was evaluated with (selected step)", () => {
    const { model, step } = loadBestModel(hashes.ours!, plans.ours!);
    expect(step).toBe(loadStoredRun(hashes.ours!).record.train.selectedStep);
    model.dispose();
  });

  it("refuses an unknown hash, a run without best weights and misplaced options", async () => {
    await expect(run(["precise-bn", "0123456789abcdef", "--out", tmp])).rejects.toThrow(DataError);
    await expect(run(["precise-bn", hashes.ours!, "--steps", "3"])).rejects.toThrow(OptionError);
    await expect(run(["class-presence", hashes.ours!, "--patches", "3"])).rejects.toThrow(OptionError);
    await expect(run(["precise-bn", hashes.ours!, "--statistics", "ema"])).rejects.toThrow(OptionError);
    await expect(run(["frobnicate", hashes.ours!])).rejects.toThrow(OptionError);
    const lastPlan = { ...plans.ours!, train: { ...plans.ours!.train, selection: "last" as const } };
    expect(() => loadBestModel(hashes.ours!, lastPlan)).toThrow(/selection "last"/);
    expect(await run(["--help"])).toBe(0);
  });
});

describe("ummkd diagnose class-presence", () => {
  it("counts the classes of the plan's training batches (independent recount from a source built by hand)", async () => {
    const hash = hashes.ours!;
    const plan = plans.ours!;
    const out = join(tmp, "out3");
    expect(await run(["class-presence", hash, "--steps", "6", "--out", out])).toBe(0);
    const d = JSON.parse(readFileSync(join(out, `class_presence_${hash}.json`), "utf8"));
    expect([d.steps, d.batchSize, d.numClasses, d.kd.absentClass]).toEqual([6, plan.train.batchSize, plan.model.numClasses, plan.train.absentClass]);
    expect(d.classes).toEqual(["background", ...structuresOf("abdominal")]);
    // independent recount: the source as executeRun builds it, labels counted per batch
    const data = await loadTaskData(plan, null);
    const src = new CaseBatchSource(data.train, plan.data.sampling.mode, plan.train.seed, { depth: plan.data.sampling.depth, classCentred: plan.data.sampling.classCentred });
    const K = plan.model.numClasses;
    const absent = [new Array(K).fill(0), new Array(K).fill(0)];
    const ctOnly = new Array(K).fill(0);
    for (let s = 0; s < 6; s++) {
      const has = [0, 1].map((m) => {
        const y = src.next(m as 0 | 1, plan.train.batchSize).y;
        return Array.from({ length: K }, (_, k) => y.includes(k));
      });
      for (let k = 0; k < K; k++) {
        for (const m of [0, 1]) if (!has[m]![k]) absent[m]![k]++;
        if (!has[0]![k] && has[1]![k]) ctOnly[k]++;
      }
    }
    expect(d.batchAbsent).toEqual(absent.map((a) => a.map((v: number) => v / 6)));
    expect(d.absentCtOnly).toEqual(ctOnly.map((v) => v / 6));
    const rows = readCsvRows(join(out, `class_presence_${hash}.csv`));
    expect(rows.length).toBe(K * (3 * 2 + 4));
    expect(Object.keys(rows[0]!)).toEqual(["plan_hash", "modality", "class", "quantity", "value"]);
  }, 300_000);

  it("defaults to the plan's training steps", async () => {
    const hash = hashes.joint!;
    const out = join(tmp, "out4");
    expect(await run(["class-presence", hash, "--out", out])).toBe(0);
    const d = JSON.parse(readFileSync(join(out, `class_presence_${hash}.json`), "utf8"));
    expect(d.steps).toBe(plans.joint!.train.steps);
  }, 300_000);
});
