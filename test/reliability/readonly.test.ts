/**
 * Reliability suite: a replaced folder that cannot be deleted (a read-only `checkpoint/`, issue #14
 * item 13). The tests run as root in CI, where chmod does not stop a delete, so `rmSync` is made to
 * fail with EACCES for the `.old` copy: the new version must be in place, the write must succeed,
 * and the leftover is reported once as a warning (and retried by cleanStaleTemps later).
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";

vi.mock("node:fs", async (orig) => {
  const fs = await orig<typeof import("node:fs")>();
  const rmSync: typeof fs.rmSync = (p, o) => {
    if (String(p).endsWith(".tmp.old")) throw Object.assign(new Error(`EACCES: permission denied, rm '${p}'`), { code: "EACCES", path: String(p), syscall: "rm" });
    return fs.rmSync(p, o);
  };
  return { ...fs, rmSync, default: { ...fs, rmSync } };
});

const { writeDirAtomic, cleanStaleTemps } = await import("../../lib/util/atomic.ts");

describe("read-only previous version", () => {
  it("writeDirAtomic over an undeletable folder: new version in place, a warning, no exception", async () => {
    const d = mkdtempSync(join(tmpdir(), "ummkd-ro-"));
    const target = join(d, "checkpoint");
    await writeDirAtomic(target, (t) => writeFileSync(join(t, "step"), "1"));
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    await expect(writeDirAtomic(target, (t) => writeFileSync(join(t, "step"), "2"))).resolves.toBeUndefined();
    expect(readFileSync(join(target, "step"), "utf8")).toBe("2");
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/\.checkpoint\.\d+\.[0-9a-f]+\.tmp\.old: could not remove the replaced copy \(EACCES\)/);
    warn.mockRestore();
    // The leftover is retried (and tolerated) by the start-up cleanup; nothing throws.
    expect(() => cleanStaleTemps(d)).not.toThrow();
    expect(existsSync(target)).toBe(true);
    expect(readdirSync(d).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });
});
