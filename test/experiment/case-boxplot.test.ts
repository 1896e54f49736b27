/**
 * The per-case box plots of Tables I/II (lib/notebooks/interactive.ts caseBoxSpec): with the cases
 * of several trained models per setting (seeds, folds) the points are coloured by trained model and
 * a layer marks each model's mean; with one trained model the figure has neither. The title is
 * wrapped so that the figure is not widened by vega's estimate of a long title's width.
 */
import { describe, it, expect } from "vitest";
import { addInteractiveFigures, caseBoxSpec, wrapTitle } from "../../lib/notebooks/interactive.ts";
import type { NotebookRun } from "../../lib/notebooks/types.ts";
import type { TidyRow } from "../../lib/experiment/tidy.ts";
import type { CasePoint } from "../../lib/notebooks/plotly.ts";

type Layer = { mark: { type: string; shape?: string; filled?: boolean }; transform?: { aggregate: { op: string; field: string }[]; groupby: string[] }[]; encoding: Record<string, { field?: string; sort?: string[] } | undefined> };
type Spec = { title: { text: string[]; subtitle?: string[] }; data: { values: Record<string, unknown>[] }; spec: { layer: Layer[] } };

const SETTINGS = ["individual", "joint", "ours"];
const TITLE = "table1_cardiac (ours): per-case mean Dice (%) over structures, per setting";
const P = (group: string, series: string, c: string, value: number, seed?: number, fold = 0): CasePoint => ({
  group, series, case: c, value,
  ...(seed === undefined ? {} : { note: `seed ${seed}`, model: { label: `seed ${seed}`, fold, seed } }),
});

describe("per-case box plot", () => {
  it("rows from two seeds: points coloured by trained model, one mean mark per model, a subtitle", async () => {
    const pts = [P("joint", "CT", "1", 70, 0), P("joint", "CT", "2", 80, 0), P("joint", "CT", "1", 60, 1), P("joint", "CT", "2", 64, 1), P("ours", "MRI", "5", 75, 1)];
    const spec = caseBoxSpec(pts, TITLE, "mean Dice (%)", SETTINGS) as unknown as Spec;
    const [box, points, means] = spec.spec.layer;
    expect(spec.spec.layer).toHaveLength(3);
    expect(box!.mark.type).toBe("boxplot");
    expect(box!.encoding.color).toBeUndefined(); // a box pools every model's cases
    expect(points!.encoding.color).toMatchObject({ field: "model", sort: ["seed 0", "seed 1"] });
    expect(points!.encoding.xOffset).toMatchObject({ field: "model" });
    expect(means!.mark).toMatchObject({ type: "point", shape: "diamond", filled: false });
    expect(means!.transform).toEqual([{ aggregate: [{ op: "mean", field: "value", as: "value" }], groupby: ["group", "series", "model", "fold", "seed"] }]);
    expect(means!.encoding.color).toMatchObject({ field: "model" });
    expect(spec.data.values[2]).toMatchObject({ group: "joint", series: "CT", value: 60, model: "seed 1" });
    const sub = spec.title.subtitle!.join(" ");
    expect(sub).toMatch(/^Points: test cases, coloured by seed/);
    expect(sub).toContain("boxes: the cases of all 2 trained models pooled");
    expect(sub).toContain("open diamonds: each trained model's mean");
  });
  it("folds and seeds both varying: colour by fold, shape by seed", () => {
    const pts = [0, 1].flatMap((fold) => [0, 1].map((seed) => ({ ...P("ours", "CT", `${fold}`, 70 + seed, seed, fold), model: { label: `fold ${fold} seed ${seed}`, fold, seed } })));
    const spec = caseBoxSpec(pts, TITLE, "mean Dice (%)", SETTINGS) as unknown as Spec;
    const points = spec.spec.layer[1]!;
    expect(points.encoding.color).toMatchObject({ field: "fold", sort: ["fold 0", "fold 1"] });
    expect(points.encoding.shape).toMatchObject({ field: "seed", sort: ["seed 0", "seed 1"] });
    expect(points.encoding.xOffset).toMatchObject({ field: "model", sort: ["fold 0 seed 0", "fold 0 seed 1", "fold 1 seed 0", "fold 1 seed 1"] });
    expect(spec.spec.layer[2]!.mark.shape).toBe("diamond");
  });
  it("one trained model: one colour, no per-model layer, no subtitle", () => {
    const spec = caseBoxSpec([P("joint", "CT", "1", 70), P("ours", "MRI", "2", 80)], TITLE, "mean Dice (%)", SETTINGS) as unknown as Spec;
    expect(spec.spec.layer).toHaveLength(2);
    expect(spec.spec.layer.some((l) => l.transform || l.encoding.color || l.encoding.xOffset)).toBe(false);
    expect(spec.title.subtitle).toBeUndefined();
    expect(spec.data.values[0]).toEqual({ group: "joint", series: "CT", value: 70 });
  });
  it("a single model's points carry no model, even where the note names a seed", () => {
    // one model with a seed other than 0: no `model` on its points, so no legend
    const spec = caseBoxSpec([{ ...P("ours", "CT", "1", 70), note: "seed 3" }], TITLE, "d", SETTINGS) as unknown as Spec;
    expect(spec.spec.layer).toHaveLength(2);
  });
  it("the title is wrapped to about the plot's width (no empty band on the right)", () => {
    const spec = caseBoxSpec([P("ours", "CT", "1", 70)], TITLE, "d", SETTINGS) as unknown as Spec;
    expect(spec.title.text.join(" ")).toBe(TITLE);
    for (const line of spec.title.text) expect(line.length).toBeLessThanOrEqual(49);
    expect(wrapTitle("aa bb cc", 5)).toEqual(["aa bb", "cc"]);
    expect(wrapTitle("averyverylongword b", 5)).toEqual(["averyverylongword", "b"]);
  });
  it("renders: the multi-model SVG has a legend per seed and no wider than its content", async () => {
    const { renderVegaLite } = await import("../../lib/notebooks/figures.ts");
    const pts = [P("joint", "CT", "1", 70, 0), P("joint", "CT", "1", 60, 1), P("ours", "MRI", "5", 75, 1), P("ours", "MRI", "5", 72, 0)];
    const svg = await renderVegaLite(caseBoxSpec(pts, TITLE, "mean Dice (%)", SETTINGS));
    expect(svg).toContain(">seed 0<");
    expect(svg).toContain(">seed 1<");
    const width = Number(/width="(\d+)"/.exec(svg)![1]);
    // plot 460 + y axis and row header + the legend; a one-line title made it 779 without a legend
    expect(width).toBeLessThan(660);
  });
  it("a notebook's rows from two seeds (Table I) give the seed legend and mean marks; one seed gives neither", async () => {
    const row = (seed: number, c: string, structure: string, value: number): TidyRow => ({
      notebook: "table1_cardiac", profile: "cpu", data_source: "real", condition: "clean", setting: "ours", norm: "batch", alpha: 0.5,
      seed, fold: 0, modality: "ct", case: c, structure, metric: "dice", value,
    });
    const rows = [0, 1].flatMap((seed) => ["1", "2"].flatMap((c) => [row(seed, c, "LVM", 70 + seed), row(seed, c, "MYO", 60 - seed)]));
    const fig = async (rs: TidyRow[]) => {
      const run = await addInteractiveFigures({ name: "table1_cardiac", rows: rs, figures: [], experiments: [] } as unknown as NotebookRun);
      return run.figures.find((f) => f.name === "table1_cardiac_cases_dice")!;
    };
    const two = await fig(rows);
    expect(two.svg).toContain(">seed 1<");
    expect(two.svg).toContain("open diamonds");
    expect((two.plotly!.data[0] as { text: string[] }).text).toContain("case 1 (seed 1)");
    const one = await fig(rows.filter((r) => r.seed === 1));
    expect(one.svg).not.toContain(">seed 1<");
    expect(one.svg).not.toContain("open diamonds");
  });
});
