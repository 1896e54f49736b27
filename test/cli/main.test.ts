// lib/cli/main.ts exit codes: 0 help, 2 usage errors (no command, unknown command), 1 a library
// error printed as ONE line "ummkd <cmd>: <message>" (no stack trace); other errors propagate.
import { afterEach, describe, expect, it, vi } from "vitest";
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { main } from "../../lib/cli/main.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

function capture() {
  const out: string[] = [], err: string[] = [];
  vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void out.push(a.join(" ")));
  vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void err.push(a.join(" ")));
  return { out, err };
}
afterEach(() => vi.restoreAllMocks());

describe("ummkd main: exit codes", () => {
  it("no command: usage on stdout, exit 2; --help / help: exit 0", async () => {
    const c = capture();
    expect(await main([])).toBe(2);
    expect(c.out.join("\n")).toMatch(/^usage: ummkd <command>/);
    expect(await main(["--help"])).toBe(0);
    expect(await main(["help"])).toBe(0);
  });

  it("unknown command: exit 2, named on stderr", async () => {
    const c = capture();
    expect(await main(["trian"])).toBe(2);
    expect(c.err.join("\n")).toContain("ummkd: unknown command 'trian'");
  });

  it("a library error (OptionError) in a subcommand: exit 1, one line naming the command and option", async () => {
    const c = capture();
    expect(await main(["params", "--network", "foo"])).toBe(1);
    expect(c.err).toHaveLength(1);
    expect(c.err[0]).toBe(`ummkd params: option '--network': got "foo", expected one of "dilated2d", "unet3d"`);
  });

  it("a subcommand's own success: exit 0", async () => {
    const c = capture();
    expect(await main(["params", "--network", "unet3d", "--setting", "ours"])).toBe(0);
    expect(c.out.join("\n")).toMatch(/\d/);
  });

  it("bin/ummkd.js: process exit code 1 and one stderr line for a missing file", () => {
    const r = spawnSync(process.execPath, [join(ROOT, "bin", "ummkd.js"), "info", "/nonexistent/x.nii.gz"], { cwd: ROOT, encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split("\n")).toEqual(["ummkd info: /nonexistent/x.nii.gz: no such file or folder"]);
  });
});
