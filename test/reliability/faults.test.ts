/**
 * Reliability suite, fault half (issue #14): interrupted and concurrent writes, stale leftovers,
 * locks, disk-full style errors and corrupt checkpoints, at the library level where a fault can
 * be injected deterministically. Each case checks the error names the file and the problem and
 * that the previous good state is intact.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initEngine, tf } from "../../lib/engine/index.ts";
import { cleanStaleTemps, writeDirAtomic, writeFileAtomic } from "../../lib/util/atomic.ts";
import { acquireLock, readLock, withLock } from "../../lib/util/lock.ts";
import { LockTimeoutError, userErrorMessage } from "../../lib/util/errors.ts";
import { decodeTensors, encodeTensors } from "../../lib/train/tensor-io.ts";
import { resolveTrainConfig, type TrainConfig } from "../../lib/train/config.ts";
import { train } from "../../lib/train/trainer.ts";
import { CounterSource, TinyNet } from "../train/fakes.ts";
import { ROOT, deadPid, hashTree } from "./helpers.ts";

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "ummkd-fault-"));
  dirs.push(d);
  return d;
}
beforeAll(async () => {
  await initEngine({ backend: "cpu" });
});
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function cfg(over: Partial<TrainConfig> = {}): TrainConfig {
  return {
    ...resolveTrainConfig({ model: { network: "dilated2d", setting: "ours", numClasses: 4 }, profile: "smoke" }),
    seed: 7, steps: 4, batchSize: 2, lr: 1e-2, validateEvery: 0, checkpointEvery: 2, logEvery: 1,
    ...over,
  };
}

/** Run a TypeScript snippet in a fresh node process (tsx loader), resolving with its exit code and stderr. */
function runTs(code: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (b) => (stderr += b));
    child.on("close", (c) => resolve({ code: c, stderr }));
  });
}

describe("interrupted and concurrent writes", () => {
  it("writeDirAtomic raced by two processes x 150 writes: no error, no stray temp, a complete folder", async () => {
    const d = tmp();
    const target = join(d, "out");
    const script = (tag: string) => `
      import { writeDirAtomic } from ${JSON.stringify(join(ROOT, "lib/util/atomic.ts"))};
      import { writeFileSync } from "node:fs";
      for (let i = 0; i < 150; i++) await writeDirAtomic(${JSON.stringify(target)}, (t) => { writeFileSync(t + "/a", "${tag}" + i); writeFileSync(t + "/b", "${tag}" + i); });`;
    const [a, b] = await Promise.all([runTs(script("A")), runTs(script("B"))]);
    expect([a.code, b.code], a.stderr + b.stderr).toEqual([0, 0]);
    expect(readdirSync(d)).toEqual(["out"]);
    const [fa, fb] = ["a", "b"].map((f) => readFileSync(join(target, f), "utf8"));
    expect(fa).toBe(fb); // one writer's complete folder, never a mix
    expect(fa).toMatch(/^[AB]149$/);
  }, 120_000);

  it("writeDirAtomic whose build fails with ENOSPC keeps the previous version and leaves no temp", async () => {
    const d = tmp();
    const target = join(d, "ckpt");
    await writeDirAtomic(target, (t) => writeFileSync(join(t, "w"), "good"));
    const before = hashTree(d);
    const enospc = Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC", syscall: "write", path: join(target, "w") });
    await expect(writeDirAtomic(target, (t) => { writeFileSync(join(t, "w"), "half"); throw enospc; })).rejects.toThrow(/ENOSPC/);
    expect(hashTree(d)).toEqual(before);
    // ...and the CLI prints it as one line naming the file and the cause.
    expect(userErrorMessage(enospc)).toBe(`${join(target, "w")}: no space left on the device (write) [ENOSPC]`);
  });

  it("userErrorMessage: EACCES / EROFS are one line with the path; a programming error is not a user error", () => {
    expect(userErrorMessage(Object.assign(new Error("x"), { code: "EACCES", path: "/r/run", syscall: "open" }))).toBe("/r/run: permission denied (open) [EACCES]");
    expect(userErrorMessage(Object.assign(new Error("x"), { code: "EROFS", path: "/mnt/ro" }))).toMatch(/^\/mnt\/ro: read-only file system \[EROFS\]$/);
    expect(userErrorMessage(new TypeError("x is undefined"))).toBeUndefined();
  });

  it("cleanStaleTemps removes a killed writer's 7 MB checkpoint temp, keeps a live writer's and the recovery copy", () => {
    const d = tmp();
    const dead = deadPid();
    mkdirSync(join(d, `.checkpoint.${dead}.abc123.tmp`));
    writeFileSync(join(d, `.checkpoint.${dead}.abc123.tmp`, "model.bin"), Buffer.alloc(7 << 20));
    writeFileSync(join(d, `.config.json.${dead}.1733000000000.tmp`), "{");
    mkdirSync(join(d, `.checkpoint.${process.ppid}.def.tmp`)); // live pid: another writer at work
    mkdirSync(join(d, `.results.${dead}.fff.tmp.old`)); // target "results" missing: the last complete copy
    writeFileSync(join(d, "notes.tmp"), "user file");
    const removed = cleanStaleTemps(d).map((p) => p.slice(d.length + 1)).sort();
    expect(removed).toEqual([`.checkpoint.${dead}.abc123.tmp`, `.config.json.${dead}.1733000000000.tmp`]);
    expect(readdirSync(d).sort()).toEqual([`.checkpoint.${process.ppid}.def.tmp`, `.results.${dead}.fff.tmp.old`, "notes.tmp"].sort());
  });

  it("writeFileAtomic below an existing file fails with a one-line message naming that file", () => {
    const d = tmp();
    writeFileSync(join(d, "f"), "x");
    let err: unknown;
    try {
      writeFileAtomic(join(d, "f", "x.json"), "{}");
    } catch (e) {
      err = e;
    }
    expect(userErrorMessage(err)).toBe(`${join(d, "f")}: is a file, expected a folder (mkdir) [EEXIST]`);
  });
});

describe("run locks (lib/util/lock.ts)", () => {
  it("a stale lock of a dead process is taken over", async () => {
    const d = tmp();
    const p = join(d, "run.lock");
    writeFileSync(p, JSON.stringify({ pid: deadPid(), hostname: hostname(), startedAt: "2026-01-01T00:00:00Z", token: "old" }));
    const lock = await acquireLock(p, { timeoutMs: 0 });
    expect(readLock(p)).toMatchObject({ pid: process.pid, hostname: hostname() });
    lock.release();
    expect(existsSync(p)).toBe(false);
  });

  it("a live holder makes a waiter time out with a message naming the lock file and the holder", async () => {
    const d = tmp();
    const p = join(d, "run.lock");
    writeFileSync(p, JSON.stringify({ pid: process.ppid, hostname: hostname(), startedAt: "2026-01-01T00:00:00Z", token: "t" }));
    let waitedFor = "";
    const err = await acquireLock(p, { timeoutMs: 300, pollMs: 50, onWait: (h) => (waitedFor = h) }).catch((e) => e);
    expect(err).toBeInstanceOf(LockTimeoutError);
    expect(err.message).toMatch(new RegExp(`run\\.lock: still locked by pid ${process.ppid} on ${hostname()}`));
    expect(waitedFor).toMatch(`pid ${process.ppid}`);
    expect(readLock(p)?.token).toBe("t"); // the holder's lock is untouched
  });

  it("waiters take turns: 6 concurrent withLock sections never overlap", async () => {
    const p = join(tmp(), "x.lock");
    let inside = 0;
    let maxInside = 0;
    await Promise.all(
      Array.from({ length: 6 }, () =>
        withLock(p, async () => {
          inside++;
          maxInside = Math.max(maxInside, inside);
          await new Promise((r) => setTimeout(r, 20));
          inside--;
        }, { pollMs: 5 }),
      ),
    );
    expect(maxInside).toBe(1);
    expect(existsSync(p)).toBe(false);
  });

  it("an unreadable (empty) lock file older than the limit is stale", async () => {
    const p = join(tmp(), "run.lock");
    writeFileSync(p, "");
    const lock = await acquireLock(p, { timeoutMs: 2000, pollMs: 20, unreadableStaleMs: 50 });
    expect(readLock(p)?.pid).toBe(process.pid);
    lock.release();
  });
});

describe("trainer: concurrent runs, leftovers, resume guards", () => {
  it("a second training of a run folder in use waits for the lock, then resumes with nothing left to train", async () => {
    const d = tmp();
    const first = new TinyNet({ seed: 3 });
    await train(cfg(), { train: new CounterSource(1) }, { model: first, runDir: d, progress: "none" });
    first.dispose();
    // Another process is (still) training this folder: it holds the run lock.
    const held = await acquireLock(join(d, "run.lock"));
    const second = new TinyNet({ seed: 3 });
    let started = false;
    const pending = train(cfg(), { train: new CounterSource(1) }, { model: second, runDir: d, progress: "none", onStart: () => (started = true) });
    await new Promise((r) => setTimeout(r, 400));
    expect(started).toBe(false); // waiting, not training a duplicate
    held.release();
    const r = await pending;
    expect([r.resumedFrom, r.steps]).toEqual([4, 4]); // resumed the finished run: no step trained twice
    expect(existsSync(join(d, "run.lock"))).toBe(false);
    second.dispose();
  });

  it("a killed checkpoint write's temp folder is removed when the run starts again", async () => {
    const d = tmp();
    const stale = join(d, `.checkpoint.${deadPid()}.0a0a.tmp`);
    mkdirSync(stale);
    writeFileSync(join(stale, "model.bin"), Buffer.alloc(1 << 20));
    const net = new TinyNet({ seed: 3 });
    await train(cfg({ steps: 2 }), { train: new CounterSource(1) }, { model: net, runDir: d, progress: "none" });
    net.dispose();
    expect(existsSync(stale)).toBe(false);
    expect(readdirSync(d).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("resume with another data fingerprint is refused naming the field; the run folder is unchanged", async () => {
    const d = tmp();
    const net = new TinyNet({ seed: 3 });
    await train(cfg({ steps: 2 }), { train: new CounterSource(1) }, { model: net, runDir: d, progress: "none", dataFingerprint: { source: "/data/chaos", content: "aa" } });
    net.dispose();
    const before = hashTree(d);
    const other = new TinyNet({ seed: 3 });
    await expect(
      train(cfg({ steps: 4 }), { train: new CounterSource(1) }, { model: other, runDir: d, progress: "none", dataFingerprint: { source: "/data/mmwhs", content: "bb" } }),
    ).rejects.toThrow(/resume from .*checkpoint: data\.source': got "\/data\/mmwhs", expected "\/data\/chaos".*and 1 more: data\.content/);
    other.dispose();
    expect(hashTree(d)).toEqual(before);
  });

  it("labels >= numClasses in a training batch are refused (not silently trained as background)", async () => {
    const net = new TinyNet({ seed: 3 });
    const src = new CounterSource(1);
    const next = src.next.bind(src);
    src.next = (m, bs) => {
      const b = next(m, bs);
      b.y[7] = 205;
      return b;
    };
    await expect(train(cfg({ steps: 1 }), { train: src }, { model: net, progress: "none" })).rejects.toThrow(/training batch \(ct\) at step 1: label value 205 .* 4 classes/);
    net.dispose();
  });

  it("decodeTensors refuses NaN weights and a blob whose checksum differs", () => {
    const t = tf.tensor([1, NaN, 3], [3]);
    const { index, blob } = encodeTensors([{ name: "conv/w", tensor: t }]);
    t.dispose();
    expect(() => decodeTensors(index, blob, "model.bin")).toThrow(/model\.bin: tensor 'conv\/w' holds a non-finite value \(NaN at index 1\)/);
    const ok = tf.tensor([1, 2, 3], [3]);
    const enc = encodeTensors([{ name: "w", tensor: ok }]);
    ok.dispose();
    enc.blob[0] ^= 1;
    expect(() => decodeTensors(enc.index, enc.blob, "model.bin")).toThrow(/model\.bin: checksum mismatch/);
  });
});
