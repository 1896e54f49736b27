/**
 * Source of the notebooks: generates `notebooks/<name>.ipynb` (tslab kernel) from one template,
 * so every notebook has the same structure:
 *   1. markdown: the paper's caption, what differs from the paper, profiles
 *   2. setup: register tsx's CommonJS hook, load lib/notebooks/notebook.ts and tslab
 *   3. parameters (the only cell to edit: profile, seeds, alpha, norm, force, ...)
 *   4. run (trains or loads cached runs; live progress)
 *   5. tables (ours beside the paper's), 6. figures (one output each: PNG, + Plotly where
 *   interactive; lib/notebooks/display.ts), 7. reading notes (after the pipeline-check banner
 *   of a smoke/quick run), 8. write results
 * The profile defaults to `cpu` (the committed results, re-derived from the committed run store in
 * ~30 s): a notebook opened in the UI shows the committed numbers. `npm run reproduce` and CI pass
 * their profile in UMMKD_PROFILE.
 *
 * Run: `tsx lib/notebooks/notebook-source.ts` (rewrites the committed, unexecuted notebooks).
 */
import { join } from "node:path";
import { REPO_ROOT as ROOT } from "../util/repo-root.ts";
import { writeFileAtomic } from "../util/atomic.ts";
import { ARTEFACTS, NOTEBOOKS, type NotebookName } from "./artefacts/index.ts";
import { paramCellLine } from "../plan/params.ts";


/** Printed by the last code cell; lib/notebooks/execute.ts checks for it (tslab skips all cells after an error). */
export const DONE_SENTINEL = "UMMKD_NOTEBOOK_DONE";


function md(lines: string[]): Record<string, unknown> {
  return { cell_type: "markdown", metadata: {}, source: lines.join("\n") };
}
function code(lines: string[], tags: string[] = []): Record<string, unknown> {
  return { cell_type: "code", execution_count: null, metadata: tags.length ? { tags } : {}, outputs: [], source: lines.join("\n") };
}

/** The notebook JSON (nbformat 4.5) for one table/figure. */
export function notebookJson(name: NotebookName): Record<string, unknown> {
  const t = ARTEFACTS[name].text;
  const cells = [
    md([
      `# ${t.title}`,
      "",
      `> ${t.caption}`,
      ">",
      "> — Dou, Liu, Heng, Glocker. *Unpaired Multi-modal Segmentation via Knowledge Distillation*. IEEE TMI 2020.",
      "",
      "## What differs from the paper",
      ...t.differs.map((d) => `- ${d}`),
      "",
      "## Profiles",
      "`smoke` (CI: pipeline check, meaningless numbers) · `quick` (synthetic data, minutes) · `cpu` (committed results) · `paper` (the paper's settings; GPU and the real datasets).",
      "The profile comes from the parameters cell below, which defaults to `UMMKD_PROFILE` (set by `npm run reproduce -- --profile P`), else `cpu`: Run All shows the committed results, re-derived from the committed runs in about 30 s. At `smoke` and `quick` every table, figure and reading says that its numbers are a pipeline check.",
      `Trained runs are cached (\`.ummkd-cache/runs/\`, keyed by a hash of the run's config): re-running loads them unless \`force: true\`. Results are written to \`results/${name}/<profile>/\`; a run whose parameters differ from the defaults below goes to a folder named by what differs (e.g. \`results/${name}/cpu-alpha0.3/\`, shown beside the committed numbers), and committed results are never overwritten unless \`force: true\` (or by a re-derivation: at the default parameters the committed tables and figures are recomputed from the committed run records in \`results/runs/\`). A misspelt key or an invalid value stops the run with a message naming it.`,
    ]),
    code([
      "// Setup: the library is ESM TypeScript; tslab runs cells as CommonJS, so register tsx's require hook first,",
      "// then (from inside the library) its ESM hooks, for the library's own dynamic imports of .ts files.",
      'require("tsx/cjs/api").register();',
      'const ummkd = require("../lib/notebooks/notebook.ts");',
      "await ummkd.setupNotebook();",
      'const tslab = require("tslab");',
    ]),
    code(
      [
        "// Parameters (the only cell to edit; keys and values are checked)",
        "const params = {",
        '  profile: process.env.UMMKD_PROFILE ?? "cpu",   // cpu (committed results) | smoke | quick (pipeline checks) | paper',
        paramCellLine("seeds"),
        ...(ARTEFACTS[name].params ?? []).map((p) => (typeof p === "string" ? paramCellLine(p) : paramCellLine(p[0], p[1]))),
        paramCellLine("force"),
        "};",
      ],
      ["parameters"],
    ),
    code([`const nb = await ummkd.run("${name}", params);`, 'for (const n of nb.notes) console.log(n);']),
    md(["## Tables: ours beside the paper"]),
    code(['for (const t of nb.tables) tslab.display.html(`<h4>${t.title}</h4>` + t.html);', 'if (nb.tables.length === 0) console.log("(no tables in this notebook)");']),
    md(["## Figures"]),
    code([
      "// Each figure is one output: PNG (shown everywhere: untrusted notebooks, nbconvert HTML, GitHub) and, for interactive",
      "// figures, Plotly JSON (JupyterLab/VS Code). The results folder holds each as .png, .svg and (interactive) .html.",
      "for (const f of nb.figures) await ummkd.showFigure(f); // its title, then the figure",
      'if (nb.figures.length === 0) console.log("(no figures in this notebook)");',
    ]),
    md(["## Reading"]),
    code(['if (nb.pipelineCheck) tslab.display.html(`<p style="color:#a00"><b>${nb.pipelineCheck}</b></p>`); // smoke/quick']),
    md(t.reading.map((r) => `- ${r}`)),
    code(["// Write tidy CSV, summary, tables, figures and run.json (atomic); paths relative to the repository", "const files = await nb.write();", 'console.log(files.map(ummkd.repoPath).join("\\n"));', `console.log("${DONE_SENTINEL}");`]),
  ];
  return {
    cells: cells.map((c, k) => ({ id: `${name.replace(/_/g, "-")}-${k}`, ...c })),
    metadata: {
      kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" },
      // exactly what the tslab kernel reports (its kernel_info): the classic UI marks a notebook
      // "(unsaved changes)" as soon as the kernel's language_info differs from the file's
      language_info: { name: "typescript", version: "3.7.2", file_extension: ".ts", mimetype: "text/typescript", codemirror_mode: { mode: "typescript", name: "javascript", typescript: true } },
    },
    nbformat: 4,
    nbformat_minor: 5,
  };
}

/** Python's `str.splitlines(keepends=True)` for "\n" line ends (nbformat stores multi-line text so). */
function splitLines(s: string): string[] {
  return s.split(/(?<=\n)/).filter((l) => l.length > 0);
}

/** Keys sorted at every level, and multi-line cell sources as line lists: nbformat's own layout. */
function canonical(x: unknown, key?: string): unknown {
  if (typeof x === "string" && key === "source") return splitLines(x);
  if (Array.isArray(x)) return x.map((v) => canonical(v));
  if (x && typeof x === "object") return Object.fromEntries(Object.keys(x).sort().map((k) => [k, canonical((x as Record<string, unknown>)[k], k)]));
  return x;
}

/**
 * A notebook as Jupyter writes it (nbformat: sorted keys, indent 1, sources as line lists, trailing
 * newline), so that a source notebook saved from the UI, its outputs stripped by the save hook
 * (bin/jupyter/ummkd_jupyter.py), is byte-identical to the committed file: `git status` stays clean.
 */
export function notebookText(name: NotebookName): string {
  return JSON.stringify(canonical(notebookJson(name)), null, 1) + "\n";
}

/** Write every notebook into `dir` (default notebooks/). */
export function writeNotebooks(dir = join(ROOT, "notebooks")): string[] {
  return NOTEBOOKS.map((name) => {
    const p = join(dir, `${name}.ipynb`);
    writeFileAtomic(p, notebookText(name));
    return p;
  });
}

if (process.argv[1] && /notebook-source\.ts$/.test(process.argv[1])) {
  for (const p of writeNotebooks()) console.log(p);
}
