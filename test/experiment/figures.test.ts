import { describe, it, expect } from "vitest";
import { inflateSync } from "node:zlib";
import { alphaBoxplotSpec, greyPng, qualitativeSvg, renderVegaLite } from "../../lib/notebooks/figures.ts";
import type { SampleSlice } from "../../lib/experiment/runner.ts";

describe("figures", () => {
  it("Figure 6 box plots: per alpha and modality the five numbers of the plotted Dice values (hand-computed); byte-identical re-render", async () => {
    // CT Dice per alpha: 70 + a, 75 + a, 80 + a; MRI 10 lower. Quartiles by linear interpolation
    // (Vega's): Q1 = 72.5 + a, median = 75 + a, Q3 = 77.5 + a; whiskers (extent min-max) 70 + a, 80 + a.
    const values = [0.1, 0.5, 0.9].flatMap((alpha) => ["CT", "MRI"].flatMap((modality) => [70, 75, 80].map((d) => ({ alpha, modality, dice: d + alpha - (modality === "MRI" ? 10 : 0) }))));
    const a = await renderVegaLite(alphaBoxplotSpec(values, "t"));
    expect(a.startsWith("<svg")).toBe(true);
    const labels = [...a.matchAll(/aria-label="([^"]*)"/g)].map((m) => m[1]!);
    const r1 = (x: number) => String(Math.round(x * 10) / 10);
    const boxes = labels.filter((l) => l.startsWith("α (KD weight): "));
    const want = ["CT", "MRI"].flatMap((m) => [0.1, 0.5, 0.9].map((al) => {
      const o = al - (m === "MRI" ? 10 : 0);
      return `α (KD weight): ${al}; Max of mean Dice (%): ${r1(80 + o)}; Q3 of mean Dice (%): ${r1(77.5 + o)}; Median of mean Dice (%): ${r1(75 + o)}; Q1 of mean Dice (%): ${r1(72.5 + o)}; Min of mean Dice (%): ${r1(70 + o)}`;
    }));
    // facets in the order CT, MRI; each box's label ends with its five numbers
    expect(boxes.map((l) => l.replace(/^(α \(KD weight\): [\d.]+); .*?(; Max of)/, "$1$2"))).toEqual(want);
    expect(labels).toContain("X-axis titled 'α (KD weight)' for a discrete scale with 3 values: 0.1, 0.5, 0.9");
    expect(labels.filter((l) => l.startsWith("Y-axis titled 'mean Dice (%)'"))).toHaveLength(2);
    expect(labels.filter((l) => l.startsWith("Title text '")).slice(0, 2)).toEqual(["Title text 'CT'", "Title text 'MRI'"]);
    expect(await renderVegaLite(alphaBoxplotSpec(values, "t"))).toBe(a);
  }, 60_000);

  it("grey PNG round-trips its pixels", () => {
    const px = new Uint8Array([0, 50, 100, 150, 200, 250]);
    const png = greyPng(px, 3, 2);
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const idatLen = png.readUInt32BE(33);
    expect(png.subarray(37, 41).toString("ascii")).toBe("IDAT");
    const raw = inflateSync(png.subarray(41, 41 + idatLen));
    expect([...raw]).toEqual([0, 0, 50, 100, 0, 150, 200, 250]); // filter byte 0 per row
  });

  it("qualitative panel draws one boundary path per present structure, deterministically", () => {
    const w = 4, h = 4;
    const label = [0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0];
    const s: SampleSlice = { modality: "ct", case: "c", z: 0, width: w, height: h, image: label.map((v) => v * 10), label, pred: label.map(() => 0) };
    const svg = qualitativeSvg([{ title: "CT", columns: [{ title: "gt", slice: s, show: "label" }, { title: "empty", slice: s, show: "pred" }] }], ["red", "blue"], { scale: 1 });
    expect(svg).toBe(qualitativeSvg([{ title: "CT", columns: [{ title: "gt", slice: s, show: "label" }, { title: "empty", slice: s, show: "pred" }] }], ["red", "blue"], { scale: 1 }));
    expect(svg.match(/<path /g)).toHaveLength(1); // class 1 in the label panel only
    // a 2x2 square has 8 unit boundary edges
    expect(svg.match(/<path[^>]*d="([^"]*)"/)![1]!.match(/M/g)).toHaveLength(8);
  });
});
