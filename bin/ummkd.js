#!/usr/bin/env node
// Thin launcher: run the TypeScript CLI through tsx's ESM loader so `ummkd` works without a build step.
import { register } from "tsx/esm/api";
register();
const { main } = await import("../lib/cli/main.ts");
const code = await main(process.argv.slice(2));
process.exitCode = code;
