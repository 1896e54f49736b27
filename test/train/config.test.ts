import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TRAINER_PRESETS, defaultTrainConfig, resolveTrainConfig, validateTrainConfig } from "../../lib/train/config.ts";
import { learningRateAt } from "../../lib/train/schedule.ts";
import { createProgress, formatProgress } from "../../lib/train/progress.ts";
import { stepSeed } from "../../lib/train/trainer.ts";
import type { TrainProgress } from "../../lib/train/types.ts";

/** Runs `fn` with process.stderr.isTTY forced to `tty` (the auto mode's detection), then restores it. */
function withStderrTTY<T>(tty: boolean, fn: () => T): T {
  const had = Object.getOwnPropertyDescriptor(process.stderr, "isTTY");
  Object.defineProperty(process.stderr, "isTTY", { value: tty, configurable: true, writable: true });
  try {
    return fn();
  } finally {
    if (had) Object.defineProperty(process.stderr, "isTTY", had);
    else delete (process.stderr as { isTTY?: boolean }).isTTY;
  }
}
import { OptionError } from "../../lib/util/errors.ts";

describe("learningRateAt", () => {
  const s2d = { lr: 1e-4, lrDecay: 0.95, lrDecayEvery: 1000 };
  it.each([
    [0, 1e-4],
    [999, 1e-4],
    [1000, 9.5e-5],
    [1999, 9.5e-5],
    [2000, 9.025e-5],
    [149_999, 1e-4 * 0.95 ** 149],
  ])("2D step %i -> %f", (step, want) => {
    expect(learningRateAt(step, s2d)).toBeCloseTo(want, 15);
  });
  it("3D decays every 500 steps", () => {
    expect(learningRateAt(499, { lr: 1e-4, lrDecay: 0.95, lrDecayEvery: 500 })).toBe(1e-4);
    expect(learningRateAt(500, { lr: 1e-4, lrDecay: 0.95, lrDecayEvery: 500 })).toBeCloseTo(9.5e-5, 15);
  });
  it("rejects a negative step", () => {
    expect(() => learningRateAt(-1, s2d)).toThrow(OptionError);
  });
});

describe("profiles and defaults", () => {
  it("paper profile: lr 1e-4, batch 8 / 150k (2D), batch 2 / 50k (3D), KD alpha 0.5 for Ours only", () => {
    const p2 = resolveTrainConfig({ model: { network: "dilated2d", setting: "ours" }, profile: "paper" });
    expect([p2.lr, p2.batchSize, p2.steps, p2.lrDecayEvery, p2.alpha, p2.eta, p2.temperature, p2.epsilon]).toEqual([1e-4, 8, 150_000, 1000, 0.5, 1e-4, 2, 1e-8]);
    const p3 = resolveTrainConfig({ model: { network: "unet3d", setting: "chilopod" }, profile: "paper" });
    expect([p3.lr, p3.batchSize, p3.steps, p3.lrDecayEvery, p3.alpha]).toEqual([1e-4, 2, 50_000, 500, 0]);
  });
  it("released-code profile: lr 1e-3 for 2D, effective L2 2e-4 for 3D", () => {
    expect(resolveTrainConfig({ model: { network: "dilated2d", setting: "joint-kd" }, profile: "released-code" }).lr).toBe(1e-3);
    expect(resolveTrainConfig({ model: { network: "unet3d", setting: "ours" }, profile: "released-code" }).eta).toBe(2e-4);
  });
  it("explicit keys override the profile; the profile's width fills model.width only when unset", () => {
    const c = resolveTrainConfig({ model: { network: "dilated2d", setting: "ours" }, profile: "quick", lr: 5e-4 });
    expect(c.lr).toBe(5e-4);
    expect(c.model.width).toBe(TRAINER_PRESETS.quick.dilated2d.width);
    expect(resolveTrainConfig({ model: { network: "dilated2d", setting: "ours", width: 0.5 }, profile: "quick" }).model.width).toBe(0.5);
    expect(defaultTrainConfig({ network: "unet3d", setting: "ours" }).batchSize).toBe(2);
  });
  it("refuses alpha > 0 for a setting without KD", () => {
    expect(() => resolveTrainConfig({ model: { network: "dilated2d", setting: "joint" }, alpha: 0.5 })).toThrow(/alpha.*joint/);
    expect(resolveTrainConfig({ model: { network: "dilated2d", setting: "ours" }, alpha: 0 }).alpha).toBe(0);
  });
});

describe("validateTrainConfig", () => {
  const ok = { model: { network: "dilated2d", setting: "ours" }, profile: "smoke", steps: 10 };
  it("accepts a valid config", () => {
    expect(validateTrainConfig(ok, "cfg.json")).toEqual(ok);
  });
  it.each([
    [{ ...ok, stepz: 3 }, /cfg\.json: stepz.*no such key/],
    [{ ...ok, steps: "10" }, /cfg\.json: steps.*finite integer, got string "10"/],
    [{ ...ok, steps: 1.5 }, /cfg\.json: steps.*an integer/],
    [{ ...ok, steps: 0 }, /cfg\.json: steps.*>= 1/],
    [{ ...ok, lr: -1 }, /cfg\.json: lr.*> 0/],
    [{ ...ok, profile: "fast" }, /cfg\.json: profile.*"paper"/],
    [{ ...ok, model: { network: "dilated2d" } }, /cfg\.json: model\.setting.*required/],
    [{ ...ok, model: { network: "dilated3d", setting: "ours" } }, /model\.network.*"dilated2d", "unet3d"/],
    [{ ...ok, model: { network: "dilated2d", setting: "ours", widht: 1 } }, /model\.widht.*no such key/],
    [{ ...ok, absentClass: true }, /absentClass.*a string, got boolean/],
    [[1, 2], /an object, got an array/],
  ])("rejects %j", (raw, re) => {
    expect(() => validateTrainConfig(raw, "cfg.json")).toThrow(OptionError);
    expect(() => validateTrainConfig(raw, "cfg.json")).toThrow(re);
  });
});

describe("stepSeed", () => {
  it("is deterministic and distinct across steps, modalities and seeds", () => {
    expect(stepSeed(1, 5, 0)).toBe(stepSeed(1, 5, 0));
    const seen = new Set<number>();
    for (const s of [0, 1]) for (let step = 0; step < 200; step++) for (const m of [0, 1] as const) seen.add(stepSeed(s, step, m));
    expect(seen.size).toBe(800);
  });
});

describe("progress", () => {
  const p = (step: number): TrainProgress => ({
    step,
    totalSteps: 100,
    losses: { total: 1.5, segCt: 0.7, segMri: 0.75, kd: 0.0123, l2: 10 },
    lr: 1e-3,
    elapsedS: step,
    etaS: 100 - step,
  });
  it("formats step, losses, lr and ETA", () => {
    expect(formatProgress(p(40), "ours")).toBe("ours step 40/100 (40.0%) loss 1.5000 seg ct 0.7000 mri 0.7500 kd 0.0123 lr 1.00e-3 | 40s elapsed, ETA 1m00s");
  });
  it("log mode throttles lines and always prints the last step; auto mode outside a kernel/TTY is log", () => {
    const lines: string[] = [];
    const r = createProgress({ mode: "log", throttleMs: 60_000, write: (l) => lines.push(l) });
    for (let s = 1; s <= 100; s++) r.update(p(s));
    r.done("done");
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/step 1\/100/);
    expect(lines[1]).toMatch(/step 100\/100/);
    expect(lines[2]).toBe("done");
    expect(withStderrTTY(false, () => createProgress({ mode: "auto" }).mode)).toBe("log");
    expect(withStderrTTY(true, () => createProgress({ mode: "auto" }).mode)).toBe("tty");
  });
  it("auto mode detects a running tslab kernel and updates one display in place", () => {
    // A stand-in tslab install: dist/jupyter.js (kernel state) + dist/public.js (newDisplay).
    const root = mkdtempSync(join(tmpdir(), "ummkd-tslab-"));
    const dist = join(root, "node_modules", "tslab", "dist");
    mkdirSync(dist, { recursive: true });
    writeFileSync(join(dist, "jupyter.js"), "exports.lastWriteDisplayData = null;\n");
    writeFileSync(join(dist, "public.js"), "exports.shown = []; exports.newDisplay = () => ({ text: (s) => exports.shown.push(s) });\n");
    const req = createRequire(join(root, "index.js"));
    const jupyter = req(join(dist, "jupyter.js")) as { lastWriteDisplayData: unknown };
    try {
      expect(withStderrTTY(false, () => createProgress({ mode: "auto" }).mode)).toBe("log");
      jupyter.lastWriteDisplayData = () => {}; // what a running kernel sets
      const r = createProgress({ mode: "auto", throttleMs: 0 });
      expect(r.mode).toBe("notebook");
      r.update(p(1));
      r.update(p(2));
      r.done("finished");
      const shown = (req(join(dist, "public.js")) as { shown: string[] }).shown;
      expect(shown).toHaveLength(3);
      expect(shown[1]).toMatch(/step 2\/100/);
      expect(shown[2]).toMatch(/finished/);
    } finally {
      jupyter.lastWriteDisplayData = null;
      delete req.cache[join(dist, "jupyter.js")];
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("notebook mode without a kernel does not crash", () => {
    const r = createProgress({ mode: "notebook" });
    r.update(p(1));
    r.done();
    expect(r.mode).toBe("notebook");
  });
});

describe("trainer presets (formerly TRAIN_PROFILES; not the experiment profiles)", () => {
  it("`preset` selects one; `profile` is still read as its former name; both given must agree", () => {
    const model = { network: "dilated2d" as const, setting: "ours" as const };
    expect(resolveTrainConfig({ model, preset: "quick" })).toEqual(resolveTrainConfig({ model, profile: "quick" }));
    expect(resolveTrainConfig({ model, preset: "quick" }).steps).toBe(TRAINER_PRESETS.quick.dilated2d.steps);
    expect(() => resolveTrainConfig({ model, preset: "quick", profile: "smoke" })).toThrow(/profile.*preset 'quick'/);
    expect(validateTrainConfig({ model, preset: "paper" })).toEqual({ model, preset: "paper" });
  });
});
