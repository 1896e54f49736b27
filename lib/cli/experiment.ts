/**
 * `ummkd experiment --config FILE [--profile P] [--force] [--seeds 0,1] [--steps N] [--data DIR] [--out DIR]`
 *
 * Runs an experiment config headless (the same runner the notebooks use, same cache) and writes
 * tidy.csv, summary.csv and run.json to <out>/<config name>/<profile>/ (default results/).
 * `--notebook NAME` instead runs a notebook's driver (tables and figures included) without Jupyter.
 * `--dry-run` prints the complete plan of every run with its hash and trains nothing (`--json`: one
 * JSON array of {hash, plan} on the last line).
 * Overrides (--alphas, --norms, --settings, --seeds, --steps) write to a variant folder
 * (<profile>-<what differs>, lib/plan/params.ts); a folder tracked by git (the committed
 * results) is never replaced without --force, except a notebook's re-derivation from the run store.
 */
import { readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseFlags } from "./args.ts";
import { OptionError } from "../util/errors.ts";
import { checkWritableOutput } from "../util/paths.ts";
import { REPO_ROOT } from "../util/repo-root.ts";
import { artefact, isNotebookName, NOTEBOOKS } from "../notebooks/artefacts/index.ts";
import { loadConfig } from "../plan/config.ts";
import { run as runNotebook, type NotebookParams } from "../notebooks/notebook.ts";
import { runOverrides } from "../plan/overrides.ts";
import { paramFlagHelp, paramFlagOptions, paramsFromFlags } from "../plan/params.ts";
import { runExperiment, runPlans, runsSummary } from "../experiment/runner.ts";
import { readPlansFile } from "../experiment/plans-file.ts";
import { expandPlans, planLabel } from "../plan/plan.ts";
import { checkResultsDir, resultsDir, writeNotebookResults } from "../notebooks/results.ts";
import { guardOverwrite, profileDefaults, variantName } from "../notebooks/variants.ts";
import { resolveProfile, resolveProfileName } from "../plan/profiles.ts";
import { hasBundledAbdominal } from "../data/abdominal-cases.ts";
import { summarizeTidy } from "../experiment/summary.ts";

const USAGE = `usage: ummkd experiment (--config FILE | --notebook NAME) [--profile smoke|quick|cpu|paper] [--force]
                        [--seeds 0,1,2] [--steps N] [--data DIR] [--out DIR]
                        [--settings s1,s2] [--alphas 0.1,0.5] [--norms batch,group] [--folds 0,1] [--train-only]
                        [--dry-run [--json]]
       ummkd experiment --plans FILE [--train-only]   (train exactly the plans of a plans file, by hash)
notebooks: ${NOTEBOOKS.join(", ")}
parameters:
${paramFlagHelp().join("\n")}`;

/** `--data` must be an existing, non-empty folder (else later errors blame a table's test cases). */
function checkDataFolder(dir: string): void {
  let entries: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new OptionError("--data", dir, "a data root folder (it is a file)");
    entries = readdirSync(dir);
  } catch (e) {
    if (e instanceof OptionError) throw e;
    throw new OptionError("--data", dir, `an existing data root folder (${(e as { code?: string }).code ?? (e as Error).message})`);
  }
  if (entries.length === 0) throw new OptionError("--data", dir, "a data root folder with the datasets in it (this folder is empty)");
}

/**
 * A `--data` folder the run would read real data from must have the layout the loaders expect:
 * without it the `cpu` profile fell back to a synthetic split sized for real data (0 cases) and the
 * first error blamed Table VI's test cases. Only configs whose profile reads real data are checked
 * (the cardiac task has no real volumes wired below `paper`, where plan.ts names the need).
 */
function checkDataLayout(dir: string, configs: readonly ReturnType<typeof loadConfig>[], profile: ReturnType<typeof resolveProfileName>): void {
  const needs = configs.filter((c) => c.task === "abdominal" && resolveProfile(c, profile).data === "real");
  if (needs.length === 0 || hasBundledAbdominal(dir)) return;
  const held = readdirSync(dir);
  const shown = held.slice(0, 5).join(", ") + (held.length > 5 ? `, … (${held.length} entries)` : "");
  throw new OptionError(
    "--data",
    dir,
    `a data root with btcv_sabs_ct/ (labels/ and images_png/) and chaos_t2_mr/ (image_<id>.nii.gz, label_<id>.nii.gz) in it, the layout of ../shared/data/real (data/datasets/README.md), which ${needs.map((c) => c.name).join(", ")} reads at profile ${profile}; this folder holds ${shown}`,
  );
}

/** The experiment configs a notebook trains (those its artefact needs). */
function notebookConfigs(name: string): ReturnType<typeof loadConfig>[] {
  return artefact(name, "--notebook").configs.map((c) => loadConfig(join(REPO_ROOT, "data", "configs", `${c}.json`)));
}

/**
 * `--plans FILE`: train exactly the frozen plans of a plans file (written by a notebook,
 * lib/experiment/plans-file.ts) into the run store or cache, one line per plan by its hash.
 * Nothing else may be given but --train-only (the file holds the profile, force and data root).
 */
async function trainPlansFile(file: string, argv: string[]): Promise<number> {
  const extra = argv.filter((a, i) => a.startsWith("--") && a !== "--plans" && a !== "--train-only" && argv[i - 1] !== "--plans" && !a.startsWith("--plans="));
  if (extra.length) throw new OptionError(extra[0]!, "given with --plans", "nothing but --train-only (the plans file holds profile, force and data root)");
  const f = readPlansFile(file);
  const started = Date.now();
  const { runs, trained } = await runPlans(f.config, f.profile, f.plans, {
    force: f.force,
    ...(f.dataRoot ? { dataRoot: f.dataRoot } : {}),
    onRun: (_spec, event, rec) => {
      if (event === "done" && rec) console.log(`${rec.key} ${planLabel(rec.plan)}: done: ${rec.from === "trained" ? "trained" : `stored (${rec.from})`}`);
    },
  });
  console.log(runsSummary(runs.length, trained, (Date.now() - started) / 1000));
  return 0;
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags(
    argv,
    {
      config: { type: "string" },
      notebook: { type: "string" },
      plans: { type: "string" },
      // --profile, --force, --seeds, --steps, --data, --settings, --alphas, --norms, --folds: the parameters' rows (lib/plan/params.ts)
      ...paramFlagOptions(),
      out: { type: "string" },
      "train-only": { type: "boolean", default: false },
      "dry-run": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
    "experiment",
  );
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values.plans !== undefined) return trainPlansFile(resolve(values.plans), argv);
  if (!values.config === !values.notebook) throw new OptionError("--config / --notebook", values.config && values.notebook ? "both" : "neither", "exactly one of them");
  const flags = paramsFromFlags(values);
  const out = resolve((values.out as string | undefined) ?? join(REPO_ROOT, "results"));
  if (flags.dataRoot !== undefined) checkDataFolder(flags.dataRoot);
  const params: NotebookParams = {
    ...flags,
    profile: flags.profile ?? null,
    force: flags.force === true,
    ...(flags.dataRoot ? { dataRoot: resolve(flags.dataRoot) } : {}),
  };
  const common = runOverrides(params);
  if (flags.dataRoot !== undefined) {
    const configs = values.notebook ? (isNotebookName(values.notebook) ? notebookConfigs(values.notebook) : []) : [loadConfig(resolve(values.config!))];
    checkDataLayout(flags.dataRoot, configs, resolveProfileName(common.profile));
  }
  if (values["dry-run"]) {
    const configs = values.notebook ? notebookConfigs(values.notebook) : [loadConfig(resolve(values.config!))];
    const profile = resolveProfileName(common.profile);
    const all = configs.flatMap((c) => expandPlans(c, profile, common).map((p) => ({ config: c.name, ...p })));
    const seen = new Set<string>();
    const unique = all.filter((p) => !seen.has(p.hash) && seen.add(p.hash));
    if (!values.json) for (const p of unique) console.log(`${p.hash}  ${p.config}  ${planLabel(p.plan)}\n${JSON.stringify(p.plan, null, 2)}`);
    console.log(values.json ? JSON.stringify(unique.map(({ hash, plan }) => ({ hash, plan }))) : `${unique.length} plans (profile ${profile}); nothing trained`);
    return 0;
  }
  // refuse before training, not after, when the results would land in a committed folder. A
  // notebook's default grid at cpu/paper is stored in the committed run store (results/runs/), so
  // its artefacts are a re-derivation from committed records (checked again when writing); a
  // config alone has no tables or figures and never replaces a notebook's committed folder.
  const early = (name: string, notebook: boolean) => {
    const p = resolveProfileName(params.profile ?? null);
    const variant = variantName(name, p, common, profileDefaults(name, p));
    const storeGrid = notebook && variant === p && (p === "cpu" || p === "paper");
    if (values["train-only"]) return;
    const dir = resultsDir(out, name, variant);
    guardOverwrite(dir, params.force === true, storeGrid);
    checkResultsDir(dir);
    checkWritableOutput("--out", dir, { replaced: true }); // a read-only disk or a link fails now, not after the training
  };
  if (values.notebook) {
    if (!isNotebookName(values.notebook)) throw new OptionError("--notebook", values.notebook, NOTEBOOKS);
    early(values.notebook, true);
    const nb = await runNotebook(values.notebook, params);
    for (const n of nb.notes) console.log(n);
    for (const f of await nb.write(out)) console.log(f);
    return 0;
  }
  const config = loadConfig(resolve(values.config!));
  early(config.name, false);
  const exp = await runExperiment(config, common);
  if (values["train-only"]) {
    console.log(runsSummary(exp.runs.length, exp.trained, exp.wallS));
    return 0;
  }
  // a config alone has no tables or figures (those belong to a notebook's artefact): rows, summary and run.json
  const files = await writeNotebookResults(
    {
      name: config.name, profile: exp.profile, params, experiments: [exp], rows: exp.rows,
      variant: variantName(config.name, exp.profile, common, profileDefaults(config.name, exp.profile)),
      summary: summarizeTidy(exp.rows), tables: [], figures: [], notes: [`${exp.runs.length} run${exp.runs.length === 1 ? "" : "s"} (${exp.trained} trained, ${exp.cached} cached)`],
    },
    out,
    { rederive: false },
  );
  console.log(runsSummary(exp.runs.length, exp.trained, exp.wallS));
  for (const f of files) console.log(f);
  return 0;
}
