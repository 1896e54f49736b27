#!/usr/bin/env -S node --max-semi-space-size=64
// Thin launcher: run the TypeScript CLI through tsx's ESM loader so `ummkd` works without a build step.
// The V8 flag on the line above is the project's NODE_FLAGS (lib/util/node-flags.ts), for `./bin/ummkd.js`; the
// project's own child processes (sweep tasks, a notebook's training, benchmarks) get it from their spawn.
import { register } from "tsx/esm/api";
register();
const { main } = await import("../lib/cli/main.ts");
const code = await main(process.argv.slice(2));
// a WebGPU engine (Dawn) keeps the process alive while navigator.gpu is reachable: drop it
const { releaseWebgpu } = await import("../lib/engine/webgpu.ts");
releaseWebgpu();
process.exitCode = code;
