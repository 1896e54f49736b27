/**
 * A real single-node Slurm for tests: munged (own key and socket), slurmctld and slurmd on
 * 127.0.0.1 with a generated slurm.conf in a temp folder, on free ports, started here and stopped
 * by their pids. Debian packages `slurm-wlm` and `munge` are installed with apt-get when missing
 * and we are root; where they cannot be installed, `startSlurm` says why (the test skips with it).
 */
import { freePort } from "../net.ts";
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface SlurmCluster {
  dir: string;
  /** Environment for sbatch/squeue/scontrol (SLURM_CONF). */
  env: NodeJS.ProcessEnv;
  stop(): void;
}

const has = (cmd: string) => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
const TOOLS = ["munged", "slurmctld", "slurmd", "sbatch", "squeue", "scontrol", "scancel", "sinfo"];

/** Install slurm-wlm and munge when missing; returns why not, or undefined when present. */
export function ensureSlurmPackages(): string | undefined {
  if (TOOLS.every(has)) return undefined;
  if (process.getuid?.() !== 0 || !has("apt-get")) return `Slurm (slurm-wlm, munge) is not installed and cannot be installed here (needs root and apt-get); missing: ${TOOLS.filter((t) => !has(t)).join(", ")}`;
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const up = spawnSync("apt-get", ["update", "-qq"], { env, encoding: "utf8", timeout: 300_000 });
  const inst = spawnSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "slurm-wlm", "munge"], { env, encoding: "utf8", timeout: 600_000 });
  if (TOOLS.every(has)) return undefined;
  return `apt-get could not install slurm-wlm and munge: ${(inst.stderr || up.stderr || "").trim().split("\n").slice(-2).join(" ")}`;
}


function pidOf(file: string): number | undefined {
  try {
    const n = Number(readFileSync(file, "utf8").trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** Start munged, slurmctld and slurmd; resolves when the node is idle. */
export async function startSlurm(): Promise<SlurmCluster> {
  const dir = mkdtempSync(join(tmpdir(), "ummkd-slurm-"));
  chmodSync(dir, 0o755); // munged wants a socket folder others can traverse
  for (const d of ["state", "spool", "log", "munge"]) mkdirSync(join(dir, d));
  const key = join(dir, "munge", "munge.key");
  writeFileSync(key, randomBytes(1024), { mode: 0o400 });
  const sock = join(dir, "munge", "sock");
  execFileSync("munged", ["--force", `--socket=${sock}`, `--key-file=${key}`, `--pid-file=${join(dir, "munge", "pid")}`, `--log-file=${join(dir, "munge", "log")}`, `--seed-file=${join(dir, "munge", "seed")}`]);
  const [ctldPort, dPort] = [await freePort(), await freePort()];
  const conf = join(dir, "slurm.conf");
  writeFileSync(conf, [
    "ClusterName=ummkdtest", "SlurmctldHost=localhost", `SlurmctldPort=${ctldPort}`, `SlurmdPort=${dPort}`,
    "AuthType=auth/munge", `AuthInfo=socket=${sock}`, "CredType=cred/munge",
    `StateSaveLocation=${dir}/state`, `SlurmdSpoolDir=${dir}/spool`,
    `SlurmctldPidFile=${dir}/slurmctld.pid`, `SlurmdPidFile=${dir}/slurmd.pid`,
    `SlurmctldLogFile=${dir}/log/ctld.log`, `SlurmdLogFile=${dir}/log/d.log`,
    "ProctrackType=proctrack/linuxproc", "TaskPlugin=task/none", "SelectType=select/cons_tres", "SelectTypeParameters=CR_Core",
    "ReturnToService=2", "SlurmUser=root", "MpiDefault=none", "JobAcctGatherType=jobacct_gather/none", "KillWait=5", "MinJobAge=600",
    "NodeName=localhost NodeAddr=127.0.0.1 CPUs=2 RealMemory=4000 State=UNKNOWN",
    "PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP", "",
  ].join("\n"));
  const env = { ...process.env, SLURM_CONF: conf };
  const cluster: SlurmCluster = {
    dir, env,
    stop() {
      for (const f of [`${dir}/slurmd.pid`, `${dir}/slurmctld.pid`, `${dir}/munge/pid`]) {
        const pid = pidOf(f);
        if (pid) try { process.kill(pid, "SIGTERM"); } catch { /* gone */ }
      }
      // slurmctld/slurmd may take a moment to exit; their pid files vanish when they do
      const t0 = Date.now();
      while (Date.now() - t0 < 10_000 && [`${dir}/slurmd.pid`, `${dir}/slurmctld.pid`].some((f) => { const p = pidOf(f); if (!p) return false; try { process.kill(p, 0); return true; } catch { return false; } }))
        spawnSync("sleep", ["0.2"]);
      if (!process.env.UMMKD_KEEP_SLURM) rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    execFileSync("slurmctld", ["-f", conf], { env });
    execFileSync("slurmd", ["-f", conf, "-N", "localhost"], { env });
    const t0 = Date.now();
    for (;;) {
      const r = spawnSync("sinfo", ["-h", "-o", "%t"], { env, encoding: "utf8" });
      if (r.status === 0 && /^idle/m.test(r.stdout)) break;
      if (Date.now() - t0 > 60_000) throw new Error(`the test Slurm did not come up in 60 s (sinfo: ${(r.stdout + r.stderr).trim()}); logs in ${dir}/log`);
      await new Promise((res) => setTimeout(res, 500));
    }
  } catch (e) {
    const log = [`${dir}/log/ctld.log`, `${dir}/log/d.log`].filter(existsSync).map((f) => readFileSync(f, "utf8").trim().split("\n").slice(-3).join("\n")).join("\n");
    cluster.stop();
    throw new Error(`${(e as Error).message}\n${log}`);
  }
  return cluster;
}
