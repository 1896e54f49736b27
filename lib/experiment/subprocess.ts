/**
 * Training in a child process for notebooks: inside a tslab kernel, the notebook drivers first
 * run `ummkd experiment --config ...` as a separate Node process (same options, same cache), then
 * load the cached runs in the kernel. Long trainings inside a tslab kernel were seen to end with
 * "Kernel died" after about 4-6 minutes of work (not understood: a blocked event loop alone or
 * many display updates alone did not reproduce it), and a busy kernel cannot update its display;
 * the child keeps the kernel idle and streams its progress lines.
 */
import { spawn } from "node:child_process";
import { REPO_ROOT as ROOT } from "../data/root.ts";
import { UmmkdError } from "../util/errors.ts";
import type { RunOverrides } from "./overrides.ts";
import { cliNodeArgs } from "../util/node-flags.ts";

/** True inside a tslab kernel process (unless UMMKD_IN_PROCESS=1 forces in-process training). */
export function inNotebookKernel(): boolean {
  if (process.env.UMMKD_IN_PROCESS === "1") return false;
  return process.argv.some((a) => /[\\/]tslab([\\/]|$)|tslab$/.test(a)) && process.argv.includes("kernel");
}

/**
 * Run `ummkd experiment --config <configFile> --train-only` in a child process.
 * @param onLine each output line (progress), e.g. to update a notebook display
 * @throws UmmkdError with the end of the child's output when it fails
 */
export function trainInChild(configFile: string, o: RunOverrides, onLine: (line: string) => void): Promise<void> {
  const args = cliNodeArgs("experiment", "--config", configFile, "--train-only");
  if (o.profile) args.push("--profile", o.profile);
  if (o.force) args.push("--force");
  if (o.seeds) args.push("--seeds", o.seeds.join(","));
  if (o.folds) args.push("--folds", o.folds.join(","));
  if (o.steps !== undefined) args.push("--steps", String(o.steps));
  if (o.dataRoot) args.push("--data", o.dataRoot);
  if (o.settings) args.push("--settings", o.settings.join(","));
  if (o.alphas) args.push("--alphas", o.alphas.join(","));
  if (o.norms) args.push("--norms", o.norms.join(","));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, UMMKD_IN_PROCESS: "1" }, stdio: ["ignore", "pipe", "pipe"] });
    let tail = "";
    const on = (b: Buffer) => {
      const s = b.toString();
      tail = (tail + s).slice(-4000);
      for (const line of s.split(/\r?\n|\r/)) if (line.trim()) onLine(line.trim());
    };
    child.stdout.on("data", on);
    child.stderr.on("data", on);
    child.on("error", (e) => reject(new UmmkdError(`cannot start the training process: ${e.message}`)));
    child.on("close", (code) => (code === 0 ? resolve() : reject(new UmmkdError(`training process (ummkd experiment --config ${configFile}) exited with ${code}:\n${tail}`))));
  });
}
