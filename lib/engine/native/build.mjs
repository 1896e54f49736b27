#!/usr/bin/env node
// Builds the native engine addon (oneDNN-backed tfjs kernels) with node-gyp.
// Where oneDNN 2.x headers or node-gyp are missing it prints ONE line saying the portable engine
// will be used, and exits 0. Where oneDNN 2.x IS present but the build fails or the built addon
// does not load, it exits 1 (a broken build must not pass silently). When the native engine is
// required (UMMKD_REQUIRE lists `native`, as `.ci/run` sets it) every skip is an error (exit 1).
// Env: DNNL_ROOT (a oneDNN install prefix with include/ and lib/), UMMKD_SKIP_NATIVE=1 (skip).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
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
const args = [gyp, "rebuild", "--directory", here];
if (existsSync(join(nodePrefix, "include", "node", "node_api.h"))) args.push(`--nodedir=${nodePrefix}`);

const env = { ...process.env };
if (prefix !== "/usr") {
  env.CXXFLAGS = `${env.CXXFLAGS ?? ""} -I${join(prefix, "include")}`.trim();
  env.LDFLAGS = `${env.LDFLAGS ?? ""} -L${join(prefix, "lib")} -Wl,-rpath,${join(prefix, "lib")}`.trim();
}
const res = spawnSync(process.execPath, args, { cwd: here, env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
mkdirSync(join(here, "build"), { recursive: true });
const log = join(here, "build", "build.log");
writeFileSync(log, `${res.stdout ?? ""}\n${res.stderr ?? ""}`);
const out = join(here, "build", "Release", "ummkd_native.node");
if (res.status !== 0 || !existsSync(out)) fail(`the build failed (oneDNN ${ver.join(".")} in ${prefix}; log: ${log})`);

// 3. Load it once so a broken link shows up now, not at first use.
const check = spawnSync(process.execPath, ["-e", `const a=require(${JSON.stringify(out)});console.log(a.version()+" "+a.isa())`], { encoding: "utf8" });
if (check.status !== 0) fail(`the addon was built but does not load (${(check.stderr || "").split("\n").find((l) => l.trim()) ?? "unknown error"})`);
console.log(`native engine built: ${out} (oneDNN ${check.stdout.trim()})`);
