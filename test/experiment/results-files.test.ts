import { describe, it, expect } from "vitest";
import { runsBackend, tableFileNames } from "../../lib/notebooks/results.ts";
import { svgToPng } from "../../lib/notebooks/figures.ts";
import { figureBundle } from "../../lib/notebooks/display.ts";
import { caseBoxPlot, learningCurvePlot, plotlyHtml, PLOTLY_MIME } from "../../lib/notebooks/plotly.ts";

describe("result files named by content", () => {
  it("Tables I/II: dice, assd, hd, hd95 in the drivers' order", () => {
    const t = ["Dice (%)…", "ASSD (mm)…", "Hausdorff…", "HD95…"].map((title) => ({ title }));
    expect(tableFileNames("table1_cardiac", t)).toEqual(["dice", "assd", "hd", "hd95"]);
    expect(tableFileNames("table2_abdominal", t)).toEqual(["dice", "assd", "hd", "hd95"]);
  });
  it("p-values, Table V per normalization, an explicit file name, and unknown extras", () => {
    expect(tableFileNames("table3_4_pvalues", [{ title: "a" }, { title: "b" }])).toEqual(["pvalues_cardiac", "pvalues_abdominal"]);
    expect(tableFileNames("table5_normalization", [{ title: "instance normalization — Dice (%)" }, { title: "group normalization — Dice (%)" }])).toEqual(["dice_instance", "dice_group"]);
    // smoke/quick titles start with the pipeline-check banner (they were written as table1.csv, table2.csv, …)
    expect(tableFileNames("table5_normalization", [{ title: "[quick profile: pipeline check, numbers meaningless] layer normalization — Dice (%)" }, { title: "Overall Dice (%) per trained model", file: "seeds" }])).toEqual(["dice_layer", "seeds"]);
    expect(tableFileNames("table1_cardiac", [{ title: "Dice" }, { title: "x", file: "vs_committed" }])).toEqual(["dice", "vs_committed"]);
    expect(tableFileNames("figure6_alpha", [{ title: "a" }, { title: "b" }])).toEqual(["dice_per_alpha", "table2"]);
    expect(tableFileNames("table1_cardiac", [{ title: "a", file: "x" }, { title: "b", file: "x" }])).toEqual(["x", "x_2"]);
  });
});

describe("run.json provenance.backend from the runs' own records", () => {
  it.each([
    [["native", "native"], "native"],
    [["wasm", "native", "wasm"], "native/wasm"],
    [[null, undefined, ""], null],
    [[], null],
  ] as const)("%j -> %j", (b, want) => {
    expect(runsBackend(b)).toBe(want);
  });
});

const SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20" viewBox="0 0 40 20"><rect x="0" y="0" width="20" height="20" fill="#ff0000"/></svg>`;

describe("PNG fallback of a figure", () => {
  it("is deterministic, at 2x, white where the SVG is empty and red where it is drawn", async () => {
    const a = await svgToPng(SVG);
    const b = await svgToPng(SVG);
    expect(a.png.equals(b.png)).toBe(true);
    expect([a.width, a.height]).toEqual([80, 40]);
    const sharp = ((await import("sharp")) as unknown as { default: (b: Buffer) => { raw(): { toBuffer(): Promise<Buffer> } } }).default;
    const px = await sharp(a.png).raw().toBuffer(); // RGB(A) rows
    const ch = px.length / (80 * 40);
    const at = (x: number, y: number) => [...px.subarray((y * 80 + x) * ch, (y * 80 + x) * ch + 3)];
    expect(at(10, 20)).toEqual([255, 0, 0]);
    expect(at(70, 20)).toEqual([255, 255, 255]);
  });
  it("the notebook bundle has PNG + title (+ Plotly), shown at the SVG's CSS size, and no SVG", async () => {
    const plot = learningCurvePlot([{ name: "a", step: [1, 2], value: [0.5, 0.25] }], { title: "t", yTitle: "y" });
    const d = await figureBundle({ name: "f", title: "Figure", svg: SVG, plotly: plot });
    expect(Object.keys(d.data).sort()).toEqual([PLOTLY_MIME, "image/png", "text/plain"].sort());
    expect(d.data["text/plain"]).toBe("Figure");
    expect(d.metadata).toEqual({ "image/png": { width: 40, height: 20 } });
    expect(Buffer.from(d.data["image/png"] as string, "base64").subarray(1, 4).toString()).toBe("PNG");
  });
});

describe("Plotly figures", () => {
  it("per-case box plot: one trace per modality, points in the groups' order, case id on hover", () => {
    const f = caseBoxPlot(
      [
        { group: "ours", series: "CT", case: "ct-3", value: 80 },
        { group: "individual", series: "CT", case: "ct-1", value: 70 },
        { group: "ours", series: "MRI", case: "mr-2", value: NaN },
        { group: "ours", series: "MRI", case: "mr-1", value: 60, note: "seed 1" },
      ],
      { title: "t", yTitle: "Dice", groups: ["individual", "joint", "ours"] },
    );
    expect(f.data.map((d) => d.name)).toEqual(["CT", "MRI"]);
    expect(f.data[0]).toMatchObject({ type: "box", x: ["individual", "ours"], y: [70, 80], text: ["case ct-1", "case ct-3"], boxpoints: "all" });
    expect(f.data[1]).toMatchObject({ x: ["ours"], y: [60], text: ["case mr-1 (seed 1)"] });
    expect((f.layout.xaxis as { categoryarray: string[] }).categoryarray).toEqual(["individual", "ours"]);
  });
  it("standalone page loads the project's plotly.js by a relative path, falls back to the CDN and the PNG", () => {
    const html = plotlyHtml({ data: [{ type: "scatter", name: "</script>" }], layout: {} }, { title: "T <1>", fromDir: "/r/results/nb/cpu", plotlyJs: "/r/node_modules/plotly.js-dist/plotly.js", version: "4.1.1", fallbackPng: "f.png" });
    expect(html).toContain('<script src="../../../node_modules/plotly.js-dist/plotly.js"></script>');
    expect(html).toContain("https://cdn.plot.ly/plotly-4.1.1.min.js");
    expect(html).toContain('<img src="f.png" alt="T &lt;1&gt;"');
    expect(html).toContain("<title>T &lt;1&gt;</title>");
    expect(html).not.toContain('"</script>"'); // JSON cannot close the script element
    expect(html).toContain('"\\u003c/script>"');
  });
});
