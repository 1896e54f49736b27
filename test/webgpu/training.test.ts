/**
 * A short training through the real trainer (lib/train/trainer.ts: fused Adam, validation, a
 * checkpoint) on the webgpu engine, against the native engine (the cpu backend where the native
 * addon is not built): the same data, seeds and dropout masks, so the losses of every step must
 * agree up to float32 summation order. Also: no tensor leaks across steps on webgpu, no Dawn
 * validation errors, and the checkpoint written from webgpu reloads.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it, expect, afterAll } from "vitest";
import { initEngine, releaseWebgpu, tf, webgpuErrors, type BackendName } from "../../lib/engine/index.ts";
import { loadNative } from "../../lib/engine/native/index.ts";
import { resolveTrainConfig, type TrainConfig } from "../../lib/train/config.ts";
import { train } from "../../lib/train/trainer.ts";
import { findCheckpoint, loadTrainedModel } from "../../lib/train/checkpoint.ts";
import { CounterSource } from "../train/fakes.ts";
import { REQUIRES } from "../requires.ts";
import { probeWebgpu } from "./helpers.ts";

const wg = await probeWebgpu();
const reference: BackendName = (await loadNative()).ok ? "native" : "cpu";
const dirs: string[] = [];
afterAll(() => {
  releaseWebgpu();
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

/** Relative difference of the total loss at any step (measured on llvmpipe: see the README's engine section). */
const LOSS_TOL = 1e-4;

const config = (network: "dilated2d" | "unet3d"): TrainConfig => ({
  ...resolveTrainConfig({ model: { network, setting: "ours", numClasses: 4, width: network === "dilated2d" ? 1 / 16 : 1 / 8, init: "he" }, profile: "smoke" }),
  seed: 3,
  steps: 6,
  batchSize: 2,
  lr: 1e-3,
  validateEvery: 3,
  checkpointEvery: 3,
  logEvery: 1,
});

async function run(backend: BackendName, network: "dilated2d" | "unet3d") {
  await initEngine({ backend });
  const depth = network === "unet3d" ? 8 : 1;
  const src = () => (network === "unet3d" ? new CounterSource(9, 16, 4, depth, undefined, true) : new CounterSource(5, 16));
  const v = src();
  const val = { batches: [[v.next(0, 2)], [v.next(1, 2)]] as [ReturnType<CounterSource["next"]>[], ReturnType<CounterSource["next"]>[]] };
  const dir = mkdtempSync(join(tmpdir(), "ummkd-webgpu-train-"));
  dirs.push(dir);
  const losses: number[] = [];
  const counts: number[] = [];
  const vals: number[] = [];
  const r = await train(config(network), { train: src(), validation: val }, {
    runDir: dir,
    progress: "none",
    onProgress: (p) => {
      losses.push(p.losses.total);
      counts.push(tf.memory().numTensors);
    },
    onLog: (l) => {
      if (l.type === "val") vals.push(l.kd, l.segCt, l.segMri);
    },
  });
  r.model.dispose();
  return { losses, counts, vals, dir };
}

describe.skipIf(!wg.ok)(`${REQUIRES.webgpu} a short training on webgpu matches the ${reference} engine`, () => {
  it.each(["dilated2d", "unet3d"] as const)("%s (Ours): 6 steps, validation and checkpoint", async (network) => {
    const ref = await run(reference, network);
    const got = await run("webgpu", network);
    expect(got.losses).toHaveLength(6);
    const rel = got.losses.map((l, i) => Math.abs(l - ref.losses[i]!) / Math.abs(ref.losses[i]!));
    console.log(`[webgpu training] ${network}: max relative loss difference vs ${reference} over 6 steps ${Math.max(...rel).toExponential(2)}`);
    expect(Math.max(...rel), `per-step losses ${got.losses} vs ${ref.losses}`).toBeLessThanOrEqual(LOSS_TOL);
    got.vals.forEach((v, i) => expect(Math.abs(v - ref.vals[i]!)).toBeLessThanOrEqual(LOSS_TOL * Math.max(1, Math.abs(ref.vals[i]!))));
    // no leak from step 2 on (the optimizer's moments appear at step 1), validation and checkpoint steps included
    expect(new Set(got.counts.slice(1)).size).toBe(1);
    expect(webgpuErrors().count).toBe(0);
    // the checkpoint written from webgpu loads (on webgpu) with the network it names
    const { model, state } = loadTrainedModel(findCheckpoint(got.dir)!);
    expect(state.step).toBe(6);
    model.dispose();
  }, 600_000);
});
