/**
 * Minimal typed flag parsing on top of node:util.parseArgs; unknown flags are errors.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { OptionError } from "../util/errors.ts";

export function parseFlags<T extends NonNullable<ParseArgsConfig["options"]>>(argv: string[], options: T, command: string) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: true });
  } catch (e) {
    throw new OptionError(`ummkd ${command}`, argv.join(" "), (e as Error).message);
  }
}

export function numberFlag(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new OptionError(`--${name}`, value, "a number");
  return n;
}
