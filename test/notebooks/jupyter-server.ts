/**
 * Test helpers: a real Jupyter notebook server on 127.0.0.1 (free port, random token) and figure
 * checks on pages rendered by headless Chromium (Debian /usr/bin/chromium, driven by
 * playwright-core). Used by test/notebooks/browser.test.ts.
 */
import { freePort } from "../net.ts";
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import type { Page } from "playwright-core";

// page-side code (run in Chromium by page.evaluate); the project compiles without the DOM lib
declare const document: any;

export const CHROMIUM = "/usr/bin/chromium";
export const JUPYTER = existsSync("/usr/bin/jupyter") ? "/usr/bin/jupyter" : "jupyter";

/** Why the notebook UI with the project's kernel cannot run here (null when it can). */
export function notebookUiUnavailable(): string | null {
  try {
    execFileSync(JUPYTER, ["notebook", "--version"], { stdio: "ignore", env: { ...process.env, PYDEVD_DISABLE_FILE_VALIDATION: "1" } });
  } catch {
    return "the Jupyter notebook UI is not installed (npm run setup)";
  }
  return tslabKernelSpec() ? null : "the tslab kernel is not registered (npm run setup)";
}

/** Why the browser tests cannot run here (null when they can). */
export function browserTestsUnavailable(): string | null {
  if (!existsSync(CHROMIUM)) return "Chromium is not installed (npm run setup)";
  return notebookUiUnavailable();
}

/** The registered tslab kernel spec (bin/register-kernel.sh writes metadata.ummkd_launcher), or null. */
export function tslabKernelSpec(): { argv: string[]; metadata?: { ummkd_launcher?: number; ummkd_root?: string } } | null {
  try {
    const out = execFileSync(JUPYTER, ["kernelspec", "list", "--json"], { stdio: ["ignore", "pipe", "ignore"] }).toString();
    const spec = (JSON.parse(out) as { kernelspecs: Record<string, { spec: { argv: string[]; metadata?: { ummkd_launcher?: number } } }> }).kernelspecs.tslab;
    return spec ? spec.spec : null;
  } catch {
    return null;
  }
}

/**
 * Wait until a Jupyter server started as `child` answers /api/status at `url` with `token` (60 s).
 * @throws Error with the server's log when it exits or does not answer in time
 */
export async function waitForNotebookServer(url: string, token: string, child: ChildProcess, log: () => string): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the notebook server exited with ${child.exitCode}:\n${log()}`);
    try {
      const r = await fetch(`${url}/api/status?token=${token}`);
      if (r.ok) return;
    } catch {
      /* not up yet */
    }
    if (Date.now() - t0 > 60_000) throw new Error(`the notebook server did not answer within 60 s:\n${log()}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

export interface NotebookServer {
  url: string;
  token: string;
  /** URL of a file under the server's root, e.g. "notebooks/x.ipynb" -> .../notebooks/notebooks/x.ipynb?token= */
  notebookUrl(path: string): string;
  log(): string;
  stop(): Promise<void>;
}

/**
 * Start `jupyter notebook` on 127.0.0.1 rooted at `root`. The environment is `env` only (plus
 * HOME/JUPYTER_* from this process), so a kernel that needs the caller's PATH fails here. Trust
 * signatures are kept in memory, so every notebook opened is "Not Trusted", as a fresh clone's are.
 */
export async function startNotebookServer(root: string, env: Record<string, string>, extraArgs: readonly string[] = []): Promise<NotebookServer> {
  const port = await freePort();
  const token = randomBytes(16).toString("hex");
  const keep = Object.fromEntries(Object.entries(process.env).filter(([k]) => k === "HOME" || k.startsWith("JUPYTER_") || k.startsWith("UMMKD_")));
  const child: ChildProcess = spawn(
    JUPYTER,
    [
      "notebook", "--no-browser", "--allow-root", "--ip=127.0.0.1", `--port=${port}`, "--port-retries=0",
      `--notebook-dir=${root}`, `--NotebookApp.token=${token}`, "--NotebookApp.password=", "--NotebookNotary.db_file=:memory:",
      ...extraArgs,
    ],
    { cwd: root, env: { ...keep, PYDEVD_DISABLE_FILE_VALIDATION: "1", ...env }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let log = "";
  child.stdout!.on("data", (b: Buffer) => (log += b.toString()));
  child.stderr!.on("data", (b: Buffer) => (log += b.toString()));
  const url = `http://127.0.0.1:${port}`;
  await waitForNotebookServer(url, token, child, () => log);
  return {
    url,
    token,
    notebookUrl: (path) => `${url}/notebooks/${path}?token=${token}`,
    log: () => log,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
        setTimeout(() => child.exitCode === null && child.kill("SIGKILL"), 5000);
      }),
  };
}

/** Figure outputs of a notebook file: display_data with an image (SVG or PNG); how many carry a PNG. */
export function figureOutputs(path: string): { figures: number; withPng: number } {
  const nb = JSON.parse(readFileSync(path, "utf8")) as { cells: { outputs?: { output_type: string; data?: Record<string, unknown> }[] }[] };
  const figs = nb.cells.flatMap((c) => c.outputs ?? []).filter((o) => o.output_type === "display_data" && o.data && ("image/svg+xml" in o.data || "image/png" in o.data));
  return { figures: figs.length, withPng: figs.filter((o) => "image/png" in o.data!).length };
}

export interface ImageCheck {
  width: number;
  height: number;
  /** shown at a non-zero size on the page */
  shown: boolean;
  /** share of pixels that are not (near) white */
  inked: number;
}

/** Decode every PNG <img> on the page and measure its pixels (data: URLs do not taint a canvas). */
export async function pngImagesOnPage(page: Page): Promise<ImageCheck[]> {
  return page.evaluate(async () => {
    const imgs: any[] = [...document.querySelectorAll('img[src^="data:image/png"]')];
    return Promise.all(
      imgs.map(async (img: any) => {
        await img.decode().catch(() => undefined);
        const c = document.createElement("canvas");
        c.width = img.naturalWidth;
        c.height = img.naturalHeight;
        const g = c.getContext("2d")!;
        if (c.width && c.height) g.drawImage(img, 0, 0);
        const d = c.width && c.height ? g.getImageData(0, 0, c.width, c.height).data : new Uint8ClampedArray(0);
        let inked = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i]! < 230 || d[i + 1]! < 230 || d[i + 2]! < 230) inked++;
        const r = img.getBoundingClientRect();
        return { width: img.naturalWidth, height: img.naturalHeight, shown: r.width > 0 && r.height > 0, inked: d.length ? inked / (d.length / 4) : 0 };
      }),
    );
  });
}
