/**
 * lib/sweep without a cluster: Slurm array syntax and squeue/sacct parsing (hand cases), the sbatch
 * script, the local executor's jobs x threads, the manifest's plans = the notebooks' plans, bad
 * input as one-line errors, and a local sweep of two smoke plans where one task is killed with
 * SIGKILL after its first checkpoint and the sweep resumes it; a re-run trains nothing; a damaged
 * cache record shows as such in the status, beside the other plans.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../lib/plan/config.ts";
import { expandPlans } from "../../lib/plan/plan.ts";
import { localParallelism } from "../../lib/sweep/local.ts";
import { buildManifest, type SweepManifest } from "../../lib/sweep/manifest.ts";
import { arraySpec, parseTaskLines, sbatchScript } from "../../lib/sweep/slurm.ts";
import { OptionError } from "../../lib/util/errors.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const STACK_RE = /^\s+at .+(\(|:\d+:\d+)|node:internal|^Node\.js v\d/m;

describe("Slurm array syntax", () => {
  it.each([
    [[0, 1, 2, 3, 5, 7, 8], "0-3,5,7-8"],
    [[4], "4"],
    [[6, 2, 3, 2], "2-3,6"],
  ])("arraySpec(%j) = %s", (idx, spec) => expect(arraySpec(idx)).toBe(spec));

  it("parses squeue -r / sacct -P task lines, expanding pending ranges and dropping non-array lines", () => {
    const text = "12_3 RUNNING\n12_[4-6%2] PENDING\n13_0|CANCELLED by 0\n13_1|COMPLETED\n12 RUNNING\n12_7.batch|FAILED\n";
    expect(parseTaskLines(text, "squeue").map((s) => `${s.jobId}_${s.index}:${s.state}`)).toEqual([
      "12_3:RUNNING", "12_4:PENDING", "12_5:PENDING", "12_6:PENDING", "13_0:CANCELLED", "13_1:COMPLETED",
    ]);
  });
});

describe("sbatch script", () => {
  const m = { id: "t1-paper-abc", name: "t1", profile: "paper", plans: new Array(9).fill(null), repo: "/home/me/ummkd" } as unknown as SweepManifest;
  it("has one task per pending plan, the %K throttle, requeue, resources and extra arguments", () => {
    const s = sbatchScript(m, "/shared/sw", [0, 1, 2, 5], { partition: "gpu", time: "48:00:00", cpusPerTask: 4, gpus: 1, arrayLimit: 3, sbatchArgs: ["--mem=32G", "--account=lab"] });
    const sb = s.split("\n").filter((l) => l.startsWith("#SBATCH"));
    expect(sb).toEqual([
      "#SBATCH --job-name=ummkd-t1", "#SBATCH --array=0-2,5%3", "#SBATCH --requeue", "#SBATCH --cpus-per-task=4",
      "#SBATCH --partition=gpu", "#SBATCH --time=48:00:00", "#SBATCH --gpus=1", "#SBATCH --output=/shared/sw/logs/task-%a.log",
      "#SBATCH --open-mode=append", "#SBATCH --mem=32G", "#SBATCH --account=lab",
    ]);
    expect(s).toContain("cd /home/me/ummkd");
    expect(s).toMatch(/bin\/ummkd\.js sweep task --dir \/shared\/sw --index "\$SLURM_ARRAY_TASK_ID"$/m);
    expect(s).toContain('UMMKD_THREADS="${SLURM_CPUS_PER_TASK:-1}"');
  });
  it("refuses an empty array, a non-option extra argument and a zero count", () => {
    expect(() => sbatchScript(m, "/d", [])).toThrow(OptionError);
    expect(() => sbatchScript(m, "/d", [0], { sbatchArgs: ["mem=3G"] })).toThrow(/--sbatch-arg/);
    expect(() => sbatchScript(m, "/d", [0], { gpus: 0 })).toThrow(/--gpus/);
  });
});

describe("local executor parallelism", () => {
  it.each([
    [{}, 2, { jobs: 2, threads: 1 }],
    [{ jobs: 1 }, 2, { jobs: 1, threads: 2 }],
    [{ jobs: 3 }, 2, { jobs: 3, threads: 1 }],
    [{ jobs: 2 }, 16, { jobs: 2, threads: 8 }],
    [{ jobs: 2, threads: 3 }, 16, { jobs: 2, threads: 3 }],
  ])("%j on %i cores", (o, cores, want) => expect(localParallelism(o, cores)).toEqual(want));
  it("rejects 0 jobs", () => expect(() => localParallelism({ jobs: 0 }, 2)).toThrow(/--jobs/));
});

describe("manifest", () => {
  it("holds the notebooks' plans and hashes, shared runs once", () => {
    const t1 = expandPlans(loadConfig(join(ROOT, "data", "configs", "table1_cardiac.json")), "smoke");
    const m1 = buildManifest({ notebook: "table1_cardiac", profile: "smoke", grid: {} });
    expect(m1.plans.map((p) => p.hash)).toEqual(t1.map((p) => p.hash));
    expect(m1.plans.map((p) => p.index)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    const t2 = expandPlans(loadConfig(join(ROOT, "data", "configs", "table2_abdominal.json")), "smoke");
    const m34 = buildManifest({ notebook: "table3_4_pvalues", profile: "smoke", grid: {} });
    expect(m34.plans.map((p) => p.hash)).toEqual([...new Set([...t1, ...t2].map((p) => p.hash))]);
    expect(buildManifest({ notebook: "table1_cardiac", profile: "smoke", grid: {} }).id).toBe(m1.id);
    expect(buildManifest({ notebook: "table1_cardiac", profile: "smoke", grid: { seeds: [1] } }).id).not.toBe(m1.id);
  });
});

describe("ummkd sweep (local executor, smoke)", () => {
  let tmp: string;
  let env: NodeJS.ProcessEnv;
  const cli = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, "bin", "ummkd.js"), ...args], { cwd: ROOT, env, encoding: "utf8" });
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), "ummkd-sweep-"));
    env = { ...process.env, UMMKD_THREADS: "1", UMMKD_RUN_STORE: join(tmp, "store"), UMMKD_CACHE: join(tmp, "cache"), UMMKD_TRAIN_DIR: join(tmp, "train"), UMMKD_SWEEP_DIR: join(tmp, "sweeps") };
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("bad input is one line naming the option", () => {
    for (const [args, re] of [
      [["sweep", "--notebook", "table1_cardiac", "--profile", "smoke", "--executor", "ssh"], /--executor/],
      [["sweep", "--notebook", "nope", "--profile", "smoke"], /--notebook/],
      [["sweep", "status"], /--dir/],
      [["sweep", "--notebook", "table1_cardiac", "--profile", "smoke", "--jobs", "0"], /--jobs/],
    ] as const) {
      const r = cli(...args);
      expect(r.status, args.join(" ")).toBe(1);
      expect(r.stderr).toMatch(re);
      expect(r.stderr).toMatch(/^ummkd sweep: /);
      expect(r.stderr).not.toMatch(STACK_RE);
    }
  });

  it("a task killed with SIGKILL after its first checkpoint is resumed by the sweep; a re-run trains nothing", async () => {
    const sel = ["--notebook", "table1_cardiac", "--profile", "smoke", "--settings", "individual,ours"];
    const pr = cli("sweep", ...sel, "--executor", "slurm", "--print");
    expect(pr.status, pr.stderr).toBe(0);
    const dir = /written to (\S+)\/sweep\.sbatch/.exec(pr.stdout)![1]!;
    const m = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as SweepManifest;
    expect(m.plans).toHaveLength(2);
    const target = m.plans[0]!;
    const rec = (h: string) => existsSync(join(tmp, "cache", `${h}.json`));
    const bad = cli("sweep", "task", "--dir", dir, "--index", "2");
    expect(bad.stderr).toMatch(/--index.*0\.\.1/);

    const child = spawn(process.execPath, [join(ROOT, "bin", "ummkd.js"), "sweep", "task", "--dir", dir, "--index", "0"], { cwd: ROOT, env, stdio: "ignore" });
    const exited = new Promise((r) => child.on("exit", r));
    const t0 = Date.now();
    let killed = false;
    while (!killed && Date.now() - t0 < 300_000) {
      if (existsSync(join(tmp, "train", target.hash, "checkpoint", "trainer.json"))) {
        child.kill("SIGSTOP");
        if (!rec(target.hash)) {
          child.kill("SIGKILL");
          killed = true;
          break;
        }
        child.kill("SIGCONT");
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    await exited;
    expect(killed, "the task was not caught between its first checkpoint and its record").toBe(true);
    expect(rec(target.hash)).toBe(false);

    const run = cli("sweep", ...sel, "--jobs", "2");
    expect(run.status, run.stderr + run.stdout).toBe(0);
    expect(run.stderr).toMatch(/2 plans, 0 already stored, 2 to train with 2 jobs x \d+ threads/);
    for (const p of m.plans) expect(rec(p.hash), p.label).toBe(true);
    expect(readFileSync(join(dir, "logs", "task-0.log"), "utf8")).toMatch(/resuming from the checkpoint at step [12]/);
    expect(readFileSync(join(dir, "logs", "task-1.log"), "utf8")).not.toMatch(/resuming/);

    const again = cli("sweep", ...sel, "--jobs", "2");
    expect(again.status).toBe(0);
    expect(again.stderr).toMatch(/2 plans, 2 already stored, 0 to train/);
    const st = cli("sweep", "status", "--dir", dir, "--json");
    expect(st.status).toBe(0);
    expect(JSON.parse(st.stdout).counts).toMatchObject({ done: 2, failed: 0, running: 0 });

    // a damaged cache record: status names the file and goes on with the other plan
    const damaged = join(tmp, "cache", `${target.hash}.json`);
    writeFileSync(damaged, readFileSync(damaged, "utf8").slice(0, 100));
    const hurt = cli("sweep", "status", "--dir", dir);
    expect(hurt.status, hurt.stderr).toBe(0);
    expect(hurt.stdout).toMatch(/1 done, .*1 with a damaged record/);
    expect(hurt.stdout).toContain(`DAMAGED  task 0 ${target.label} (${target.hash}): ${damaged}: not a readable run record`);
    expect(hurt.stdout).toContain(`rm '${damaged}'`);
    const hurtJson = JSON.parse(cli("sweep", "status", "--dir", dir, "--json").stdout);
    expect(hurtJson.counts).toMatchObject({ done: 1, damaged: 1 });
  }, 900_000);
});
