/**
 * The steps between a trained run and a committed number (issue #30), each checked against values
 * computed here independently of lib (plain loops, or scipy 1.17 numbers written in the comments):
 * - fold assignment of rows (evaluateCases with a cross-validation plan);
 * - tidy rows -> per-setting means and SDs (per-case means over structures, modality "overall",
 *   n - 1, non-finite values skipped, unequal case counts, two normalizations, two seeds);
 * - the pivot into the display tables (sideBySideRows: the cell of the asked normalization);
 * - Tables III/IV's p-values (seeds averaged per case, paired by modality and case, NaN cases
 *   dropped; paired and Welch);
 * - the generated readings ("X > Y" ordering, "ours − X", the best setting);
 * - the learning-curve table (pooled validation Dice in percent per structure).
 * test/experiment/evaluate-cases.test.ts covers per-case metrics -> rows, selection.test.ts model
 * selection, rederive.test.ts the re-derivation of every committed file from the run records.
 */
import { describe, it, expect } from "vitest";
import { validateConfig } from "../../lib/plan/config.ts";
import { resolvePlan } from "../../lib/plan/plan.ts";
import { evaluateCases, specOf } from "../../lib/experiment/runner.ts";
import { pValues, sideBySideRows, summarizeTidy } from "../../lib/experiment/summary.ts";
import { compareSettings, orderingNotes } from "../../lib/notebooks/artefacts/common.ts";
import { learningCurveRows } from "../../lib/notebooks/curves.ts";
import type { TidyRow } from "../../lib/experiment/tidy.ts";
import type { Case, LabelVolume } from "../../lib/data/types.ts";

const config = validateConfig({ name: "t", artefact: "T", task: "cardiac", network: "dilated2d", settings: ["ours"] }, "t.json");

describe("fold assignment of rows", () => {
  const I = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]] as never;
  const vol = (labels: number[]): LabelVolume => ({ data: Uint8Array.from(labels), shape: [2, 2, 1], spacing: [1, 1, 1], affine: I });
  const mk = (id: string, modality: "ct" | "mri"): Case => ({ id, modality, image: { data: new Float32Array(4), shape: [2, 2, 1], spacing: [1, 1, 1], affine: I }, label: vol([1, 2, 3, 4]) });
  // synthetic data have one split (fold 0); a cross-validation plan of the real data differs only in data.split
  const base = resolvePlan(config, "cpu", { setting: "ours", norm: "batch", alpha: 0.5, seed: 0, dataRoot: null });
  it.each([0, 2, 3])("a run of cross-validation fold %i labels every row with that fold", async (fold) => {
    const plan = { ...base, data: { ...base.data, split: { kind: "kfold", file: "data/splits/x.json", k: 4, fold } } } as never as typeof base;
    expect(specOf(plan).fold).toBe(fold);
    const { rows } = await evaluateCases(plan, { test: { ct: [mk("c1", "ct")], mri: [mk("m1", "mri")] }, source: { ct: "synthetic", mri: "synthetic" } }, () => vol([1, 2, 3, 4]));
    expect(rows.length).toBe(2 * 4 * plan.evaluate.metrics.length);
    expect(new Set(rows.map((r) => r.fold))).toEqual(new Set([fold]));
  });
  it("a run without cross-validation labels its rows fold 0", async () => {
    expect(base.data.split.kind).not.toBe("kfold");
    const { rows } = await evaluateCases(base, { test: { ct: [mk("c1", "ct")], mri: [] }, source: { ct: "synthetic", mri: "synthetic" } }, () => vol([1, 2, 3, 4]));
    expect(new Set(rows.map((r) => r.fold))).toEqual(new Set([0]));
  });
});

// ---------------------------------------------------------------------------------------------
// A tidy data set with unequal case counts (3 CT, 2 MRI), two normalizations, two seeds, three
// structures, NaN (absent from both) and Infinity (one side empty) values.
const row = (o: Partial<TidyRow> & Pick<TidyRow, "setting" | "norm" | "seed" | "modality" | "case" | "structure" | "metric" | "value">): TidyRow => ({
  notebook: "nb", profile: "cpu", data_source: "synthetic", condition: "clean", alpha: 0, fold: 0, ...o,
});
const STRUCTS = ["LVM", "LAC", "LVC"];
const CASES: [string, string][] = [["ct", "c1"], ["ct", "c2"], ["ct", "c3"], ["mri", "m1"], ["mri", "m2"]];
function dataset(): TidyRow[] {
  const out: TidyRow[] = [];
  let x = 7;
  const next = () => ((x = (x * 48271) % 2147483647), 40 + (x % 5000) / 100); // deterministic values in [40, 90)
  for (const setting of ["ours", "joint"]) for (const norm of ["batch", "instance"]) for (const seed of [0, 1]) for (const [modality, c] of CASES) for (const structure of STRUCTS) {
    let dice = next();
    let hd = next() / 10;
    if (setting === "joint" && c === "c2" && structure === "LAC") dice = NaN; // absent from both
    if (setting === "ours" && c === "m1" && structure === "LVC") hd = Infinity; // one side empty
    out.push(row({ setting, norm, seed, modality, case: c, structure, metric: "dice", value: dice }));
    out.push(row({ setting, norm, seed, modality, case: c, structure, metric: "hd", value: hd }));
  }
  return out;
}

/** mean and SD (n - 1) of the finite values, by hand. */
function ms(v: number[]): { mean: number; std: number; n: number } {
  const f = v.filter((y) => Number.isFinite(y));
  const mean = f.reduce((a, b) => a + b, 0) / f.length;
  const std = f.length > 1 ? Math.sqrt(f.reduce((a, b) => a + (b - mean) ** 2, 0) / (f.length - 1)) : NaN;
  return { mean, std, n: f.length };
}

describe("tidy rows -> per-setting means and SDs", () => {
  const rows = dataset();
  const s = summarizeTidy(rows);
  const get = (setting: string, norm: string, modality: string, structure: string, metric: string) =>
    s.find((r) => r.setting === setting && r.norm === norm && r.modality === modality && r.structure === structure && r.metric === metric && r.condition === "clean");
  const sel = (f: (r: TidyRow) => boolean) => rows.filter(f);

  it("per structure: mean and SD (n - 1) over cases and seeds of the finite values", () => {
    for (const setting of ["ours", "joint"]) for (const norm of ["batch", "instance"]) for (const modality of ["ct", "mri"]) for (const structure of STRUCTS) for (const metric of ["dice", "hd"]) {
      const v = sel((r) => r.setting === setting && r.norm === norm && r.modality === modality && r.structure === structure && r.metric === metric).map((r) => r.value);
      const e = ms(v);
      const got = get(setting, norm, modality, structure, metric)!;
      expect(got.n, `${setting}/${norm}/${modality}/${structure}/${metric}`).toBe(e.n);
      expect(got.mean).toBeCloseTo(e.mean, 10);
      expect(got.std).toBeCloseTo(e.std, 10);
    }
    // the NaN and the Infinity are not counted
    expect(get("joint", "batch", "ct", "LAC", "dice")!.n).toBe(2 * 3 - 2);
    expect(get("ours", "batch", "mri", "LVC", "hd")!.n).toBe(2 * 2 - 2);
  });

  it('structure "mean": per case and seed the mean over its finite structures, then mean ± SD over those; "overall" pools both modalities\' per-case means', () => {
    for (const setting of ["ours", "joint"]) for (const norm of ["batch", "instance"]) for (const metric of ["dice", "hd"]) {
      const caseMeans: Record<string, number[]> = { ct: [], mri: [] };
      for (const seed of [0, 1]) for (const [modality, c] of CASES) {
        const v = sel((r) => r.setting === setting && r.norm === norm && r.seed === seed && r.case === c && r.metric === metric).map((r) => r.value);
        caseMeans[modality]!.push(ms(v).mean);
      }
      for (const modality of ["ct", "mri"]) {
        const e = ms(caseMeans[modality]!);
        const got = get(setting, norm, modality, "mean", metric)!;
        expect(got.n).toBe(modality === "ct" ? 6 : 4);
        expect(got.mean).toBeCloseTo(e.mean, 10);
        expect(got.std).toBeCloseTo(e.std, 10);
      }
      const e = ms([...caseMeans.ct!, ...caseMeans.mri!]);
      const got = get(setting, norm, "overall", "mean", metric)!;
      expect(got.n).toBe(10);
      expect(got.mean).toBeCloseTo(e.mean, 10);
      expect(got.std).toBeCloseTo(e.std, 10);
      // not the mean of the two modality means (unequal case counts make them differ)
      expect(Math.abs(got.mean - (ms(caseMeans.ct!).mean + ms(caseMeans.mri!).mean) / 2)).toBeGreaterThan(1e-6);
    }
  });

  it("pivot: each normalization's display table shows that normalization's cells, formatted mean ± SD", () => {
    for (const norm of ["batch", "instance"]) {
      const t = sideBySideRows(s, [], { metric: "dice", structures: STRUCTS, settings: ["ours", "joint"], norm });
      expect(t.map((r) => [r.setting, r.source])).toEqual([["ours", "ours"], ["joint", "ours"]]);
      for (const r of t) {
        for (const [modality, label] of [["ct", "CT"], ["mri", "MRI"]] as const) {
          for (const structure of STRUCTS) {
            const e = ms(sel((x) => x.setting === r.setting && x.norm === norm && x.modality === modality && x.structure === structure && x.metric === "dice").map((x) => x.value));
            expect(r[`${label} ${structure}`], `${norm} ${r.setting} ${label} ${structure}`).toBe(`${e.mean.toFixed(1)} ± ${e.std.toFixed(1)}`);
          }
        }
        const o = get(r.setting!, norm, "overall", "mean", "dice")!;
        expect(r["overall mean"]).toBe(`${o.mean.toFixed(1)} ± ${o.std.toFixed(1)}`);
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// p-values and readings. Per-case means (over two structures, seeds averaged):
//   ours:       c1 80, c2 60, c3 90, m1 50, m2 70, m3 40   (seed 0: mean - 1, seed 1: mean + 1)
//   joint:      c1 78, c2 57, c3 89, m1 48, m2 66, m3 NaN  (m3 undefined: dropped from the pair)
//   individual: c1 70, c2 48, c3 82, m1 41, m2 59, m3 30
// scipy 1.17.1: ttest_rel(ours[:5], joint).pvalue = 0.009261696759514423,
//   ttest_ind(ours[:5], joint, equal_var=False).pvalue = 0.8192324973453974 (equal_var=True: 0.8192267062226772);
//   ttest_rel(ours, individual).pvalue = 1.1752060088232391e-05, Welch 0.3821683172291918 (pooled 0.382155135814869).
// Overall mean Dice (per-case means of both modalities): ours 65, joint 338/5 = 67.6, individual 55.
const MEANS: Record<string, number[]> = {
  ours: [80, 60, 90, 50, 70, 40], joint: [78, 57, 89, 48, 66, NaN], individual: [70, 48, 82, 41, 59, 30],
};
const PCASES: [string, string][] = [["ct", "c1"], ["ct", "c2"], ["ct", "c3"], ["mri", "m1"], ["mri", "m2"], ["mri", "m3"]];
function pvRows(): TidyRow[] {
  const out: TidyRow[] = [];
  for (const [setting, means] of Object.entries(MEANS)) {
    const seeds = setting === "ours" ? [0, 1] : [0];
    for (const seed of seeds) PCASES.forEach(([modality, c], k) => {
      const m = means[k]! + (setting === "ours" ? (seed === 0 ? -1 : 1) : 0);
      out.push(row({ setting, norm: "batch", seed, modality, case: c, structure: "LVM", metric: "dice", value: m - 5 }));
      out.push(row({ setting, norm: "batch", seed, modality, case: c, structure: "LAC", metric: "dice", value: m + 5 }));
    });
  }
  return out;
}

describe("p-values (Tables III/IV): seeds averaged per case, paired by modality and case", () => {
  const pv = pValues(pvRows(), { metric: "dice" });
  const by = (s: string) => pv.find((r) => r.setting === s)!;
  it("ours vs joint: the NaN case dropped (n 5), mean difference 2.4, scipy's paired and Welch p", () => {
    expect(by("joint").n).toBe(5);
    expect(by("joint").meanDiff).toBeCloseTo(2.4, 10);
    expect(by("joint").pPaired).toBeCloseTo(0.009261696759514423, 10);
    expect(by("joint").pWelch).toBeCloseTo(0.8192324973453974, 10);
  });
  it("ours vs individual: n 6, mean difference 10, scipy's paired and Welch p", () => {
    expect(by("individual").n).toBe(6);
    expect(by("individual").meanDiff).toBeCloseTo(10, 10);
    expect(by("individual").pPaired / 1.1752060088232391e-5).toBeCloseTo(1, 8);
    expect(by("individual").pWelch).toBeCloseTo(0.3821683172291918, 10);
  });
});

describe("generated readings", () => {
  const rows = pvRows();
  const s = summarizeTidy(rows);
  const paper = [["ours", 88.8], ["joint", 86.3], ["individual", 86.6]].map(([setting, value]) => ({
    setting: setting as string, norm: "batch", modality: "overall", structure: "mean", metric: "dice", stat: "mean", value: value as number,
  }));
  it("the measured ordering is best first, with the overall means", () => {
    const notes = orderingNotes(rows, s, paper);
    expect(notes[0]).toBe("Measured ordering (overall mean Dice %, batch norm): joint 67.6 > ours 65.0 > individual 55.0.");
    expect(notes[1]).toBe("Paper's ordering: ours 88.8 > individual 86.6 > joint 86.3.");
  });
  // the line with the p-values is being replaced by model-level statistics (issue #26); its committed
  // text is guarded by rederive.test.ts, the p-values themselves above
  it("the reading against the paper: best setting and signed differences", () => {
    const lines = compareSettings(s, paper);
    expect(lines[0]).toBe("Reading (batch norm, overall mean Dice): best setting — ours: joint (67.6%), paper: ours (88.8%).");
    expect(lines).toContain("  ours − individual: ours +10.0 points, paper +2.2 points.");
    expect(lines).toContain("  joint − individual: ours +12.6 points, paper -0.3 points.");
  });
});

describe("learning-curve table: pooled validation Dice in percent per structure", () => {
  it("one row per record, modality and class (class k -> structure k), Dice x 100, NaN kept", () => {
    const rec = {
      spec: { task: "cardiac", setting: "ours", norm: "batch", alpha: 0.5, seed: 0, fold: 1 },
      val: [{ step: 50, kd: 0.25, diceCtPerClass: [0.5, NaN, 0.25, 1], diceMriPerClass: [0.125, 0.75, 0, 0.5] }],
    } as never;
    const rows = learningCurveRows([rec]);
    expect(rows.map((r) => [r.modality, r.structure, r.pooled_dice])).toEqual([
      ["ct", "LVM", 50], ["ct", "LAC", NaN], ["ct", "LVC", 25], ["ct", "AA", 100],
      ["mri", "LVM", 12.5], ["mri", "LAC", 75], ["mri", "LVC", 0], ["mri", "AA", 50],
    ]);
    for (const r of rows) expect([r.step, r.fold, r.val_kd, r.setting]).toEqual([50, 1, 0.25, "ours"]);
  });
});
