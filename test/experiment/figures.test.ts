import { describe, it, expect } from "vitest";
import { inflateSync } from "node:zlib";
import { alphaBoxplotSpec, greyPng, qualitativeSvg, renderVegaLite } from "../../lib/experiment/figures.ts";
import type { SampleSlice } from "../../lib/experiment/runner.ts";

describe("figures", () => {
  it("Vega-Lite -> SVG in pure Node is byte-identical across renders", async () => {
    const values = [0.1, 0.5, 0.9].flatMap((alpha) => ["CT", "MRI"].flatMap((modality) => [70, 75, 80].map((d) => ({ alpha, modality, dice: d + alpha }))));
    const a = await renderVegaLite(alphaBoxplotSpec(values, "t"));
    const b = await renderVegaLite(alphaBoxplotSpec(values, "t"));
    expect(a.startsWith("<svg")).toBe(true);
    expect(a).toBe(b);
    expect(a).toContain("α (KD weight)");
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
