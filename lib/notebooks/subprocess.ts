/**
 * Training in a child process for notebooks: inside a tslab kernel, the notebook driver expands its
 * plans once, hands them to a separate Node process as a file (lib/experiment/plans-file.ts:
 * `ummkd experiment --plans FILE`, which trains exactly those plans and reports each by its hash;
 * no parameter is re-encoded as a flag), then loads the stored runs in the kernel by hash. Why not
 * in the kernel itself:
 * - a busy kernel cannot update its display, and Kernel > Interrupt cannot stop synchronous
 *   training in it (tslab only rejects the cell's promise; the training went on, issue 25);
 * - training in the kernel sent progress faster than tslab's zeromq socket allows and died with
 *   "Socket is busy writing" after ~3 minutes, silently (the error output could not be sent either;
 *   bin/tslab-kernel.cjs now queues the kernel's sends).
 * The child keeps the kernel idle and streams its progress lines (throttled); an interrupt (SIGINT
 * to the kernel's process group, or to the kernel only) stops the child at once, the child's locks
 * are removed and its last checkpoint is kept, so the next Run All resumes there.
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT as ROOT } from "../util/repo-root.ts";
import { UmmkdError } from "../util/errors.ts";
import { readLock } from "../util/lock.ts";
import { isTslabKernelArgv } from "../util/process-info.ts";

export { isTslabKernelArgv };
import { cliNodeArgs } from "../util/node-flags.ts";

/** True inside a tslab kernel process (unless UMMKD_IN_PROCESS=1 forces in-process training). */
export function inNotebookKernel(): boolean {
  if (process.env.UMMKD_IN_PROCESS === "1") return false;
  return isTslabKernelArgv(process.argv);
}

/**
 * Remove the lock files a training child held (`.ummkd-cache/train/<hash>.lock` and
 * `<hash>/run.lock`) once it has exited: an interrupted child leaves none behind.
 * @returns the removed paths
 */
export function removeLocksOf(pid: number, trainRoot = process.env.UMMKD_TRAIN_DIR ?? join(ROOT, ".ummkd-cache", "train")): string[] {
  if (!existsSync(trainRoot)) return [];
  const removed: string[] = [];
  const check = (p: string) => {
    if (readLock(p)?.pid !== pid) return;
    rmSync(p, { force: true });
    removed.push(p);
  };
  for (const e of readdirSync(trainRoot, { withFileTypes: true })) {
    if (e.isFile() && e.name.endsWith(".lock")) check(join(trainRoot, e.name));
    else if (e.isDirectory() && existsSync(join(trainRoot, e.name, "run.lock"))) check(join(trainRoot, e.name, "run.lock"));
  }
  return removed;
}

/** The child's command line: train the plans of a plans file (lib/experiment/plans-file.ts). */
export function childArgs(plansFile: string): string[] {
  return cliNodeArgs("experiment", "--plans", plansFile, "--train-only");
}

/**
 * Run `ummkd experiment --plans <plansFile> --train-only` in a child process.
 * A SIGINT to this process (Kernel > Interrupt) is passed on to the child; when the child ends,
 * any lock file it still held is removed.
 * @param onLine each output line (progress), e.g. to update a notebook display
 * @throws UmmkdError with the end of the child's output when it fails or is interrupted
 */
export function trainInChild(plansFile: string, onLine: (line: string) => void): Promise<void> {
  const args = childArgs(plansFile);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, UMMKD_IN_PROCESS: "1", UMMKD_CHILD_OF_KERNEL: "1" }, stdio: ["ignore", "pipe", "pipe"] });
    let tail = "";
    let partial = "";
    const on = (b: Buffer) => {
      const s = partial + b.toString();
      tail = (tail + b.toString()).slice(-4000);
      const lines = s.split(/\r?\n|\r/);
      partial = lines.pop() ?? "";
      for (const line of lines) if (line.trim()) onLine(line.trim());
    };
    child.stdout.on("data", on);
    child.stderr.on("data", on);
    // Jupyter interrupts by signalling the kernel's process group (the child is in it); a kernel
    // started otherwise gets the signal alone: pass it on. The listener is added on the next turn of
    // the event loop, never during the cell's synchronous run: tslab runs a cell in a vm with
    // breakOnSigint, and a SIGINT listener added there leaves Node's default action (exit) in place,
    // so the interrupt killed the kernel (issue 25; bin/kernel-sigint.cjs re-arms in our kernel).
    const interrupt = () => child.kill("SIGINT");
    let ended = false;
    const arm = setImmediate(() => {
      if (!ended) process.on("SIGINT", interrupt);
    });
    const finish = () => {
      ended = true;
      clearImmediate(arm);
      process.off("SIGINT", interrupt);
      // the locks first: after an interrupt the cell has ended, and showing a line may fail then
      try {
        if (child.pid) removeLocksOf(child.pid);
      } finally {
        try {
          if (partial.trim()) onLine(partial.trim());
        } catch {
          /* the cell's display is gone */
        }
      }
    };
    child.on("error", (e) => {
      finish();
      reject(new UmmkdError(`cannot start the training process: ${e.message}`));
    });
    child.on("close", (code, signal) => {
      finish();
      if (code === 0) return resolve();
      // 130: it removed its locks on SIGINT and exited (lib/util/lock.ts)
      const interrupted = signal === "SIGINT" || code === 130;
      const how = interrupted ? "was interrupted (its last checkpoint is kept; the next run resumes there)" : signal ? `was stopped by ${signal}` : `exited with ${code}`;
      reject(new UmmkdError(`training process (ummkd experiment --plans ${plansFile}) ${how}:\n${tail.trim().split("\n").slice(-15).join("\n")}`));
    });
  });
}
