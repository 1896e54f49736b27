/**
 * Notebook parameters -> run overrides, in one place: the notebook driver, `ummkd experiment` and
 * the training child process (lib/notebooks/subprocess.ts) all use these.
 */
import type { GridOverrides } from "./plan.ts";
import type { NotebookParams } from "./params.ts";

/** What a notebook or `ummkd experiment` asks of the runner: profile, force and the config overrides. */
export interface RunOverrides extends GridOverrides {
  profile: string | null;
  force: boolean;
}

/**
 * The runner's options for a notebook's parameters: `force` also when UMMKD_FORCE=1 (set by
 * `npm run reproduce -- --force`), a single `alpha`/`norm` as a one-element list.
 */
export function runOverrides(p: NotebookParams): RunOverrides {
  return {
    profile: p.profile ?? null,
    force: p.force === true || process.env.UMMKD_FORCE === "1",
    ...gridOverrides(p),
  };
}

/** The grid part of a notebook's parameters (a single `alpha`/`norm` as a one-element list). */
export function gridOverrides(p: NotebookParams): GridOverrides {
  return {
    ...(p.seeds ? { seeds: p.seeds } : {}),
    ...(p.folds ? { folds: p.folds } : {}),
    ...(p.steps !== undefined ? { steps: p.steps } : {}),
    ...(p.dataRoot ? { dataRoot: p.dataRoot } : {}),
    ...(p.settings ? { settings: p.settings } : {}),
    ...(p.alphas ? { alphas: p.alphas } : p.alpha !== undefined ? { alphas: [p.alpha] } : {}),
    ...(p.norms ? { norms: p.norms } : p.norm ? { norms: [p.norm] } : {}),
  };
}
