/**
 * loadNative() never throws: a missing or broken addon gives { ok: false, reason } (one line) and
 * the engine falls back; UMMKD_THREADS is validated and honoured. Runs without the addon too.
 */
import { describe, it, expect } from "vitest";
import { execFileSync } from "node:child_process";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { threadsFromEnv } from "../../lib/engine/native/index.ts";
import type { Tensor4D } from "../../lib/engine/tf.ts";
import { native } from "./helpers.ts";
import { REQUIRES } from "../requires.ts";
import { availableParallelism } from "node:os";

const ROOT = join(import.meta.dirname, "..", "..");

/** Runs loadNative() in a fresh process with `env`; returns its JSON result. */
function loadIn(env: Record<string, string>): Record<string, unknown> {
  const code = `import { loadNative } from "./lib/engine/native/index.ts"; console.log(JSON.stringify(await loadNative()));`;
  const out = execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], {
    cwd: ROOT, env: { ...process.env, ...env }, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"],
  });
  return JSON.parse(out.trim().split("\n").at(-1)!) as Record<string, unknown>;
}

describe("loadNative without a usable addon", () => {
  it("missing addon -> ok: false with a one-line reason", () => {
    const r = loadIn({ UMMKD_NATIVE_ADDON: "/nonexistent/ummkd_native.node" });
    expect(r.ok).toBe(false);
    expect(String(r.reason)).toMatch(/not built/);
    expect(String(r.reason)).not.toContain("\n");
  });
  it("an addon file that does not load -> ok: false, no throw", () => {
    const dir = mkdtempSync(join(tmpdir(), "ummkd-native-"));
    const bad = join(dir, "ummkd_native.node");
    writeFileSync(bad, "not a shared object");
    const r = loadIn({ UMMKD_NATIVE_ADDON: bad });
    expect(r.ok).toBe(false);
    expect(String(r.reason)).toMatch(/failed to load/);
  });
});

describe("UMMKD_THREADS", () => {
  it("defaults to auto (at most every core), accepts 'auto' and positive integers, rejects the rest", () => {
    expect(threadsFromEnv({})).toEqual({ threads: availableParallelism(), auto: true });
    expect(threadsFromEnv({ UMMKD_THREADS: " " })).toEqual({ threads: availableParallelism(), auto: true });
    expect(threadsFromEnv({ UMMKD_THREADS: "auto" })).toEqual({ threads: availableParallelism(), auto: true });
    expect(threadsFromEnv({ UMMKD_THREADS: "3" })).toEqual({ threads: 3, auto: false });
    for (const bad of ["0", "-1", "1.5", "two"]) expect(threadsFromEnv({ UMMKD_THREADS: bad })).toHaveProperty("reason");
  });
  it.skipIf(!native.ok)(`${REQUIRES.native} is applied to oneDNN and reported`, () => {
    const r = loadIn({ UMMKD_THREADS: "1" });
    expect(r).toMatchObject({ ok: true, backendName: "native", threads: 1 });
    expect(String(r.version)).toMatch(/^oneDNN 2\./);
  });
});

describe.skipIf(!native.ok)(`${REQUIRES.native} thread count changes`, () => {
  it("primitives are rebuilt per thread count (same results at 1 and 2 threads)", async () => {
    const { tf } = await import("../../lib/engine/tf.ts");
    const { setNativeThreads } = await import("../../lib/engine/native/index.ts");
    await tf.setBackend("native");
    const x = tf.randomNormal([2, 17, 19, 8], 0, 1, "float32", 1), w = tf.randomNormal([3, 3, 8, 8], 0, 1, "float32", 2);
    const run = (): number[] => {
      const y = tf.conv2d(x as Tensor4D, w as Tensor4D, 1, "same");
      const v = Array.from(y.dataSync());
      y.dispose();
      return v;
    };
    setNativeThreads(1);
    const a = run();
    setNativeThreads(2);
    const b = run();
    setNativeThreads(1);
    const c = run();
    expect(c).toEqual(a);
    b.forEach((v, i) => expect(Math.abs(v - a[i]!)).toBeLessThan(1e-4));
    tf.dispose([x, w]);
  });
});
