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
import { ARTEFACTS, type NotebookName } from "./artefacts/index.ts";
import { paramCellLine } from "../plan/params.ts";


/** Printed by the last code cell; lib/notebooks/execute.ts checks for it (tslab skips all cells after an error). */
export const DONE_SENTINEL = "UMMKD_NOTEBOOK_DONE";

interface NotebookText {
  title: string;
  caption: string;
  differs: string[];
  reading: string[];
}

const COMMON_DIFFERS = [
  "**Scale.** CPU-scale networks (channel widths scaled down), smaller inputs and far fewer steps than the paper's 150k (2D) / 50k (3D) iterations, except at the `paper` profile.",
  "**Metrics.** Dice in %, and distances in mm from the voxel spacing (lib/metrics, medpy definitions). The paper's “Hausdorff distance (mm)” values (~2 mm) look like an average symmetric surface distance: we put our **ASSD** beside them and also report the true HD and HD95.",
];
const CARDIAC_DATA = "**Data.** No real cardiac CT volumes are available here, so the cardiac task runs on **synthetic phantoms** (lib/data/synthetic.ts: LV myocardium ring, LV/LA cavities, ascending aorta; CT-like vs MRI-like intensity models with bias field and Rician noise) at every profile below `paper`. The `data_source` column says so in every results file.";
const ABDOMINAL_DATA = "**Data.** `cpu`/`paper`: real abdominal CT (BTCV) + MRI (CHAOS T2-SPIR) from the data root (`--data DIR` / `UMMKD_DATA`) where lib/data can load them, else synthetic phantoms (recorded in `data_source`); `smoke`/`quick`: synthetic phantoms (liver, kidneys, spleen).";

const TEXT: Record<NotebookName, NotebookText> = {
  table1_cardiac: {
    title: "Table I — multi-modal cardiac segmentation, 2D dilated network, seven settings",
    caption: "TABLE I: Multi-modal learning results of cardiac segmentation with 2D network under different settings.",
    differs: [CARDIAC_DATA, ...COMMON_DIFFERS, "Payer et al. (the MM-WHS challenge winner) is shown from the paper only."],
    reading: [
      "The paper's claims to check: Ours has the best overall Dice and lowest distance; Chilopod ≥ X ≥ Y > Joint; KD helps both Joint and Chilopod.",
      "On synthetic phantoms and CPU-scale training the absolute numbers are not comparable with the paper's; what can be compared is the ordering of the settings, and only where the differences exceed the spread over cases (see the p-values notebook).",
    ],
  },
  table2_abdominal: {
    title: "Table II — multi-modal abdominal multi-organ segmentation, 3D U-Net, seven settings",
    caption: "TABLE II: Multi-modal learning results of abdominal multi-organ segmentation with 3D network under different settings.",
    differs: [ABDOMINAL_DATA, ...COMMON_DIFFERS, "The authors released no abdominal split or preprocessing; ours is lib/data's (seeded split, resampling, crop, top-2% clip, z-score)."],
    reading: [
      "The paper's claims to check: Joint is clearly worse than Individual in 3D (79.0 vs 87.1 overall Dice), KD recovers part of it, Chilopod ≈ X-shaped, Ours best (90.8).",
      "These runs also evaluate Table VI's artefact case and log the validation curves used by Figures 7 and 8 (shared cache).",
    ],
  },
  table3_4_pvalues: {
    title: "Tables III and IV — p-values of Ours against every other setting",
    caption: "TABLE III / TABLE IV: P-values for statistical analysis of all settings for our proposed method on 2D cardiac / 3D organ segmentation.",
    differs: [
      "Uses the runs of Tables I and II (loaded from the cache when those notebooks ran first).",
      "**Unit of the comparison: the trained model.** All test cases of a fold are scored by one network trained with one seed, so they are not independent replicates. Each comparison reports the difference with a 95% hierarchical-bootstrap interval (resample the (fold, seed) models, then cases within them), a paired t-test over the models' mean values, and its Holm correction over the six comparisons of a table and metric (lib/notebooks/comparisons.ts). Per-fold effects are in their own table.",
      "**The paper's test beside it**: Student's paired t-test on per-case means over structures with CT and MRI cases pooled (the paper: “jointly considering both results of CT and MRI in each setting”), labelled as the test that ignores shared models: with one model per setting it measures case-to-case spread of that one model, not whether another seed would reproduce the difference.",
    ],
    reading: ["The paper reports p < 0.05 for every comparison, from its per-case test. Read our model-level columns first: where a setting has one trained model, no test over models exists and the per-case p-value is not evidence that the difference would survive another seed."],
  },
  table5_normalization: {
    title: "Table V — instance, layer and group normalization (cardiac, 2D)",
    caption: "TABLE V: Multi-modal cardiac segmentation with a 2D network by using different feature normalization layers (Dice, %).",
    differs: [CARDIAC_DATA, ...COMMON_DIFFERS],
    reading: ["The paper's claim to check: Ours ≥ Individual for every normalization, and instance norm gives the best Joint model."],
  },
  table6_outlier: {
    title: "Table VI — an abdominal CT test case with artefacts",
    caption: "TABLE VI: Mean results of the four organs in abdominal CT on the outlier case using different methods.",
    differs: [
      ABDOMINAL_DATA,
      "The paper's outlier case is a real CT with artefacts (not identified). Ours is the first CT test case with **added** artefacts: Gaussian noise, streaks radiating from a point (beam-hardening/metal-like) and a smooth bias field (lib/data/synthetic.ts `addArtefacts`, seed 6). Training data stay clean, as in the paper.",
      ...COMMON_DIFFERS,
    ],
    reading: ["The paper's claim to check: every setting drops on the outlier case, and Ours drops least (81.1 Dice vs ≤ 78.0 for the others)."],
  },
  figure4_5_qualitative: {
    title: "Figures 4 and 5 — qualitative results of the seven settings",
    caption: "Fig. 4 / Fig. 5: Qualitative comparison of the segmentation results from the seven different settings on cardiac (red LVM, yellow AA, blue LVC, green LAC) and abdominal (red liver, yellow spleen, blue R-kdy, green L-kdy) segmentation.",
    differs: ["Uses the runs of Tables I and II (cache).", CARDIAC_DATA, ABDOMINAL_DATA, "One slice per modality: the middle foreground slice of the first test case."],
    reading: ["Contours are the boundaries of each predicted structure (ground truth in the first column)."],
  },
  figure6_alpha: {
    title: "Figure 6 — sensitivity to the KD weight α",
    caption: "Fig. 6: Box-plots of Dice (average over all structures) on CT (top) and MRI (bottom) for cardiac segmentation, when varying α from 0.1 to 0.9.",
    differs: [CARDIAC_DATA, ...COMMON_DIFFERS, "Boxes are over test cases (and seeds); α = 0.5 and Individual are shared with Table I through the cache."],
    reading: ["The paper's claim to check: Ours stays above Individual for all α and is not very sensitive to α."],
  },
  figure7_kd_curve: {
    title: "Figure 7 — KD loss during training for several α",
    caption: "Fig. 7: Comparison of learning curves for KD-loss at different values of α.",
    differs: [ABDOMINAL_DATA, ...COMMON_DIFFERS, "The KD loss is logged on the validation cases (the paper: on test data). α = 0 trains the Chilopod architecture without the KD term while still logging it."],
    reading: ["The paper's claim to check: without KD (α = 0) the distilled knowledge of the two modalities diverges; with KD the loss is stabilised."],
  },
  figure8_confusion: {
    title: "Figure 8 — evolution of the soft confusion matrices q^a (CT) and q^b (MRI)",
    caption: "Fig. 8: Visualization of the evolution of the alignment of prediction confusion matrices between CT (first row) and MRI (second row) modalities as training going on. The third row shows their absolute difference planes (with values amplified by a five-times scaling).",
    differs: [ABDOMINAL_DATA, ...COMMON_DIFFERS, "q matrices are those of the validation batches at each validation step of the Ours run of Table II (cache)."],
    reading: ["The paper's claim to check: the difference plane is small at initialisation, grows while the model starts learning, and becomes small again as the matrices align with stronger diagonals."],
  },
  diagnosis_joint_vs_ours: {
    title: "Diagnosis — why Joint beats Ours on the real abdominal data (Table II), and whether it is real",
    caption: "Not a paper artefact. The paper has Ours first on both tasks; our Table II has Joint first. Each hypothesis below gets the cheapest experiment that can tell it apart, a result computed from committed records, and a verdict from fixed rules (lib/notebooks/artefacts/diagnosis_joint_vs_ours.ts).",
    differs: [
      "**Inputs.** The committed run records of Tables I, II and V (results/runs/) and, at the `cpu` profile only, the diagnosis records in `results/diagnosis_joint_vs_ours/records/`, written by `ummkd diagnose precise-bn HASH` (H1: batch-norm statistics re-estimated over many training patches, same weights) and `ummkd diagnose class-presence HASH` (H2: classes absent from a training patch). Precise BN needs the run's best weights, which are not committed (re-train the run to recompute it).",
      "**Statistics.** Every comparison takes the trained model (fold × seed) as the unit: 95% hierarchical-bootstrap interval (models, then cases), paired t-test over model means (lib/notebooks/comparisons.ts).",
      "At `smoke`/`quick` the runs are a pipeline check and the diagnosis records are not used.",
    ],
    reading: [
      "H1: per-modality batch-norm statistics from one patch per step. H2: the KD loss with classes absent from one modality's patch. H3: seed and fold noise.",
      "A verdict says 'open' where its experiment has no record; the README's answer to \"does Ours beat Joint here\" is generated from the same records (npm run readme).",
    ],
  },
};

function md(lines: string[]): Record<string, unknown> {
  return { cell_type: "markdown", metadata: {}, source: lines.join("\n") };
}
function code(lines: string[], tags: string[] = []): Record<string, unknown> {
  return { cell_type: "code", execution_count: null, metadata: tags.length ? { tags } : {}, outputs: [], source: lines.join("\n") };
}

/** The notebook JSON (nbformat 4.5) for one table/figure. */
export function notebookJson(name: NotebookName): Record<string, unknown> {
  const t = TEXT[name];
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
  return (Object.keys(TEXT) as NotebookName[]).map((name) => {
    const p = join(dir, `${name}.ipynb`);
    writeFileAtomic(p, notebookText(name));
    return p;
  });
}

if (process.argv[1] && /notebook-source\.ts$/.test(process.argv[1])) {
  for (const p of writeNotebooks()) console.log(p);
}
