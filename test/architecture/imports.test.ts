// The import graph of lib/ (lib/README.md): folders on floors, each importing only its own floor
// or lower ones, and no circle between files. Static, type-only and dynamic imports all count.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../lib/util/repo-root.ts";

const LIB = join(REPO_ROOT, "lib");

/** The floors, lowest first: a folder may import from its own floor or those before it. */
export const FLOORS: readonly string[] = [
  "util", "engine", "data", "models", "losses", "stats", "metrics", "train", "bench",
  "plan", "experiment", "notebooks", "sweep", "cli", "(root)",
];

function tsFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) {
      if (e !== "node_modules" && e !== "build") tsFiles(p, out);
    } else if (p.endsWith(".ts")) out.push(p);
  }
  return out;
}

const SPEC = /(?:^|\n)\s*(?:import|export)\s[^;]*?\sfrom\s+["'](\.[^"']+)["']|\bimport\(\s*["'](\.[^"']+)["']/g;

/** file -> the lib files it imports (relative paths under lib/). */
export function importGraph(root = LIB): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const f of tsFiles(root)) {
    const src = readFileSync(f, "utf8");
    const to = [...src.matchAll(SPEC)].map((m) => relative(root, resolve(dirname(f), (m[1] ?? m[2])!)));
    g.set(relative(root, f), to.filter((t) => !t.startsWith("..")));
  }
  return g;
}

const folderOf = (f: string) => (f.includes("/") ? f.split("/")[0]! : "(root)");

/** Imports that go up a floor (or into a folder with no floor), as "from -> to". */
export function upwardImports(g: Map<string, string[]>): string[] {
  const bad: string[] = [];
  for (const [f, ts] of g)
    for (const t of ts) {
      const a = FLOORS.indexOf(folderOf(f));
      const b = FLOORS.indexOf(folderOf(t));
      if (a < 0 || b < 0 || b > a) bad.push(`${f} -> ${t}`);
    }
  return bad;
}

/** Every circle between files, each as "a -> b -> ... -> a". */
export function circles(g: Map<string, string[]>): string[] {
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const found: string[] = [];
  const visit = (f: string) => {
    state.set(f, 1);
    stack.push(f);
    for (const t of g.get(f) ?? []) {
      if (!g.has(t)) continue;
      if (state.get(t) === 1) found.push([...stack.slice(stack.indexOf(t)), t].join(" -> "));
      else if (!state.has(t)) visit(t);
    }
    stack.pop();
    state.set(f, 2);
  };
  for (const f of g.keys()) if (!state.has(f)) visit(f);
  return found;
}

describe("lib/ import graph", () => {
  const g = importGraph();

  it("reads every folder of lib/ and knows its floor", () => {
    const folders = new Set([...g.keys()].map(folderOf));
    expect([...folders].filter((f) => !FLOORS.includes(f))).toEqual([]);
    expect(g.size).toBeGreaterThan(150);
  });

  it("has no upward import", () => {
    expect(upwardImports(g)).toEqual([]);
  });

  it("has no circle between files", () => {
    expect(circles(g)).toEqual([]);
  });

  it("catches an upward import and a circle (the checker itself)", () => {
    const bad = new Map([
      ["util/a.ts", ["engine/b.ts"]],
      ["engine/b.ts", ["util/a.ts"]],
    ]);
    expect(upwardImports(bad)).toEqual(["util/a.ts -> engine/b.ts"]);
    expect(circles(bad)).toEqual(["util/a.ts -> engine/b.ts -> util/a.ts"]);
  });
});

describe("lib/experiment stays small", () => {
  it("is under 1.5k lines (issue 28)", () => {
    const lines = tsFiles(join(LIB, "experiment")).reduce((a, f) => a + readFileSync(f, "utf8").split("\n").length - 1, 0);
    expect(lines).toBeLessThan(1500);
  });
});
