/**
 * Run records keep undefined values (issue #30): the committed records hold no NaN, so the
 * re-derivation test (rederive.test.ts) cannot see a NaN read back as 0; this checks the record
 * encoding on its own, with the stored form written out by hand.
 */
import { describe, it, expect } from "vitest";
import { decodeCacheJson, encodeCacheJson } from "../../lib/experiment/cache.ts";

describe("run records keep undefined values (the committed records hold none, so this is checked on its own)", () => {
  it("NaN, Infinity and -Infinity are stored as {$nonfinite} and read back as themselves, not as 0 or null", () => {
    const rec = { rows: [{ value: NaN }, { value: Infinity }, { value: -Infinity }, { value: 0 }, { value: 12.5 }], other: null };
    const text = encodeCacheJson(rec);
    expect(JSON.parse(text).rows.map((r: { value: unknown }) => r.value)).toEqual([{ $nonfinite: "NaN" }, { $nonfinite: "Infinity" }, { $nonfinite: "-Infinity" }, 0, 12.5]);
    const back = decodeCacheJson<typeof rec>(text);
    expect(back.rows.map((r) => r.value)).toEqual([NaN, Infinity, -Infinity, 0, 12.5]);
    expect(Object.is(back.rows[3]!.value, 0)).toBe(true);
    expect(back.other).toBeNull();
  });
});

