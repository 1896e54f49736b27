/**
 * bin/register-kernel.sh registers one "tslab" kernel for the machine whose launcher runs the kernel
 * of the checkout that holds the notebook (Jupyter starts a kernel in the notebook's folder), and
 * falls back to the registering checkout only outside any checkout. Before, the spec named the
 * registering checkout's script: a clone's `npm run setup` re-pointed every checkout's notebooks at
 * the clone, and deleting the clone broke them all.
 *
 * The spec is registered into a temporary JUPYTER_DATA_DIR (the machine's own registration is not
 * touched); the checkouts are stand-ins whose bin/tslab-kernel.sh prints the folder it runs from.
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { REQUIRES } from "../requires.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const PY = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

function jupyterAvailable(): string | null {
  try {
    execFileSync(PY, ["-m", "jupyter", "kernelspec", "--version"], { stdio: "ignore" });
    return null;
  } catch {
    return "Jupyter is not installed (npm run setup)";
  }
}

/** A stand-in checkout at dir: bin/register-kernel.sh (the real one) and a tslab-kernel.sh that prints its root and args. */
function fakeCheckout(dir: string): void {
  mkdirSync(join(dir, "bin"), { recursive: true });
  mkdirSync(join(dir, "notebooks", "sub"), { recursive: true });
  copyFileSync(join(ROOT, "bin", "register-kernel.sh"), join(dir, "bin", "register-kernel.sh"));
  writeFileSync(join(dir, "bin", "tslab-kernel.cjs"), "");
  writeFileSync(join(dir, "bin", "tslab-kernel.sh"), '#!/bin/sh\nROOT=$(CDPATH= cd -- "${0%/*}/.." && pwd)\necho "kernel of $ROOT: $*"\n');
}

const why = jupyterAvailable();
describe.skipIf(why !== null)(`${REQUIRES.notebooks} the tslab kernel launcher`, () => {
  let tmp = "";
  let data = "";
  let spec: { argv: string[]; metadata: { ummkd_launcher?: number; ummkd_root?: string } } = { argv: [], metadata: {} };
  let registrar = "";

  /** Runs the registered spec's argv as Jupyter would (resource_dir and connection_file filled in) from cwd. */
  function launch(cwd: string): { status: number | null; stdout: string; stderr: string } {
    const argv = spec.argv.map((a) => a.replace("{resource_dir}", join(data, "kernels", "tslab")).replace("{connection_file}", "/tmp/conn.json"));
    const r = spawnSync(argv[0]!, argv.slice(1), { cwd, encoding: "utf8" });
    return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr.trim() };
  }

  beforeAll(() => {
    tmp = realpathSync(mkdtempSync(join(tmpdir(), "ummkd-kernel-launch-")));
    data = join(tmp, "jupyter-data");
    registrar = join(tmp, "registrar's checkout");
    fakeCheckout(registrar);
    execFileSync("bash", [join(registrar, "bin", "register-kernel.sh"), PY], { env: { ...process.env, JUPYTER_DATA_DIR: data }, stdio: "ignore" });
    spec = JSON.parse(readFileSync(join(data, "kernels", "tslab", "kernel.json"), "utf8"));
  });

  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it("registers an absolute argv that names no checkout", () => {
    expect(spec.argv[0]).toMatch(/^\//);
    expect(spec.argv.join(" ")).not.toContain(registrar);
    expect(spec.metadata.ummkd_launcher).toBe(1);
    expect(spec.metadata.ummkd_root).toBe(registrar);
  });

  it("runs the kernel of the checkout that holds the notebook's folder, at any depth", () => {
    const other = join(tmp, "other clone");
    fakeCheckout(other);
    expect(launch(join(other, "notebooks"))).toEqual({ status: 0, stdout: `kernel of ${other}: kernel --config-path /tmp/conn.json`, stderr: "" });
    expect(launch(join(other, "notebooks", "sub")).stdout).toBe(`kernel of ${other}: kernel --config-path /tmp/conn.json`);
    expect(launch(join(registrar, "notebooks")).stdout).toBe(`kernel of ${registrar}: kernel --config-path /tmp/conn.json`);
  });

  it("a deleted clone does not break another checkout; outside any checkout it falls back, then fails in one line", () => {
    const clone = join(tmp, "clone");
    fakeCheckout(clone);
    rmSync(clone, { recursive: true, force: true });
    expect(launch(join(registrar, "notebooks")).stdout).toBe(`kernel of ${registrar}: kernel --config-path /tmp/conn.json`);

    const outside = join(tmp, "elsewhere");
    mkdirSync(outside);
    expect(launch(outside).stdout).toBe(`kernel of ${registrar}: kernel --config-path /tmp/conn.json`);

    rmSync(registrar, { recursive: true, force: true });
    const r = launch(outside);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      `ummkd kernel: ${outside} is not inside an ummkd checkout and the checkout that registered the kernel (${registrar}) is gone; run npm run setup in your checkout`,
    );
  });
});
