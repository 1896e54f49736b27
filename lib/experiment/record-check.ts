/**
 * Run records are checked before they become rows, tables and p-values (issue #27):
 *
 * - `validateRunRecord`: the record's schema and value ranges against its own plan: the plan hashes
 *   to the record's key (the file name), every row belongs to the plan (setting, norm, alpha, seed,
 *   fold; a case of the plan's test split), Dice is in [0, 100], distances are >= 0 (Infinity where
 *   one side is empty, NaN where both are, as lib/experiment/tidy.ts documents), the trained steps
 *   are within the plan's and the selected step within those.
 * - The committed run store's seal, `results/runs/SHA256SUMS` (the format of `sha256sum`: one
 *   `<sha256>  <hash>.json` line per record, sorted; `cd results/runs && sha256sum -c SHA256SUMS`
 *   checks it without node): a store record whose bytes differ from its sealed digest was edited or
 *   truncated and is refused, naming the file. A store record not yet in the seal (trained since
 *   the last seal by a process that did not seal it, or copied in by hand) is used with a warning
 *   but never lets a committed results folder be replaced without --force; `ummkd runs seal`
 *   validates such records and adds them. Runs trained into the store by this code seal themselves.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../util/atomic.ts";
import { DataError } from "../util/errors.ts";
import { withLock } from "../util/lock.ts";
import { planHash, type RunPlan } from "../plan/plan.ts";

/** The seal's file name inside the store folder. */
export const SEAL_FILE = "SHA256SUMS";

const METRICS = new Set(["dice", "hd", "hd95", "assd"]);
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The case ids of a plan's test split per modality (synthetic: the generated ids), or undefined when not listed. */
function testCases(plan: RunPlan, modality: string): Set<string> | undefined {
  const s = plan.data?.split as RunPlan["data"]["split"] | undefined;
  if (!s) return undefined;
  if (s.kind === "synthetic") return new Set(Array.from({ length: s.cases.test }, (_, k) => `syn-${plan.task}-${modality}-s3-${String(k).padStart(3, "0")}`));
  const ids = s.ids?.test?.[modality as "ct" | "mri"];
  return Array.isArray(ids) ? new Set(ids) : undefined;
}

/** Every case id of a plan's split of one modality (the artefact case of Table VI may be any of them). */
function allCases(plan: RunPlan, modality: string): Set<string> | undefined {
  const s = plan.data?.split as RunPlan["data"]["split"] | undefined;
  if (!s || s.kind === "synthetic") return undefined;
  const m = modality as "ct" | "mri";
  return new Set([...(s.ids.train[m] ?? []), ...(s.ids.val[m] ?? []), ...(s.ids.test[m] ?? [])]);
}

/**
 * Check a parsed run record against its schema, its plan and the value ranges of its metrics.
 * @param rec the parsed record (non-finite numbers revived)
 * @param key the plan hash it is stored under (its file name without .json)
 * @param file the record's path, named in every error
 * @throws DataError naming the file and the first problem found
 */
export function validateRunRecord(rec: unknown, key: string, file: string): void {
  const bad = (problem: string): never => {
    throw new DataError(file, `not a valid run record: ${problem}`);
  };
  if (!isObj(rec)) bad("expected a JSON object");
  const r = rec as Record<string, unknown>;
  if (r.key !== key) bad(`key is ${JSON.stringify(r.key)}, the file name says ${key}`);
  if (!isObj(r.plan)) bad("no plan");
  const plan = r.plan as unknown as RunPlan;
  let h: string;
  try {
    h = planHash(plan);
  } catch {
    h = "";
  }
  if (h !== key) bad(`its plan hashes to ${h || "nothing"}, not to its key ${key} (the plan was edited)`);
  for (const k of ["rows", "val", "samples"] as const) if (!Array.isArray(r[k])) bad(`'${k}' is not an array`);
  if (!isObj(r.train)) bad("no 'train' section");
  if (!isObj(r.provenance)) bad("no 'provenance'");
  const t = r.train as Record<string, unknown>;
  const planSteps = plan.train?.steps;
  const steps = t.steps;
  if (typeof steps !== "number" || !Number.isInteger(steps) || steps < 1 || (typeof planSteps === "number" && steps > planSteps))
    bad(`train.steps is ${JSON.stringify(steps)}, expected an integer in [1, ${planSteps}] (the plan's steps)`);
  const sel = t.selectedStep;
  if (sel !== undefined && (typeof sel !== "number" || !Number.isInteger(sel) || sel < 0 || sel > (steps as number)))
    bad(`train.selectedStep is ${JSON.stringify(sel)}, expected an integer in [0, ${steps}]`);
  const sv = t.selectedValDice;
  if (sv !== undefined && sv !== null && (typeof sv !== "number" || !(sv >= 0 && sv <= 1))) bad(`train.selectedValDice is ${JSON.stringify(sv)}, expected a fraction in [0, 1] or null`);
  const fold = plan.data?.split?.kind === "kfold" ? plan.data.split.fold : 0;
  const want: Record<string, unknown> = { setting: plan.model?.setting, norm: plan.model?.norm, alpha: plan.train?.alpha, seed: plan.train?.seed, fold, profile: plan.profile };
  const tests = new Map<string, Set<string> | undefined>();
  const everyCase = new Map<string, Set<string> | undefined>();
  (r.rows as unknown[]).forEach((row, i) => {
    if (!isObj(row)) bad(`rows[${i}] is not an object`);
    const x = row as Record<string, unknown>;
    for (const [k, v] of Object.entries(want)) if (v !== undefined && x[k] !== undefined && x[k] !== v) bad(`rows[${i}].${k} is ${JSON.stringify(x[k])}, the plan's is ${JSON.stringify(v)}`);
    const metric = x.metric;
    if (typeof metric !== "string" || !METRICS.has(metric)) bad(`rows[${i}].metric is ${JSON.stringify(metric)}, expected one of dice, hd, hd95, assd`);
    const modality = x.modality;
    if (modality !== "ct" && modality !== "mri") bad(`rows[${i}].modality is ${JSON.stringify(modality)}, expected "ct" or "mri"`);
    const v = x.value;
    if (typeof v !== "number") bad(`rows[${i}].value is ${JSON.stringify(v)}, expected a number`);
    const value = v as number;
    if (metric === "dice" && !Number.isNaN(value) && !(value >= 0 && value <= 100)) bad(`rows[${i}] (${x.case} ${x.structure} dice) is ${value}, expected a percentage in [0, 100]`);
    if (metric !== "dice" && !Number.isNaN(value) && !(value >= 0)) bad(`rows[${i}] (${x.case} ${x.structure} ${metric}) is ${value}, expected a distance >= 0 (mm)`);
    const c = x.case;
    if (typeof c !== "string") bad(`rows[${i}].case is ${JSON.stringify(c)}, expected a case id`);
    const id = c as string;
    const m = modality as string;
    if (!tests.has(m)) tests.set(m, testCases(plan, m));
    if (!everyCase.has(m)) everyCase.set(m, allCases(plan, m));
    if (x.condition === "artefacts") {
      const all = everyCase.get(m);
      const base = id.replace(/-artefacts$/, "");
      if (!id.endsWith("-artefacts") || (all && !all.has(base))) bad(`rows[${i}].case ${JSON.stringify(id)} is not an artefact case of the plan's ${m} cases`);
    } else {
      const test = tests.get(m);
      if (test && !test.has(id)) bad(`rows[${i}].case ${JSON.stringify(id)} is not a ${m} test case of the plan's split`);
    }
  });
}

/** sha256 hex of a record's bytes. */
export function sha256Of(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** The seal of a store folder: file name -> sha256 (empty when there is no seal file). */
export function readSeal(dir: string): Map<string, string> {
  const p = join(dir, SEAL_FILE);
  const m = new Map<string, string>();
  if (!existsSync(p)) return m;
  readFileSync(p, "utf8").split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    const mm = /^([0-9a-f]{64}) [ *]([0-9a-f]{16}\.json)$/.exec(line);
    if (!mm) throw new DataError(p, `line ${i + 1} is not '<sha256>  <hash>.json': ${JSON.stringify(line.slice(0, 80))}`);
    m.set(mm[2]!, mm[1]!);
  });
  return m;
}

function writeSeal(dir: string, seal: Map<string, string>): void {
  const lines = [...seal.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([f, h]) => `${h}  ${f}`);
  writeFileAtomic(join(dir, SEAL_FILE), lines.join("\n") + (lines.length ? "\n" : ""));
}

/**
 * How a store record's bytes stand against the seal: "sealed", or "unsealed" (not listed).
 * @throws DataError naming the file when its digest differs from the sealed one (edited or truncated)
 */
export function checkSealed(dir: string, key: string, bytes: Uint8Array | string, seal = readSeal(dir)): "sealed" | "unsealed" {
  const want = seal.get(`${key}.json`);
  if (want === undefined) return "unsealed";
  if (sha256Of(bytes) !== want)
    throw new DataError(join(dir, `${key}.json`), `differs from its sealed sha256 in ${join(dir, SEAL_FILE)} (the record was edited or truncated after it was stored); it is not used: restore it (git checkout -- <file>) or retrain it with --force`);
  return "sealed";
}

/**
 * Add records of a store folder to its seal (under a lock, so parallel trainings do not lose each
 * other's lines). Each is parsed and validated first; one that fails is not sealed and named.
 * @param keys plan hashes to seal (default: every record the seal does not list yet)
 * @param parse the record decoder (lib/experiment/cache.ts decodeCacheJson)
 * @returns the keys added
 * @throws DataError naming the first record that is not valid
 */
export async function sealRecords(dir: string, parse: (text: string) => unknown, keys?: string[]): Promise<string[]> {
  return withLock(join(dir, `${SEAL_FILE}.lock`), () => {
    const seal = readSeal(dir);
    const todo = keys ?? readdirSync(dir).filter((f) => /^[0-9a-f]{16}\.json$/.test(f) && !seal.has(f)).map((f) => f.slice(0, -5));
    const added: string[] = [];
    for (const k of todo) {
      const file = join(dir, `${k}.json`);
      const text = readFileSync(file, "utf8");
      let rec: unknown;
      try {
        rec = parse(text);
      } catch (e) {
        throw new DataError(file, `not a readable run record (${(e as Error).message}); not sealed`);
      }
      validateRunRecord(rec, k, file);
      seal.set(`${k}.json`, sha256Of(text));
      added.push(k);
    }
    if (added.length) writeSeal(dir, seal);
    return added;
  });
}

/**
 * Records of a store folder whose bytes differ from the seal, records the seal lists that are gone,
 * and records not sealed yet (for `ummkd runs check`).
 */
export function verifySeal(dir: string): { changed: string[]; missing: string[]; unsealed: string[]; sealed: number } {
  const seal = readSeal(dir);
  const files = readdirSync(dir).filter((f) => /^[0-9a-f]{16}\.json$/.test(f));
  const changed: string[] = [];
  const unsealed: string[] = [];
  for (const f of files) {
    const want = seal.get(f);
    if (want === undefined) unsealed.push(f);
    else if (sha256Of(readFileSync(join(dir, f))) !== want) changed.push(f);
  }
  const missing = [...seal.keys()].filter((f) => !files.includes(f));
  return { changed, missing, unsealed, sealed: seal.size - missing.length - changed.length };
}
