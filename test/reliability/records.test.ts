/**
 * Reliability suite (issue #27, classes 4 and 5): forged, edited or truncated run records never
 * become rows, tables or p-values. Records are copies of committed ones (results/runs/) in a temp
 * store, so the committed store is never touched.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { decodeCacheJson, encodeCacheJson, findRun, loadStoreRecord } from "../../lib/experiment/cache.ts";
import { SEAL_FILE, readSeal, sealRecords, validateRunRecord, verifySeal } from "../../lib/experiment/record-check.ts";
import { writeNotebookResults, type NotebookResults } from "../../lib/notebooks/results.ts";
import { DataError } from "../../lib/util/errors.ts";
import { ROOT, STACK_RE, hashTree, runCli } from "./helpers.ts";

/** A committed cardiac record (synthetic split) and an abdominal one (k-fold, with the artefact case). */
const CARDIAC = "2379e1c6ced07fd6";
const ABDOMINAL = "08f817d6bd1dc3a4";
const committed = (k: string) => join(ROOT, "results", "runs", `${k}.json`);
type Rec = { key: string; plan: { train: { steps: number } }; rows: { metric: string; value: number; case: string; modality: string; condition: string }[]; train: { steps: number; selectedStep: number } };
const load = (k: string) => decodeCacheJson<Rec>(readFileSync(committed(k), "utf8"));

let tmp: string;
const saved = { store: process.env.UMMKD_RUN_STORE, cache: process.env.UMMKD_CACHE };
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "ummkd-records-"));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A temp store holding copies of the given committed records, sealed as committed. */
function storeWith(keys: string[]): string {
  const dir = mkdtempSync(join(tmp, "store-"));
  const seal = readSeal(join(ROOT, "results", "runs"));
  for (const k of keys) copyFileSync(committed(k), join(dir, `${k}.json`));
  writeFileSync(join(dir, SEAL_FILE), keys.map((k) => `${seal.get(`${k}.json`)}  ${k}.json\n`).join(""));
  return dir;
}
const edit = (dir: string, k: string, f: (r: Rec) => void) => {
  const r = decodeCacheJson<Rec>(readFileSync(join(dir, `${k}.json`), "utf8"));
  f(r);
  writeFileSync(join(dir, `${k}.json`), encodeCacheJson(r));
};

describe("the committed store's seal (results/runs/SHA256SUMS)", () => {
  it("lists every committed record, and every one matches", () => {
    const r = verifySeal(join(ROOT, "results", "runs"));
    expect(r.changed).toEqual([]);
    expect(r.missing).toEqual([]);
    expect(r.sealed).toBeGreaterThanOrEqual(71);
  });
  it("a sealed record with every Dice set to 99.9 is refused, naming the file", () => {
    const dir = storeWith([CARDIAC]);
    edit(dir, CARDIAC, (r) => r.rows.forEach((x) => x.metric === "dice" && (x.value = 99.9)));
    expect(() => loadStoreRecord(CARDIAC, dir)).toThrow(new RegExp(`${CARDIAC}\\.json: differs from its sealed sha256 .*edited or truncated`));
  });
  it("a sealed record truncated to half is refused, naming the file (not retrained)", () => {
    const dir = storeWith([CARDIAC]);
    const p = join(dir, `${CARDIAC}.json`);
    writeFileSync(p, readFileSync(p).subarray(0, 5000));
    expect(() => loadStoreRecord(CARDIAC, dir)).toThrow(/differs from its sealed sha256/);
  });
  it("an unsealed truncated record is named as unreadable, with --force as the way to retrain", () => {
    const dir = mkdtempSync(join(tmp, "store-"));
    writeFileSync(join(dir, `${CARDIAC}.json`), readFileSync(committed(CARDIAC)).subarray(0, 5000));
    expect(() => loadStoreRecord(CARDIAC, dir)).toThrow(/not a readable run record \(truncated or corrupt JSON.*--force/);
  });
  it("a seal line that is not '<sha256>  <hash>.json' is an error naming the line", () => {
    const dir = storeWith([CARDIAC]);
    writeFileSync(join(dir, SEAL_FILE), "deadbeef  ../../x.json\n");
    expect(() => readSeal(dir)).toThrow(/SHA256SUMS: line 1/);
  });
  it("seal validates before sealing: a forged unsealed record is refused and left out of the seal", async () => {
    const dir = storeWith([CARDIAC]);
    copyFileSync(committed(ABDOMINAL), join(dir, `${ABDOMINAL}.json`));
    edit(dir, ABDOMINAL, (r) => (r.rows[0]!.value = 12345));
    await expect(sealRecords(dir, decodeCacheJson)).rejects.toThrow(/08f817d6bd1dc3a4\.json: not a valid run record: rows\[0\].*12345, expected/);
    expect(readSeal(dir).has(`${ABDOMINAL}.json`)).toBe(false);
    copyFileSync(committed(ABDOMINAL), join(dir, `${ABDOMINAL}.json`));
    expect(await sealRecords(dir, decodeCacheJson)).toEqual([ABDOMINAL]);
    expect(verifySeal(dir)).toMatchObject({ changed: [], unsealed: [], sealed: 2 });
  });
  it("an unsealed but valid store record is used with one warning naming it and how to seal it", () => {
    const dir = mkdtempSync(join(tmp, "store-"));
    copyFileSync(committed(CARDIAC), join(dir, `${CARDIAC}.json`));
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      expect(loadStoreRecord<Rec>(CARDIAC, dir).key).toBe(CARDIAC);
      expect(warn.mock.calls.map((c) => String(c[0])).join("\n")).toMatch(/2379e1c6ced07fd6\.json: not in .*SHA256SUMS.*runs seal/);
    } finally {
      warn.mockRestore();
    }
  });
});

describe("run record schema and value ranges", () => {
  const check = (k: string, f: (r: Rec) => void) => {
    const r = load(k);
    f(r);
    return () => validateRunRecord(r, k, `/s/${k}.json`);
  };
  it("every committed record passes", () => {
    for (const k of [CARDIAC, ABDOMINAL]) expect(check(k, () => {})).not.toThrow();
  });
  it.each([
    ["Dice 12345", CARDIAC, (r: Rec): void => void (r.rows.find((x) => x.metric === "dice")!.value = 12345), /dice\) is 12345, expected a percentage in \[0, 100\]/],
    ["Dice -1", CARDIAC, (r: Rec): void => void (r.rows.find((x) => x.metric === "dice")!.value = -1), /expected a percentage in \[0, 100\]/],
    ["HD -3 mm", CARDIAC, (r: Rec): void => void (r.rows.find((x) => x.metric === "hd")!.value = -3), /hd\) is -3, expected a distance >= 0/],
    ["ASSD -Infinity", ABDOMINAL, (r: Rec): void => void (r.rows.find((x) => x.metric === "assd")!.value = -Infinity), /expected a distance >= 0/],
    ["a value that is a string", CARDIAC, (r: Rec): void => void ((r.rows[3] as { value: unknown }).value = "80"), /rows\[3\]\.value is "80", expected a number/],
    ["an unknown metric", CARDIAC, (r: Rec): void => void (r.rows[0]!.metric = "accuracy"), /metric is "accuracy"/],
    ["a case outside the plan's test split", CARDIAC, (r: Rec): void => void (r.rows[0]!.case = "syn-cardiac-ct-s3-099"), /not a ct test case of the plan's split/],
    ["a k-fold case outside the test fold", ABDOMINAL, (r: Rec): void => void (r.rows.find((x) => x.condition === "clean")!.case = "nope"), /not a (ct|mri) test case/],
    ["an artefact case of no known case", ABDOMINAL, (r: Rec): void => void (r.rows.find((x) => x.condition === "artefacts")!.case = "999-artefacts"), /not an artefact case/],
    ["a modality 'pet'", CARDIAC, (r: Rec): void => void (r.rows[0]!.modality = "pet"), /modality is "pet"/],
    ["a row of another seed", CARDIAC, (r: Rec): void => void ((r.rows[0] as unknown as { seed: number }).seed = 9), /rows\[0\]\.seed is 9, the plan's is/],
    ["more steps than the plan", CARDIAC, (r: Rec): void => void (r.train.steps = r.plan.train.steps + 1), /train\.steps is \d+, expected an integer in \[1, \d+\]/],
    ["a selected step after the last", CARDIAC, (r: Rec): void => void (r.train.selectedStep = r.train.steps + 50), /train\.selectedStep/],
    ["an edited plan (steps)", CARDIAC, (r: Rec): void => void (r.plan.train.steps = 10), /plan hashes to [0-9a-f]{16}, not to its key/],
    ["another key", CARDIAC, (r: Rec): void => void (r.key = "0000000000000000"), /key is "0000000000000000", the file name says/],
    ["no rows array", CARDIAC, (r: Rec): void => void ((r as unknown as { rows: unknown }).rows = {}), /'rows' is not an array/],
  ] as const)("%s is refused, naming the record and the field", (_n, k, f, re) => {
    const t = check(k, f as (r: Rec) => void);
    expect(t).toThrow(DataError);
    expect(t).toThrow(re);
    expect(t).toThrow(new RegExp(`^/s/${k}\\.json: not a valid run record`));
  });
});

describe("findRun: store and cache errors stop, naming the record", () => {
  let store: string;
  let cache: string;
  beforeEach(() => {
    store = mkdtempSync(join(tmp, "store-"));
    cache = mkdtempSync(join(tmp, "cache-"));
    process.env.UMMKD_RUN_STORE = store;
    process.env.UMMKD_CACHE = cache;
  });
  afterEach(() => {
    for (const [k, v] of [["UMMKD_RUN_STORE", saved.store], ["UMMKD_CACHE", saved.cache]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  it("a cache record holding Dice 12345 is not reported: an error names it and how to go on, and the file is kept", () => {
    copyFileSync(committed(CARDIAC), join(cache, `${CARDIAC}.json`));
    edit(cache, CARDIAC, (r) => (r.rows.find((x) => x.metric === "dice")!.value = 12345));
    const before = readFileSync(join(cache, `${CARDIAC}.json`));
    expect(() => findRun(CARDIAC)).toThrow(DataError);
    expect(() => findRun(CARDIAC)).toThrow(/2379e1c6ced07fd6\.json: .*12345, expected a percentage.*not trained again over it without --force: delete the file \(rm '.*2379e1c6ced07fd6\.json'\) or rerun with --force/);
    expect(readFileSync(join(cache, `${CARDIAC}.json`))).toEqual(before);
  });
  it("a truncated cache record is named (class 5: it used to be retrained, up to 98 min, behind a warning)", () => {
    const file = join(cache, `${CARDIAC}.json`);
    writeFileSync(file, readFileSync(committed(CARDIAC)).subarray(0, 5000));
    expect(() => findRun(CARDIAC)).toThrow(`${file}: not a readable run record (truncated or corrupt JSON`);
    expect(() => findRun(CARDIAC)).toThrow(`rm '${file}'`);
    expect(readFileSync(file).length).toBe(5000);
  });
  it("an edited store record throws (no silent retrain); a good one loads", () => {
    const dir = storeWith([CARDIAC, ABDOMINAL]);
    process.env.UMMKD_RUN_STORE = dir;
    edit(dir, ABDOMINAL, (r) => (r.rows[0]!.value = 50));
    expect(findRun<Rec>(CARDIAC)?.where).toBe("store");
    expect(() => findRun(ABDOMINAL)).toThrow(/08f817d6bd1dc3a4\.json: differs from its sealed sha256/);
  });
  it("committed results are not re-derived from unsealed store records without --force", async () => {
    copyFileSync(committed(CARDIAC), join(store, `${CARDIAC}.json`));
    const out = mkdtempSync(join(tmp, "out-"));
    const dir = join(out, "table1_cardiac", "cpu");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "run.json"), JSON.stringify({ notebook: "table1_cardiac", files: [] })); // committed-looking (outside git: cpu + run.json)
    const before = hashTree(out);
    const run = { name: "table1_cardiac", profile: "cpu", params: {}, experiments: [{ runs: [{ key: CARDIAC }] }], rows: [], summary: [], tables: [], figures: [], notes: [] } as unknown as NotebookResults;
    await expect(writeNotebookResults(run, out)).rejects.toThrow(/1 of the run records .* not sealed .*2379e1c6ced07fd6\.json.*runs seal/);
    expect(hashTree(out)).toEqual(before);
  });
});

describe("the CLI on forged records", () => {
  it("experiment --notebook table1_cardiac --profile cpu with one edited committed record: one line naming it, nothing written", async () => {
    const dir = mkdtempSync(join(tmp, "cli-"));
    const plans = JSON.parse(readFileSync(join(ROOT, "results", "table1_cardiac", "cpu", "plans.json"), "utf8")) as { hash: string }[];
    const store = storeWith(plans.map((p) => p.hash));
    edit(store, plans[1]!.hash, (r) => r.rows.forEach((x) => x.metric === "dice" && (x.value = 99.9)));
    const before = hashTree(store);
    const r = await runCli(["experiment", "--notebook", "table1_cardiac", "--profile", "cpu", "--out", join(dir, "out")], { UMMKD_RUN_STORE: store, UMMKD_CACHE: join(dir, "cache"), UMMKD_TRAIN_DIR: join(dir, "train") }, 120_000);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^ummkd experiment: .*${plans[1]!.hash}\\.json: differs from its sealed sha256`, "m"));
    expect(r.stderr).not.toMatch(STACK_RE);
    expect(r.stdout).not.toMatch(/99\.9/);
    expect(hashTree(store)).toEqual(before);
    expect(() => readFileSync(join(dir, "out", "table1_cardiac", "cpu", "dice.csv"))).toThrow();
  }, 150_000);
  it("runs check names the changed record and exits 1; runs seal adds a new valid record", async () => {
    const store = storeWith([CARDIAC]);
    copyFileSync(committed(ABDOMINAL), join(store, `${ABDOMINAL}.json`));
    let r = await runCli(["runs", "check", "--store", store]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/UNSEALED 08f817d6bd1dc3a4\.json/);
    r = await runCli(["runs", "seal", "--store", store]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/sealed 08f817d6bd1dc3a4\.json/);
    edit(store, CARDIAC, (x) => (x.train.steps -= 1));
    r = await runCli(["runs", "check", "--store", store]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/CHANGED  2379e1c6ced07fd6\.json/);
    r = await runCli(["runs", "seal", "nothex", "--store", store]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^ummkd runs: option 'HASH': got "nothex"/m);
  });
});
