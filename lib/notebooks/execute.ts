/**
 * Headless notebook execution: Jupyter's nbconvert with the tslab kernel.
 *
 * - Jupyter: `/usr/bin/jupyter` (Debian's, with nbconvert/nbclient/ipykernel) when present, else
 *   `jupyter` on PATH. The tslab kernel spec runs `tslab`, found through node_modules/.bin which
 *   is put first on PATH. Register the kernel once with `npx tslab install --python=/usr/bin/python3`
 *   (npm run setup does it).
 * - Errors: tslab writes compile and runtime errors to stderr and skips the remaining cells, so a
 *   notebook succeeded only if its last cell printed DONE_SENTINEL; otherwise the stderr outputs
 *   are returned as the error. nbconvert runs with --allow-errors so the executed notebook (with
 *   the error visible) is always written.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, mkdirSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { DataError } from "../util/errors.ts";
import { DONE_SENTINEL } from "./notebook-source.ts";
import { REPO_ROOT as ROOT } from "../util/repo-root.ts";


export interface ExecuteOptions {
  /** Folder for the executed copy (default: next to the input, i.e. in place). */
  outDir?: string;
  /** UMMKD_PROFILE for the kernel. */
  profile?: string;
  /** Extra environment for the kernel (e.g. UMMKD_DATA, UMMKD_BACKEND). */
  env?: Record<string, string>;
  /** Per-cell timeout in seconds (default 3600). */
  cellTimeoutS?: number;
  /** Stream nbconvert's own log lines. */
  onLog?: (line: string) => void;
}

export interface ExecuteResult {
  notebook: string;
  output: string;
  ok: boolean;
  wallS: number;
  /** stderr text of the cells (the error, when !ok). */
  errors: string[];
}

function jupyterCommand(): string {
  return existsSync("/usr/bin/jupyter") ? "/usr/bin/jupyter" : "jupyter";
}

interface Cell {
  cell_type: string;
  outputs?: { output_type: string; name?: string; text?: string | string[]; ename?: string; evalue?: string }[];
}

/** Inspect an executed notebook: did it reach the sentinel, and which cells wrote errors. */
export function checkExecuted(path: string): { ok: boolean; errors: string[] } {
  let nb: { cells: Cell[] };
  try {
    nb = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new DataError(path, `cannot read executed notebook: ${(e as Error).message}`);
  }
  const text = (t: string | string[] | undefined) => (Array.isArray(t) ? t.join("") : (t ?? ""));
  let ok = false;
  const errors: string[] = [];
  nb.cells.forEach((c, k) => {
    for (const o of c.outputs ?? []) {
      if (o.output_type === "error") errors.push(`cell ${k}: ${o.ename}: ${o.evalue}`);
      if (o.output_type === "stream" && o.name === "stderr" && !/^\[ummkd\] engine:/.test(text(o.text))) errors.push(`cell ${k} (stderr): ${text(o.text).slice(0, 2000)}`);
      if (o.output_type === "stream" && o.name === "stdout" && text(o.text).includes(DONE_SENTINEL)) ok = true;
    }
  });
  return { ok: ok && !nb.cells.some((c) => (c.outputs ?? []).some((o) => o.output_type === "error")), errors };
}

/** Execute one notebook headless; resolves with whether it ran to the end without error. */
export function executeNotebook(notebook: string, options: ExecuteOptions = {}): Promise<ExecuteResult> {
  const input = resolve(notebook);
  if (!existsSync(input)) throw new DataError(input, "notebook not found");
  const outDir = resolve(options.outDir ?? dirname(input));
  mkdirSync(outDir, { recursive: true });
  const output = join(outDir, basename(input));
  const args = [
    "nbconvert", "--to", "notebook", "--execute", "--allow-errors",
    `--ExecutePreprocessor.timeout=${options.cellTimeoutS ?? 3600}`,
    "--ExecutePreprocessor.kernel_name=tslab",
    "--output-dir", outDir, "--output", basename(input), input,
  ];
  const env = {
    ...process.env,
    ...(options.profile ? { UMMKD_PROFILE: options.profile } : {}),
    ...(options.env ?? {}),
    PATH: `${join(ROOT, "node_modules", ".bin")}:${process.env.PATH ?? ""}`,
    PYDEVD_DISABLE_FILE_VALIDATION: "1",
  };
  const t0 = Date.now();
  return new Promise((resolvePromise, reject) => {
    // cwd = the notebook's folder: cells require("../lib/...") relative to it
    const child = spawn(jupyterCommand(), args, { cwd: dirname(input), env, stdio: ["ignore", "pipe", "pipe"] });
    let log = "";
    const onData = (b: Buffer) => {
      const s = b.toString();
      log += s;
      for (const line of s.split("\n")) if (line.trim() && !/frozen|debugger|Debugging|PYDEVD/.test(line)) options.onLog?.(line);
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", (e) => reject(new DataError(jupyterCommand(), `cannot start Jupyter (${e.message}); run npm run setup`)));
    child.on("close", (code) => {
      const wallS = (Date.now() - t0) / 1000;
      if (code !== 0 || !existsSync(output)) {
        // keep the whole log (the kernel's own stderr, e.g. a fatal error, comes before nbconvert's traceback)
        const logFile = `${output.replace(/\.ipynb$/, "")}.nbconvert.log`;
        try {
          writeFileSync(logFile, log);
        } catch {
          /* best effort */
        }
        const kernelLines = log.split("\n").filter((l) => /FATAL|fatal|Abort|abort|heap|memory|Killed|Segmentation|RangeError|Error:/.test(l) && !/nbclient|nbconvert|jupyter_core|traitlets/.test(l));
        resolvePromise({ notebook: input, output, ok: false, wallS, errors: [`nbconvert exited with ${code} (full log: ${logFile}); kernel lines: ${kernelLines.slice(0, 20).join(" | ")}; tail: ${log.slice(-1500)}`] });
        return;
      }
      const r = checkExecuted(output);
      resolvePromise({ notebook: input, output, ok: r.ok, wallS, errors: r.ok ? [] : r.errors.length ? r.errors : ["the notebook stopped before its last cell"] });
    });
  });
}
