/**
 * The project's kernel (bin/tslab-kernel.cjs) answers a failed cell as the Jupyter protocol asks:
 * an execute_reply with ename, evalue and traceback (plain tslab sends none, and nbconvert then
 * reports "<Error>: " with an empty message), and prints an ummkd user error (bad parameter,
 * bad file) as one line without a stack trace. Cells run through jupyter_client
 * (test/fixtures/kernel/execute.py) in the registered tslab kernel.
 */
import { describe, it, expect } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { REQUIRES } from "../requires.ts";
import { tslabKernelSpec } from "./jupyter-server.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const PY = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

function kernelRegistered(): string | null {
  const spec = tslabKernelSpec();
  if (!spec) return "Jupyter or the tslab kernel is not installed (npm run setup)";
  // the launcher runs the kernel of the checkout that holds the notebook (bin/register-kernel.sh)
  return spec.metadata?.ummkd_launcher ? null : `the tslab kernel runs ${spec.argv.join(" ")}, not ummkd's launcher (npm run setup)`;
}

interface Reply { status: string; ename: string | null; evalue: string | null; traceback: string[] | null; stderr: string }

function runCells(cells: string[]): Reply[] {
  const out = execFileSync(PY, [join(ROOT, "test", "fixtures", "kernel", "execute.py"), join(ROOT, "notebooks"), ...cells], { timeout: 240_000 }).toString();
  return out.trim().split("\n").map((l) => JSON.parse(l) as Reply);
}

const why = kernelRegistered();
describe.skipIf(why !== null)(`${REQUIRES.notebooks} kernel error replies`, () => {
  it("a thrown error, a type error, a thrown value and an ummkd user error reach nbclient with name and message", { timeout: 300_000 }, () => {
    const [plain, typeErr, value, user, ok] = runCells([
      'throw new RangeError("boom at step 3")',
      'const n: number = "text";',
      "throw 42",
      'require("tsx/cjs/api").register(); const { OptionError } = require("../lib/util/errors.ts"); throw new OptionError("alpha", -1, "a number in [0, 1]");',
      "1 + 1",
    ]);
    expect(plain).toMatchObject({ status: "error", ename: "RangeError", evalue: "boom at step 3" });
    expect(plain!.stderr).toMatch(/at /); // a programming error keeps its stack
    expect(typeErr).toMatchObject({ status: "error", ename: "CompileError" });
    expect(typeErr!.evalue).toMatch(/Type 'string' is not assignable to type 'number'/);
    expect(value).toMatchObject({ status: "error", ename: "Error", evalue: "42" });
    expect(user).toMatchObject({ status: "error", ename: "OptionError", evalue: `option 'alpha': got -1, expected a number in [0, 1]` });
    expect(user!.traceback).toEqual([`OptionError: option 'alpha': got -1, expected a number in [0, 1]`]);
    // one line, no stack trace
    expect(user!.stderr.trim()).toBe(`OptionError: option 'alpha': got -1, expected a number in [0, 1]`);
    expect(ok).toMatchObject({ status: "ok" });
  });
});
