import { describe, it, expect, afterAll } from "vitest";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeSplit, loadOrCreateSplits, mmwhsSplits } from "../../lib/data/splits.ts";
import { Rng } from "../../lib/util/rng.ts";
import { DataError } from "../../lib/util/errors.ts";
import { tmpDir } from "./helpers.ts";

const t = tmpDir();
afterAll(t.cleanup);


describe("splits", () => {
  const ids16 = Array.from({ length: 16 }, (_, i) => String(i));
  it("70/10/20 by count, disjoint, covering, deterministic", () => {
    const a = makeSplit(ids16, new Rng(1));
    expect([a.train.length, a.val.length, a.test.length]).toEqual([11, 2, 3]);
    expect(new Set([...a.train, ...a.val, ...a.test]).size).toBe(16);
    expect(makeSplit(ids16, new Rng(1))).toEqual(a);
    expect(makeSplit(ids16, new Rng(2))).not.toEqual(a);
    const b = makeSplit(Array.from({ length: 20 }, (_, i) => String(i)), new Rng(1));
    expect([b.train.length, b.val.length, b.test.length]).toEqual([14, 2, 4]);
  });
  it("fixed test cases are honoured (MM-WHS)", () => {
    const ids = Array.from({ length: 20 }, (_, i) => String(1001 + i));
    const s = makeSplit(ids, new Rng(0), ["1003", "1008", "1014", "1019"]);
    expect(s.test).toEqual(["1003", "1008", "1014", "1019"]);
    expect(s.train.length + s.val.length).toBe(16);
    expect(() => makeSplit(ids, new Rng(0), ["999"])).toThrow(/999/);
  });
  it("written once, reused, and a changed case list is an error (not a silent regeneration)", () => {
    const f = join(t.dir, "splits", "toy.json");
    const first = loadOrCreateSplits(f, "toy", { ct: ids16, mri: ["a", "b", "c"] }, 3);
    expect(existsSync(f)).toBe(true);
    const text = readFileSync(f, "utf8");
    const second = loadOrCreateSplits(f, "toy", { mri: ["c", "b", "a"], ct: [...ids16].reverse() }, 999);
    expect(second).toEqual(first);
    expect(readFileSync(f, "utf8")).toBe(text);
    expect(() => loadOrCreateSplits(f, "toy", { ct: ids16.slice(1), mri: ["a", "b", "c"] }, 3)).toThrow(DataError);
    expect(() => loadOrCreateSplits(f, "toy", { ct: ids16, mri: ["a", "b", "c"], }, 3, {})).not.toThrow();
    writeFileSync(f, "{ broken");
    expect(() => loadOrCreateSplits(f, "toy", { ct: ids16 }, 3)).toThrow(/toy\.json: unreadable split file/);
  });
  it("MM-WHS: fixed SIFA test cases when all are present", () => {
    const ids = Array.from({ length: 20 }, (_, i) => String(1001 + i));
    const f = mmwhsSplits({ ct: ids, mri: ids }, join(t.dir, "splits", "mmwhs.json"));
    expect(f.splits.ct!.test).toEqual(["1003", "1008", "1014", "1019"]);
    expect(f.splits.mri!.test).toEqual(["1007", "1009", "1018", "1019"]);
    expect(f.splits.ct!.val).toHaveLength(2);
    expect(f.splits.ct!.train).toHaveLength(14);
  });
});
