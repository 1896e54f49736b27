/**
 * The one JSON shape checker (no schema library): each key has a type, optional enum, range,
 * length, nested fields or items, and an optional whole-value check; unknown keys are errors. The
 * experiment configs (lib/plan/config.ts) and the train configs (lib/train/check.ts) both use it;
 * each says a problem in its own words and error class through `report`.
 */

export interface FieldSpec {
  type: "number" | "integer" | "string" | "boolean" | "object" | "array";
  required?: boolean;
  enum?: readonly (string | number)[];
  min?: number;
  max?: number;
  /** min is exclusive (value must be > min). */
  exclusiveMin?: boolean;
  /** For arrays: exactly this many elements. */
  length?: number;
  /** For objects: the allowed keys. */
  fields?: ObjectSpec;
  /** For arrays: the element spec. */
  items?: FieldSpec;
  /** A check of the whole value after its shape (e.g. a parameter's row, lib/plan/params.ts). */
  check?: { test(v: unknown): boolean; allowed: string };
}
export type ObjectSpec = Record<string, FieldSpec>;

/** What is wrong, for the caller to say. `path` is the key path ("profiles.smoke.seeds[0]"). */
export type JsonProblem =
  | { kind: "type"; path: string; value: unknown; spec: FieldSpec; got: string }
  | { kind: "enum"; path: string; value: unknown; allowed: readonly (string | number)[] }
  | { kind: "min" | "max"; path: string; value: number; bound: number; exclusive: boolean }
  | { kind: "length"; path: string; value: unknown[]; length: number }
  | { kind: "check"; path: string; value: unknown; allowed: string }
  | { kind: "unknown"; path: string; value: unknown; allowed: string[] }
  | { kind: "required"; path: string; spec: FieldSpec };

/** Turns a problem into the error to throw. */
export type Report = (p: JsonProblem) => Error;

/** The JSON type of a value: "integer" for whole numbers, "number" for others (non-finite included). */
export function jsonType(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

/** Check one value against a field spec. */
export function checkJsonField(value: unknown, spec: FieldSpec, path: string, report: Report): void {
  const t = jsonType(value);
  const finite = typeof value === "number" && Number.isFinite(value);
  const typeOk =
    spec.type === "number" ? finite : spec.type === "integer" ? finite && Number.isInteger(value) : spec.type === t;
  if (!typeOk) throw report({ kind: "type", path, value, spec, got: t });
  if (spec.enum && !spec.enum.includes(value as string | number)) throw report({ kind: "enum", path, value, allowed: spec.enum });
  if (typeof value === "number") {
    if (spec.min !== undefined && (spec.exclusiveMin ? value <= spec.min : value < spec.min)) throw report({ kind: "min", path, value, bound: spec.min, exclusive: spec.exclusiveMin === true });
    if (spec.max !== undefined && value > spec.max) throw report({ kind: "max", path, value, bound: spec.max, exclusive: false });
  }
  if (Array.isArray(value)) {
    if (spec.length !== undefined && value.length !== spec.length) throw report({ kind: "length", path, value, length: spec.length });
    if (spec.items) value.forEach((x, k) => checkJsonField(x, spec.items!, `${path}[${k}]`, report));
  }
  // an object without `fields` is free-form (checked elsewhere, e.g. a config's trainer keys)
  if (spec.type === "object" && spec.fields) checkJsonObject(value as Record<string, unknown>, spec.fields, path, report);
  if (spec.check && !spec.check.test(value)) throw report({ kind: "check", path, value, allowed: spec.check.allowed });
}

/**
 * Check an object: every key known ("__proto__" and "constructor" are unknown keys too), every
 * value well-shaped, every required key present.
 */
export function checkJsonObject(obj: Record<string, unknown>, fields: ObjectSpec, path: string, report: Report): void {
  for (const k of Object.keys(obj)) {
    const spec = Object.hasOwn(fields, k) ? fields[k] : undefined;
    if (!spec) throw report({ kind: "unknown", path: join(path, k), value: obj[k], allowed: Object.keys(fields) });
    checkJsonField(obj[k], spec, join(path, k), report);
  }
  for (const [k, spec] of Object.entries(fields))
    if (spec.required && obj[k] === undefined) throw report({ kind: "required", path: join(path, k), spec });
}
