/**
 * `ummkd bench thread-scaling` (lib/bench/train-step.ts benchThreadScaling): the engine issue's
 * per-kernel account of where a second thread helps. Checked on a small placeholder step: every
 * thread count gets the same number of timed steps, the step splits into time in kernels plus time
 * between them, the per-kernel medians name the kernels the step runs with the call counts the
 * network implies, and the kernels are restored afterwards (a later step is timed by nobody).
 */
import { describe, it, expect } from "vitest";
import { tf } from "../../lib/engine/tf.ts";
import { benchThreadScaling } from "../../lib/bench/train-step.ts";
import { native } from "./helpers.ts";

describe.skipIf(!native.ok)("bench thread-scaling", () => {
  it("alternates the thread counts and splits each step into kernels and the time between them", async () => {
    const kernels = () => new Map(tf.getKernelsForBackend("native").map((k) => [k.kernelName, k.kernelFunc]));
    await benchThreadScaling({ network: "placeholder", width: 1, size: 16, batch: 2, steps: 1, warmup: 0, threadCounts: [1] }); // engine initialised
    const before = kernels();
    const res = await benchThreadScaling({ network: "placeholder", width: 1, size: 16, batch: 2, steps: 3, warmup: 1, threadCounts: [1, 2] });
    expect(res.byThreads.map((t) => t.threads)).toEqual([1, 2]);
    for (const t of res.byThreads) {
      expect(t.ms_steps).toHaveLength(3);
      expect(t.kernel_ms_median).toBeGreaterThan(0);
      expect(t.outside_ms_median).toBeGreaterThanOrEqual(0);
      // medians of a sum are not sums of medians, but the kernel time is part of the step
      expect(t.kernel_ms_median).toBeLessThanOrEqual(Math.max(...t.ms_steps) + 1e-6);
      const byName = new Map(t.kernels.map((k) => [k.kernel, k]));
      // the placeholder net: 3 3x3 convs + a 1x1 head forward, each with a filter gradient
      expect(byName.get("Conv2D")?.calls).toBe(4);
      expect(byName.get("UmmkdBatchNormTrain")?.calls).toBe(3);
      // one fused Adam update per variable: 4 conv filters + 3 gammas + 3 betas
      expect(byName.get("UmmkdAdamUpdate")?.calls).toBe(10);
    }
    const after = kernels();
    expect(after.size).toBe(before.size);
    for (const [name, f] of before) expect(after.get(name), name).toBe(f);
  });
  it("rejects a thread count that is not a positive integer, naming the flag", async () => {
    await expect(benchThreadScaling({ network: "placeholder", width: 1, size: 16, batch: 2, steps: 1, warmup: 0, threadCounts: [1, 0] })).rejects.toThrow(/--threads/);
  });
});
