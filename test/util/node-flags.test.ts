/**
 * The project's V8 flags (lib/util/node-flags.ts): bin/ummkd.js's shebang, the CLI child-process
 * arguments and the Slurm task line carry exactly them.
 */
import { describe, it, expect } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { NODE_FLAGS, cliNodeArgs } from "../../lib/util/node-flags.ts";
import { sbatchScript } from "../../lib/sweep/slurm.ts";
import type { SweepManifest } from "../../lib/sweep/manifest.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

describe("NODE_FLAGS", () => {
  it("is the larger young generation", () => {
    expect(NODE_FLAGS).toEqual(["--max-semi-space-size=64"]);
  });

  it("bin/ummkd.js's shebang passes exactly NODE_FLAGS to node", () => {
    const first = readFileSync(join(ROOT, "bin", "ummkd.js"), "utf8").split("\n")[0]!;
    expect(first).toBe(`#!/usr/bin/env -S node ${NODE_FLAGS.join(" ")}`);
  });

  it("cliNodeArgs: NODE_FLAGS, this checkout's bin/ummkd.js by absolute path, then the arguments", () => {
    const a = cliNodeArgs("sweep", "task", "--index", "3");
    expect(a).toEqual([...NODE_FLAGS, join(ROOT, "bin", "ummkd.js"), "sweep", "task", "--index", "3"]);
    expect(existsSync(a[NODE_FLAGS.length]!)).toBe(true);
  });

  it("a Slurm task runs node with NODE_FLAGS", () => {
    const m = { id: "t1-paper-abc", name: "t1", profile: "paper", plans: [null], repo: "/home/me/ummkd" } as unknown as SweepManifest;
    const s = sbatchScript(m, "/shared/sw", [0], {});
    expect(s).toContain(`}" ${NODE_FLAGS.join(" ")} bin/ummkd.js sweep task --dir /shared/sw --index "$SLURM_ARRAY_TASK_ID"`);
  });
});
