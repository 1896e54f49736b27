/**
 * Showing a figure in a notebook as ONE multi-mime output, so that every front end picks what it
 * can draw:
 *   image/png                       everywhere: untrusted notebooks (the classic Notebook skips
 *                                   untrusted SVG), `nbconvert --to html`, GitHub, JupyterLab
 *   application/vnd.plotly.v1+json  interactive, where a Plotly renderer exists (JupyterLab with
 *                                   the plotly extension, VS Code); only for interactive figures
 *   text/plain                      the title
 *
 * The SVG is deliberately NOT in the bundle: nbconvert (6.5, Debian 12) ranks image/svg+xml above
 * image/png and passes it through `clean_html`, which strips it to its text labels, so a bundle
 * with an SVG comes out as a blank box in HTML (checked in test/notebooks/browser.test.ts). The
 * vector figure is the `.svg` file beside the `.png` in the results folder.
 *
 * tslab's public `display.*` sends one mime type per call, so the bundle goes through tslab's
 * `lastWriteDisplayData` (tslab/dist/jupyter, set while a cell executes; not a documented API).
 * Where that is missing (another tslab version) the PNG is shown through the public API.
 */
import { createRequire } from "node:module";
import { join } from "node:path";
import { PNG_DENSITY, svgToPng } from "./figures.ts";
import type { NotebookFigure } from "./types.ts";
import { PLOTLY_MIME } from "./plotly.ts";
import { REPO_ROOT as ROOT } from "../util/repo-root.ts";


/** A Jupyter display_data message body. */
export interface DisplayData {
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  transient: Record<string, unknown>;
}

const pngCache = new WeakMap<NotebookFigure, Promise<{ png: Buffer; width: number; height: number }>>();

/** The figure's PNG fallback (rendered once per figure object). */
export function figurePng(f: NotebookFigure): Promise<{ png: Buffer; width: number; height: number }> {
  let p = pngCache.get(f);
  if (!p) {
    p = svgToPng(f.svg);
    pngCache.set(f, p);
  }
  return p;
}

/** The multi-mime display bundle of a figure (PNG shown at the SVG's CSS size). */
export async function figureBundle(f: NotebookFigure): Promise<DisplayData> {
  const { png, width, height } = await figurePng(f);
  const scale = 72 / PNG_DENSITY; // sharp/librsvg map one SVG px to one PNG px at 72 dpi
  return {
    data: {
      ...(f.plotly ? { [PLOTLY_MIME]: f.plotly } : {}),
      "image/png": png.toString("base64"),
      "text/plain": f.title,
    },
    metadata: { "image/png": { width: Math.round(width * scale), height: Math.round(height * scale) } },
    transient: {},
  };
}

interface TslabInternals {
  lastWriteDisplayData: ((d: DisplayData, update: boolean) => void) | null;
}
interface TslabPublic {
  display: { png(b: Uint8Array): void; html(s: string): void };
}

/** The figure's title as its own output: HTML (shown by untrusted notebooks, which drop markdown output) + plain text. */
export function titleBundle(title: string): DisplayData {
  const esc = title.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  return { data: { "text/html": `<p><b>${esc}</b></p>`, "text/plain": title }, metadata: {}, transient: {} };
}

/**
 * Display a figure in the running tslab kernel: its title, then the figure as one output (see the
 * module comment).
 * @throws Error outside a tslab kernel
 */
export async function showFigure(f: NotebookFigure): Promise<void> {
  const req = createRequire(join(ROOT, "package.json"));
  const bundle = await figureBundle(f);
  const internals = req("tslab/dist/jupyter") as TslabInternals;
  if (internals.lastWriteDisplayData) {
    internals.lastWriteDisplayData(titleBundle(f.title), false);
    internals.lastWriteDisplayData(bundle, false);
    return;
  }
  const tslab = req("tslab") as TslabPublic;
  tslab.display.html(titleBundle(f.title).data["text/html"] as string);
  tslab.display.png(Buffer.from(bundle.data["image/png"] as string, "base64"));
}
