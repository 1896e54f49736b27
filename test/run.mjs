#!/usr/bin/env node
// `npm test`: the whole vitest suite (unit tests, real-data tests when the data root exists, both
// engines where the native addon is built, and every notebook executed at the `smoke` profile),
// followed by one plain summary line "N passed, N failed, N skipped" for CI logs.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(mkdtempSync(join(tmpdir(), "ummkd-test-")), "vitest.json");
const vitest = join(root, "node_modules", "vitest", "vitest.mjs");
const r = spawnSync(
  process.execPath,
  [vitest, "run", "--reporter=default", "--reporter=json", `--outputFile.json=${out}`, ...process.argv.slice(2)],
  { cwd: root, stdio: "inherit" },
);
let code = r.status ?? 1;
if (existsSync(out)) {
  const j = JSON.parse(readFileSync(out, "utf8"));
  const skipped = (j.numPendingTests ?? 0) + (j.numTodoTests ?? 0);
  const failedSuites = (j.testResults ?? []).filter((t) => t.status === "failed" && (t.assertionResults ?? []).every((a) => a.status !== "failed")).length;
  const failed = (j.numFailedTests ?? 0) + failedSuites;
  console.log(`\n${j.numPassedTests ?? 0} passed, ${failed} failed, ${skipped} skipped`);
  if (failed > 0) code = code || 1;
  if ((j.numPassedTests ?? 0) === 0) {
    console.error("test: no test passed");
    code = code || 1;
  }
} else {
  console.log("\n0 passed, 1 failed");
  console.error("test: vitest wrote no report");
  code = code || 1;
}
process.exit(code);
