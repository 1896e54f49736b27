/**
 * table.csv (lib/notebooks/citable.ts, issue 25): numbers, not "mean ± sd" text; n_cases and
 * n_models counted per row (a model = one fold x seed); mean and sd as summary.csv; a hierarchical
 * bootstrap interval around the mean; per-case means over structures keep their fold.
 */
import { describe, it, expect } from "vitest";
import { citableCsv, citableRows, CITABLE_COLUMNS } from "../../lib/notebooks/citable.ts";
import type { TidyRow } from "../../lib/experiment/tidy.ts";

function row(o: Partial<TidyRow> & Pick<TidyRow, "case" | "structure" | "value">): TidyRow {
  return { notebook: "table2_abdominal", profile: "cpu", data_source: "real:btcv", condition: "clean", setting: "ours", norm: "batch", alpha: 0.5, seed: 0, fold: 0, modality: "ct", metric: "dice", ...o } as TidyRow;
}

// two folds (two trained models), 2 + 3 CT cases, two structures; one artefact case that must not count
const rows: TidyRow[] = [
  ...[["a", 0, 80, 60], ["b", 0, 90, 70], ["c", 1, 70, 50], ["d", 1, 60, 40], ["e", 1, 100, 80]].flatMap(([c, fold, liver, spleen]) => [
    row({ case: c as string, fold: fold as number, structure: "liver", value: liver as number }),
    row({ case: c as string, fold: fold as number, structure: "spleen", value: spleen as number }),
  ]),
  row({ case: "x", condition: "artefacts", structure: "liver", value: 0 }),
  row({ case: "a", structure: "liver", metric: "assd", value: Infinity }),
  row({ case: "b", structure: "liver", metric: "assd", value: 2 }),
];

describe("table.csv rows (lib/notebooks/citable.ts)", () => {
  const out = citableRows(rows, [
    { spec: { setting: "ours", norm: "batch", alpha: 0.5, seed: 0, fold: 0 } as never, provenance: { git: { commit: "c0" } } as never },
    { spec: { setting: "ours", norm: "batch", alpha: 0.5, seed: 0, fold: 1 } as never, provenance: { git: { commit: "c1" } } as never },
  ]);
  const find = (structure: string, modality = "ct", metric = "dice") => out.find((r) => r.structure === structure && r.modality === modality && r.metric === metric)!;

  it("counts cases and models, and gives mean and sd (n - 1) of the clean cases", () => {
    const liver = find("liver");
    expect([liver.n_cases, liver.n_models]).toEqual([5, 2]);
    expect(liver.mean).toBeCloseTo(80, 12);
    expect(liver.sd).toBeCloseTo(Math.sqrt((0 + 100 + 100 + 400 + 400) / 4), 12);
    expect([liver.unit, liver.data_source, liver.profile, liver.commit]).toEqual(["%", "real:btcv", "cpu", "c0 c1"]);
  });

  it("the per-case mean over structures keeps each case's fold (two models, not one)", () => {
    const mean = find("mean");
    expect([mean.n_cases, mean.n_models]).toEqual([5, 2]);
    expect(mean.mean).toBeCloseTo((70 + 80 + 60 + 50 + 90) / 5, 12);
    expect(find("mean", "overall")).toMatchObject({ n_cases: 5, n_models: 2 });
  });

  it("the interval lies around the mean; non-finite values are skipped and not counted", () => {
    const liver = find("liver");
    expect(Number(liver.ci_low)).toBeLessThan(80);
    expect(Number(liver.ci_high)).toBeGreaterThan(80);
    expect(find("liver", "ct", "assd")).toMatchObject({ n_cases: 1, n_models: 1, mean: 2, unit: "mm" });
  });

  it("writes numbers in the documented columns, dice rows first", () => {
    const csv = citableCsv(rows, []);
    const [header, first] = csv.split("\n");
    expect(header).toBe(CITABLE_COLUMNS.join(","));
    expect(first).toMatch(/^ours,batch,0\.5,ct,liver,dice,5,2,80,/);
    expect(csv).not.toMatch(/±/);
  });

  it("a trained model is a fold x seed: two seeds of one fold are two models", () => {
    // fold 0, seeds 0 and 1, cases a and b: 4 case values from 2 models (the same cases scored by two networks)
    const seeds = [0, 1].flatMap((seed) => [["a", 80 + seed], ["b", 60 + seed]].map(([c, v]) => row({ case: c as string, seed, structure: "liver", value: v as number })));
    const two = citableRows(seeds, []);
    const liver = two.find((r) => r.structure === "liver" && r.modality === "ct")!;
    expect([liver.n_cases, liver.n_models]).toEqual([4, 2]);
    expect(liver.mean).toBeCloseTo((80 + 60 + 81 + 61) / 4, 12);
    expect(two.find((r) => r.structure === "mean" && r.modality === "overall")).toMatchObject({ n_cases: 4, n_models: 2 });
  });
});
