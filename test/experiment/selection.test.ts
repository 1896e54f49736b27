/**
 * Model selection (issue #30): the weights of the validation step with the best selection score are
 * the ones evaluated on test, and the record's `selectedStep` names that step.
 *
 * The real runner (lib/experiment/runner.ts executeRun) and the real BestWeights
 * (lib/experiment/selection.ts) are driven by a constructed validation curve: the trainer
 * (lib/train/trainer.ts train) is replaced by a stand-in that, at each validation step, fills
 * every weight of the model with the step number (a "marker") and reports a chosen score; the
 * predictor (lib/train/predict.ts) is replaced by one that reads the marker from the weights it
 * is asked to predict with. So "which weights were evaluated on test" is read off the predictions.
 *
 * The expected step is worked out by hand for each curve (the first step with the highest mean of
 * the finite per-class Dice of both modalities; NaN never wins; a tie keeps the earlier step).
 * Fails if selection keeps the last, the first or any other step than the best, if a tie goes to
 * the later step, if the score ignores a modality, if the kept weights are not restored before
 * the test evaluation, or if a resume forgets the best step of before the resume.
 */
import { describe, it, expect, vi, beforeAll, afterAll } from "vitest";
import { mkdtempSync, rmSync, writeFileSync, appendFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

type Val = { step: number; ct: number[]; mri: number[] };
/** The stand-in trainer's script for the next executeRun call. */
const script = vi.hoisted(() => ({
  curve: [] as { step: number; ct: number[]; mri: number[] }[],
  /** emit only steps > resumeAfter through onLog (the log file already holds the earlier ones) */
  resumeAfter: 0,
  /** throw after emitting this step (a killed process) */
  crashAfter: undefined as number | undefined,
  totalSteps: 0,
  /** markers read by the stand-in predictor, one per predicted case */
  predictedWith: [] as number[],
}));

vi.mock("../../lib/train/trainer.ts", async (orig) => {
  const real = (await orig()) as Record<string, unknown>;
  const { tf } = await import("../../lib/engine/index.ts");
  const fill = (model: { getState(): Map<string, { shape: number[]; dispose(): void }>; setState(s: Map<string, unknown>): void }, v: number) => {
    const st = model.getState();
    const next = new Map([...st].map(([n, t]) => [n, tf.fill(t.shape, v, "float32")]));
    for (const t of st.values()) t.dispose();
    model.setState(next);
    for (const t of next.values()) (t as { dispose(): void }).dispose();
  };
  return {
    ...real,
    train: async (_config: unknown, _sources: unknown, opts: { model: never; runDir?: string; onLog?: (r: unknown) => void }) => {
      const logPath = opts.runDir ? join(opts.runDir, "log.jsonl") : undefined;
      if (opts.runDir) mkdirSync(opts.runDir, { recursive: true });
      if (logPath && script.resumeAfter === 0) writeFileSync(logPath, "");
      for (const v of script.curve) {
        if (v.step <= script.resumeAfter) continue;
        fill(opts.model, v.step);
        const rec = {
          type: "val", step: v.step, diceCt: NaN, diceMri: NaN, diceCtPerClass: v.ct, diceMriPerClass: v.mri,
          kd: 0, segCt: 0, segMri: 0, qCt: [[1]], qMri: [[1]],
        };
        if (logPath) appendFileSync(logPath, JSON.stringify(rec) + "\n");
        opts.onLog?.(rec);
        if (script.crashAfter === v.step) throw new Error(`killed after step ${v.step}`);
      }
      // training goes on after the last validation: the final weights are neither validated nor best
      fill(opts.model, script.totalSteps);
      return {
        model: opts.model, steps: script.totalSteps, resumedFrom: script.resumeAfter, lastLosses: undefined, checkpoint: undefined,
        logPath, aborted: false, wallS: 0,
      };
    },
  };
});

vi.mock("../../lib/train/predict.ts", async (orig) => {
  const real = (await orig()) as Record<string, unknown>;
  const predict = (model: { getState(): Map<string, { dataSync(): ArrayLike<number>; dispose(): void }> }, image: { shape: [number, number, number]; spacing: number[]; affine: unknown }) => {
    const st = model.getState();
    const markers = new Set<number>();
    for (const t of st.values()) {
      for (const x of Array.from(t.dataSync())) markers.add(x);
      t.dispose();
    }
    // every weight must carry the same marker: a mixed state would be a partial restore
    script.predictedWith.push(markers.size === 1 ? [...markers][0]! : NaN);
    const n = image.shape[0] * image.shape[1] * image.shape[2];
    return { data: new Uint8Array(n), shape: image.shape, spacing: image.spacing, affine: image.affine };
  };
  return { ...real, predictVolume2D5: predict, predictVolume3D: predict };
});

const { validateConfig } = await import("../../lib/plan/config.ts");
const { resolvePlan } = await import("../../lib/plan/plan.ts");
const { executeRun } = await import("../../lib/experiment/runner.ts");
const { BestWeights, selectionScore } = await import("../../lib/experiment/selection.ts");
const { syntheticCohort } = await import("../../lib/data/synthetic.ts");
const { initEngine } = await import("../../lib/engine/index.ts");
type TaskData = import("../../lib/experiment/data.ts").TaskData;

const small = { shape: [16, 16, 4] as [number, number, number] };
const cohort = (m: "ct" | "mri", seed: number) => syntheticCohort("cardiac", m, 1, seed, small);
const data: TaskData = {
  train: { ct: cohort("ct", 1), mri: cohort("mri", 1) },
  val: { ct: cohort("ct", 2), mri: cohort("mri", 2) },
  test: { ct: cohort("ct", 3), mri: cohort("mri", 3) },
  source: { ct: "synthetic", mri: "synthetic" },
};
const config = validateConfig({ name: "t", artefact: "T", task: "cardiac", network: "dilated2d", settings: ["ours"] }, "t.json");
// the cpu profile (the committed results' profile) selects by validation Dice
const plan = resolvePlan(config, "cpu", { setting: "ours", norm: "batch", alpha: 0.5, seed: 0, dataRoot: null });

/** Four classes per modality; `c` on CT and `m` on MRI (score = (4c + 4m) / 8 when all finite). */
const v = (step: number, c: number, m = c): Val => ({ step, ct: [c, c, c, c], mri: [m, m, m, m] });

/** The best step worked out independently of lib: first step with the highest mean of finite values. */
function expectedBest(curve: Val[]): number {
  let best: number | undefined;
  let bestScore = -Infinity;
  for (const x of curve) {
    const f = [...x.ct, ...x.mri].filter((y) => Number.isFinite(y));
    const s = f.length ? f.reduce((a, b) => a + b, 0) / f.length : NaN;
    if (s > bestScore) {
      bestScore = s;
      best = x.step;
    }
  }
  return best!;
}

let dir: string;
beforeAll(async () => {
  await initEngine();
  dir = mkdtempSync(join(tmpdir(), "ummkd-selection-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function runWith(curve: Val[], o: { runDir?: string; totalSteps?: number; resumeAfter?: number; crashAfter?: number } = {}) {
  script.curve = curve;
  script.totalSteps = o.totalSteps ?? curve.at(-1)!.step + 50;
  script.resumeAfter = o.resumeAfter ?? 0;
  script.crashAfter = o.crashAfter;
  script.predictedWith = [];
  const rec = await executeRun(plan, data, { progress: "none", ...(o.runDir ? { runDir: o.runDir } : {}) });
  return { rec, predictedWith: [...script.predictedWith] };
}

// Curve A: best in the middle (step 300, score 0.75), a tie at 400 (must lose), NaN at 200 (must
// not win), the last step (600) worse than the best, the first (100) worse too; CT alone would
// pick 500 and MRI alone 100 (so a score that drops a modality picks another step). Dyadic values,
// so the tie is exact in floating point.
const curveA: Val[] = [
  v(100, 0.25, 1), // mean 0.625; MRI alone: best (1)
  { step: 200, ct: [NaN, NaN, NaN, NaN], mri: [NaN, NaN, NaN, NaN] }, // no finite value: never selected
  v(300, 0.75, 0.75), // mean 0.75: the best, first of the tie
  v(400, 0.625, 0.875), // mean 0.75: tie, later -> loses
  v(500, 0.9375, 0.4375), // mean 0.6875; CT alone: best (0.9375)
  v(600, 0.5, 0.5), // last validation
];

describe("model selection: the best validation step's weights are evaluated on test", () => {
  it("the plan selects by validation Dice", () => expect(plan.train.selection).toBe("best-val-dice"));

  it("the hand-worked best step of the constructed curve is 300 (guards the expectation itself)", () => {
    expect(expectedBest(curveA)).toBe(300);
    expect(curveA.map((x) => selectionScore({ diceCtPerClass: x.ct, diceMriPerClass: x.mri }))).toEqual([0.625, NaN, 0.75, 0.75, 0.6875, 0.5]);
  });

  it("best in the middle, a NaN step, a tie: keeps step 300 (not the first, last, later tie or a one-modality best), evaluates its weights, records selectedStep 300", async () => {
    const { rec, predictedWith } = await runWith(curveA, { totalSteps: 650 });
    expect(rec.train.selectedStep).toBe(300);
    expect(rec.train.selectedValDice).toBe(0.75);
    expect(rec.train.steps).toBe(650);
    // two test cases (one CT, one MRI), both predicted with step 300's weights
    expect(predictedWith).toEqual([300, 300]);
    // the record keeps the whole validation curve
    expect(rec.val.map((r) => r.step)).toEqual([100, 200, 300, 400, 500, 600]);
  });

  it.each([
    ["best first -> 100", [v(100, 0.9), v(200, 0.5), v(300, 0.6)], 100],
    ["best last -> 300", [v(100, 0.5), v(200, 0.6), v(300, 0.9)], 300],
    ["three-way tie after a NaN: the earliest of the tie -> 200", [{ step: 50, ct: [NaN, NaN, NaN, NaN], mri: [NaN, NaN, NaN, NaN] }, v(100, 0.4), v(200, 0.7), v(300, 0.7), v(400, 0.7), v(500, 0.2)], 200],
    ["partly NaN classes: only the finite ones are averaged -> 200", [{ step: 100, ct: [0.9, NaN, NaN, NaN], mri: [0.1, 0.1, 0.1, 0.1] }, v(200, 0.3)], 200],
  ] as [string, Val[], number][])("%s", async (_name, curve, best) => {
    expect(expectedBest(curve)).toBe(best);
    const { rec, predictedWith } = await runWith(curve);
    expect(rec.train.selectedStep).toBe(best);
    expect(predictedWith).toEqual([best, best]);
  });

  it("a resume between the best and the last step keeps the best of before the resume (weights from <runDir>/best)", async () => {
    const runDir = join(dir, "resume");
    // first process: validates 100..400 (best so far 300), then is killed after step 400
    await expect(runWith(curveA, { runDir, crashAfter: 400, totalSteps: 650 })).rejects.toThrow(/killed after step 400/);
    // second process resumes after step 400: it sees 500 and 600 only; the log file holds all six
    const { rec, predictedWith } = await runWith(curveA, { runDir, resumeAfter: 400, totalSteps: 650 });
    expect(rec.train.selectedStep).toBe(300);
    expect(rec.train.selectedValDice).toBe(0.75);
    expect(predictedWith).toEqual([300, 300]);
    expect(rec.val.map((r) => r.step)).toEqual([100, 200, 300, 400, 500, 600]);
  });

  it("a resume after which a better step comes: that later step is kept", async () => {
    const runDir = join(dir, "resume-better");
    const curve = [v(100, 0.5), v(200, 0.6), v(300, 0.4), v(400, 0.65), v(500, 0.3)];
    await expect(runWith(curve, { runDir, crashAfter: 200 })).rejects.toThrow(/killed/);
    const { rec, predictedWith } = await runWith(curve, { runDir, resumeAfter: 200 });
    expect(rec.train.selectedStep).toBe(400);
    expect(predictedWith).toEqual([400, 400]);
  });

  it("without validation records the last weights are evaluated and selectedStep is the last step", async () => {
    const { rec, predictedWith } = await runWith([], { totalSteps: 80 });
    expect(rec.train.selectedStep).toBe(80);
    expect(rec.train.selectedValDice).toBeNull();
    expect(predictedWith).toEqual([80, 80]);
  });
});

describe("BestWeights on its own", () => {
  it("offer() replaces only on a strictly better finite score", () => {
    const b = new BestWeights();
    const model = { getState: () => new Map(), setState: () => {} } as never;
    expect(b.offer(1, NaN, model)).toBe(false);
    expect(b.offer(2, 0.5, model)).toBe(true);
    expect(b.offer(3, 0.5, model)).toBe(false);
    expect(b.offer(4, 0.4, model)).toBe(false);
    expect(b.offer(5, 0.6, model)).toBe(true);
    expect(b.offer(6, Infinity, model)).toBe(false);
    expect([b.step, b.score]).toEqual([5, 0.6]);
  });
});
