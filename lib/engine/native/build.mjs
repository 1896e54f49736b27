#!/usr/bin/env node
// Builds the native engine addon (oneDNN-backed tfjs kernels) with node-gyp.
// Where oneDNN 2.x headers or node-gyp are missing it prints ONE line saying the portable engine
// will be used, and exits 0. Where oneDNN 2.x IS present but the build fails or the built addon
// does not load, it exits 1 (a broken build must not pass silently). When the native engine is
// required (UMMKD_REQUIRE lists `native`, as `.ci/run` sets it) every skip is an error (exit 1).
// Env: DNNL_ROOT (a oneDNN install prefix with include/ and lib/), UMMKD_SKIP_NATIVE=1 (skip).
//
// First it regenerates src/entries.gen.h and entries.gen.ts from entries.json (the one table of
// entry points; see gen-entries.mjs). It compiles in build/stage/ and moves the finished addon
// onto build/Release/ummkd_native.node in one rename, so processes loading the addon during a
// rebuild get the old or the new one, never none; and it refuses an addon whose exports differ
// from the table.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const { readTable, writeGenerated } = await import("./gen-entries.mjs");
const required = (process.env.UMMKD_REQUIRE ?? "").split(",").map((s) => s.trim()).includes("native");
const fail = (why) => {
  console.error(`native engine NOT built: ${why}`);
  process.exit(1);
};
const skip = (why) => {
  if (required) fail(`${why} (UMMKD_REQUIRE includes native; opt out with UMMKD_REQUIRE=none)`);
  console.log(`native engine skipped: ${why}; using the portable engine`);
  process.exit(0);
};

let table;
try {
  table = readTable();
  const wrote = writeGenerated(table);
  if (wrote.length) console.log(`native entry points: regenerated ${wrote.join(", ")} from entries.json`);
} catch (err) {
  fail(`the entry-point table is invalid: ${err instanceof Error ? err.message : err}`);
}

if (process.env.UMMKD_SKIP_NATIVE === "1") skip("UMMKD_SKIP_NATIVE=1");

// 1. oneDNN 2.x headers (Debian/Ubuntu libdnnl-dev, a DNNL_ROOT prefix, Homebrew onednn).
const prefixes = [process.env.DNNL_ROOT, "/usr", "/usr/local", "/opt/homebrew", "/usr/local/opt/onednn", "/opt/homebrew/opt/onednn"].filter(Boolean);
const prefix = prefixes.find((p) => existsSync(join(p, "include", "oneapi", "dnnl", "dnnl.hpp")));
if (!prefix) skip("libdnnl-dev not found (no oneapi/dnnl/dnnl.hpp; on Debian/Ubuntu: apt-get install libdnnl-dev)");
const versionH = readFileSync(join(prefix, "include", "oneapi", "dnnl", "dnnl_version.h"), "utf8");
const ver = ["MAJOR", "MINOR", "PATCH"].map((k) => versionH.match(new RegExp(`DNNL_VERSION_${k}\\s+(\\d+)`))?.[1] ?? "?");
if (ver[0] !== "2") skip(`oneDNN ${ver.join(".")} found in ${prefix}, but the native engine is written for the oneDNN 2.x API`);

// 2. node-gyp and Node's headers (use the local Node install; never download them).
const require = createRequire(import.meta.url);
let gyp;
try {
  gyp = require.resolve("node-gyp/bin/node-gyp.js");
} catch {
  skip("node-gyp not installed (it is a devDependency: npm install)");
}
const nodePrefix = dirname(dirname(process.execPath));
// The staging project: binding.gyp with its sources relative to build/stage/ (node-gyp builds in
// <directory>/build, and node-addon-api resolves from there as from here).
const stage = join(here, "build", "stage");
mkdirSync(stage, { recursive: true });
const gypSpec = JSON.parse(readFileSync(join(here, "binding.gyp"), "utf8"));
for (const t of gypSpec.targets) t.sources = t.sources.map((s) => join("..", "..", s));
writeFileSync(join(stage, "binding.gyp"), JSON.stringify(gypSpec, null, 2));
const args = [gyp, "rebuild", "--directory", stage];
if (existsSync(join(nodePrefix, "include", "node", "node_api.h"))) args.push(`--nodedir=${nodePrefix}`);

const env = { ...process.env };
if (prefix !== "/usr") {
  env.CXXFLAGS = `${env.CXXFLAGS ?? ""} -I${join(prefix, "include")}`.trim();
  env.LDFLAGS = `${env.LDFLAGS ?? ""} -L${join(prefix, "lib")} -Wl,-rpath,${join(prefix, "lib")}`.trim();
}
const res = spawnSync(process.execPath, args, { cwd: stage, env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
const log = join(here, "build", "build.log");
writeFileSync(log, `${res.stdout ?? ""}\n${res.stderr ?? ""}`);
const staged = join(stage, "build", "Release", "ummkd_native.node");
if (res.status !== 0 || !existsSync(staged)) fail(`the build failed (oneDNN ${ver.join(".")} in ${prefix}; log: ${log})`);

// 3. Load it once so a broken link shows up now, not at first use, and compare its exports with the table.
const probe = `const a=require(${JSON.stringify(staged)});console.log(JSON.stringify({v:a.version()+" "+a.isa(),names:Object.keys(a)}))`;
const check = spawnSync(process.execPath, ["-e", probe], { encoding: "utf8" });
if (check.status !== 0) fail(`the addon was built but does not load (${(check.stderr || "").split("\n").find((l) => l.trim()) ?? "unknown error"})`);
const loaded = JSON.parse(check.stdout.trim().split("\n").at(-1));
const want = table.entries.map((e) => e.name);
const missing = want.filter((n) => !loaded.names.includes(n)), extra = loaded.names.filter((n) => !want.includes(n));
if (missing.length || extra.length) fail(`the addon's exports differ from entries.json (missing: ${missing.join(", ") || "none"}; extra: ${extra.join(", ") || "none"})`);

// 4. Put it in place in one step.
const out = join(here, "build", "Release", "ummkd_native.node");
mkdirSync(dirname(out), { recursive: true });
renameSync(staged, out);
console.log(`native engine built: ${out} (oneDNN ${loaded.v})`);
