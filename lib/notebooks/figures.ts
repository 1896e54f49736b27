/**
 * Figures as deterministic SVG, rendered in pure Node:
 * - Vega-Lite specs (box plots, learning curves, heat maps, bar charts) -> SVG with vega's
 *   headless View (`renderer: "none"`). vega is loaded with a dynamic `import()` inside
 *   `renderVegaLite` because its module graph has top-level await (it cannot be `require`d, e.g.
 *   from a tslab cell). The output is byte-identical across runs.
 * - Qualitative segmentation panels (Figures 4/5) drawn directly: grey-level slice as an embedded
 *   PNG plus one path per structure boundary, colours as the paper's captions.
 * - A raster fallback of every figure (`svgToPng`): PNG from the SVG with sharp (libvips + librsvg,
 *   shipped as registry packages; no browser, no network), at 2x the SVG's pixel size, deterministic for a
 *   given sharp version and set of system fonts. Untrusted notebooks, `nbconvert --to html` and
 *   repository viewers show the PNG where they drop the SVG.
 */
import { deflateSync } from "node:zlib";
import type { SampleSlice } from "../experiment/run-record.ts";

type VegaLiteSpec = Record<string, unknown>;

/** Pixel density of `svgToPng` (dpi). librsvg maps one SVG pixel to one PNG pixel at 72 dpi, so 144 is 2x: sharp on high-density screens. */
export const PNG_DENSITY = 144;

/**
 * Rasterise an SVG figure to PNG in Node (sharp), at `PNG_DENSITY` dpi, on a white background.
 * Deterministic: the same SVG gives the same bytes (fixed zlib level, no filters search, no
 * timestamp chunks).
 * @returns the PNG bytes and their pixel size
 */
export async function svgToPng(svg: string): Promise<{ png: Buffer; width: number; height: number }> {
  const sharp = ((await import("sharp")) as unknown as { default: SharpFn }).default;
  const { data, info } = await sharp(Buffer.from(svg, "utf8"), { density: PNG_DENSITY })
    .flatten({ background: "#ffffff" })
    .png({ compressionLevel: 9, adaptiveFiltering: false, palette: false })
    .toBuffer({ resolveWithObject: true });
  return { png: data, width: info.width, height: info.height };
}
type SharpFn = (input: Buffer, opts: { density: number }) => {
  flatten(o: { background: string }): ReturnType<SharpFn>;
  png(o: Record<string, unknown>): ReturnType<SharpFn>;
  toBuffer(o: { resolveWithObject: true }): Promise<{ data: Buffer; info: { width: number; height: number } }>;
};

/** Render a Vega-Lite spec to an SVG string (pure Node, no browser). */
export async function renderVegaLite(spec: VegaLiteSpec): Promise<string> {
  const vl = (await import("vega-lite")) as unknown as { compile(s: unknown): { spec: unknown } };
  const vega = (await import("vega")) as unknown as {
    parse(s: unknown): unknown;
    View: new (runtime: unknown, opts: { renderer: string }) => { toSVG(): Promise<string>; finalize(): void };
  };
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Figure 6: box plots of the per-case mean Dice over structures against alpha, one panel per modality. */
export function alphaBoxplotSpec(values: { alpha: number; modality: string; dice: number }[], title: string): VegaLiteSpec {
  // an explicit y domain over every value: Vega-Lite's shared facet domain of a min-max boxplot
  // drew the top whisker of the highest box on (or past) the panel frame
  const ds = values.map((v) => v.dice).filter(Number.isFinite);
  const lo = ds.length ? Math.max(0, Math.floor(Math.min(...ds) / 10) * 10) : 0;
  const hi = ds.length ? Math.min(100, Math.ceil((Math.max(...ds) + 1) / 5) * 5) : 100;
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title,
    data: { values },
    facet: { row: { field: "modality", type: "nominal", title: null, sort: ["CT", "MRI"] } },
    spec: {
      width: 420,
      height: 160,
      mark: { type: "boxplot", extent: "min-max" },
      encoding: {
        x: { field: "alpha", type: "ordinal", title: "α (KD weight)" },
        y: { field: "dice", type: "quantitative", title: "mean Dice (%)", scale: { domain: [lo, hi > lo ? hi : lo + 5], nice: false } },
      },
    },
  };
}

/** Figure 7: validation KD loss against training step, one line per alpha. */
export function kdCurveSpec(values: { step: number; kd: number; alpha: string }[], title: string): VegaLiteSpec {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title,
    width: 460,
    height: 260,
    data: { values },
    mark: { type: "line", point: true },
    encoding: {
      x: { field: "step", type: "quantitative", title: "training step" },
      y: { field: "kd", type: "quantitative", title: "KD loss on validation data" },
      color: { field: "alpha", type: "nominal", title: "α" },
    },
  };
}

/** Figure 8: q^a, q^b and 5 x |q^a - q^b| heat maps (rows) at several training steps (columns). */
export function confusionSpec(values: { step: number; panel: string; row: number; col: number; value: number }[], title: string): VegaLiteSpec {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title,
    data: { values },
    facet: {
      row: { field: "panel", type: "nominal", title: null, sort: ["CT (q^a)", "MRI (q^b)", "5 x |q^a - q^b|"] },
      column: { field: "step", type: "ordinal", title: "training step" },
    },
    spec: {
      width: 90,
      height: 90,
      mark: "rect",
      encoding: {
        x: { field: "col", type: "ordinal", title: "predicted class" },
        y: { field: "row", type: "ordinal", title: "true class" },
        color: { field: "value", type: "quantitative", scale: { domain: [0, 1], scheme: "viridis" }, title: "p" },
      },
    },
  };
}

/** Grouped bars of the mean Dice per setting (Tables I, II, V, VI overview). */
export function settingBarsSpec(values: { setting: string; group: string; dice: number }[], title: string | { text: string; subtitle: string }, settings: readonly string[], models?: { setting: string; group: string; dice: number }[]): VegaLiteSpec {
  const encoding = {
    x: { field: "setting", type: "nominal", sort: settings, title: null },
    xOffset: { field: "group", type: "nominal" },
    y: { field: "dice", type: "quantitative", title: "mean Dice (%)" },
    color: { field: "group", type: "nominal", title: null },
  };
  if (!models) return { $schema: "https://vega.github.io/schema/vega-lite/v5.json", title, data: { values }, width: 460, height: 220, mark: "bar", encoding };
  // one dot per trained model (fold × seed) on its bar
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title,
    width: 460,
    height: 220,
    layer: [
      { data: { values }, mark: "bar", encoding },
      { data: { values: models }, mark: { type: "point", filled: true, color: "black", size: 18 }, encoding: { x: encoding.x, xOffset: encoding.xOffset, y: encoding.y } },
    ],
  };
}

const LABEL_FONT = 11;

/** One trained model's paired difference (a dot of {@link differenceDotsSpec}). */
export interface DifferenceDot { row: string; diff: number; fold: string; seed: string; model: string }
/** One row's estimate and interval (the bar and diamond of {@link differenceDotsSpec}) and its label. */
export interface DifferenceRow { row: string; estimate: number; ciLow: number; ciHigh: number; label: string }

const PLOT_WIDTH = 380;
/** A dot's area in px² (Vega's point size) and its diameter. */
const DOT_SIZE = 70;
const DOT_DIAMETER_PX = 2 * Math.sqrt(DOT_SIZE / Math.PI);

/**
 * Each dot's vertical lane within its row: the seed's band, and inside it a sub-lane where dots of
 * the same row and seed would overlap (closer than `minGap` on the x axis), so that no model's dot
 * hides another's (two folds at −2.1 and −2.2 points drew as one dot). Greedy from the left: a dot
 * takes the first sub-lane whose last dot is at least `minGap` away. `lanes`: every lane used, in
 * seed order then sub-lane (the yOffset domain, shared by all rows).
 */
export function dodgeDots(dots: readonly DifferenceDot[], minGap: number): { dots: (DifferenceDot & { lane: string })[]; lanes: string[] } {
  const lane = new Array<number>(dots.length).fill(0);
  const groups = new Map<string, number[]>();
  dots.forEach((d, i) => {
    const key = `${d.row}\u0000${d.seed}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(i);
  });
  const used = new Map<string, Set<number>>();
  for (const group of groups.values()) {
    const last: number[] = [];
    for (const i of [...group].sort((a, b) => dots[a]!.diff - dots[b]!.diff)) {
      const d = dots[i]!;
      let k = last.findIndex((x) => !(Math.abs(d.diff - x) < minGap));
      if (k < 0) k = last.length;
      last[k] = d.diff;
      lane[i] = k;
      used.set(d.seed, (used.get(d.seed) ?? new Set()).add(k));
    }
  }
  const seedKey = (s: string) => (Number.isFinite(Number(s)) ? Number(s) : Infinity);
  const lanes = [...used.entries()].sort(([a], [b]) => seedKey(a) - seedKey(b) || a.localeCompare(b)).flatMap(([seed, ks]) => [...ks].sort((a, b) => a - b).map((k) => `${seed}:${k}`));
  return { dots: dots.map((d, i) => ({ ...d, lane: `${d.seed}:${lane[i]}` })), lanes };
}

/**
 * A difference per trained model, one row per source: a dot per model (colour = fold, shape = seed,
 * placed in its seed's lane, dodged where dots would overlap: {@link dodgeDots}), the 95% interval
 * as a horizontal bar, the estimate as a diamond, a rule at 0, and beside each row its label (the
 * test). Rows top to bottom in `rows` order; a row name may break lines with "\n".
 */
export function differenceDotsSpec(dots: readonly DifferenceDot[], rows: readonly DifferenceRow[], title: { text: string; subtitle: string | string[] }, xTitle: string, folds: { domain: string[]; range: string[] }): VegaLiteSpec {
  const order = rows.map((r) => r.row);
  const all = [...dots.map((d) => d.diff), ...rows.flatMap((r) => [r.ciLow, r.ciHigh, r.estimate])].filter(Number.isFinite);
  const lo = Math.floor((Math.min(0, ...all) - 1) / 5) * 5;
  const hi = Math.ceil((Math.max(0, ...all) + 1) / 5) * 5;
  const x = { type: "quantitative", title: xTitle, scale: { domain: [lo, hi], nice: false } };
  // a row's band holds its name's lines (15 px a line at 11 px type) and the seeds' dots
  const lines = Math.max(1, ...order.map((r) => r.split("\n").length));
  const height = Math.max(52, 15 * lines + 8) * rows.length;
  // Row names and labels are text marks in columns of their own, not axis labels: vega lays text out
  // by its width estimate (0.8 em a character), wider than a sans-serif's real width (about 0.55 em),
  // so an axis keeps an empty band beside its labels (or truncates them). Each column is 0.62 em a
  // character wide, its text aligned towards the plot so the estimate's surplus spills away from it,
  // and a negative padding (left) or spacing (right) takes the surplus back.
  const em = (n: number) => Math.ceil(0.62 * LABEL_FONT * n);
  const surplus = (n: number) => Math.floor(0.8 * LABEL_FONT * n) - em(n);
  const nameChars = Math.max(0, ...order.flatMap((r) => r.split("\n").map((l) => l.length)));
  const labelChars = Math.max(0, ...rows.flatMap((r) => r.label.split("\n").map((l) => l.length)));
  const y = { field: "row", type: "nominal", sort: order };
  const { dots: laned, lanes } = dodgeDots(dots, DOT_DIAMETER_PX / (PLOT_WIDTH / (hi - lo)));
  const column = (width: number, field: string, align: "left" | "right") => ({
    width, height, data: { values: rows },
    mark: { type: "text", align, baseline: "middle", fontSize: LABEL_FONT, lineBreak: "\n" },
    encoding: { y: { ...y, axis: null }, x: { value: align === "left" ? 0 : width }, text: { field } },
  });
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    // the title starts at the names' estimated left edge, which the padding cuts off: shift it back
    title: { ...title, anchor: "start", dx: surplus(nameChars) },
    config: { view: { stroke: null } },
    padding: { left: 5 - surplus(nameChars), top: 5, right: 5, bottom: 5 },
    spacing: 8,
    hconcat: [
      column(em(nameChars), "row", "right"),
      {
        spacing: 2 - surplus(labelChars),
        hconcat: [
          {
            width: PLOT_WIDTH,
            height,
            layer: [
              { data: { values: [{ zero: 0 }] }, mark: { type: "rule", color: "#555", strokeDash: [4, 3] }, encoding: { x: { field: "zero", ...x } } },
              { data: { values: rows }, mark: { type: "rule", color: "#9e9e9e", strokeWidth: 5, opacity: 0.6 }, encoding: { y: { ...y, axis: { labels: false, ticks: false, title: null } }, x: { field: "ciLow", ...x }, x2: { field: "ciHigh" } } },
              { data: { values: laned }, mark: { type: "point", filled: true, size: DOT_SIZE, opacity: 0.9, stroke: "white", strokeWidth: 0.6 }, encoding: {
                y, x: { field: "diff", ...x },
                yOffset: { field: "lane", type: "nominal", sort: lanes, scale: { paddingOuter: 0.6 } },
                color: { field: "fold", type: "nominal", title: "fold", scale: folds, legend: { orient: "bottom", direction: "horizontal" } },
                shape: { field: "seed", type: "nominal", title: "seed", legend: { orient: "bottom", direction: "horizontal" } },
              } },
              { data: { values: rows }, mark: { type: "point", shape: "diamond", filled: true, color: "black", size: 150 }, encoding: { y, x: { field: "estimate", ...x } } },
            ],
          },
          column(em(labelChars), "label", "right"),
        ],
      },
    ],
  };
}

// ---- qualitative panels -------------------------------------------------------------------

function crc32(buf: Uint8Array): number {
  let c = ~0;
  for (let i = 0; i < buf.length; i++) {
    c ^= buf[i]!;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function pngChunk(type: string, data: Uint8Array): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, "ascii"), Buffer.from(data)]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** 8-bit greyscale PNG (deterministic: fixed zlib level, no timestamps). */
export function greyPng(pixels: Uint8Array, width: number, height: number): Buffer {
  const raw = Buffer.alloc((width + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width + 1)] = 0;
    raw.set(pixels.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 0;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", ihdr),
    pngChunk("IDAT", deflateSync(raw, { level: 9 })),
    pngChunk("IEND", new Uint8Array(0)),
  ]);
}

/** Boundary of class `k` as an SVG path of unit pixel edges (edges between k and not-k pixels). */
function boundaryPath(labels: ArrayLike<number>, w: number, h: number, k: number, scale: number): string {
  const at = (x: number, y: number) => (x >= 0 && y >= 0 && x < w && y < h ? labels[y * w + x] === k : false);
  const segs: string[] = [];
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      if (!at(x, y)) continue;
      if (!at(x, y - 1)) segs.push(`M${x * scale} ${y * scale}h${scale}`);
      if (!at(x, y + 1)) segs.push(`M${x * scale} ${(y + 1) * scale}h${scale}`);
      if (!at(x - 1, y)) segs.push(`M${x * scale} ${y * scale}v${scale}`);
      if (!at(x + 1, y)) segs.push(`M${(x + 1) * scale} ${y * scale}v${scale}`);
    }
  return segs.join("");
}

function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * Figures 4/5: a grid of panels (rows = modalities, columns = ground truth + settings), each the
 * slice in grey with every structure's boundary in its colour.
 * @param panels per row: label "CT"/"MRI", and per column a title and slice (pred drawn; "ground truth" draws label)
 * @param colors one CSS colour per class 1..K (caption order)
 */
export function qualitativeSvg(
  rows: { title: string; columns: { title: string; slice: SampleSlice; show: "pred" | "label" }[] }[],
  colors: readonly string[],
  options: { scale?: number; legend?: readonly string[] } = {},
): string {
  const scale = options.scale ?? 3;
  const ncol = Math.max(...rows.map((r) => r.columns.length));
  const w0 = rows[0]?.columns[0]?.slice.width ?? 64;
  const h0 = rows[0]?.columns[0]?.slice.height ?? 64;
  const pw = w0 * scale;
  const ph = h0 * scale;
  const pad = 6;
  const top = 18;
  const left = 40;
  const W = left + ncol * (pw + pad);
  const legendH = options.legend ? 20 : 0;
  const H = rows.length * (ph + top + pad) + legendH;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
  ];
  rows.forEach((row, ri) => {
    const y0 = ri * (ph + top + pad);
    out.push(`<text x="2" y="${y0 + top + ph / 2}">${escapeXml(row.title)}</text>`);
    row.columns.forEach((col, ci) => {
      const s = col.slice;
      const x0 = left + ci * (pw + pad);
      let lo = Infinity;
      let hi = -Infinity;
      for (const v of s.image) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      const px = new Uint8Array(s.width * s.height);
      for (let i = 0; i < px.length; i++) px[i] = hi > lo ? Math.round((255 * (s.image[i]! - lo)) / (hi - lo)) : 0;
      // slices are stored x fastest with y down the rows: as an image, row y = anterior..posterior
      const png = greyPng(px, s.width, s.height).toString("base64");
      out.push(`<text x="${x0}" y="${y0 + 12}">${escapeXml(col.title)}</text>`);
      out.push(`<image x="${x0}" y="${y0 + top}" width="${pw}" height="${ph}" style="image-rendering:pixelated" href="data:image/png;base64,${png}"/>`);
      const labels = col.show === "pred" ? s.pred : s.label;
      colors.forEach((c, k) => {
        const d = boundaryPath(labels, s.width, s.height, k + 1, scale);
        if (d) out.push(`<path transform="translate(${x0} ${y0 + top})" d="${d}" stroke="${c}" stroke-width="1.2" fill="none"/>`);
      });
    });
  });
  if (options.legend) {
    const y = H - 6;
    options.legend.forEach((name, k) => {
      const x = left + k * 90;
      out.push(`<rect x="${x}" y="${y - 9}" width="10" height="10" fill="${colors[k]}"/><text x="${x + 14}" y="${y}">${escapeXml(name)}</text>`);
    });
  }
  out.push("</svg>");
  return out.join("\n") + "\n";
}
