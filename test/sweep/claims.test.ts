/**
 * lib/sweep/claims.ts: when a Slurm retry may remove a lock held on another node (hand cases), and
 * claimPlan removing a requeued task's own dead lock from "another node" (a lock file written with
 * a foreign hostname) while leaving a notebook's lock alone.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { claimPlan, currentClaim, isDeadRemoteTask, type Claim } from "../../lib/sweep/claims.ts";
import type { LockInfo } from "../../lib/util/lock.ts";

const lock = (host: string, pid: number): LockInfo => ({ hostname: host, pid, startedAt: "2026-01-01T00:00:00Z", token: "t" });
const me: Claim = { host: "node-b", pid: 50, job: "77_3" };

describe("isDeadRemoteTask", () => {
  const never = () => {
    throw new Error("squeue must not be asked");
  };
  it.each([
    ["same host: left to the lock's pid check", lock("node-b", 9), { host: "node-b", pid: 9, job: "77_3" }, never, false],
    ["no claim: not a task of this sweep", lock("node-a", 9), undefined, never, false],
    ["claim of another process (a notebook took the lock)", lock("node-a", 9), { host: "node-a", pid: 10, job: "77_3" }, never, false],
    ["our own job's earlier incarnation (requeue)", lock("node-a", 9), { host: "node-a", pid: 9, job: "77_3" }, never, true],
  ] as const)("%s", (_why, holder, claim, running, want) => expect(isDeadRemoteTask(holder, claim, me, running)).toBe(want));
  it("another submission's task: removed only when Slurm no longer runs it", () => {
    const claim: Claim = { host: "node-a", pid: 9, job: "70_3" };
    expect(isDeadRemoteTask(lock("node-a", 9), claim, me, (j) => j === "70_3")).toBe(false);
    expect(isDeadRemoteTask(lock("node-a", 9), claim, me, () => false)).toBe(true);
  });
});

describe("claimPlan", () => {
  let tmp: string;
  const saved = { ...process.env };
  beforeEach(() => {
    tmp = mkdtempSync(join(tmpdir(), "ummkd-claims-"));
    process.env.UMMKD_TRAIN_DIR = join(tmp, "train");
  });
  afterEach(() => {
    process.env = { ...saved };
    rmSync(tmp, { recursive: true, force: true });
  });

  it("outside Slurm does nothing", () => {
    delete process.env.SLURM_ARRAY_JOB_ID;
    delete process.env.SLURM_JOB_ID;
    expect(currentClaim()).toBeUndefined();
    expect(claimPlan(join(tmp, "sweep"), "h1")).toEqual([]);
    expect(existsSync(join(tmp, "sweep", "claims", "h1.json"))).toBe(false);
  });

  it("a requeued task removes its own dead locks from another node, records its claim, and leaves a foreign lock", () => {
    Object.assign(process.env, { SLURM_ARRAY_JOB_ID: "77", SLURM_ARRAY_TASK_ID: "3" });
    const sweep = join(tmp, "sweep");
    mkdirSync(join(sweep, "claims"), { recursive: true });
    mkdirSync(join(tmp, "train", "h1"), { recursive: true });
    const other = `${hostname()}-other-node`;
    writeFileSync(join(sweep, "claims", "h1.json"), JSON.stringify({ host: other, pid: 4242, job: "77_3" }));
    const planLock = join(tmp, "train", "h1.lock");
    const runLock = join(tmp, "train", "h1", "run.lock");
    writeFileSync(planLock, JSON.stringify(lock(other, 4242)));
    writeFileSync(runLock, JSON.stringify(lock(other, 4242)));
    expect(claimPlan(sweep, "h1").sort()).toEqual([planLock, runLock].sort());
    expect(existsSync(planLock) || existsSync(runLock)).toBe(false);
    expect(JSON.parse(readFileSync(join(sweep, "claims", "h1.json"), "utf8"))).toEqual({ host: hostname(), pid: process.pid, job: "77_3" });

    // a lock by a process that is not this sweep's task (pid differs from the claim): kept
    writeFileSync(planLock, JSON.stringify(lock(other, 999)));
    writeFileSync(join(sweep, "claims", "h1.json"), JSON.stringify({ host: other, pid: 4242, job: "77_3" }));
    expect(claimPlan(sweep, "h1")).toEqual([]);
    expect(existsSync(planLock)).toBe(true);
  });
});
