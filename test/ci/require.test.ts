// CI must fail when a required layer was skipped (issue #17 item 1): test/run.mjs with
// UMMKD_REQUIRE, and lib/engine/native/build.mjs when the native engine is required.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const run = (require: string | undefined) => {
  const env = { ...process.env };
  delete env.UMMKD_REQUIRE;
  if (require !== undefined) env.UMMKD_REQUIRE = require;
  const r = spawnSync(process.execPath, ["test/run.mjs", "--config", "test/fixtures/require/vitest.config.ts"], { cwd: ROOT, env, encoding: "utf8" });
  return { code: r.status, out: `${r.stdout}\n${r.stderr}` };
};

describe("test/run.mjs: skipped tests of required layers", () => {
  it("nothing required (explicit opt-out UMMKD_REQUIRE=none): exit 0, the skips are listed", () => {
    const r = run("none");
    expect(r.out).toContain("1 passed, 0 failed, 2 skipped");
    expect(r.out).toContain("(1 test(s) needing native skipped; not required here)");
    expect(r.code).toBe(0);
  });

  it("a skipped required layer fails the run and is named; others are not", () => {
    const r = run("native,notebooks");
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/1 test\(s\) of the required layer 'native' were skipped/);
    expect(r.out).not.toMatch(/required layer 'realdata'/);
    expect(r.out).not.toMatch(/required layer 'notebooks'/);
  });

  it("an unknown layer is a one-line error (exit 2)", () => {
    const r = run("native,gpu");
    expect(r.code).toBe(2);
    expect(r.out).toContain("UMMKD_REQUIRE: unknown layer 'gpu'");
  });
});

describe("lib/engine/native/build.mjs", () => {
  const build = (env: Record<string, string>) => {
    const e = { ...process.env, ...env };
    if (!("UMMKD_REQUIRE" in env)) delete e.UMMKD_REQUIRE;
    return spawnSync(process.execPath, ["lib/engine/native/build.mjs"], { cwd: ROOT, env: e, encoding: "utf8" });
  };
  it("a skip is exit 0 unless the native engine is required, then exit 1 with the reason", () => {
    const ok = build({ UMMKD_SKIP_NATIVE: "1" });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain("native engine skipped: UMMKD_SKIP_NATIVE=1");
    const bad = build({ UMMKD_SKIP_NATIVE: "1", UMMKD_REQUIRE: "notebooks,native" });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("native engine NOT built: UMMKD_SKIP_NATIVE=1");
  });
});
