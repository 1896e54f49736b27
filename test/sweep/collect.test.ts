/**
 * lib/sweep/collect.ts: a sweep that wrote into other folders (a cluster's scratch) is merged into
 * this environment's store/cache — store records to the store, cache records to the cache, present
 * ones untouched, unstored plans reported; with the same folders there is nothing to do.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { collectSweep } from "../../lib/sweep/collect.ts";

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), "ummkd-collect-"));
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

function sweepWith(dirs: { store: string; cache: string; train: string }, hashes: string[]): string {
  const dir = join(tmp, "sweep");
  mkdirSync(dir, { recursive: true });
  const plans = hashes.map((hash, index) => ({ index, hash, config: "c.json", label: hash, plan: {} }));
  writeFileSync(join(dir, "manifest.json"), JSON.stringify({ schema: 1, id: "s", name: "n", profile: "smoke", createdAt: "", repo: tmp, dataRoot: null, dirs, plans }));
  return dir;
}

it("copies the sweep's runs that are missing here, each into the same kind of folder", () => {
  const src = { store: join(tmp, "cl", "store"), cache: join(tmp, "cl", "cache"), train: join(tmp, "cl", "train") };
  const dst = { store: join(tmp, "here", "store"), cache: join(tmp, "here", "cache") };
  for (const d of [src.store, src.cache, dst.cache]) mkdirSync(d, { recursive: true });
  writeFileSync(join(src.store, "a.json"), '{"key":"a"}\n');
  writeFileSync(join(src.cache, "b.json"), '{"key":"b"}\n');
  writeFileSync(join(src.cache, "c.json"), '{"key":"c-sweep"}\n');
  writeFileSync(join(dst.cache, "c.json"), '{"key":"c-here"}\n');
  const r = collectSweep(sweepWith(src, ["a", "b", "c", "d"]), dst);
  expect(r.direct).toBe(false);
  expect(r.copied.sort()).toEqual([join(dst.cache, "b.json"), join(dst.store, "a.json")].sort());
  expect(readFileSync(join(dst.store, "a.json"), "utf8")).toBe('{"key":"a"}\n');
  expect(readFileSync(join(dst.cache, "b.json"), "utf8")).toBe('{"key":"b"}\n');
  expect(readFileSync(join(dst.cache, "c.json"), "utf8")).toBe('{"key":"c-here"}\n');
  expect(r.present).toBe(1);
  expect(r.missing).toEqual(["d"]);
  expect(existsSync(join(dst.store, "b.json"))).toBe(false);
});

it("has nothing to do when the notebooks read the sweep's folders", () => {
  const dirs = { store: join(tmp, "store"), cache: join(tmp, "cache"), train: join(tmp, "train") };
  mkdirSync(dirs.cache, { recursive: true });
  writeFileSync(join(dirs.cache, "a.json"), "{}\n");
  const r = collectSweep(sweepWith(dirs, ["a"]), { store: dirs.store, cache: dirs.cache });
  expect(r).toEqual({ direct: true, copied: [], present: 1, missing: [] });
});
