/**
 * `ummkd sweep --executor slurm` against a real single-node Slurm (slurm-harness.ts): the smoke
 * sweep of table1_cardiac (7 plans) through sbatch as one job array; one task is caught mid-run
 * (its first checkpoint written, its record not yet), frozen and cancelled with scancel; the
 * array's other tasks store their runs; `sweep status` reports the cancelled plan as failed with
 * its checkpoint; a re-submission submits only that plan, which resumes from its checkpoint; the
 * notebook's experiment then finds every run in the store and trains nothing.
 * Skips (with the reason) only where slurm-wlm/munge cannot be installed.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureSlurmPackages, startSlurm, type SlurmCluster } from "./slurm-harness.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const why = process.env.UMMKD_SKIP_SLURM ? "UMMKD_SKIP_SLURM is set" : ensureSlurmPackages();
if (why) console.warn(`[test/sweep/slurm] skipped: ${why}`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!!why)("sweep on a real Slurm (smoke table1_cardiac)", () => {
  let slurm: SlurmCluster;
  let tmp: string;
  let env: NodeJS.ProcessEnv;
  const ummkd = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, "bin", "ummkd.js"), ...args], { cwd: ROOT, env, encoding: "utf8" });
  const squeueEmpty = (job: string) => spawnSync("squeue", ["-h", "-j", job], { env, encoding: "utf8" }).stdout.trim() === "";

  beforeAll(async () => {
    slurm = await startSlurm();
    tmp = mkdtempSync(join(tmpdir(), "ummkd-sweep-slurm-"));
    env = {
      ...slurm.env, UMMKD_THREADS: "1", UMMKD_RUN_STORE: join(tmp, "store"), UMMKD_CACHE: join(tmp, "cache"),
      UMMKD_TRAIN_DIR: join(tmp, "train"), UMMKD_SWEEP_DIR: join(tmp, "sweeps"),
    };
  }, 900_000);
  afterAll(() => {
    slurm?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it("runs every plan as an array task, survives a scancel by re-submission, and the notebook then trains nothing", async () => {
    const sel = ["--notebook", "table1_cardiac", "--profile", "smoke"];
    const dry = ummkd("experiment", ...sel, "--dry-run", "--json");
    expect(dry.status, dry.stderr).toBe(0);
    const plans = JSON.parse(dry.stdout.trim().split("\n").at(-1)!) as { hash: string }[];
    expect(plans).toHaveLength(7);

    const sub = ummkd("sweep", ...sel, "--executor", "slurm", "--array-limit", "2", "--cpus-per-task", "1", "--time", "30");
    expect(sub.status, sub.stderr).toBe(0);
    const job = sub.stdout.trim().split("\n").at(-1)!;
    expect(job).toMatch(/^\d+$/);
    expect(sub.stdout).toContain("7 of 7 plans");
    const dir = join(tmp, "sweeps", JSON.parse(readFileSync(join(tmp, "sweeps", readdirSync(join(tmp, "sweeps"))[0]!, "manifest.json"), "utf8")).id);
    const script = readFileSync(join(dir, "sweep.sbatch"), "utf8");
    expect(script).toContain("#SBATCH --array=0-6%2");
    expect(script).toContain("#SBATCH --requeue");

    // catch one task mid-run: checkpoint written, record not yet stored; freeze it, then scancel it
    const rec = (h: string) => existsSync(join(tmp, "cache", `${h}.json`)) || existsSync(join(tmp, "store", `${h}.json`));
    let victim: { hash: string; index: number } | undefined;
    const t0 = Date.now();
    while (!victim && Date.now() - t0 < 600_000) {
      for (const [index, p] of plans.entries()) {
        if (!existsSync(join(tmp, "train", p.hash, "checkpoint", "trainer.json")) || rec(p.hash)) continue;
        let pid: number;
        try {
          pid = (JSON.parse(readFileSync(join(tmp, "train", `${p.hash}.lock`), "utf8")) as { pid: number }).pid;
          process.kill(pid, "SIGSTOP");
        } catch {
          continue; // finished in between
        }
        if (rec(p.hash)) {
          process.kill(pid, "SIGCONT"); // stored in between: let it exit, try another
          continue;
        }
        victim = { hash: p.hash, index };
        break;
      }
      if (!victim) await sleep(25);
    }
    expect(victim, "no task was caught between its first checkpoint and its record").toBeDefined();
    const cancel = spawnSync("scancel", [`${job}_${victim!.index}`], { env, encoding: "utf8" });
    expect(cancel.status, cancel.stderr).toBe(0);
    while (!squeueEmpty(job)) await sleep(1000);

    expect(rec(victim!.hash)).toBe(false);
    for (const p of plans) if (p.hash !== victim!.hash) expect(rec(p.hash), p.hash).toBe(true);
    const st = ummkd("sweep", "status", "--dir", dir, "--json");
    const status = JSON.parse(st.stdout) as { counts: Record<string, number>; plans: { entry: { hash: string }; state: string; checkpointStep?: number; slurm?: string; log: string }[] };
    expect(status.counts).toMatchObject({ done: 6, failed: 1 });
    const failed = status.plans.find((p) => p.state === "failed")!;
    expect(failed.entry.hash).toBe(victim!.hash);
    expect(failed.slurm).toMatch(/^CANCELLED/);
    expect(failed.checkpointStep).toBeGreaterThanOrEqual(1);
    expect(st.status).toBe(1); // a failed plan: non-zero exit

    // re-submission: only the cancelled plan; it resumes from its checkpoint
    const again = ummkd("sweep", ...sel, "--executor", "slurm", "--array-limit", "2");
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toContain("1 of 7 plans");
    const job2 = again.stdout.trim().split("\n").at(-1)!;
    expect(readFileSync(join(dir, "sweep.sbatch"), "utf8")).toContain(`#SBATCH --array=${victim!.index}%2`);
    while (!squeueEmpty(job2)) await sleep(1000);
    expect(rec(victim!.hash)).toBe(true);
    expect(readFileSync(join(dir, "logs", `task-${victim!.index}.log`), "utf8")).toMatch(/resuming from the checkpoint at step [12]/);
    const st2 = ummkd("sweep", "status", "--dir", dir, "--json");
    expect(st2.status).toBe(0);
    expect((JSON.parse(st2.stdout) as { counts: Record<string, number> }).counts.done).toBe(7);

    // nothing left to submit, and the notebook's experiment loads all 7 runs and trains nothing
    expect(ummkd("sweep", ...sel, "--executor", "slurm").stdout).toContain("nothing to submit");
    const nb = ummkd("experiment", "--config", join(ROOT, "data", "configs", "table1_cardiac.json"), "--profile", "smoke", "--train-only");
    expect(nb.status, nb.stderr).toBe(0);
    expect(nb.stdout).toContain("7 runs (0 trained, 7 from the cache)");
  }, 1_800_000);
});

