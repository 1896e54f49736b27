/**
 * The auto thread governor (lib/engine/native/governor.ts): /proc parsing on hand-written lines and
 * against process.cpuUsage(), the step-down/step-up rule on a hand table, a scripted load history,
 * and a live check that a CPU-bound competitor on every core brings it down to one thread.
 */
import { describe, it, expect } from "vitest";
import { spawn } from "node:child_process";
import { availableParallelism } from "node:os";
import { existsSync, readFileSync } from "node:fs";
import { CLK_TCK, GOVERNOR_INTERVAL_MS, nextThreads, othersCores, parseProcStat, parseSelfStat, procSample, ThreadGovernor, type CpuSample } from "../../lib/engine/native/governor.ts";

const linux = existsSync("/proc/stat") && existsSync("/proc/self/stat");

describe("/proc parsing", () => {
  it("machine busy ticks = user + nice + system + irq + softirq + steal (idle, iowait and guest excluded)", () => {
    const stat = "cpu  100 5 50 1000 20 3 2 1 7 0\ncpu0 50 2 25 500 10 1 1 0 3 0\nintr 1 2 3\n";
    expect(parseProcStat(stat)).toBe(100 + 5 + 50 + 3 + 2 + 1);
    expect(() => parseProcStat("intr 1 2\n")).toThrow(/no aggregate/);
  });
  it("own ticks = utime + stime, fields counted after the last ')' (command names may hold spaces and parentheses)", () => {
    const fields = ["R", "1", "1234", "1234", "0", "-1", "4194560", "100", "0", "0", "0", "17", "4", "0", "0", "20", "0", "3"];
    expect(parseSelfStat(`1234 (node (x) y) ${fields.join(" ")}\n`)).toBe(21);
  });
  it.skipIf(!linux)("own ticks from /proc/self/stat agree with process.cpuUsage() (Linux)", () => {
    const t0 = performance.now();
    let x = 0;
    while (performance.now() - t0 < 300) x += Math.sqrt(x + 1);
    expect(x).toBeGreaterThan(0);
    const ticks = parseSelfStat(readFileSync("/proc/self/stat", "utf8"));
    const u = process.cpuUsage();
    // tick accounting samples at USER_HZ; allow 5 ticks + 5% (the vitest worker's other threads are in both)
    expect(Math.abs(ticks / CLK_TCK - (u.user + u.system) / 1e6)).toBeLessThan(0.05 + 0.05 * ((u.user + u.system) / 1e6));
  });
});

describe("othersCores", () => {
  it("(machine busy - own) / elapsed, in cores, never negative", () => {
    const a: CpuSample = { machineBusy: 1000, own: 300, wallMs: 10_000 };
    expect(othersCores(a, { machineBusy: 1150, own: 350, wallMs: 11_000 })).toBeCloseTo(1.0, 12);
    expect(othersCores(a, { machineBusy: 1100, own: 400, wallMs: 10_500 })).toBe(0);
    expect(othersCores(a, { machineBusy: 1100, own: 300, wallMs: 10_000 })).toBe(0);
  });
});

describe("nextThreads: down when free < n - 0.5, up by one when free >= n + 0.7", () => {
  it.each([
    // n, max, free cores, expected
    [2, 2, 2.0, 2],
    [2, 2, 1.6, 2],
    [2, 2, 1.4, 1],
    [2, 2, 0.1, 1],
    [1, 2, 1.6, 1],
    [1, 2, 1.7, 2],
    [1, 2, 0.0, 1],
    [4, 4, 2.2, 2],
    [2, 4, 3.8, 3],
    [3, 4, 3.0, 3],
  ])("n=%i max=%i free=%f -> %i", (n, max, free, want) => {
    expect(nextThreads(n, max, free)).toBe(want);
  });
});

describe("ThreadGovernor on a scripted load history (2 cores)", () => {
  it("drops to 1 thread while another process holds a core, returns to 2 when it leaves, and accounts for the time", () => {
    let clock = 0;
    const own = { ticks: 0 };
    let machine = 0;
    const samples = () => ({ machineBusy: machine, own: own.ticks, wallMs: clock });
    const applied: number[] = [];
    const g = new ThreadGovernor(2, (n) => applied.push(n), samples, () => clock);
    expect(applied).toEqual([2]);
    // 1 s quiet: we use 2 cores, nobody else
    const advance = (ms: number, ourCores: number, otherCores: number) => {
      clock += ms;
      own.ticks += (ourCores * CLK_TCK * ms) / 1000;
      machine += ((ourCores + otherCores) * CLK_TCK * ms) / 1000;
      g.tick();
    };
    advance(GOVERNOR_INTERVAL_MS, 2, 0);
    expect(g.threads).toBe(2);
    advance(GOVERNOR_INTERVAL_MS / 2, 1, 1); // too soon to sample: nothing changes
    expect(g.threads).toBe(2);
    advance(GOVERNOR_INTERVAL_MS / 2, 1, 1); // a competitor holds one core
    expect(g.threads).toBe(1);
    advance(GOVERNOR_INTERVAL_MS, 1, 1);
    expect(g.threads).toBe(1);
    advance(GOVERNOR_INTERVAL_MS, 1, 0.5); // half a core: stays (hysteresis)
    expect(g.threads).toBe(1);
    advance(GOVERNOR_INTERVAL_MS, 1, 0); // gone
    expect(g.threads).toBe(2);
    expect(applied).toEqual([2, 1, 2]);
    // 1 s at 2 threads before, 1.5 s at 1 thread (switched at 1 s and 2.5 s of 2.5 s so far)
    expect(g.shares()).toEqual({ 1: 0.6, 2: 0.4 });
    expect(g.describe()).toBe("auto 1-2 threads by load (2 threads 40%, 1 thread 60% of the time; 2 switches)");
  });
  it("without /proc samples it never changes the count", () => {
    let clock = 0;
    const applied: number[] = [];
    const g = new ThreadGovernor(2, (n) => applied.push(n), () => undefined, () => clock);
    clock += 10 * GOVERNOR_INTERVAL_MS;
    g.tick();
    expect(g.threads).toBe(2);
    expect(applied).toEqual([2]);
  });
});

describe.skipIf(!linux)("ThreadGovernor live (Linux)", () => {
  it("a CPU-bound competitor on every core brings it down to 1 thread", async () => {
    const cores = availableParallelism();
    if (cores < 2) return;
    const burners = Array.from({ length: cores }, () => spawn(process.execPath, ["-e", "const t=Date.now(); while (Date.now() - t < 20000) {}"], { stdio: "ignore" }));
    try {
      expect(procSample()).toBeDefined();
      const applied: number[] = [];
      const g = new ThreadGovernor(cores, (n) => applied.push(n));
      const t0 = performance.now();
      // our side is one busy thread (like a kernel loop) that ticks, for up to 5 s
      while (g.threads > 1 && performance.now() - t0 < 5000) {
        let x = 0;
        for (let i = 0; i < 1e5; i++) x += Math.sqrt(i);
        if (x < 0) break;
        g.tick();
      }
      expect(g.threads).toBe(1);
      expect(applied.at(-1)).toBe(1);
    } finally {
      for (const b of burners) b.kill("SIGKILL");
    }
  });
});
