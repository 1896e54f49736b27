/**
 * `ummkd experiment --config FILE [--profile P] [--force] [--seeds 0,1] [--steps N] [--data DIR] [--out DIR]`
 *
 * Runs an experiment config headless (the same runner the notebooks use, same cache) and writes
 * tidy.csv, summary.csv and run.json to <out>/<config name>/<profile>/ (default results/).
 * `--notebook NAME` instead runs a notebook's driver (tables and figures included) without Jupyter.
 */
import { join, resolve } from "node:path";
import { parseFlags } from "./args.ts";
import { OptionError, oneOf } from "../util/errors.ts";
import { REPO_ROOT } from "../data/root.ts";
import { NORM_KINDS, SETTINGS } from "../models/types.ts";
import { isNotebookName, NOTEBOOKS } from "../experiment/artefacts/index.ts";
import { loadConfig } from "../experiment/config.ts";
import { run as runNotebook, type NotebookParams } from "../experiment/notebook.ts";
import { runOverrides } from "../experiment/overrides.ts";
import { runExperiment } from "../experiment/runner.ts";
import { writeNotebookResults } from "../experiment/results.ts";
import { summarizeTidy } from "../experiment/summary.ts";

const USAGE = `usage: ummkd experiment (--config FILE | --notebook NAME) [--profile smoke|quick|cpu|paper] [--force]
                        [--seeds 0,1,2] [--steps N] [--data DIR] [--out DIR]
                        [--settings s1,s2] [--alphas 0.1,0.5] [--norms batch,group] [--train-only]
notebooks: ${NOTEBOOKS.join(", ")}`;

function intList(name: string, v: string | undefined): number[] | undefined {
  if (v === undefined) return undefined;
  const a = v.split(",").map((s) => Number(s.trim()));
  if (!a.length || a.some((x) => !Number.isInteger(x) || x < 0)) throw new OptionError(`--${name}`, v, "comma-separated non-negative integers");
  return a;
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags(
    argv,
    {
      config: { type: "string" },
      notebook: { type: "string" },
      profile: { type: "string" },
      force: { type: "boolean", default: false },
      seeds: { type: "string" },
      steps: { type: "string" },
      data: { type: "string" },
      out: { type: "string" },
      settings: { type: "string" },
      alphas: { type: "string" },
      norms: { type: "string" },
      "train-only": { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
    "experiment",
  );
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!values.config === !values.notebook) throw new OptionError("--config / --notebook", argv.join(" "), "exactly one of them");
  const seeds = intList("seeds", values.seeds);
  const steps = values.steps === undefined ? undefined : intList("steps", values.steps)![0];
  const out = resolve(values.out ?? join(REPO_ROOT, "results"));
  const list = (v: string | undefined) => (v === undefined ? undefined : v.split(",").map((x) => x.trim()).filter(Boolean));
  const alphas = list(values.alphas)?.map((x) => {
    const n = Number(x);
    if (!Number.isFinite(n) || n < 0) throw new OptionError("--alphas", values.alphas, "comma-separated non-negative numbers");
    return n;
  });
  const settings = list(values.settings)?.map((x) => oneOf("--settings", x, SETTINGS));
  const norms = list(values.norms)?.map((x) => oneOf("--norms", x, NORM_KINDS));
  const params: NotebookParams = {
    profile: values.profile ?? null,
    force: values.force,
    ...(alphas ? { alphas } : {}),
    ...(settings ? { settings } : {}),
    ...(norms ? { norms } : {}),
    ...(seeds ? { seeds } : {}),
    ...(steps !== undefined ? { steps } : {}),
    ...(values.data ? { dataRoot: resolve(values.data) } : {}),
  };
  if (values.notebook) {
    if (!isNotebookName(values.notebook)) throw new OptionError("--notebook", values.notebook, NOTEBOOKS);
    const nb = await runNotebook(values.notebook, params);
    for (const n of nb.notes) console.log(n);
    for (const f of await nb.write(out)) console.log(f);
    return 0;
  }
  const config = loadConfig(resolve(values.config!));
  const exp = await runExperiment(config, runOverrides(params));
  if (values["train-only"]) {
    console.log(`${exp.runs.length} runs (${exp.trained} trained, ${exp.cached} from the cache) in ${exp.wallS.toFixed(1)} s`);
    return 0;
  }
  // a config alone has no tables or figures (those belong to a notebook's artefact): rows, summary and run.json
  const files = await writeNotebookResults(
    {
      name: config.name, profile: exp.profile, params, experiments: [exp], rows: exp.rows,
      summary: summarizeTidy(exp.rows), tables: [], figures: [], notes: [`${exp.runs.length} runs (${exp.trained} trained, ${exp.cached} cached)`],
    },
    out,
  );
  console.log(`${exp.runs.length} runs (${exp.trained} trained, ${exp.cached} from the cache) in ${exp.wallS.toFixed(1)} s`);
  for (const f of files) console.log(f);
  return 0;
}
