// The one JSON shape checker (lib/util/json-check.ts), said two ways: a config's DataError
// (lib/plan/config.ts) and a train config's OptionError (lib/train/check.ts).
import { describe, it, expect } from "vitest";
import { checkJsonObject, type JsonProblem, type ObjectSpec } from "../../lib/util/json-check.ts";
import { checkObject } from "../../lib/train/check.ts";
import { validateConfig } from "../../lib/plan/config.ts";
import { DataError, OptionError } from "../../lib/util/errors.ts";

const spec: ObjectSpec = {
  n: { type: "integer", min: 1, required: true },
  shape: { type: "array", items: { type: "integer" }, length: 2 },
  free: { type: "object" },
  pick: { type: "string", enum: ["a", "b"] },
  even: { type: "number", check: { test: (v) => (v as number) % 2 === 0, allowed: "an even number" } },
};

describe("json-check", () => {
  const problem = (o: Record<string, unknown>): JsonProblem | undefined => {
    let got: JsonProblem | undefined;
    try {
      checkJsonObject(o, spec, "", (p) => ((got = p), new Error("x")));
    } catch {
      /* got holds it */
    }
    return got;
  };
  it.each([
    [{ n: 1.5 }, { kind: "type", path: "n", got: "number" }],
    [{ n: 0 }, { kind: "min", path: "n", bound: 1 }],
    [{ n: 1, shape: [1] }, { kind: "length", path: "shape", length: 2 }],
    [{ n: 1, shape: [1, 0.5] }, { kind: "type", path: "shape[1]" }],
    [{ n: 1, pick: "c" }, { kind: "enum", path: "pick" }],
    [{ n: 1, even: 3 }, { kind: "check", path: "even", allowed: "an even number" }],
    [{ n: 1, extra: 1 }, { kind: "unknown", path: "extra" }],
    [JSON.parse('{"__proto__": 1, "n": 1}'), { kind: "unknown", path: "__proto__" }],
    [{}, { kind: "required", path: "n" }],
  ] as const)("%j -> %j", (o, want) => {
    const p = problem(o as Record<string, unknown>);
    if (want === undefined) expect(p).toBeUndefined();
    else expect(p).toMatchObject(want);
  });
  it("leaves an object without fields free-form", () => {
    expect(problem({ n: 1, free: { anything: [1, "x"] } })).toBeUndefined();
  });
  it("train configs say it as an OptionError naming file and key; experiment configs as a DataError", () => {
    expect(() => checkObject({ n: 1, shape: [1, 0.5] }, spec, "t.json")).toThrow(OptionError);
    expect(() => checkObject({ n: 1, shape: [1, 0.5] }, spec, "t.json")).toThrow(/t\.json: shape\[1\]/);
    expect(() => checkObject({ n: 1, free: { x: 1 }, extra: 2 }, spec, "t.json: data")).toThrow(/t\.json: data\.extra.*no such key/);
    const cfg = { name: "c", artefact: "x", task: "cardiac", network: "dilated2d", settings: ["ours"] };
    expect(() => validateConfig({ ...cfg, profiles: { smoke: { shape: [32, 32, 0.5] } } }, "c.json")).toThrow(DataError);
    expect(() => validateConfig({ ...cfg, profiles: { smoke: { shape: [32, 32, 0.5] } } }, "c.json")).toThrow(/c\.json.*key 'profiles\.smoke\.shape\[2\]': expected integer, got number/);
  });
});
