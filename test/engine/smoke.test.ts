import { describe, it, expect } from "vitest";
import { BACKENDS, initEngine, tf } from "../../lib/engine/index.ts";

describe("engine smoke", () => {
  it("initialises a backend and computes", async () => {
    const info = await initEngine();
    expect(BACKENDS).toContain(info.backend);
    expect(tf.getBackend()).toBe(info.tfjsBackend);
    const y = tf.tidy(() => tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4])).dataSync());
    expect(Array.from(y)).toEqual([4, 6]);
  });
});
