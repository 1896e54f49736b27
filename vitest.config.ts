import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // tfjs keeps a global engine per process; isolate files in forks.
    pool: "forks",
    fileParallelism: true,
    // A fixed native thread count, so that results compared across runs are bit-identical whatever
    // the load of parallel test files (the default, auto, follows the load: lib/engine/native/governor.ts).
    env: { UMMKD_THREADS: process.env.UMMKD_THREADS ?? String(availableParallelism()) },
  },
});
