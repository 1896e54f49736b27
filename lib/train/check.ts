/**
 * The train configs' checks, on the one JSON shape checker (lib/util/json-check.ts): messages name
 * the file/context, the key path, what was expected and what was received, as an `OptionError`.
 */
import { OptionError } from "../util/errors.ts";
import { checkJsonField, checkJsonObject, type FieldSpec, type JsonProblem, type ObjectSpec } from "../util/json-check.ts";

export type { FieldSpec, ObjectSpec };

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "object" ? "an object" : `${typeof v} ${JSON.stringify(v)}`;
}

const A: Record<FieldSpec["type"], string> = { number: "a finite number", integer: "a finite integer", string: "a string", boolean: "a boolean", object: "an object", array: "an array" };

/** A problem as this module has always said it; `where` is "file" or "file: parent.key". */
function say(where: string): (p: JsonProblem) => Error {
  return (p) => {
    const path = p.path === "" ? where : p.path.startsWith("[") ? `${where}${p.path}` : where.includes(": ") ? `${where}.${p.path}` : `${where}: ${p.path}`;
    switch (p.kind) {
      case "type":
        if (p.spec.type === "integer" && typeof p.value === "number" && Number.isFinite(p.value)) return new OptionError(path, p.value, "an integer");
        return new OptionError(path, p.value, `${A[p.spec.type]}, got ${describe(p.value)}`);
      case "enum":
        return new OptionError(path, p.value, p.allowed.map(String));
      case "min":
        return new OptionError(path, p.value, `a number ${p.exclusive ? ">" : ">="} ${p.bound}`);
      case "max":
        return new OptionError(path, p.value, `a number <= ${p.bound}`);
      case "length":
        return new OptionError(path, p.value, `${p.length} elements`);
      case "check":
        return new OptionError(path, p.value, p.allowed);
      case "unknown":
        return new OptionError(path, p.value, `no such key (allowed: ${p.allowed.join(", ")})`);
      case "required":
        return new OptionError(path, undefined, `a required ${p.spec.type}`);
    }
  };
}

/** Check one value against a field spec; `path` is e.g. "config.json: model.width". */
export function checkField(value: unknown, spec: FieldSpec, path: string): void {
  checkJsonField(value, spec, "", say(path));
}

/**
 * Check an object: every key known, every required key present, every value well-typed.
 * @param where context prefix for messages (file name, or "file: parent.key")
 */
export function checkObject(value: unknown, spec: ObjectSpec, where: string): void {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new OptionError(where, value, `an object, got ${describe(value)}`);
  }
  checkJsonObject(value as Record<string, unknown>, spec, "", say(where));
}
