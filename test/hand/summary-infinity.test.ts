// summarizeTidy (lib/experiment/summary.ts) with a missed structure: its Hausdorff distance is
// Infinity (prediction empty, label not). Documented convention: non-finite values are skipped and
// `n` counts the values used. Hand values below; note what the convention implies: the missed
// structure does not raise the mean HD (the case mean uses the found structures only), so a
// setting that misses structures can show a LOWER mean HD; only `n` shows the miss.
import { describe, expect, it } from "vitest";
import { summarizeTidy } from "../../lib/experiment/summary.ts";
import type { TidyRow } from "../../lib/experiment/tidy.ts";

const r = (c: string, structure: string, value: number): TidyRow => ({
  notebook: "nb", profile: "smoke", data_source: "synthetic", condition: "clean", setting: "ours", norm: "batch",
  alpha: 0.5, seed: 0, fold: 0, modality: "ct", case: c, structure, metric: "hd", value,
});

describe("summarizeTidy: Infinity (a missed structure's HD)", () => {
  // c1: LVM 2, LAC 4; c2: LVM 6, LAC missed (Infinity)
  const s = summarizeTidy([r("c1", "LVM", 2), r("c1", "LAC", 4), r("c2", "LVM", 6), r("c2", "LAC", Infinity)]);
  const get = (modality: string, structure: string) => s.find((x) => x.modality === modality && x.structure === structure)!;

  it("per structure: Infinity skipped, n counts the finite values", () => {
    expect(get("ct", "LVM")).toMatchObject({ mean: 4, n: 2 });
    expect(get("ct", "LAC")).toMatchObject({ mean: 4, n: 1 });
    expect(get("ct", "LAC").std).toBeFalsy(); // n = 1: no sample std
  });

  it("per-case mean over the found structures only: c1 (2+4)/2 = 3, c2 = 6 -> 4.5 ± 2.1213", () => {
    expect(get("ct", "mean").mean).toBeCloseTo(4.5, 12);
    expect(get("ct", "mean").std).toBeCloseTo(Math.SQRT2 * 1.5, 12);
    expect(get("ct", "mean").n).toBe(2);
    expect(get("overall", "mean").mean).toBeCloseTo(4.5, 12);
  });

  it("the same cases with LAC found at 10 mm give a HIGHER mean than with LAC missed", () => {
    const found = summarizeTidy([r("c1", "LVM", 2), r("c1", "LAC", 4), r("c2", "LVM", 6), r("c2", "LAC", 10)]);
    const m = found.find((x) => x.modality === "ct" && x.structure === "mean")!;
    expect(m.mean).toBeCloseTo((3 + 8) / 2, 12);
    expect(m.mean).toBeGreaterThan(get("ct", "mean").mean);
  });
});
