/**
 * Reliability suite, round 2 (issue #27): nothing lost, nothing forged. Bad input given to the real
 * command line, with the same assertions as cli.test.ts (exit code, one `ummkd <cmd>:` line naming
 * the file or option and the problem, no stack trace, the case's folder byte-identical afterwards),
 * plus library-level cases for what the CLI cannot reach without side effects (Slurm scripts, sweep
 * manifests, stale prepare temps).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from "node:fs";
import { deflateSync, gzipSync } from "node:zlib";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sbatchScript, type SlurmOptions } from "../../lib/sweep/slurm.ts";
import { readManifest, type SweepManifest } from "../../lib/sweep/manifest.ts";
import { checkParams } from "../../lib/plan/params.ts";
import { validateConfig } from "../../lib/plan/config.ts";
import { cachePath } from "../../lib/experiment/cache.ts";
import { OptionError } from "../../lib/util/errors.ts";
import { HDR, STACK_RE, deadPid, hashTree, niftiBytes, pngDeclaring, runCli } from "./helpers.ts";

let base: string;
beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), "ummkd-r2-"));
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** A small valid experiment config (smoke profile, synthetic cardiac). */
const expCfg = (over: Record<string, unknown> = {}) => ({
  name: "mycfg", artefact: "test", task: "cardiac", network: "dilated2d", settings: ["joint"], norms: ["batch"], alphas: [0.5], ...over,
});
const trainCfg = () => ({
  train: { profile: "smoke", model: { network: "dilated2d", setting: "ours", width: 1 / 32, numClasses: 5, init: "he" }, seed: 4, steps: 2, batchSize: 2, validateEvery: 0, checkpointEvery: 1 },
  data: { kind: "synthetic", task: "cardiac", trainCases: 1, valCases: 0, shape: [16, 16, 6], spacing: [2, 2, 4] },
});
const writeJson = (p: string, v: unknown) => {
  writeFileSync(p, JSON.stringify(v));
  return p;
};
/** A raw-data folder (prepare's --src). */
function rawSrc(dir: string): string {
  mkdirSync(join(dir, "raw", "CHAOS_Train_Sets", "Train_Sets", "MR", "1"), { recursive: true });
  return join(dir, "raw");
}
/** An earlier prepare output (manifest + the two files it lists) to which the user added a file. */
function prepWithUserFile(dir: string): string {
  const p = join(dir, "prep");
  mkdirSync(join(p, "mri"), { recursive: true });
  writeFileSync(join(p, "mri", "1_image.nii.gz"), "x");
  writeFileSync(join(p, "mri", "1_label.nii.gz"), "y");
  writeJson(join(p, "manifest.json"), { dataset: "chaos", sources: [], cases: [{ id: "1", modality: "mri", image: "mri/1_image.nii.gz", label: "mri/1_label.nii.gz" }] });
  writeFileSync(join(p, "mri", "my_annotation.txt"), "hours of work");
  return p;
}

interface Case {
  name: string;
  setup: (dir: string) => string[];
  env?: Record<string, string>;
  code: number;
  stderr: RegExp[];
}

export const CASES: Case[] = [
  // --- class 1: names that become paths ---
  { name: "experiment: config name '../../../victim' is refused before anything is written", code: 1, stderr: [/c\.json/, /key 'name'.*\.\.\/\.\.\/\.\.\/victim.*one path segment/], setup: (d) => ["experiment", "--config", writeJson(join(d, "c.json"), expCfg({ name: "../../../victim" })), "--profile", "smoke", "--out", join(d, "a", "b")] },
  { name: "experiment: config name with a slash", code: 1, stderr: [/c\.json/, /key 'name'.*one path segment/], setup: (d) => ["experiment", "--config", writeJson(join(d, "c.json"), expCfg({ name: "a/b" })), "--profile", "smoke", "--out", join(d, "o")] },
  { name: "experiment: config name '..'", code: 1, stderr: [/c\.json/, /key 'name'.*one path segment/], setup: (d) => ["experiment", "--config", writeJson(join(d, "c.json"), expCfg({ name: ".." })), "--profile", "smoke", "--out", join(d, "o")] },
  { name: "experiment: config name absolute path", code: 1, stderr: [/c\.json/, /key 'name'/], setup: (d) => ["experiment", "--config", writeJson(join(d, "c.json"), expCfg({ name: join(d, "victim") })), "--profile", "smoke", "--dry-run"] },
  { name: "experiment: config name with a newline", code: 1, stderr: [/c\.json/, /key 'name'/], setup: (d) => ["experiment", "--config", writeJson(join(d, "c.json"), expCfg({ name: "a\nb" })), "--profile", "smoke", "--out", join(d, "o")] },
  { name: "experiment --notebook '../x'", code: 1, stderr: [/--notebook/, /\.\.\/x/], setup: (d) => ["experiment", "--notebook", "../x", "--out", d] },
  // --- class 2: never replace a folder the tool did not make ---
  { name: "experiment --out U: U/<name>/<profile>/ holds the user's file (no run.json)", code: 1, stderr: [/--out/, /mycfg\/smoke/, /no run\.json of ours/], setup: (d) => { mkdirSync(join(d, "U", "mycfg", "smoke"), { recursive: true }); writeFileSync(join(d, "U", "mycfg", "smoke", "thesis.tex"), "x"); return ["experiment", "--config", writeJson(join(d, "c.json"), expCfg()), "--profile", "smoke", "--out", join(d, "U")]; } },
  { name: "experiment --out U: an earlier results folder of ours plus a user's file", code: 1, stderr: [/--out/, /notes\.txt, which ummkd did not write/], setup: (d) => { const r = join(d, "U", "mycfg", "smoke"); mkdirSync(r, { recursive: true }); writeFileSync(join(r, "tidy.csv"), "a\n"); writeJson(join(r, "run.json"), { notebook: "mycfg", files: ["tidy.csv"] }); writeFileSync(join(r, "notes.txt"), "mine"); return ["experiment", "--config", writeJson(join(d, "c.json"), expCfg()), "--profile", "smoke", "--out", join(d, "U"), "--force"]; } },
  { name: "train --config D/config.json --out D (the input would be overwritten)", code: 1, stderr: [/--out/, /contains --config/], setup: (d) => { mkdirSync(join(d, "D")); writeFileSync(join(d, "D", "log.jsonl"), "my notes\n"); return ["train", "--config", writeJson(join(d, "D", "config.json"), trainCfg()), "--out", join(d, "D"), "--progress", "none"]; } },
  { name: "train --out a folder with the user's config.json (not a run of ours)", code: 1, stderr: [/--out/, /config\.json is not one of ours/], setup: (d) => { mkdirSync(join(d, "D")); writeJson(join(d, "D", "config.json"), { mine: true }); return ["train", "--config", writeJson(join(d, "cfg.json"), trainCfg()), "--out", join(d, "D"), "--progress", "none"]; } },
  { name: "train --out a folder with the user's log.jsonl", code: 1, stderr: [/--out/, /log\.jsonl is not one of ours/], setup: (d) => { mkdirSync(join(d, "D")); writeFileSync(join(d, "D", "log.jsonl"), "lab notebook\n"); return ["train", "--config", writeJson(join(d, "cfg.json"), trainCfg()), "--out", join(d, "D"), "--progress", "none"]; } },
  { name: "train --out a folder of the user's files", code: 1, stderr: [/--out/, /thesis\.tex and no run of ours/], setup: (d) => { mkdirSync(join(d, "D")); writeFileSync(join(d, "D", "thesis.tex"), "x"); return ["train", "--config", writeJson(join(d, "cfg.json"), trainCfg()), "--out", join(d, "D"), "--progress", "none"]; } },
  { name: "train: --out equal to a NIfTI input's folder containing it", code: 1, stderr: [/--out/, /contains data\.image/], setup: (d) => { mkdirSync(join(d, "in")); for (const f of ["ct.nii", "mr.nii", "ctl.nii", "mrl.nii"]) writeFileSync(join(d, "in", f), niftiBytes([16, 16, 2])); const c = { ...trainCfg(), data: { kind: "nifti", train: { ct: [{ image: "in/ct.nii", label: "in/ctl.nii" }], mri: [{ image: "in/mr.nii", label: "in/mrl.nii" }] } } }; return ["train", "--config", writeJson(join(d, "cfg.json"), c), "--out", join(d, "in"), "--progress", "none"]; } },
  { name: "prepare --force: an earlier output to which the user added a file", code: 1, stderr: [/--out/, /my_annotation\.txt, which ummkd did not write/], setup: (d) => ["prepare", "chaos", "--src", rawSrc(d), "--out", prepWithUserFile(d), "--force", "--quiet"] },
  // --- class 6: seeds ---
  { name: "experiment --seeds 0,4294967296 (aliases seed 0)", code: 1, stderr: [/--seeds/, /integers in \[0, 2\^32\)/], setup: () => ["experiment", "--notebook", "table1_cardiac", "--seeds", "0,4294967296", "--dry-run"] },
  { name: "experiment --seeds 1e20", code: 1, stderr: [/--seeds/, /integers in \[0, 2\^32\)/], setup: () => ["experiment", "--notebook", "table1_cardiac", "--seeds", "1e20", "--dry-run"] },
  { name: "experiment --seeds 3,3 (one model counted twice)", code: 1, stderr: [/--seeds/, /distinct seeds/], setup: () => ["experiment", "--notebook", "table1_cardiac", "--seeds", "3,3", "--dry-run"] },
  { name: "sweep --seeds 4,4294967300", code: 1, stderr: [/--seeds/, /integers in \[0, 2\^32\)/], setup: () => ["sweep", "--notebook", "table1_cardiac", "--seeds", "4,4294967300"] },
  { name: "train: seed 4294967296 in the config", code: 1, stderr: [/cfg\.json/, /seed/, /<= 4294967295/], setup: (d) => { const c = trainCfg(); c.train.seed = 2 ** 32; return ["train", "--config", writeJson(join(d, "cfg.json"), c), "--out", join(d, "run"), "--progress", "none"]; } },
  { name: "experiment config: profiles.smoke.seeds [2^32]", code: 1, stderr: [/c\.json/, /seeds\[0\].*<= 4294967295/], setup: (d) => ["experiment", "--config", writeJson(join(d, "c.json"), expCfg({ profiles: { smoke: { seeds: [2 ** 32] } } })), "--profile", "smoke", "--dry-run"] },
  // --- class 14: __proto__ keys ---
  { name: "experiment config with a '__proto__' key", code: 1, stderr: [/c\.json/, /unknown key '__proto__'/], setup: (d) => { writeFileSync(join(d, "c.json"), JSON.stringify(expCfg()).replace(/^\{/, '{"__proto__": {"x": 1},')); return ["experiment", "--config", join(d, "c.json"), "--profile", "smoke", "--dry-run"]; } },
  { name: "experiment config with 'profiles.smoke.__proto__'", code: 1, stderr: [/c\.json/, /unknown key 'profiles\.smoke\.__proto__'/], setup: (d) => { writeFileSync(join(d, "c.json"), JSON.stringify(expCfg({ profiles: { smoke: {} } })).replace('"smoke":{}', '"smoke":{"__proto__":{"steps":1}}')); return ["experiment", "--config", join(d, "c.json"), "--profile", "smoke", "--dry-run"]; } },
  { name: "train config with a 'constructor' key in train", code: 1, stderr: [/cfg\.json/, /constructor/, /no such key/], setup: (d) => { writeFileSync(join(d, "cfg.json"), JSON.stringify(trainCfg()).replace('"train":{', '"train":{"constructor":1,')); return ["train", "--config", join(d, "cfg.json"), "--out", join(d, "run"), "--progress", "none"]; } },
  { name: "train config with a '__proto__' key in train.model", code: 1, stderr: [/cfg\.json/, /__proto__/, /no such key/], setup: (d) => { writeFileSync(join(d, "cfg.json"), JSON.stringify(trainCfg()).replace('"model":{', '"model":{"__proto__":{"width":4},')); return ["train", "--config", join(d, "cfg.json"), "--out", join(d, "run"), "--progress", "none"]; } },
  // --- class 9: NIfTI vox_offset ---
  { name: "NIfTI vox_offset NaN (header bytes would become voxels)", code: 1, stderr: [/bad\.nii/, /invalid vox_offset = NaN/], setup: (d) => { const b = niftiBytes(); b.writeFloatLE(NaN, 108); writeFileSync(join(d, "bad.nii"), b); return ["info", join(d, "bad.nii")]; } },
  { name: "NIfTI vox_offset negative", code: 1, stderr: [/bad\.nii/, /invalid vox_offset = -352/], setup: (d) => { const b = niftiBytes(); b.writeFloatLE(-352, 108); writeFileSync(join(d, "bad.nii"), b); return ["info", join(d, "bad.nii")]; } },
  // --- class 11: non-regular files, decompression bounded by the header ---
  { name: "info on a FIFO named x.nii (used to hang)", code: 1, stderr: [/x\.nii/, /not a regular file \(a FIFO\)/], setup: () => { const f = join(mkdtempSync(join(base, "fifo-")), "x.nii"); spawnSync("mkfifo", [f]); return ["info", f]; } }, // outside the case folder: hashTree would block reading it
  { name: "info on a link to /dev/zero (used to grow to GBs)", code: 1, stderr: [/z\.nii/, /not a regular file \(a device\)/], setup: (d) => { symlinkSync("/dev/zero", join(d, "z.nii")); return ["info", join(d, "z.nii")]; } },
  { name: "info on a link to /dev/zero named .png", code: 1, stderr: [/z\.png/, /not a regular file \(a device\)/], setup: (d) => { symlinkSync("/dev/zero", join(d, "z.png")); return ["info", join(d, "z.png")]; } },
  { name: "gzip bomb: a 4x4x2 header followed by 64 MB of zeros", code: 1, stderr: [/bomb\.nii\.gz/, /decompresses to more than the 384 bytes its header declares/], setup: (d) => { writeFileSync(join(d, "bomb.nii.gz"), gzipSync(Buffer.concat([niftiBytes(), Buffer.alloc(64 * 1024 ** 2)]))); return ["info", join(d, "bomb.nii.gz")]; } },
  { name: ".nii.gz whose header declares 30000^3 float voxels", code: 1, stderr: [/huge\.nii\.gz/, /header declares \d+ bytes of image data, above the limit/], setup: (d) => { const b = niftiBytes(); for (let i = 1; i <= 3; i++) b.writeInt16LE(30000, HDR.dim + 2 * i); b.writeInt16LE(16, HDR.datatype); b.writeInt16LE(32, HDR.bitpix); writeFileSync(join(d, "huge.nii.gz"), gzipSync(b)); return ["info", join(d, "huge.nii.gz")]; } },
  { name: "PNG of 65 KB declaring 8000x8000 (decoded to GBs)", code: 1, stderr: [/big\.png/, /declares 8000x8000 pixels, more than the 33554432/], setup: (d) => { writeFileSync(join(d, "big.png"), pngDeclaring(8000, 8000, deflateSync(Buffer.alloc(8001 * 8000)))); return ["info", join(d, "big.png")]; } },
  // --- class 10: thread counts ---
  { name: "UMMKD_THREADS=100000 (used to segfault)", code: 1, stderr: [/UMMKD_THREADS/, /at most \d+ \(4 threads per core/], env: { UMMKD_THREADS: "100000", UMMKD_BACKEND: "" }, setup: (d) => ["train", "--config", writeJson(join(d, "cfg.json"), trainCfg()), "--out", join(d, "run"), "--progress", "none"] },
  { name: "UMMKD_THREADS=4096 (used to hang the machine)", code: 1, stderr: [/UMMKD_THREADS/, /at most/], env: { UMMKD_THREADS: "4096", UMMKD_BACKEND: "" }, setup: (d) => ["train", "--config", writeJson(join(d, "cfg.json"), trainCfg()), "--out", join(d, "run"), "--progress", "none"] },
  // --- class 12: sizes bounded before allocation ---
  { name: "prepare --size 99999 (RangeError stack trace before)", code: 1, stderr: [/option '--size'/, /at most 4096/], setup: (d) => ["prepare", "chaos", "--src", rawSrc(d), "--out", join(d, "o"), "--size", "99999"] },
  { name: "prepare --spacing 0.01,0.01,0.01", code: 1, stderr: [/option '--spacing'/, /at least 0\.1 mm/], setup: (d) => ["prepare", "chaos", "--src", rawSrc(d), "--out", join(d, "o"), "--spacing", "0.01,0.01,0.01"] },
  // --- class 14: messages that name the right thing ---
  { name: "prepare --clip 150 names --clip (not clipPercent)", code: 1, stderr: [/option '--clip': got "150"/, /percentage in \[0, 100\)/], setup: (d) => ["prepare", "chaos", "--src", rawSrc(d), "--out", join(d, "o"), "--clip", "150"] },
  { name: "info a b: the extra file is not silently ignored", code: 1, stderr: [/option 'FILE'/, /one file/], setup: (d) => ["info", nii(d, "a.nii"), nii(d, "b.nii")] },
  { name: "prepare chaos btcv: the extra dataset is not silently ignored", code: 1, stderr: [/option 'dataset'/, /one dataset/], setup: (d) => ["prepare", "chaos", "btcv", "--src", rawSrc(d), "--out", join(d, "o")] },
];

function nii(dir: string, name: string): string {
  writeFileSync(join(dir, name), niftiBytes());
  return join(dir, name);
}

describe.concurrent("ummkd CLI on bad input, round 2 (issue #27)", () => {
  it.concurrent.for(CASES)("$name", async (c, { expect }) => {
    const dir = mkdtempSync(join(tmpdir(), "ummkd-case-"));
    try {
      const argv = c.setup(dir);
      const before = hashTree(dir);
      const r = await runCli(argv, c.env);
      const why = `argv: ${argv.join(" ")}\nstderr: ${r.stderr}\nstdout: ${r.stdout.slice(0, 500)}`;
      expect(r.code, why).toBe(c.code);
      for (const re of c.stderr) expect(r.stderr, why).toMatch(re);
      expect(r.stderr, why).not.toMatch(STACK_RE);
      if (c.code !== 0) expect(r.stderr.split("\n").filter((l) => /^ummkd \w+: /.test(l)), why).toHaveLength(1);
      expect(hashTree(dir), why).toEqual(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("commands that are Object.prototype names", () => {
  it.each(["constructor", "__proto__", "toString"])("'ummkd %s' is an unknown command (exit 2, no stack trace)", async (cmd) => {
    const r = await runCli([cmd]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^ummkd: unknown command '${cmd}'`));
    expect(r.stderr).not.toMatch(STACK_RE);
  });
});

describe("names and ids that become paths (library)", () => {
  it("a config whose name is not one path segment is refused naming the key", () => {
    for (const name of ["../x", "a/b", ".", "..", "", "x\0y", "-rf", "a".repeat(201)])
      expect(() => validateConfig(expCfg({ name }), "c.json"), name).toThrow(/c\.json: key 'name'/);
    expect(validateConfig(expCfg({ name: "table1_cardiac.v2-a" }), "c.json").name).toBe("table1_cardiac.v2-a");
  });
  it("a run id (cache key) that is not one path segment is refused before it becomes a file name", () => {
    expect(() => cachePath("../../victim")).toThrow(/run id/);
    expect(() => cachePath("/etc/passwd")).toThrow(OptionError);
    expect(cachePath("0024fd323338fd2b", "/s")).toBe("/s/0024fd323338fd2b.json");
  });
  it("a sweep manifest whose plan hash climbs out of the run store is refused naming the entry", () => {
    const d = join(base, "sweep");
    mkdirSync(d, { recursive: true });
    const m = { schema: 1, id: "x", name: "table1_cardiac", profile: "smoke", dirs: { store: d, cache: d, train: d }, plans: [{ index: 0, hash: "0024fd323338fd2b" }, { index: 1, hash: "../../../victim" }] };
    writeJson(join(d, "manifest.json"), m);
    expect(() => readManifest(d)).toThrow(/plans\[1\]\.hash is "\.\.\/\.\.\/\.\.\/victim"/);
    writeJson(join(d, "manifest.json"), { ...m, name: "../up", plans: [m.plans[0]] });
    expect(() => readManifest(d)).toThrow(/name is "\.\.\/up"/);
  });
});

describe("Slurm script injection (class 13)", () => {
  const m = { id: "t1-paper-abc", name: "t1", profile: "paper", plans: new Array(3).fill(null), repo: "/home/me/ummkd" } as unknown as SweepManifest;
  it.each([
    ["--partition", { partition: "gpu\ntouch X\n#" }],
    ["--partition", { partition: "gpu;touch X" }],
    ["--time", { time: "1:00:00\ntouch X" }],
    ["--time", { time: "$(touch X)" }],
    ["--job-name", { jobName: "a\nrm -rf ~" }],
    ["--sbatch-arg", { sbatchArgs: ["--mem=1G\u000btouch X"] }],
  ] as [string, SlurmOptions][])("%s %j is refused, naming the option", (opt, o) => {
    expect(() => sbatchScript(m, "/shared/sw", [0], o)).toThrow(new RegExp(`option '${opt}'`));
  });
  it("a sweep folder or repository path with a newline is refused", () => {
    expect(() => sbatchScript(m, "/shared/sw\ntouch X", [0])).toThrow(/sweep folder/);
    expect(() => sbatchScript({ ...m, repo: "/r\ntouch X" }, "/shared/sw", [0])).toThrow(/repository path/);
  });
  it("valid partitions and time limits are accepted", () => {
    const s = sbatchScript(m, "/shared/sw", [0], { partition: "gpu,gpu-long", time: "1-12:00:00" });
    expect(s).toContain("#SBATCH --partition=gpu,gpu-long");
    expect(s).toContain("#SBATCH --time=1-12:00:00");
  });
});

describe("seeds (class 6, library)", () => {
  it("a notebook's parameters cell refuses seeds >= 2^32 and repeated seeds", () => {
    expect(() => checkParams({ seeds: [0, 2 ** 32] })).toThrow(/seeds/);
    expect(() => checkParams({ seeds: [1e20] })).toThrow(/seeds/);
    expect(() => checkParams({ seeds: [4, 4] })).toThrow(/distinct/);
    expect(checkParams({ seeds: [0, 2 ** 32 - 1] }).seeds).toEqual([0, 2 ** 32 - 1]);
  });
  it("a parameters cell with a '__proto__' key is an unknown parameter", () => {
    expect(() => checkParams(JSON.parse('{"__proto__": {"force": true}}'))).toThrow(/unknown parameter/);
  });
});

describe("interrupted prepare (class 3)", () => {
  it("the next prepare removes a killed prepare's temp folder beside --out, and keeps a live writer's", async () => {
    const d = mkdtempSync(join(base, "prep-"));
    const src = rawSrc(d);
    const dead = join(d, `.out.${deadPid()}.0a1b2c3d4e5f.tmp`);
    const live = join(d, `.out.${process.pid}.0a1b2c3d4e5f.tmp`);
    const other = join(d, `.other.${deadPid()}.0a1b2c3d4e5f.tmp`);
    for (const t of [dead, live, other]) {
      mkdirSync(join(t, "mri"), { recursive: true });
      writeFileSync(join(t, "mri", "1_image.nii.gz"), Buffer.alloc(1000));
    }
    const r = await runCli(["prepare", "chaos", "--src", src, "--out", join(d, "out")]);
    // the raw folder holds no case: the run fails, but only after the stale temp is gone
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/removed .*\.out\.\d+\.0a1b2c3d4e5f\.tmp, left by an interrupted prepare/);
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(existsSync(other)).toBe(true); // another output's temp is not this run's business
    expect(readFileSync(join(live, "mri", "1_image.nii.gz")).length).toBe(1000);
  });
});
