#!/usr/bin/env node
// `npm test`: the whole vitest suite (unit tests, real-data tests when the data root exists, both
// engines where the native addon is built, and every notebook executed at the `smoke` profile),
// followed by one plain summary line "N passed, N failed, N skipped" for CI logs.
// UMMKD_REQUIRE=native,notebooks,realdata,webgpu (as `.ci/run` sets it) makes a skipped test of a named
// layer a failure: such tests carry "[requires <layer>]" in their title (test/requires.ts).
// Unset, empty or "none": nothing is required and such skips are only listed.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const LAYERS = ["native", "notebooks", "realdata", "webgpu"];
const requireEnv = (process.env.UMMKD_REQUIRE ?? "").trim();
const required = requireEnv === "" || requireEnv === "none" ? [] : requireEnv.split(",").map((s) => s.trim()).filter(Boolean);
const unknown = required.filter((l) => !LAYERS.includes(l));
if (unknown.length > 0) {
  console.error(`test: UMMKD_REQUIRE: unknown layer '${unknown[0]}' (known: ${LAYERS.join(", ")}, or none)`);
  process.exit(2);
}

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
  // Skipped tests of the layers that need the native addon, Jupyter or the real data.
  const skippedBy = new Map(LAYERS.map((l) => [l, 0]));
  for (const t of j.testResults ?? []) {
    for (const a of t.assertionResults ?? []) {
      if (a.status !== "skipped" && a.status !== "pending" && a.status !== "todo") continue;
      for (const l of LAYERS) if ((a.fullName ?? "").includes(`[requires ${l}]`)) skippedBy.set(l, skippedBy.get(l) + 1);
    }
  }
  for (const [l, n] of skippedBy) {
    if (n === 0) continue;
    if (required.includes(l)) {
      console.error(`test: ${n} test(s) of the required layer '${l}' were skipped (UMMKD_REQUIRE=${requireEnv}; opt out with UMMKD_REQUIRE=none or without '${l}')`);
      code = code || 1;
    } else {
      console.log(`(${n} test(s) needing ${l} skipped; not required here)`);
    }
  }
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
