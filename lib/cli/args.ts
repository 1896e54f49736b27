/**
 * Minimal typed flag parsing on top of node:util.parseArgs; unknown flags are errors.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { OptionError, UmmkdError } from "../util/errors.ts";

export function parseFlags<T extends NonNullable<ParseArgsConfig["options"]>>(argv: string[], options: T, command: string) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: true });
  } catch (e) {
    // Name the offending flag only (not the whole command line), and point to --help.
    const msg = (e as Error).message;
    const flag = /'(-[^' ]*)[^']*'/.exec(msg)?.[1];
    const what = /^Unknown option/.test(msg) ? "not an option of this command" : /argument missing/.test(msg) ? "a value after it" : msg.split(". ")[0]!;
    throw new UsageError(`${flag ? `option '${flag}'` : `ummkd ${command}`}: ${what} (see 'ummkd ${command} --help')`);
  }
}

/** A command line that does not parse (unknown flag, missing value). */
export class UsageError extends UmmkdError {}

export function numberFlag(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new OptionError(`--${name}`, value, "a number");
  return n;
}

/**
 * A comma-separated list of numbers: every item present and finite, at least one item.
 * `--alphas ""` or `--alphas ,,` is an error (not an empty list that silently drops settings).
 * @param check extra condition per value, with its description for the message
 */
export function numberListFlag(name: string, value: string | undefined, check?: { ok: (n: number) => boolean; what: string }): number[] | undefined {
  if (value === undefined) return undefined;
  const parts = value.split(",").map((s) => s.trim());
  const what = `comma-separated ${check?.what ?? "numbers"} (no empty items)`;
  if (parts.some((p) => p === "")) throw new OptionError(`--${name}`, value, what);
  const nums = parts.map(Number);
  if (nums.some((n) => !Number.isFinite(n) || (check && !check.ok(n)))) throw new OptionError(`--${name}`, value, what);
  return nums;
}

/** One positive integer (a count such as --steps); a list or 0 is an error. */
export function positiveIntFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = value.trim() === "" ? NaN : Number(value);
  if (!Number.isInteger(n) || n < 1) throw new OptionError(`--${name}`, value, "one positive integer");
  return n;
}

/**
 * `--seeds`: distinct integers in [0, 2^32) (the PRNG takes 32 bits, so 4 and 4 + 2^32 would train
 * the same model twice and inflate n; 1e20 is not an integer seed).
 */
export function seedListFlag(name: string, value: string | undefined): number[] | undefined {
  const seeds = numberListFlag(name, value, { ok: (x) => Number.isInteger(x) && x >= 0 && x < 2 ** 32, what: "integers in [0, 2^32)" });
  if (seeds && new Set(seeds).size !== seeds.length) throw new OptionError(`--${name}`, value, "distinct seeds (a repeated seed would count one model twice)");
  return seeds;
}
