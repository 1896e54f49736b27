import { join } from "node:path";
import { REPO_ROOT } from "./repo-root.ts";

/**
 * V8 flags for the node processes ummkd starts to train or benchmark (sweep tasks, a notebook's
 * training child, Slurm tasks, the benchmarks' processes); bin/ummkd.js's shebang carries the same.
 *
 * --max-semi-space-size=64 (MiB; Node 20's default on 64-bit is 16): a training step makes
 * thousands of short-lived JS objects (a tensor record, a tape entry and a kernel-call frame for
 * each of the ~2500 kernel calls of a 2D step), so with the default young generation V8 scavenges
 * several times per step, on helper threads that compete with the engine's second OpenMP thread for
 * the second core (a fork-join kernel then waits for it at its barrier). Measured on the 2D bench
 * step (W = 0.25, 64x64, 8 per modality, 2 native threads, 2-vCPU AMD EPYC, 2026-12-02, processes
 * alternated, 20 steps after 3 warm-up): median 163-179 ms with the flag, 177-214 ms without; at 1
 * thread and for the 3D step the difference was within the noise. It changes no computed value.
 */
export const NODE_FLAGS: readonly string[] = ["--max-semi-space-size=64"];

const CLI = join(REPO_ROOT, "bin", "ummkd.js");

/**
 * The node arguments that run the ummkd CLI with `args` in a child process: NODE_FLAGS, then
 * bin/ummkd.js by absolute path, then `args` (spawn `process.execPath` with them).
 */
export function cliNodeArgs(...args: string[]): string[] {
  return [...NODE_FLAGS, CLI, ...args];
}
