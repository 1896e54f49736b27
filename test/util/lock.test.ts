/**
 * Locks that must not block (issue 25): a lock left by the asking process itself (a failed notebook
 * cell), by a process that reused a dead holder's pid, or by an idle tslab kernel (kernels train in
 * a child process) is taken over at once; a live training holder is still waited for.
 */
import { describe, it, expect, afterEach } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync, existsSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { acquireLock, isStale, readLock } from "../../lib/util/lock.ts";
import { isTslabKernelArgv, processStartTime } from "../../lib/util/process-info.ts";
import { LockTimeoutError } from "../../lib/util/errors.ts";

const tmp = () => mkdtempSync(join(tmpdir(), "ummkd-lock-"));
const lockOf = (pid: number, extra: object = {}) => JSON.stringify({ pid, hostname: hostname(), startedAt: "2026-01-01T00:00:00Z", token: "old", ...extra });

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill("SIGKILL");
});

/** A live process whose argv is `argv` (a sleeping node; argv[0..] after the script are arbitrary). */
async function liveProcess(...argv: string[]): Promise<ChildProcess> {
  const c = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)", ...argv], { stdio: "ignore" });
  children.push(c);
  await new Promise((r) => setTimeout(r, 200));
  return c;
}

describe("lock holders that must not block (lib/util/lock.ts)", () => {
  it("a lock file left by this same process (not held by it) is taken over at once", async () => {
    const p = join(tmp(), "run.lock");
    writeFileSync(p, lockOf(process.pid));
    const t0 = Date.now();
    const lock = await acquireLock(p, { timeoutMs: 0 });
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(readLock(p)?.token).toBe(lock.info.token);
    lock.release();
    expect(existsSync(p)).toBe(false);
  });

  it("a lock this process holds is waited for (concurrent callers take turns), not taken over", async () => {
    const p = join(tmp(), "run.lock");
    const first = await acquireLock(p);
    expect(isStale(p, readLock(p))).toBe(false);
    await expect(acquireLock(p, { timeoutMs: 200, pollMs: 20 })).rejects.toBeInstanceOf(LockTimeoutError);
    first.release();
  });

  it("a live pid whose start time differs from the holder's (a reused pid) is stale", async () => {
    const c = await liveProcess();
    const p = join(tmp(), "run.lock");
    const start = processStartTime(c.pid!);
    expect(start, "/proc start time").toBeDefined();
    writeFileSync(p, lockOf(c.pid!, { procStart: String(Number(start) - 1) }));
    expect(isStale(p, readLock(p))).toBe(true);
    writeFileSync(p, lockOf(c.pid!, { procStart: start }));
    expect(isStale(p, readLock(p))).toBe(false);
  });

  it("a lock held by a live, idle tslab kernel is taken over; one it marked as its own training is waited for", async () => {
    const kernel = await liveProcess("/x/bin/tslab-kernel.cjs", "kernel", "--config-path", "/tmp/k.json");
    const p = join(tmp(), "run.lock");
    writeFileSync(p, lockOf(kernel.pid!));
    const lock = await acquireLock(p, { timeoutMs: 0 });
    lock.release();
    writeFileSync(p, lockOf(kernel.pid!, { kernelTraining: true }));
    await expect(acquireLock(p, { timeoutMs: 100, pollMs: 20 })).rejects.toBeInstanceOf(LockTimeoutError);
  });

  it("a live process that is not a kernel (a training child) is waited for", async () => {
    const c = await liveProcess("bin/ummkd.js", "experiment", "--config", "x.json", "--train-only");
    const p = join(tmp(), "run.lock");
    writeFileSync(p, lockOf(c.pid!, { procStart: processStartTime(c.pid!) }));
    await expect(acquireLock(p, { timeoutMs: 100, pollMs: 20 })).rejects.toBeInstanceOf(LockTimeoutError);
  });
});

describe("which processes are tslab kernels (lib/util/process-info.ts)", () => {
  it.each([
    [["node", "/r/bin/tslab-kernel.cjs", "kernel", "--config-path", "/k.json"], true],
    [["node", "/r/node_modules/tslab/dist/main.js", "kernel", "--config-path", "/k.json"], true],
    [["tslab", "kernel", "--config-path", "/k.json"], true],
    [["node", "/r/bin/ummkd.js", "experiment", "--config", "c.json"], false],
    [["node", "/r/bin/tslab-kernel.cjs", "install"], false],
  ])("%j -> %s", (argv, want) => {
    expect(isTslabKernelArgv(argv)).toBe(want);
  });
});
