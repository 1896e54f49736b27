// Process-level kill during a checkpoint write, then resume (issue #17 item 4), through the CLI:
// run A trains 6 steps uninterrupted; run B is SIGKILLed by its own process halfway through
// writing model.bin of its second checkpoint (step 4; test/fixtures/kill/kill-during-write.mjs),
// so the step-2 checkpoint must be the one found; re-running resumes from step 2 and must end
// with the same model/optimizer bytes and log as run A. Then a truncated model.bin must give a
// one-line error naming the file (lib/train/tensor-io.ts), not a crash or a silent restart.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, statSync, writeFileSync, cpSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const HOOK = pathToFileURL(join(ROOT, "test", "fixtures", "kill", "kill-during-write.mjs")).href;
// the cheapest run with three checkpoints (steps 2, 4, 6): tiny 3D U-Net on 16 x 16 x 8 phantoms
const CONFIG = {
  train: { profile: "smoke", model: { network: "unet3d", setting: "ours", width: 0.0625, init: "he" }, seed: 3, steps: 6, batchSize: 1, validateEvery: 0, checkpointEvery: 2, logEvery: 1 },
  data: { kind: "synthetic", task: "abdominal", trainCases: 2, valCases: 1, shape: [16, 16, 8] },
};

function train(cwd: string, out: string, extraEnv: Record<string, string> = {}, nodeArgs: string[] = []) {
  const env = { ...process.env, UMMKD_BACKEND: "cpu", UMMKD_THREADS: "1", ...extraEnv };
  return spawnSync(process.execPath, [...nodeArgs, join(ROOT, "bin", "ummkd.js"), "train", "--config", "cfg.json", "--out", out, "--progress", "none"], { cwd, env, encoding: "utf8", timeout: 180_000 });
}
const logLines = (f: string) => readFileSync(f, "utf8").trim().split("\n").map((l) => { const r = JSON.parse(l); delete r.elapsedS; return JSON.stringify(r); });

describe("SIGKILL in the middle of a checkpoint write, then resume (CLI)", () => {
  it("the previous checkpoint survives; the resumed run equals an uninterrupted one; a truncated blob is a one-line error", { timeout: 300_000 }, () => {
    const w = mkdtempSync(join(tmpdir(), "ummkd-kill-"));
    try {
      writeFileSync(join(w, "cfg.json"), JSON.stringify(CONFIG));
      const a = train(w, "runA");
      expect(a.status, a.stderr).toBe(0);

      const mark = join(w, "killed");
      const b1 = train(w, "runB", { UMMKD_TEST_KILL_FILE: "/.checkpoint.+model.bin", UMMKD_TEST_KILL_AT: "2", UMMKD_TEST_KILL_MARK: mark }, ["--import", HOOK]);
      expect(existsSync(mark), `the kill hook never fired (stderr: ${b1.stderr})`).toBe(true);
      expect(b1.signal).toBe("SIGKILL");
      // the half-written checkpoint is a temp directory; the published one is step 2's, intact
      expect(readdirSync(join(w, "runB")).some((f) => f.startsWith(".checkpoint.") && f.endsWith(".tmp"))).toBe(true);
      expect(JSON.parse(readFileSync(join(w, "runB", "checkpoint", "trainer.json"), "utf8")).step).toBe(2);

      const b2 = train(w, "runB");
      expect(b2.status, b2.stderr).toBe(0);
      expect(`${b2.stdout}${b2.stderr}`).toContain('"resumedFrom":2');
      for (const f of ["model.bin", "optimizer.bin"]) {
        expect(readFileSync(join(w, "runB", "checkpoint", f)).equals(readFileSync(join(w, "runA", "checkpoint", f))), f).toBe(true);
      }
      expect(logLines(join(w, "runB", "log.jsonl"))).toEqual(logLines(join(w, "runA", "log.jsonl")));

      // truncated model.bin: resuming (more steps) must stop with one line naming the file, and keep it
      cpSync(join(w, "runA"), join(w, "runC"), { recursive: true });
      const bin = join(w, "runC", "checkpoint", "model.bin");
      truncateSync(bin, Math.floor(statSync(bin).size / 2));
      writeFileSync(join(w, "cfg.json"), JSON.stringify({ ...CONFIG, train: { ...CONFIG.train, steps: 8 } }));
      const c = train(w, "runC");
      expect(c.status).toBe(1);
      // (tfjs-backend-cpu prints a banner on stderr; the engine prints its one [ummkd] line)
      const errLines = c.stderr.split("\n").filter((l) => l.trim() && !/^\[ummkd\]|^=+$|^Hi, looks like/.test(l));
      expect(errLines).toHaveLength(1);
      expect(errLines[0]).toMatch(/^ummkd train: .*runC\/checkpoint\/model\.bin: .*(do not fit|truncat|checksum mismatch)/);
      expect(statSync(bin).size).toBeGreaterThan(0);
    } finally {
      rmSync(w, { recursive: true, force: true });
    }
  });
});
