import { mkdtempSync, mkdirSync, readFileSync, existsSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initEngine, tf } from "../../lib/engine/index.ts";
import { resolveTrainConfig, type TrainConfig } from "../../lib/train/config.ts";
import { findCheckpoint, readTrainerState } from "../../lib/train/checkpoint.ts";
import { train } from "../../lib/train/trainer.ts";
import { realLosses } from "../../lib/train/deps.ts";
import { batchTensors } from "../../lib/train/validation.ts";
import type { LogRecord, TrainProgress } from "../../lib/train/types.ts";
import { NonFiniteLossError } from "../../lib/util/errors.ts";
import { CounterSource, FixedSource, TinyNet } from "./fakes.ts";

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "ummkd-train-"));
  dirs.push(d);
  return d;
}

function cfg(over: Partial<TrainConfig> = {}): TrainConfig {
  return {
    ...resolveTrainConfig({ model: { network: "dilated2d", setting: "ours", numClasses: 4 }, profile: "smoke" }),
    seed: 7,
    steps: 6,
    batchSize: 2,
    lr: 1e-2,
    validateEvery: 3,
    checkpointEvery: 2,
    logEvery: 1,
    ...over,
  };
}

function weights(net: TinyNet): Map<string, Float32Array> {
  return new Map([...net.getState()].map(([k, t]) => [k, t.dataSync() as Float32Array]));
}

function validationSet(seed: number) {
  const s = new CounterSource(seed);
  return { batches: [[s.next(0, 2)], [s.next(1, 2)]] as [ReturnType<typeof s.next>[], ReturnType<typeof s.next>[]] };
}

beforeAll(async () => {
  await initEngine({ backend: "cpu" });
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("train", () => {
  it("decreases the loss on a fixed batch (overfit) and logs KD even at alpha = 0", async () => {
    const net = new TinyNet({ seed: 1, dropout: 0 });
    const seen: number[] = [];
    const c = cfg({ steps: 40, lr: 3e-2, alpha: 0, validateEvery: 0, checkpointEvery: 0 });
    await train(c, { train: new FixedSource(3, 2) }, { model: net, progress: "none", onProgress: (p) => seen.push(p.losses.total) });
    expect(seen).toHaveLength(40);
    expect(seen[39]!).toBeLessThan(0.6 * seen[0]!);
    net.dispose();
  });

  it("step 1 losses are the loss functions on (CT batch, MRI batch) of the initial network", async () => {
    const src = new FixedSource(12, 2);
    const ref = new TinyNet({ seed: 8, dropout: 0 });
    const L = realLosses();
    const want = tf.tidy(() => {
      const [xc, xm] = [src.next(0), src.next(1)].map((b) => batchTensors(b));
      const [lc, lm] = ref.applyPair(xc!.x, xm!.x, true);
      return {
        segCt: L.segmentationLoss(lc, xc!.y).dataSync()[0]!,
        segMri: L.segmentationLoss(lm, xm!.y).dataSync()[0]!,
        kd: L.kdLoss(lc, xc!.y, lm, xm!.y, { temperature: 2, absentClass: "uniform" }).loss.dataSync()[0]!,
        l2: L.l2Loss(ref.regularizedVariables()).dataSync()[0]!,
      };
    });
    ref.dispose();
    const net = new TinyNet({ seed: 8, dropout: 0 });
    let got: TrainProgress["losses"] | undefined;
    await train(cfg({ steps: 1, validateEvery: 0, checkpointEvery: 0 }), { train: src }, { model: net, progress: "none", onProgress: (p) => (got = p.losses) });
    net.dispose();
    expect(got!.segCt).toBeCloseTo(want.segCt, 6);
    expect(got!.segMri).toBeCloseTo(want.segMri, 6);
    expect(got!.kd).toBeCloseTo(want.kd, 6);
    expect(got!.l2).toBeCloseTo(want.l2, 4);
    expect(got!.segCt).not.toBeCloseTo(got!.segMri, 3);
  });

  it("keeps the tensor count constant across steps (no leaks)", async () => {
    const net = new TinyNet({ seed: 2 });
    const counts: number[] = [];
    const c = cfg({ steps: 6, validateEvery: 2, checkpointEvery: 0 });
    await train(c, { train: new CounterSource(5), validation: validationSet(9) }, {
      model: net,
      progress: "none",
      onProgress: () => counts.push(tf.memory().numTensors),
    });
    // Step 1 creates Adam's moments; afterwards the count must not grow.
    expect(new Set(counts.slice(1)).size).toBe(1);
    const before = tf.memory().numTensors;
    net.dispose();
    expect(tf.memory().numTensors).toBe(before - net.getState().size);
  });

  it("fused and stock Adam take the same steps", async () => {
    const run = async (optimizer: "fused" | "tfjs") => {
      const net = new TinyNet({ seed: 13, dropout: 0.25 });
      const seen: number[] = [];
      await train(cfg({ steps: 4, validateEvery: 0, checkpointEvery: 0 }), { train: new CounterSource(2) }, { model: net, optimizer, progress: "none", onProgress: (p) => seen.push(p.losses.total) });
      const w = weights(net);
      net.dispose();
      return { seen, w };
    };
    const a = await run("fused");
    const b = await run("tfjs");
    for (let i = 0; i < 4; i++) expect(a.seen[i]).toBeCloseTo(b.seen[i]!, 5);
    for (const [k, v] of a.w) v.forEach((x, i) => expect(Math.abs(x - b.w.get(k)![i]!), k).toBeLessThan(1e-5));
  });

  it.each(["fused", "tfjs"] as const)("resumes after a kill and reproduces the uninterrupted run exactly (%s Adam)", async (optimizer) => {
    const c = cfg({ steps: 6, checkpointEvery: 2, validateEvery: 3 });
    // Uninterrupted.
    const dirA = tmp();
    const lossesA: number[] = [];
    const netA = new TinyNet({ seed: 11, dropout: 0.25 });
    await train(c, { train: new CounterSource(21), validation: validationSet(9) }, { model: netA, runDir: dirA, optimizer, progress: "none", onProgress: (p) => lossesA.push(p.losses.total) });
    const wA = weights(netA);
    netA.dispose();

    // Killed after step 3 (last checkpoint at step 2), objects discarded.
    const dirB = tmp();
    const lossesB: number[] = [];
    const ac = new AbortController();
    const netB1 = new TinyNet({ seed: 11, dropout: 0.25 });
    await train(c, { train: new CounterSource(21), validation: validationSet(9) }, {
      model: netB1,
      runDir: dirB,
      optimizer, progress: "none",
      signal: ac.signal,
      onProgress: (p: TrainProgress) => {
        lossesB.push(p.losses.total);
        if (p.step === 3) ac.abort();
      },
    });
    netB1.dispose();
    expect(readTrainerState(join(dirB, "checkpoint")).step).toBe(2);
    // A fresh process-equivalent: new network (different init seed, overwritten by the checkpoint), new source.
    const netB2 = new TinyNet({ seed: 999, dropout: 0.25 });
    const res = await train(c, { train: new CounterSource(21), validation: validationSet(9) }, {
      model: netB2,
      runDir: dirB,
      optimizer, progress: "none",
      onProgress: (p) => lossesB.splice(p.step - 1, lossesB.length, p.losses.total),
    });
    expect(res.resumedFrom).toBe(2);
    expect(lossesB).toEqual(lossesA);
    const wB = weights(netB2);
    for (const [k, v] of wA) expect(Array.from(wB.get(k)!), k).toEqual(Array.from(v));
    netB2.dispose();

    // The logs agree line by line (the resumed run truncated the lines after its checkpoint).
    const logA = readFileSync(join(dirA, "log.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as LogRecord);
    const logB = readFileSync(join(dirB, "log.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as LogRecord);
    const strip = (r: LogRecord) => ({ ...r, elapsedS: 0 });
    expect(logB.map(strip)).toEqual(logA.map(strip));
    expect(logA.filter((r) => r.type === "val").map((r) => r.step)).toEqual([3, 6]);
    const val = logA.find((r) => r.type === "val")!;
    if (val.type !== "val") throw new Error("unreachable");
    expect(val.qCt).toHaveLength(4);
    expect(val.qCt[0]!.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(Number.isFinite(val.kd)).toBe(true);
  });

  it("refuses to resume with a changed config (other than steps/intervals), and with another network's state", async () => {
    const dir = tmp();
    const net = new TinyNet({ seed: 6 });
    await train(cfg({ steps: 2, validateEvery: 0 }), { train: new CounterSource(1) }, { model: net, runDir: dir, progress: "none" });
    net.dispose();
    const before = tf.memory().numTensors;
    const other = new TinyNet({ seed: 6 });
    await expect(train(cfg({ steps: 4, lr: 5e-3, validateEvery: 0 }), { train: new CounterSource(1) }, { model: other, runDir: dir, progress: "none" })).rejects.toThrow(/resume from .*checkpoint.*only steps/);
    other.dispose();
    const wider = new TinyNet({ seed: 6, features: 8 });
    await expect(train(cfg({ steps: 4, validateEvery: 0 }), { train: new CounterSource(1) }, { model: wider, runDir: dir, progress: "none" })).rejects.toThrow(/tiny\/w1.*shape/);
    wider.dispose();
    expect(tf.memory().numTensors).toBe(before);
    // Raising only `steps` resumes.
    const more = new TinyNet({ seed: 6 });
    const r = await train(cfg({ steps: 3, validateEvery: 0 }), { train: new CounterSource(1) }, { model: more, runDir: dir, progress: "none" });
    expect([r.resumedFrom, r.steps]).toEqual([2, 3]);
    more.dispose();
  });

  it("finds the previous checkpoint when a replacement was interrupted between its two renames", async () => {
    const dir = tmp();
    const net = new TinyNet({ seed: 6 });
    await train(cfg({ steps: 2, checkpointEvery: 1, validateEvery: 0 }), { train: new CounterSource(1) }, { model: net, runDir: dir, progress: "none" });
    net.dispose();
    expect(findCheckpoint(dir)).toBe(join(dir, "checkpoint"));
    // writeDirAtomic moves the old directory to "<tmp>.old" before moving the new one in; a kill
    // between the two leaves only the .old copy (and possibly an incomplete .tmp build).
    renameSync(join(dir, "checkpoint"), join(dir, ".checkpoint.123.456.tmp.old"));
    mkdirSync(join(dir, ".checkpoint.123.456.tmp"));
    expect(findCheckpoint(dir)).toBe(join(dir, ".checkpoint.123.456.tmp.old"));
    expect(readTrainerState(findCheckpoint(dir)!).step).toBe(2);
  });

  it("stops with NonFiniteLossError naming the step and keeps the last good checkpoint", async () => {
    const dir = tmp();
    const c = cfg({ steps: 6, checkpointEvery: 2, validateEvery: 0 });
    const net = new TinyNet({ seed: 4 });
    const before = tf.memory().numTensors;
    const err = await train(c, { train: new CounterSource(8, 16, 4, 3, 5) }, { model: net, runDir: dir, progress: "none" }).catch((e) => e);
    expect(err).toBeInstanceOf(NonFiniteLossError);
    expect((err as NonFiniteLossError).step).toBe(5);
    expect((err as Error).message).toMatch(/step 5/);
    expect((err as Error).message).toMatch(/segCt/);
    expect((err as Error).message).toContain(join(dir, "checkpoint"));
    const st = readTrainerState(join(dir, "checkpoint"));
    expect(st.step).toBe(4);
    expect(existsSync(join(dir, "checkpoint", "model.bin"))).toBe(true);
    // Failed step released its tensors (Adam moments were created at step 1, optimizer disposed).
    expect(tf.memory().numTensors).toBeLessThanOrEqual(before);
    net.dispose();
  });
});
