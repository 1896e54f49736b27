/**
 * `ummkd runs check [--store DIR]` and `ummkd runs seal [HASH ...] [--store DIR]`
 *
 * The committed run store's seal, `results/runs/SHA256SUMS` (lib/experiment/record-check.ts): one
 * sha256 per record, checked whenever a record is loaded. `check` lists the records whose bytes
 * differ from the seal (edited or truncated), those the seal lists that are gone, and those not
 * sealed yet (exit 1 when any differ or are gone). `seal` validates records not sealed yet (or the
 * given hashes) against their schema, plan and value ranges and adds them to the seal; commit the
 * records and SHA256SUMS together. A run trained into the store seals itself; `seal` is for records
 * copied in by hand or written by an older checkout.
 */
import { resolve } from "node:path";
import { parseFlags } from "./args.ts";
import { OptionError, oneOf } from "../util/errors.ts";
import { decodeCacheJson, storeDir } from "../experiment/cache.ts";
import { SEAL_FILE, sealRecords, verifySeal } from "../experiment/record-check.ts";

const HELP = `usage: ummkd runs check [--store DIR]
       ummkd runs seal [HASH ...] [--store DIR]

check   compare every record of the run store (default results/runs, or UMMKD_RUN_STORE) with ${SEAL_FILE}
seal    validate the records not sealed yet (or the given plan hashes) and add them to ${SEAL_FILE}`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, { store: { type: "string" }, help: { type: "boolean", short: "h" } }, "runs");
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const action = oneOf("action", positionals[0], ["check", "seal"] as const);
  const dir = resolve(values.store ?? storeDir());
  const hashes = positionals.slice(1);
  for (const h of hashes) if (!/^[0-9a-f]{16}$/.test(h)) throw new OptionError("HASH", h, "a plan hash of 16 hex digits (a record's file name in the run store)");
  if (action === "check") {
    if (hashes.length) throw new OptionError("HASH", hashes[0], "no hashes for check (it checks the whole store)");
    const r = verifySeal(dir);
    for (const f of r.changed) console.log(`CHANGED  ${f} (differs from its sealed sha256: edited or truncated)`);
    for (const f of r.missing) console.log(`MISSING  ${f} (sealed, but the file is gone)`);
    for (const f of r.unsealed) console.log(`UNSEALED ${f} (run 'node bin/ummkd.js runs seal' to check and seal it)`);
    console.log(`${r.sealed} sealed records match ${resolve(dir, SEAL_FILE)}; ${r.changed.length} changed, ${r.missing.length} missing, ${r.unsealed.length} unsealed`);
    return r.changed.length || r.missing.length ? 1 : 0;
  }
  const added = await sealRecords(dir, decodeCacheJson, hashes.length ? hashes : undefined);
  for (const k of added) console.log(`sealed ${k}.json`);
  console.log(`${added.length} records added to ${resolve(dir, SEAL_FILE)}`);
  return 0;
}
