/**
 * `npm run notebook` (bin/notebook.sh) as a user starts it: the server comes up on 127.0.0.1 (as
 * root too: Jupyter refuses root without --allow-root, which the script adds), a session for
 * notebooks/table1_cardiac.ipynb starts the registered tslab kernel, and that kernel runs this
 * checkout's bin/tslab-kernel.cjs in notebooks/ and executes a cell. The cell runs through
 * jupyter_client on the server's own kernel (its connection file), not through a browser.
 */
import { describe, it, expect, afterAll } from "vitest";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../net.ts";
import { REQUIRES } from "../requires.ts";
import { JUPYTER, notebookUiUnavailable, waitForNotebookServer } from "./jupyter-server.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const PY = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
// one cell through jupyter_client: prints the cell's stdout, or exits 1 with the error
const EXECUTE = `
import json, sys
from jupyter_client import BlockingKernelClient
c = BlockingKernelClient(connection_file=sys.argv[1]); c.load_connection_file(); c.start_channels(hb=False)  # no heartbeat: it reads "died" while the kernel still starts
c.wait_for_ready(timeout=120)
out = []
r = c.execute_interactive(sys.argv[2], timeout=120, output_hook=lambda m: out.append(m["content"].get("text", "")) if m["msg_type"] == "stream" else None)
if r["content"]["status"] != "ok": sys.exit("cell failed: " + json.dumps(r["content"]))
print("".join(out), end="")
`;

const why = notebookUiUnavailable();
describe.skipIf(why !== null)(`${REQUIRES.notebooks} npm run notebook`, () => {
  let server: ChildProcess | undefined;
  let log = "";

  afterAll(async () => {
    if (server && server.exitCode === null) {
      const gone = new Promise((r) => server!.once("exit", r));
      process.kill(-server.pid!, "SIGTERM");
      setTimeout(() => server!.exitCode === null && process.kill(-server!.pid!, "SIGKILL"), 5000);
      await gone;
    }
  });

  it("starts the UI, and a notebook's kernel is this checkout's and runs a cell", { timeout: 300_000 }, async () => {
    const port = await freePort();
    const token = randomBytes(16).toString("hex");
    server = spawn("bash", [join(ROOT, "bin", "notebook.sh"), "--no-browser", `--port=${port}`, "--port-retries=0", `--NotebookApp.token=${token}`, "--NotebookNotary.db_file=:memory:"], {
      cwd: ROOT,
      env: { ...process.env, PYDEVD_DISABLE_FILE_VALIDATION: "1" },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true, // its own process group: the kernel goes with it
    });
    server.stdout!.on("data", (b: Buffer) => (log += b.toString()));
    server.stderr!.on("data", (b: Buffer) => (log += b.toString()));
    const url = `http://127.0.0.1:${port}`;
    const api = (path: string, init?: RequestInit) => fetch(`${url}${path}`, { ...init, headers: { Authorization: `token ${token}`, "Content-Type": "application/json" } });
    await waitForNotebookServer(url, token, server, () => log);
    if (process.getuid?.() === 0) expect(log).toContain("running as root, so Jupyter is started with --allow-root");

    const res = await api("/api/sessions", { method: "POST", body: JSON.stringify({ path: "notebooks/table1_cardiac.ipynb", type: "notebook", kernel: { name: "tslab" } }) });
    expect(res.status, log).toBe(201);
    const session = (await res.json()) as { kernel: { id: string; name: string } };
    expect(session.kernel.name).toBe("tslab");
    const runtime = execFileSync(JUPYTER, ["--runtime-dir"]).toString().trim();
    const conn = join(runtime, `kernel-${session.kernel.id}.json`);
    const out = execFileSync(PY, ["-c", EXECUTE, conn, "console.log(process.argv[1]); console.log(process.cwd()); console.log(6 * 7)"], { timeout: 280_000 }).toString();
    expect(out.trim().split("\n")).toEqual([join(ROOT, "bin", "tslab-kernel.cjs"), join(ROOT, "notebooks"), "42"]);
  });
});
