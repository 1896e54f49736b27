import { describe, it, expect } from "vitest";
import { mkdtempSync, writeFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { loadConfig, validateConfig } from "../../lib/plan/config.ts";
import { resolveProfile, resolveProfileName } from "../../lib/plan/profiles.ts";
import { DataError, OptionError } from "../../lib/util/errors.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const base = { name: "t", artefact: "Table I", task: "cardiac", network: "dilated2d", settings: ["ours"] };

function write(obj: unknown): string {
  const f = join(mkdtempSync(join(tmpdir(), "ummkd-cfg-")), "c.json");
  writeFileSync(f, JSON.stringify(obj));
  return f;
}

describe("experiment config validation", () => {
  it("accepts every committed config", () => {
    const dir = join(ROOT, "data", "configs");
    for (const f of readdirSync(dir).filter((x) => x.endsWith(".json"))) expect(loadConfig(join(dir, f)).name).toBe(f.replace(/\.json$/, ""));
  });

  it("rejects an unknown key, naming the key and the file", () => {
    const f = write({ ...base, setings: ["ours"] });
    expect(() => loadConfig(f)).toThrow(DataError);
    expect(() => loadConfig(f)).toThrow(new RegExp(`${f.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}.*unknown key 'setings'`));
  });

  it("rejects an unknown nested key with its path", () => {
    expect(() => validateConfig({ ...base, profiles: { quick: { train: { steps: 5 }, sizes: [1] } } }, "x.json")).toThrow(/x\.json: unknown key 'profiles\.quick\.sizes'/);
    expect(() => validateConfig({ ...base, profiles: { fast: {} } }, "x.json")).toThrow(/unknown key 'profiles\.fast'/);
  });

  it("rejects wrong types and values with expected/received", () => {
    expect(() => validateConfig({ ...base, alphas: "0.5" }, "x.json")).toThrow(/key 'alphas': expected array, got string/);
    expect(() => validateConfig({ ...base, alphas: [0.5, "a"] }, "x.json")).toThrow(/key 'alphas\[1\]': expected number, got string/);
    expect(() => validateConfig({ ...base, settings: ["ours", "best"] }, "x.json")).toThrow(/key 'settings\[1\]': got "best", expected one of/);
    expect(() => validateConfig({ ...base, profiles: { smoke: { shape: [32, 32] } } }, "x.json")).toThrow(/profiles\.smoke\.shape': expected 3 elements, got 2/);
    expect(() => validateConfig({ ...base, profiles: { smoke: { train: { steps: "3" } } } }, "x.json")).toThrow(/profiles\.smoke\.train\.steps': expected number, got string/);
    expect(() => validateConfig({ ...base, network: "unet3d" }, "x.json")).toThrow(/key 'network'/);
    const { task: _t, ...noTask } = base;
    expect(() => validateConfig(noTask, "x.json")).toThrow(/missing required key 'task'/);
    expect(() => validateConfig([1], "x.json")).toThrow(/expected a JSON object/);
  });

  it("reports invalid JSON and a missing file", () => {
    const f = join(mkdtempSync(join(tmpdir(), "ummkd-cfg-")), "bad.json");
    writeFileSync(f, "{ not json");
    expect(() => loadConfig(f)).toThrow(/bad\.json: not valid JSON/);
    expect(() => loadConfig("/nonexistent/c.json")).toThrow(/\/nonexistent\/c\.json: cannot read/);
  });

  it("fills defaults and merges profile overrides key by key", () => {
    const c = validateConfig({ ...base, profiles: { quick: { train: { steps: 7 }, cases: { test: 9 } } } }, "x.json");
    expect(c.norms).toEqual(["batch"]);
    expect(c.alphas).toEqual([0.5]);
    const p = resolveProfile(c, "quick");
    expect(p.train.steps).toBe(7);
    expect(p.train.batchSize).toBe(4); // built-in quick value kept
    expect(p.cases).toEqual({ train: 6, val: 1, test: 9 });
  });

  it("resolves the profile from the argument, then UMMKD_PROFILE, else quick", () => {
    const old = process.env.UMMKD_PROFILE;
    try {
      delete process.env.UMMKD_PROFILE;
      expect(resolveProfileName()).toBe("quick");
      process.env.UMMKD_PROFILE = "cpu";
      expect(resolveProfileName()).toBe("cpu");
      expect(resolveProfileName("smoke")).toBe("smoke");
      process.env.UMMKD_PROFILE = "fast";
      expect(() => resolveProfileName()).toThrow(OptionError);
      expect(() => resolveProfileName()).toThrow(/UMMKD_PROFILE.*"fast"/);
    } finally {
      if (old === undefined) delete process.env.UMMKD_PROFILE;
      else process.env.UMMKD_PROFILE = old;
    }
  });
});
