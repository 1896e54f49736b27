// The code that turns predictions into result rows (lib/experiment/runner.ts evaluateCases), on two
// hand-made cases with a stub predictor: every expected value below is worked out by hand.
import { describe, it, expect } from "vitest";
import { validateConfig } from "../../lib/plan/config.ts";
import { resolvePlan } from "../../lib/plan/plan.ts";
import { evaluateCases } from "../../lib/experiment/runner.ts";
import type { Case, LabelVolume } from "../../lib/data/types.ts";

const I: [[number, number, number, number], [number, number, number, number], [number, number, number, number], [number, number, number, number]] = [
  [1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1],
];
const vol = (labels: number[]): LabelVolume => ({ data: Uint8Array.from(labels), shape: [4, 2, 1], spacing: [1, 1, 1], affine: I });
const mkCase = (id: string, modality: "ct" | "mri", label: number[]): Case => ({
  id, modality, image: { data: new Float32Array(8), shape: [4, 2, 1], spacing: [1, 1, 1], affine: I }, label: vol(label),
});

// 4x2 plane, one slice. Structures of the cardiac task: class 1 LVM, 2 LAC, 3 LVC, 4 AA.
// CT case "c1": truth  1 1 1 1 / 2 2 0 0 ; prediction 1 1 0 0 / 0 0 1 1
//   LVM (1): |P|=2, |T|=4, |P∩T|=2 -> Dice 2*2/6 = 66.666...%
//   LAC (2): predicted nowhere -> Dice 0, HD = Infinity (one side empty)
//   LVC (3): predicted at 2 voxels, absent from truth -> Dice 0
//   AA  (4): absent from both -> Dice NaN
// MRI case "m1": truth = prediction = 0 1 0 0 / 0 0 0 0 -> LVM Dice 100, HD 0
const c1 = mkCase("c1", "ct", [1, 1, 1, 1, 2, 2, 0, 0]);
const m1 = mkCase("m1", "mri", [0, 1, 0, 0, 0, 0, 0, 0]);
const preds: Record<string, number[]> = { c1: [1, 1, 0, 0, 0, 0, 3, 3], m1: [0, 1, 0, 0, 0, 0, 0, 0] };

const config = validateConfig({ name: "t", artefact: "T", task: "cardiac", network: "dilated2d", settings: ["ours"] }, "t.json");
const plan = resolvePlan(config, "smoke", { setting: "ours", norm: "batch", alpha: 0.3, seed: 7 });
const seen: [string, number][] = [];
const { rows, samples } = await evaluateCases(plan, { test: { ct: [c1], mri: [m1] }, source: { ct: "synthetic", mri: "real:x" } }, (c, m) => {
  seen.push([c.id, m]);
  return vol(preds[c.id]!);
});
describe("evaluateCases: predictions -> tidy rows", () => {
  const get = (c: string, s: string, metric: string) => rows.filter((r) => r.case === c && r.structure === s && r.metric === metric).map((r) => r.value);

  it("predicts each case with its own modality's index (CT 0, MRI 1)", () => {
    expect(seen).toEqual([["c1", 0], ["m1", 1]]);
  });

  it("writes one row per case x structure x metric with the plan's coordinates", () => {
    expect(rows).toHaveLength(2 * 4 * 4);
    expect(new Set(rows.map((r) => r.structure))).toEqual(new Set(["LVM", "LAC", "LVC", "AA"]));
    for (const r of rows) expect(r).toMatchObject({ profile: "smoke", setting: "ours", norm: "batch", alpha: 0.3, seed: 7, fold: 0, condition: "clean" });
    expect(rows.filter((r) => r.case === "c1").every((r) => r.modality === "ct" && r.data_source === "synthetic")).toBe(true);
    expect(rows.filter((r) => r.case === "m1").every((r) => r.modality === "mri" && r.data_source === "real:x")).toBe(true);
  });

  it("Dice in percent per structure (label k+1 -> structure k), distances in mm", () => {
    expect(get("c1", "LVM", "dice")[0]).toBeCloseTo(200 / 3, 10);
    expect(get("c1", "LAC", "dice")).toEqual([0]);
    expect(get("c1", "LAC", "hd")).toEqual([Infinity]);
    expect(get("c1", "LVC", "dice")).toEqual([0]);
    expect(get("c1", "AA", "dice")[0]).toBeNaN();
    expect(get("m1", "LVM", "dice")).toEqual([100]);
    expect(get("m1", "LVM", "hd")).toEqual([0]);
    // LVM on c1: truth surface x=0..3 (y=0), prediction x=0..1: the farthest truth voxel (x=3) is 2 mm from the prediction
    expect(get("c1", "LVM", "hd")).toEqual([2]);
  });

  it("keeps one sample slice per modality", () => {
    expect(samples.map((s) => [s.modality, s.case, s.z])).toEqual([["ct", "c1", 0], ["mri", "m1", 0]]);
    expect(samples[0]!.pred).toEqual(preds.c1);
    expect(samples[0]!.label).toEqual([1, 1, 1, 1, 2, 2, 0, 0]);
  });
});
