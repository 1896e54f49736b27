/** Typed errors whose messages name the parameter or file, what was expected and what was received. */
export class UmmkdError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}
/** Bad or unreadable input data; `file` is the path at fault. */
export class DataError extends UmmkdError {
  constructor(readonly file: string, problem: string) {
    super(`${file}: ${problem}`);
  }
}
/** Shapes that do not fit together. */
export class ShapeError extends UmmkdError {}
/** An option outside its allowed values. */
export class OptionError extends UmmkdError {
  constructor(readonly option: string, received: unknown, allowed: readonly unknown[] | string) {
    super(
      `option '${option}': got ${JSON.stringify(received)}, expected ${
        typeof allowed === "string" ? allowed : `one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}`
      }`,
    );
  }
}
/** Training diverged (NaN/Inf loss). */
export class NonFiniteLossError extends UmmkdError {
  constructor(readonly step: number, readonly losses: Record<string, number>, readonly checkpoint?: string) {
    super(
      `non-finite loss at step ${step}: ${JSON.stringify(losses)}` +
        (checkpoint ? `; last good checkpoint kept at ${checkpoint}` : "; no checkpoint was written yet"),
    );
  }
}

/** Runtime guard for string-literal unions: throws an OptionError listing the allowed values. */
export function oneOf<T extends string>(option: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value === "string" && (allowed as readonly string[]).includes(value)) return value as T;
  throw new OptionError(option, value, allowed);
}
