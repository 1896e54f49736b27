/**
 * `ummkd` command-line entry. Each subcommand lives in its own file under lib/cli/ and exports
 * `run(argv: string[]): Promise<number>` (the exit code). Errors from the library (DataError,
 * ShapeError, OptionError, ...) and file-system errors the user or the environment causes (EACCES,
 * ENOSPC, ENOTDIR, ... with the path) are printed as one clear line with exit code 1; only a
 * programming error keeps its stack trace.
 */
import { userErrorMessage } from "../util/errors.ts";

type Runner = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, { summary: string; load: () => Promise<{ run: Runner }> }> = {
  bench: { summary: "benchmarks (train-step, ...)", load: () => import("./bench.ts") },
  params: { summary: "trainable parameter count of a network/setting", load: () => import("./params.ts") },
  prepare: { summary: "convert a raw dataset download into the preprocessed form", load: () => import("./prepare.ts") },
  info: { summary: "shape, spacing, dtype and label values of an image file", load: () => import("./info.ts") },
  metrics: { summary: "Dice / HD / HD95 / ASSD between two label images", load: () => import("./metrics.ts") },
  train: { summary: "train from a JSON config", load: () => import("./train.ts") },
  predict: { summary: "predict whole volumes with a trained checkpoint", load: () => import("./predict.ts") },
  experiment: { summary: "run an experiment config (settings x seeds) and write results", load: () => import("./experiment.ts") },
  sweep: { summary: "run a notebook's grid as parallel local jobs or a Slurm job array", load: () => import("./sweep.ts") },
  runs: { summary: "check or seal the committed run store (results/runs/SHA256SUMS)", load: () => import("./runs.ts") },
  diagnose: { summary: "diagnose a stored run: precise BN re-test, absent classes per batch (issue 26)", load: () => import("./diagnose.ts") },
};

function usage(): string {
  const rows = Object.entries(COMMANDS).map(([k, v]) => `  ${k.padEnd(11)} ${v.summary}`);
  return `usage: ummkd <command> [options]\n\ncommands:\n${rows.join("\n")}\n\nRun 'ummkd <command> --help' for a command's options.`;
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === "--help" || cmd === "-h" || cmd === "help") {
    console.log(usage());
    return cmd ? 0 : 2;
  }
  const entry = Object.hasOwn(COMMANDS, cmd) ? COMMANDS[cmd] : undefined; // 'constructor', '__proto__' are unknown commands
  if (!entry) {
    console.error(`ummkd: unknown command '${cmd}'\n\n${usage()}`);
    return 2;
  }
  try {
    const mod = await entry.load();
    return await mod.run(rest);
  } catch (e) {
    const msg = userErrorMessage(e);
    if (msg !== undefined) {
      console.error(`ummkd ${cmd}: ${msg}`);
      return 1;
    }
    throw e;
  }
}
