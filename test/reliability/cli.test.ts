/**
 * Reliability suite, CLI half (issue #14): bad inputs and faults given to the real command line
 * (`node bin/ummkd.js ...`, spawned from the repository root). Every case asserts
 *   - the exit code,
 *   - that stderr names the file or option and the problem (one `ummkd <cmd>:` line),
 *   - that no stack trace is printed,
 *   - that the user's folder (the case's temp dir, inputs and would-be outputs) is byte-identical
 *     before and after (hashTree).
 * The library-level faults (races, locks, interrupted writes) are in faults.test.ts.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../../lib/train/tensor-io.ts";
import { HDR, STACK_RE, hashTree, niftiBytes, pngDeclaring, runCli, writeNiftiEdited } from "./helpers.ts";

let base: string;
/** A trained 2-step checkpoint (tiny dilated2d), made once and copied into the cases that need it. */
let runDir: string;
const trainCfg = (over: { trainCases?: number; alpha?: number } = {}) => ({
  train: { profile: "smoke", model: { network: "dilated2d", setting: "ours", width: 1 / 32, numClasses: 5, init: "he" }, seed: 4, steps: 2, batchSize: 2, validateEvery: 0, checkpointEvery: 1, ...(over.alpha !== undefined ? { alpha: over.alpha } : {}) },
  data: { kind: "synthetic", task: "cardiac", trainCases: over.trainCases ?? 1, valCases: 0, shape: [16, 16, 6], spacing: [2, 2, 4] },
});

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), "ummkd-rel-"));
  writeFileSync(join(base, "cfg.json"), JSON.stringify(trainCfg()));
  runDir = join(base, "run");
  const r = await runCli(["train", "--config", join(base, "cfg.json"), "--out", runDir, "--progress", "none"]);
  if (r.code !== 0) throw new Error(`fixture training failed: ${r.stderr}`);
}, 120_000);
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** Copy the trained run into the case folder; returns its path. */
function withRun(dir: string): string {
  cpSync(runDir, join(dir, "run"), { recursive: true });
  return join(dir, "run");
}

/** Rewrite one float32 of model.bin (and, unless `keepSha`, the index checksum to match). */
function poisonWeights(run: string, value: number, keepSha = false): void {
  const bin = join(run, "checkpoint", "model.bin");
  const b = readFileSync(bin);
  b.writeFloatLE(value, 0);
  writeFileSync(bin, b);
  if (!keepSha) {
    const idx = JSON.parse(readFileSync(join(run, "checkpoint", "model.json"), "utf8"));
    idx.sha256 = sha256Hex(b);
    writeFileSync(join(run, "checkpoint", "model.json"), JSON.stringify(idx));
  }
}

function nii(dir: string, name: string, edit?: (dv: DataView) => void, shape?: [number, number, number]): string {
  const p = join(dir, name);
  if (edit) writeNiftiEdited(p, edit, shape);
  else writeFileSync(p, niftiBytes(shape));
  return p;
}

/** A raw-data folder with a user's file in it (prepare's --src). */
function rawSrc(dir: string): string {
  mkdirSync(join(dir, "raw", "CHAOS_Train_Sets", "Train_Sets", "MR", "1"), { recursive: true });
  writeFileSync(join(dir, "raw", "notes.txt"), "my raw data\n");
  return join(dir, "raw");
}

function trainNiftiCfg(dir: string, labelValue: number): string {
  const img = niftiBytes([16, 16, 2], { data: Float32Array.from({ length: 512 }, (_, i) => (i % 7) / 7) });
  const lab = niftiBytes([16, 16, 2], { data: Uint8Array.from({ length: 512 }, (_, i) => (i === 100 ? labelValue : i % 2)) });
  for (const f of ["ct.nii", "mr.nii"]) writeFileSync(join(dir, f), img);
  for (const f of ["ct_lab.nii", "mr_lab.nii"]) writeFileSync(join(dir, f), lab);
  const cfg = { ...trainCfg(), data: { kind: "nifti", train: { ct: [{ image: "ct.nii", label: "ct_lab.nii" }], mri: [{ image: "mr.nii", label: "mr_lab.nii" }] } } };
  writeFileSync(join(dir, "cfg.json"), JSON.stringify(cfg));
  return join(dir, "cfg.json");
}

interface Case {
  name: string;
  /** Builds the user's files in `dir` and returns the argv. */
  setup: (dir: string) => string[];
  env?: Record<string, string>;
  code: number;
  /** Each must match stderr: the file/option named and the problem. */
  stderr: RegExp[];
}

const PREDICT = (dir: string, extra: string[] = []) => {
  const input = nii(dir, "scan.nii", undefined, [16, 16, 3]);
  return ["predict", "--checkpoint", withRun(dir), "--input", input, "--modality", "ct", "--out", join(dir, "labels.nii"), ...extra];
};

const CASES: Case[] = [
  // --- item 1: prepare never deletes the user's folders ---
  { name: "prepare --out: a non-empty folder of the user's (no manifest)", code: 1, stderr: [/--out/, /mine.*no manifest\.json of ours|no manifest\.json of ours/], setup: (d) => { mkdirSync(join(d, "mine")); writeFileSync(join(d, "mine", "thesis.tex"), "x"); return ["prepare", "chaos", "--src", rawSrc(d), "--out", join(d, "mine"), "--quiet"]; } },
  { name: "prepare --out equal to --src", code: 1, stderr: [/--out/, /same path as --src/] , setup: (d) => ["prepare", "chaos", "--src", rawSrc(d), "--out", join(d, "raw"), "--quiet"] },
  { name: "prepare --out a parent of --src", code: 1, stderr: [/--out/, /contains --src/], setup: (d) => ["prepare", "chaos", "--src", rawSrc(d), "--out", d, "--quiet"] },
  { name: "prepare --out '.'-style parent via a relative path with ..", code: 1, stderr: [/--out/, /contains --src/], setup: (d) => ["prepare", "chaos", "--src", rawSrc(d), "--out", join(d, "raw", ".."), "--quiet"] },
  { name: "prepare --out inside --src", code: 1, stderr: [/--out/, /lies inside --src/], setup: (d) => ["prepare", "chaos", "--src", rawSrc(d), "--out", join(d, "raw", "prepared"), "--quiet"] },
  { name: "prepare --out holds an earlier prepare's manifest, no --force", code: 1, stderr: [/--out/, /--force/], setup: (d) => { mkdirSync(join(d, "prep")); writeFileSync(join(d, "prep", "manifest.json"), JSON.stringify({ dataset: "chaos", cases: [], sources: [] })); return ["prepare", "chaos", "--src", rawSrc(d), "--out", join(d, "prep"), "--quiet"]; } },
  { name: "prepare --out is an existing file", code: 1, stderr: [/--out/, /existing file/], setup: (d) => { writeFileSync(join(d, "out"), "x"); return ["prepare", "chaos", "--src", rawSrc(d), "--out", join(d, "out"), "--quiet"]; } },
  // --- item 2: predict never replaces its input ---
  { name: "predict --out equal to --input", code: 1, stderr: [/--out/, /same path as --input/], setup: (d) => { const a = PREDICT(d); a[a.indexOf("--out") + 1] = a[a.indexOf("--input") + 1]!; return a; } },
  { name: "predict --out inside the checkpoint folder", code: 1, stderr: [/--out/, /lies inside --checkpoint/], setup: (d) => { const a = PREDICT(d); a[a.indexOf("--out") + 1] = join(d, "run", "checkpoint", "x.nii"); return a; } },
  { name: "predict --checkpoint pointing at a file (was ENOTDIR)", code: 1, stderr: [/cfg\.json/, /is a file; expected a run folder/], setup: (d) => { writeFileSync(join(d, "cfg.json"), "{}"); return ["predict", "--checkpoint", join(d, "cfg.json"), "--input", nii(d, "scan.nii"), "--modality", "ct", "--out", join(d, "o.nii")]; } },
  { name: "predict --checkpoint folder missing", code: 1, stderr: [/nope/, /no checkpoint here: no such folder/], setup: (d) => ["predict", "--checkpoint", join(d, "nope"), "--input", nii(d, "scan.nii"), "--modality", "ct", "--out", join(d, "o.nii")] },
  // --- item 8: non-finite or corrupt weights ---
  { name: "predict with NaN weights (checksum consistent)", code: 1, stderr: [/model\.bin/, /non-finite value \(NaN/], setup: (d) => { const a = PREDICT(d); poisonWeights(join(d, "run"), NaN); return a; } },
  { name: "predict with Infinity weights", code: 1, stderr: [/model\.bin/, /non-finite value \(Infinity/], setup: (d) => { const a = PREDICT(d); poisonWeights(join(d, "run"), Infinity); return a; } },
  { name: "predict with a flipped byte in model.bin (checksum)", code: 1, stderr: [/model\.bin/, /checksum mismatch/], setup: (d) => { const a = PREDICT(d); poisonWeights(join(d, "run"), 0.123, true); return a; } },
  { name: "resume (train) from a NaN checkpoint", code: 1, stderr: [/model\.bin/, /non-finite/], setup: (d) => { const run = withRun(d); poisonWeights(run, NaN); writeFileSync(join(d, "cfg.json"), JSON.stringify({ ...trainCfg(), train: { ...trainCfg().train, steps: 3 } })); return ["train", "--config", join(d, "cfg.json"), "--out", run, "--progress", "none"]; } },
  { name: "predict --batch-size 0", code: 1, stderr: [/--batch-size/, /positive integer/], setup: (d) => PREDICT(d, ["--batch-size", "0"]) },
  { name: "predict --out without .nii", code: 1, stderr: [/--out/, /\.nii/], setup: (d) => { const a = PREDICT(d); a[a.indexOf("--out") + 1] = join(d, "labels.png"); return a; } },
  // --- item 9: resume with another data source or plan ---
  { name: "train resume after changing the data source (trainCases 1 -> 2)", code: 1, stderr: [/resume from .*checkpoint: data\.trainCases/, /got "2"/], setup: (d) => { const run = withRun(d); writeFileSync(join(d, "cfg.json"), JSON.stringify(trainCfg({ trainCases: 2 }))); return ["train", "--config", join(d, "cfg.json"), "--out", run, "--progress", "none"]; } },
  { name: "train resume after changing alpha", code: 1, stderr: [/resume from .*checkpoint: alpha/, /0\.3/], setup: (d) => { const run = withRun(d); writeFileSync(join(d, "cfg.json"), JSON.stringify(trainCfg({ alpha: 0.3 }))); return ["train", "--config", join(d, "cfg.json"), "--out", run, "--progress", "none"]; } },
  // --- item 6: labels outside the class range ---
  { name: "train with label 205 (raw MM-WHS code) and 5 classes", code: 1, stderr: [/ct_lab\.nii/, /label 205; expected integer class indices 0\.\.4/], setup: (d) => ["train", "--config", trainNiftiCfg(d, 205), "--out", join(d, "out"), "--progress", "none"] },
  { name: "train with label 5 (= numClasses)", code: 1, stderr: [/ct_lab\.nii/, /label 5; expected/], setup: (d) => ["train", "--config", trainNiftiCfg(d, 5), "--out", join(d, "out"), "--progress", "none"] },
  // --- item 5: experiment flags ---
  { name: "experiment --alphas ''", code: 1, stderr: [/--alphas/, /no empty items/], setup: () => ["experiment", "--notebook", "table1_cardiac", "--alphas", ""] },
  { name: "experiment --alphas ,,", code: 1, stderr: [/--alphas/, /no empty items/], setup: () => ["experiment", "--notebook", "table1_cardiac", "--alphas", ",,"] },
  { name: "experiment --alphas -1", code: 1, stderr: [/--alphas/, /numbers in \[0, 1\]/], setup: () => ["experiment", "--notebook", "table1_cardiac", "--alphas=-1"] },
  { name: "experiment --steps 0", code: 1, stderr: [/--steps/, /one positive integer/], setup: () => ["experiment", "--notebook", "table1_cardiac", "--steps", "0"] },
  { name: "experiment --steps 1,2", code: 1, stderr: [/--steps/, /one positive integer/], setup: () => ["experiment", "--notebook", "table1_cardiac", "--steps", "1,2"] },
  { name: "experiment --seeds 1,,2", code: 1, stderr: [/--seeds/, /no empty items/], setup: () => ["experiment", "--notebook", "table1_cardiac", "--seeds", "1,,2"] },
  { name: "experiment --settings ''", code: 1, stderr: [/--settings/, /no empty items/], setup: () => ["experiment", "--notebook", "table1_cardiac", "--settings", ""] },
  // --- item 14: messages that blame the right thing ---
  { name: "experiment --data an empty folder", code: 1, stderr: [/--data/, /this folder is empty/], setup: (d) => ["experiment", "--notebook", "table6_outlier", "--data", d] },
  { name: "unknown flag: names the flag, not the whole argv", code: 1, stderr: [/option '--bogus': not an option/], setup: () => ["info", "--bogus", "my-secret-value"] },
  { name: "flag without its value", code: 1, stderr: [/option '--pred'/, /a value after it/], setup: () => ["metrics", "--pred"] },
  // --- items 7 and 12: NIfTI headers ---
  { name: "NIfTI sizeof_hdr 0", code: 1, stderr: [/bad\.nii/, /sizeof_hdr is 0, expected 348/], setup: (d) => ["info", nii(d, "bad.nii", (v) => v.setInt32(HDR.sizeof_hdr, 0, true))] },
  { name: "NIfTI sizeof_hdr 540 with a NIfTI-1 magic", code: 1, stderr: [/bad\.nii/, /sizeof_hdr is 540/], setup: (d) => ["info", nii(d, "bad.nii", (v) => v.setInt32(HDR.sizeof_hdr, 540, true))] },
  { name: "NIfTI bitpix 0", code: 1, stderr: [/bad\.nii/, /bitpix 0 does not match datatype uint8/], setup: (d) => ["info", nii(d, "bad.nii", (v) => v.setInt16(HDR.bitpix, 0, true))] },
  { name: "NIfTI dim[2] = 0", code: 1, stderr: [/bad\.nii/, /invalid dim\[2\] = 0/], setup: (d) => ["info", nii(d, "bad.nii", (v) => v.setInt16(HDR.dim + 4, 0, true))] },
  { name: "NIfTI dim[1] negative", code: 1, stderr: [/bad\.nii/, /invalid dim\[1\] = -4/], setup: (d) => ["info", nii(d, "bad.nii", (v) => v.setInt16(HDR.dim + 2, -4, true))] },
  { name: "NIfTI pixdim[1] = 0", code: 1, stderr: [/bad\.nii/, /invalid pixdim\[1\] = 0/], setup: (d) => ["info", nii(d, "bad.nii", (v) => v.setFloat32(HDR.pixdim + 4, 0, true))] },
  { name: "NIfTI pixdim[2] = NaN", code: 1, stderr: [/bad\.nii/, /invalid pixdim\[2\] = NaN/], setup: (d) => ["info", nii(d, "bad.nii", (v) => v.setFloat32(HDR.pixdim + 8, NaN, true))] },
  { name: "NIfTI pixdim[3] negative", code: 1, stderr: [/bad\.nii/, /invalid pixdim\[3\] = -2/], setup: (d) => ["info", nii(d, "bad.nii", (v) => v.setFloat32(HDR.pixdim + 12, -2, true))] },
  { name: "NIfTI pixdim[1] = Infinity", code: 1, stderr: [/bad\.nii/, /invalid pixdim\[1\] = Infinity/], setup: (d) => ["info", nii(d, "bad.nii", (v) => v.setFloat32(HDR.pixdim + 4, Infinity, true))] },
  { name: "NIfTI unsupported datatype (RGB, 128)", code: 1, stderr: [/bad\.nii/, /unsupported NIfTI datatype code 128/], setup: (d) => ["info", nii(d, "bad.nii", (v) => v.setInt16(HDR.datatype, 128, true))] },
  { name: "NIfTI truncated voxel data", code: 1, stderr: [/cut\.nii/, /truncated/], setup: (d) => { writeFileSync(join(d, "cut.nii"), niftiBytes([8, 8, 8]).subarray(0, 400)); return ["info", join(d, "cut.nii")]; } },
  { name: "NIfTI .nii.gz with a corrupt gzip stream", code: 1, stderr: [/bad\.nii\.gz/, /corrupt or truncated gzip/], setup: (d) => { writeFileSync(join(d, "bad.nii.gz"), gzipSync(niftiBytes()).subarray(0, 60)); return ["info", join(d, "bad.nii.gz")]; } },
  { name: "NIfTI empty file", code: 1, stderr: [/empty\.nii/, /not a NIfTI-1\/2 file \(0 bytes/], setup: (d) => { writeFileSync(join(d, "empty.nii"), ""); return ["info", join(d, "empty.nii")]; } },
  { name: "NIfTI file missing", code: 1, stderr: [/gone\.nii/, /no such file/], setup: (d) => ["info", join(d, "gone.nii")] },
  // --- item 11: decoded-size guard ---
  { name: "PNG declaring 16000x16000 with 100 bytes of data", code: 1, stderr: [/big\.png/, /declares 16000x16000 pixels .* holds only \d+ bytes/], setup: (d) => { writeFileSync(join(d, "big.png"), pngDeclaring(16000, 16000)); return ["info", join(d, "big.png")]; } },
  { name: "PNG declaring 0x10", code: 1, stderr: [/zero\.png/, /at least 1x1/], setup: (d) => { writeFileSync(join(d, "zero.png"), pngDeclaring(0, 10)); return ["info", join(d, "zero.png")]; } },
  { name: "PNG that is not a PNG", code: 1, stderr: [/fake\.png/, /not a readable PNG/], setup: (d) => { writeFileSync(join(d, "fake.png"), "GIF89a........................................"); return ["info", join(d, "fake.png")]; } },
  // --- item 10: metrics geometry and labels ---
  { name: "metrics: label image mirrored (affine x flipped)", code: 1, stderr: [/--pred .*p\.nii .*affine/, /mirrored or shifted.*--ignore-affine/], setup: (d) => { writeFileSync(join(d, "p.nii"), niftiBytes()); writeFileSync(join(d, "l.nii"), niftiBytes([4, 4, 2], { affine: [[-1, 0, 0, 3], [0, 1, 0, 0], [0, 0, 2, 0], [0, 0, 0, 1]] })); return ["metrics", "--pred", join(d, "p.nii"), "--label", join(d, "l.nii")]; } },
  { name: "metrics: label image shifted 50 mm", code: 1, stderr: [/l\.nii/, /affine/], setup: (d) => { writeFileSync(join(d, "p.nii"), niftiBytes()); writeFileSync(join(d, "l.nii"), niftiBytes([4, 4, 2], { affine: [[1, 0, 0, 50], [0, 1, 0, 0], [0, 0, 2, 0], [0, 0, 0, 1]] })); return ["metrics", "--pred", join(d, "p.nii"), "--label", join(d, "l.nii")]; } },
  { name: "metrics --labels with a negative label", code: 1, stderr: [/--labels/, /non-negative integers/], setup: (d) => ["metrics", "--pred", nii(d, "p.nii"), "--label", nii(d, "l.nii"), "--labels=-3,1"] },
  { name: "metrics --labels absent from both images: warning, rc 0", code: 0, stderr: [/warning: --labels 100,200 present in neither .*p\.nii/], setup: (d) => ["metrics", "--pred", nii(d, "p.nii"), "--label", nii(d, "l.nii"), "--labels", "1,100,200"] },
  { name: "metrics shapes differ", code: 1, stderr: [/--pred .*p\.nii has shape/, /l\.nii has/], setup: (d) => { writeFileSync(join(d, "p.nii"), niftiBytes([4, 4, 2])); writeFileSync(join(d, "l.nii"), niftiBytes([4, 4, 3])); return ["metrics", "--pred", join(d, "p.nii"), "--label", join(d, "l.nii")]; } },
  // --- item 12: environment errors as one line ---
  { name: "train --out through a file (ENOTDIR)", code: 1, stderr: [/afile/, /not a folder.*\[ENOTDIR\]/], setup: (d) => { writeFileSync(join(d, "afile"), "x"); writeFileSync(join(d, "cfg.json"), JSON.stringify(trainCfg())); return ["train", "--config", join(d, "cfg.json"), "--out", join(d, "afile", "run"), "--progress", "none"]; } },
  { name: "UMMKD_THREADS=0", code: 1, stderr: [/UMMKD_THREADS/, /positive integer/], env: { UMMKD_THREADS: "0", UMMKD_BACKEND: "" }, setup: (d) => { writeFileSync(join(d, "cfg.json"), JSON.stringify(trainCfg())); return ["train", "--config", join(d, "cfg.json"), "--out", join(d, "run"), "--progress", "none"]; } },
  { name: "train --config with invalid JSON", code: 1, stderr: [/cfg\.json/, /cannot read JSON config/], setup: (d) => { writeFileSync(join(d, "cfg.json"), "{ train: "); return ["train", "--config", join(d, "cfg.json"), "--out", join(d, "run")]; } },
];

describe.concurrent("ummkd CLI on bad input (issue #14)", () => {
  it("has at least 40 cases", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
  });
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
      expect(r.stderr, why).not.toMatch(/my-secret-value/);
      expect(hashTree(dir), why).toEqual(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
