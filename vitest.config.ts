import { availableParallelism } from "node:os";
import { configDefaults, defineConfig } from "vitest/config";

/**
 * The notebook UI's training test (a real Jupyter server, Chromium and a ~7-minute training run at
 * one engine thread) runs after every other file, alone: side by side with the rest of the suite
 * (2-thread engine tests, WebGPU on llvmpipe) it once ran past its 40-minute bound in CI.
 */
const UI_TRAINING = "test/notebooks/ui-training.test.ts";

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // tfjs keeps a global engine per process; isolate files in forks.
    pool: "forks",
    fileParallelism: true,
    // A fixed native thread count, so that results compared across runs are bit-identical whatever
    // the load of parallel test files (the default, auto, follows the load: lib/engine/native/governor.ts).
    env: { UMMKD_THREADS: process.env.UMMKD_THREADS ?? String(availableParallelism()) },
    projects: [
      { extends: true, test: { name: "suite", include: ["test/**/*.test.ts"], exclude: [...configDefaults.exclude, UI_TRAINING], sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: "ui-training", include: [UI_TRAINING], sequence: { groupOrder: 1 } } },
    ],
  },
});
