/**
 * `ummkd bench train-step`: option validation names the flag, and a tiny run of the placeholder
 * network reports a step time, the parameter count (3x3 convs 1->16->32->32 + BN + 1x1 head:
 * 144+4608+9216+2*(16+32+32)+160 = 14288, the same as the PyTorch peer's) and no tensor leak.
 */
import { describe, it, expect } from "vitest";
import { benchTrainStep, checkTrainStepOptions, type TrainStepOptions } from "../../lib/bench/train-step.ts";

const base: TrainStepOptions = { network: "placeholder", width: 0.25, size: 16, batch: 2, steps: 2, warmup: 1 };

describe("bench train-step", () => {
  it.each([
    [{ network: "resnet" }, /--network/],
    [{ width: 0 }, /--width/],
    [{ size: 12.5 }, /--size/],
    [{ batch: -1 }, /--batch/],
    [{ steps: 0 }, /--steps/],
    [{ warmup: -1 }, /--warmup/],
    [{ network: "dilated2d", size: 20 }, /--size.*multiple of 8/],
    [{ optimizer: "sgd" }, /--optimizer/],
    [{ network: "dilated2d", size: 16, norm: "weight" }, /--norm/],
    [{ norm: "group" }, /--norm.*placeholder/],
  ] as const)("rejects %o", (bad, msg) => {
    expect(() => checkTrainStepOptions({ ...base, ...(bad as object) } as TrainStepOptions)).toThrow(msg);
  });

  it("runs the placeholder network and reports its numbers", async () => {
    const r = await benchTrainStep(base);
    expect(r.params).toBe(14288);
    expect(r.ms_steps).toHaveLength(2);
    expect(r.ms_per_step).toBeGreaterThan(0);
    expect(Number.isFinite(r.loss)).toBe(true);
    expect(r.tensor_leak_per_step).toBe(0);
  }, 60_000);
});
