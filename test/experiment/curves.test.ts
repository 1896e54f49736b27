/**
 * Learning-curve figure: one line per run where each setting has one run; with cross-validation
 * folds, faint per-fold lines plus a bold mean line per setting (the mean computed by Vega from
 * the per-fold values, checked here against a hand computation).
 */
import { describe, it, expect } from "vitest";
import * as vl from "vega-lite";
import * as vega from "vega";
import { learningCurveRows, learningCurveSpec } from "../../lib/notebooks/curves.ts";

type Run = Parameters<typeof learningCurveRows>[0][number];
const run = (setting: string, fold: number, dice: number[][]): Run =>
  ({
    spec: { task: "abdominal", setting, norm: "batch", alpha: 0.5, seed: 0, fold },
    val: dice.map((d, i) => ({ step: (i + 1) * 100, kd: 0.1, diceCtPerClass: d, diceMriPerClass: d })),
  }) as unknown as Run;

type Layered = { spec: { layer?: { mark: { strokeWidth: number }; encoding: { y: { aggregate?: string } } }[]; mark?: unknown } };

describe("learningCurveSpec", () => {
  it("one run per setting: one line per run, no mean layer", () => {
    const rows = learningCurveRows([run("ours", 0, [[0.5, 0.6, 0.7, 0.8]]), run("joint", 0, [[0.4, 0.5, 0.6, 0.7]])]);
    const spec = learningCurveSpec(rows, "t", ["joint", "ours"]) as unknown as Layered;
    expect(spec.spec.layer).toBeUndefined();
    expect(spec.spec.mark).toBeDefined();
  });

  it("several folds per setting: faint per-fold lines and their mean, which Vega computes as the mean over folds", async () => {
    // liver pooled Dice of 'ours' at steps 100, 200: fold 0 50 -> 70, fold 1 60 -> 90; means 55, 80.
    const runs = [
      run("ours", 0, [[0.5, 0, 0, 0], [0.7, 0, 0, 0]]),
      run("ours", 1, [[0.6, 0, 0, 0], [0.9, 0, 0, 0]]),
      run("joint", 0, [[0.2, 0, 0, 0], [0.3, 0, 0, 0]]),
    ];
    const spec = learningCurveSpec(learningCurveRows(runs), "t", ["joint", "ours"]) as unknown as Layered;
    const layers = spec.spec.layer!;
    expect(layers).toHaveLength(2);
    expect(layers[1]!.encoding.y.aggregate).toBe("mean");
    // Run the compiled Vega dataflow and read the aggregated data of the mean layer.
    const compiled = vl.compile(spec as never).spec;
    const view = new vega.View(vega.parse(compiled), { renderer: "none" });
    await view.runAsync();
    const means = (compiled.data ?? [])
      .flatMap((d) => view.data(d.name) as Record<string, unknown>[])
      .filter((r) => r.setting === "ours" && r.modality === "CT" && r.structure === "liver" && "mean_dice" in r)
      .map((r) => [r.step, r.mean_dice]);
    expect(new Map(means as [number, number][])).toEqual(new Map([[100, 55], [200, 80]]));
  });
});
