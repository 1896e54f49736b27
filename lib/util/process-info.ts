/**
 * What a process id stands for, for lock files (lib/util/lock.ts): its start time (so a pid reused
 * by an unrelated process is told apart from the holder that wrote it) and whether it is a tslab
 * notebook kernel (which trains in a child process, not itself; lib/notebooks/subprocess.ts).
 * Linux reads /proc; elsewhere both are unknown (undefined) and callers fall back to "pid alive".
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";

/**
 * Whether `argv` is a tslab kernel's: `tslab kernel ...`, `node .../tslab/dist/main.js kernel ...`
 * or the project's launcher `node .../bin/tslab-kernel.cjs kernel ...` (the registered kernel).
 */
export function isTslabKernelArgv(argv: readonly string[]): boolean {
  return argv.includes("kernel") && argv.some((a) => /tslab/.test(basename(a)) || /[\\/]tslab[\\/]/.test(a));
}

/** The command line of process `pid` (undefined where /proc is not readable). */
export function processArgv(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter((a) => a.length > 0);
  } catch {
    return undefined;
  }
}

/** The start time of process `pid` in clock ticks since boot (/proc/<pid>/stat field 22), or undefined. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // the command name (field 2) is in parentheses and may hold spaces: count fields after its ')'
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return rest[19]; // field 22 = 3rd after ')' is field 3, so field 22 is index 19
  } catch {
    return undefined;
  }
}
