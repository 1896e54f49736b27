import { describe, it, expect } from "vitest";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { cacheGet, cachePut, cacheClear, stableStringify } from "../../lib/experiment/cache.ts";
import { TIDY_COLUMNS, readTidy, writeTidy, type TidyRow } from "../../lib/experiment/tidy.ts";
import { parseCsv, toCsv } from "../../lib/experiment/csv.ts";
import { expandPlans } from "../../lib/plan/plan.ts";
import { validateConfig } from "../../lib/plan/config.ts";

const runKey = (v: unknown) => createHash("sha256").update(stableStringify(v)).digest("hex").slice(0, 16);

const row = (o: Partial<TidyRow>): TidyRow => ({
  notebook: "nb", profile: "smoke", data_source: "synthetic", condition: "clean", setting: "ours", norm: "batch",
  alpha: 0.5, seed: 0, fold: 0, modality: "ct", case: "c1", structure: "LVM", metric: "dice", value: 80, ...o,
});

describe("run cache", () => {
  it("canonical JSON is stable under key order", () => {
    const a = { setting: "ours", alpha: 0.5, spec: { steps: 3, lr: 1e-3 } };
    const b = { spec: { lr: 1e-3, steps: 3 }, alpha: 0.5, setting: "ours" };
    expect(stableStringify(a)).toBe(stableStringify(b));
    expect(stableStringify(a)).toBe('{"alpha":0.5,"setting":"ours","spec":{"lr":0.001,"steps":3}}');
  });

  it("misses, then hits after put, and misses again after clear", () => {
    const dir = mkdtempSync(join(tmpdir(), "ummkd-cache-"));
    const key = runKey({ x: 1 });
    expect(cacheGet(key, dir)).toBeUndefined();
    cachePut(key, { rows: [1, 2] }, dir);
    expect(cacheGet(key, dir)).toEqual({ rows: [1, 2] });
    // non-finite metrics survive the cache (plain JSON would turn them into null)
    cachePut(key, { hd: [Infinity, -Infinity, NaN, 3.5, null], nested: { v: Infinity }, look: { $nonfinite: "x" } }, dir);
    const back = cacheGet<{ hd: number[]; nested: { v: number }; look: unknown }>(key, dir)!;
    expect(back.hd[0]).toBe(Infinity);
    expect(back.hd[1]).toBe(-Infinity);
    expect(Number.isNaN(back.hd[2])).toBe(true);
    expect(back.hd.slice(3)).toEqual([3.5, null]);
    expect(back.nested.v).toBe(Infinity);
    expect(back.look).toEqual({ $nonfinite: "x" });
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    expect(cacheClear(undefined, dir)).toBe(1);
    expect(cacheGet(key, dir)).toBeUndefined();
  });

  it("treats a corrupt entry as a miss", () => {
    const dir = mkdtempSync(join(tmpdir(), "ummkd-cache-"));
    writeFileSync(join(dir, "abc.json"), "{truncated");
    expect(cacheGet("abc", dir)).toBeUndefined();
  });

  it("runs shared between notebooks have equal keys (Table I's 'ours' = Figure 6's alpha 0.5)", () => {
    const t1 = validateConfig({ name: "a", artefact: "A", task: "cardiac", network: "dilated2d", settings: ["individual", "ours"] }, "a.json");
    const f6 = validateConfig({ name: "b", artefact: "B", task: "cardiac", network: "dilated2d", settings: ["ours"], alphas: [0.1, 0.5] }, "b.json");
    const k1 = expandPlans(t1, "quick").map((p) => p.hash);
    const k6 = expandPlans(f6, "quick").map((p) => p.hash);
    expect(k1).toHaveLength(2); // individual runs once with alpha 0
    expect(k6).toHaveLength(2);
    expect(k6.filter((k) => k1.includes(k))).toHaveLength(1);
  });
});

describe("tidy results", () => {
  it("writes the documented columns in order and reads them back (NaN/Infinity kept)", () => {
    const dir = mkdtempSync(join(tmpdir(), "ummkd-tidy-"));
    const p = join(dir, "sub", "tidy.csv");
    const rows = [row({}), row({ metric: "hd", value: Infinity, case: 'a,"b"' }), row({ metric: "assd", value: NaN })];
    writeTidy(p, rows);
    const text = readFileSync(p, "utf8");
    expect(text.split("\n")[0]).toBe("notebook,profile,data_source,condition,setting,norm,alpha,seed,fold,modality,case,structure,metric,value");
    expect(TIDY_COLUMNS).toHaveLength(14);
    const back = readTidy(p);
    expect(back[0]).toEqual(rows[0]);
    expect(back[1]!.value).toBe(Infinity);
    expect(back[1]!.case).toBe('a,"b"');
    expect(back[2]!.value).toBeNaN();
  });

  it("writes atomically: the old file stays complete until the rename, no temp file is left", () => {
    const dir = mkdtempSync(join(tmpdir(), "ummkd-tidy-"));
    const p = join(dir, "tidy.csv");
    writeTidy(p, [row({})]);
    const before = readFileSync(p, "utf8");
    writeTidy(p, [row({}), row({ value: 1 })]);
    expect(readFileSync(p, "utf8")).not.toBe(before);
    expect(readdirSync(dir)).toEqual(["tidy.csv"]);
  });

  it("rejects a file with missing columns, naming it", () => {
    const dir = mkdtempSync(join(tmpdir(), "ummkd-tidy-"));
    const p = join(dir, "bad.csv");
    writeFileSync(p, "setting,value\nours,1\n");
    expect(() => readTidy(p)).toThrow(/bad\.csv: missing tidy columns/);
  });

  it("CSV round trip with quotes, commas and newlines", () => {
    const text = toCsv([{ a: 'x,"y"', b: "line1\nline2" }, { a: 1, b: null }], ["a", "b"]);
    expect(parseCsv(text)).toEqual([{ a: 'x,"y"', b: "line1\nline2" }, { a: "1", b: "" }]);
  });
});
