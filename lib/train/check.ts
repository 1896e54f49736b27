/**
 * A small JSON shape checker (no schema library): each key has a type, optional enum/range and
 * nested fields; unknown keys are errors. Messages name the file/context, the key path, what was
 * expected and what was received.
 */
import { OptionError } from "../util/errors.ts";

export interface FieldSpec {
  type: "number" | "integer" | "string" | "boolean" | "object" | "array";
  required?: boolean;
  enum?: readonly string[];
  min?: number;
  max?: number;
  /** min is exclusive (value must be > min). */
  exclusiveMin?: boolean;
  /** For objects: the allowed keys. */
  fields?: ObjectSpec;
  /** For arrays: the element spec. */
  items?: FieldSpec;
}
export type ObjectSpec = Record<string, FieldSpec>;

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "object" ? "an object" : `${typeof v} ${JSON.stringify(v)}`;
}

/** Check one value against a field spec; `path` is e.g. "config.json: model.width". */
export function checkField(value: unknown, spec: FieldSpec, path: string): void {
  switch (spec.type) {
    case "number":
    case "integer": {
      if (typeof value !== "number" || !Number.isFinite(value)) throw new OptionError(path, value, `a finite ${spec.type}, got ${describe(value)}`);
      if (spec.type === "integer" && !Number.isInteger(value)) throw new OptionError(path, value, "an integer");
      if (spec.min !== undefined && (spec.exclusiveMin ? value <= spec.min : value < spec.min)) {
        throw new OptionError(path, value, `a number ${spec.exclusiveMin ? ">" : ">="} ${spec.min}`);
      }
      if (spec.max !== undefined && value > spec.max) throw new OptionError(path, value, `a number <= ${spec.max}`);
      return;
    }
    case "string":
      if (typeof value !== "string") throw new OptionError(path, value, `a string, got ${describe(value)}`);
      if (spec.enum && !spec.enum.includes(value)) throw new OptionError(path, value, spec.enum);
      return;
    case "boolean":
      if (typeof value !== "boolean") throw new OptionError(path, value, `a boolean, got ${describe(value)}`);
      return;
    case "array":
      if (!Array.isArray(value)) throw new OptionError(path, value, `an array, got ${describe(value)}`);
      if (spec.items) value.forEach((v, i) => checkField(v, spec.items!, `${path}[${i}]`));
      return;
    case "object":
      checkObject(value, spec.fields ?? {}, path);
      return;
  }
}

/**
 * Check an object: every key known, every required key present, every value well-typed.
 * @param where context prefix for messages (file name, or "file: parent.key")
 */
export function checkObject(value: unknown, spec: ObjectSpec, where: string): void {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new OptionError(where, value, `an object, got ${describe(value)}`);
  }
  const sep = where.includes(": ") ? "." : ": ";
  for (const key of Object.keys(value)) {
    if (!Object.hasOwn(spec, key)) throw new OptionError(`${where}${sep}${key}`, (value as Record<string, unknown>)[key], `no such key (allowed: ${Object.keys(spec).join(", ")})`);
  }
  for (const [key, f] of Object.entries(spec)) {
    const v = (value as Record<string, unknown>)[key];
    if (v === undefined) {
      if (f.required) throw new OptionError(`${where}${sep}${key}`, undefined, `a required ${f.type}`);
      continue;
    }
    checkField(v, f, `${where}${sep}${key}`);
  }
}
