import { describe, it, expect } from "vitest";
import { summarizeTidy, withCaseMeans, pValues, sideBySide, formatMeanStd } from "../../lib/experiment/summary.ts";
import type { TidyRow } from "../../lib/experiment/tidy.ts";

const r = (setting: string, modality: string, c: string, structure: string, value: number, metric = "dice"): TidyRow => ({
  notebook: "nb", profile: "smoke", data_source: "synthetic", condition: "clean", setting, norm: "batch",
  alpha: setting === "ours" ? 0.5 : 0, seed: 0, fold: 0, modality, case: c, structure, metric, value,
});

// Hand-computed: ours CT cases c1 (LVM 80, LAC 90) and c2 (LVM 70, LAC 60);
//   LVM: mean 75, std sqrt(((5)^2 + (5)^2)/1) = 7.0710678; LAC: mean 75, std sqrt((15^2+15^2)/1) = 21.2132034
//   per-case means: c1 85, c2 65 -> "mean" structure: mean 75, std sqrt(10^2+10^2) = 14.1421356
// ours MRI case m1 (LVM 50, LAC NaN) -> per-case mean 50 (NaN skipped); LVM n = 1 (std undefined)
// overall (per-case means of both modalities): 85, 65, 50 -> mean 66.6667, std sqrt((18.333^2 + 1.667^2 + 16.667^2)/2) = 17.5594
const rows: TidyRow[] = [
  r("ours", "ct", "c1", "LVM", 80), r("ours", "ct", "c1", "LAC", 90),
  r("ours", "ct", "c2", "LVM", 70), r("ours", "ct", "c2", "LAC", 60),
  r("ours", "mri", "m1", "LVM", 50), r("ours", "mri", "m1", "LAC", NaN),
];

describe("summaries from tidy rows", () => {
  const s = summarizeTidy(rows);
  const get = (modality: string, structure: string) => s.find((x) => x.modality === modality && x.structure === structure && x.metric === "dice")!;
  it("mean ± sample std per structure", () => {
    expect(get("ct", "LVM").mean).toBeCloseTo(75, 12);
    expect(get("ct", "LVM").std).toBeCloseTo(7.0710678118654755, 12);
    expect(get("ct", "LAC").std).toBeCloseTo(21.213203435596427, 12);
    expect(get("ct", "LVM").n).toBe(2);
  });
  it("per-case means over structures, NaN skipped, and the overall mean over both modalities", () => {
    expect(get("ct", "mean").mean).toBeCloseTo(75, 12);
    expect(get("ct", "mean").std).toBeCloseTo(14.142135623730951, 12);
    expect(get("mri", "mean").mean).toBeCloseTo(50, 12);
    expect(get("mri", "LAC")).toBeUndefined(); // only NaN -> no valid value
    expect(get("overall", "mean").mean).toBeCloseTo(200 / 3, 12);
    expect(get("overall", "mean").std).toBeCloseTo(17.559422921421234, 10);
    expect(get("overall", "mean").n).toBe(3);
    expect(withCaseMeans(rows).filter((x) => x.structure === "mean")).toHaveLength(3);
  });
  it("formats mean ± std", () => {
    expect(formatMeanStd(88.54, 3.06, 1)).toBe("88.5 ± 3.1");
    expect(formatMeanStd(2.5, NaN, 2)).toBe("2.50");
    expect(formatMeanStd(NaN, 1, 1)).toBe("–");
  });
  it("puts the paper's cells beside ours", () => {
    const t = sideBySide(s, [{ setting: "ours", norm: "batch", modality: "ct", structure: "LVM", metric: "dice", stat: "mean", value: 88.5 }, { setting: "ours", norm: "batch", modality: "ct", structure: "LVM", metric: "dice", stat: "std", value: 3.1 }], { metric: "dice", structures: ["LVM", "LAC"], settings: ["ours"] });
    const o = t.objects() as Record<string, string>[];
    expect(o[0]!.source).toBe("ours");
    expect(o[0]!["CT LVM"]).toBe("75.0 ± 7.1");
    expect(o[1]!["CT LVM"]).toBe("88.5 ± 3.1");
    expect(o[1]!["CT LAC"]).toBe("–");
  });
});

describe("p-values (Tables III/IV)", () => {
  it("paired t-test of per-case means, modalities pooled; matches a hand computation", () => {
    // ours per-case means: ct/c1 85, ct/c2 65, mri/m1 50; joint: ct/c1 80, ct/c2 66, mri/m1 40
    // differences 5, -1, 10: mean 4.6667, df 2
    // two-sided p: scipy 1.10 (Debian) stats.ttest_rel([85,65,50],[80,66,40]).pvalue = 0.27991770017690426
    const joint = [r("joint", "ct", "c1", "LVM", 80), r("joint", "ct", "c1", "LAC", 80), r("joint", "ct", "c2", "LVM", 66), r("joint", "ct", "c2", "LAC", 66), r("joint", "mri", "m1", "LVM", 40), r("joint", "mri", "m1", "LAC", NaN)];
    const p = pValues([...rows, ...joint], { metric: "dice" });
    expect(p).toHaveLength(1);
    expect(p[0]!.setting).toBe("joint");
    expect(p[0]!.n).toBe(3);
    expect(p[0]!.meanDiff).toBeCloseTo(14 / 3, 12);
    expect(p[0]!.pPaired).toBeCloseTo(0.27991770017690426, 12);
  });
});

import { compareSettings } from "../../lib/notebooks/notebook.ts";

describe("automatic reading against the paper", () => {
  const o = (setting: string, mean: number) => ({ setting, norm: "batch", alpha: 0, condition: "clean", modality: "overall", structure: "mean", metric: "dice", mean, std: 1, n: 3 });
  const p = (setting: string, value: number) => ({ setting, norm: "batch", modality: "overall", structure: "mean", metric: "dice", stat: "mean", value });
  it("names the best settings, the deltas and the rank agreement", () => {
    const lines = compareSettings([o("individual", 50), o("joint", 60), o("ours", 70)], [p("individual", 86.6), p("joint", 86.3), p("ours", 88.8)]);
    expect(lines[0]).toContain("ours: ours (70.0%), paper: ours (88.8%)");
    expect(lines.join("\n")).toContain("ours − individual: ours +20.0 points, paper +2.2 points.");
    expect(lines.join("\n")).toContain("joint − individual: ours +10.0 points, paper -0.3 points.");
    // ranks ours (1,2,3) vs paper (2,1,3): d^2 = 1+1+0 = 2 -> 1 - 6*2/(3*8) = 0.5
    expect(lines.at(-1)).toContain("(Spearman): 0.50.");
  });
});
