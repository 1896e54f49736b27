/**
 * `ummkd train` and `ummkd predict` end to end, in-process (the CLI's run() functions), on a tiny
 * synthetic cardiac cohort and the real dilated 2D network at width 1/32.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { initEngine } from "../../lib/engine/index.ts";
import { readNifti } from "../../lib/data/nifti.ts";
import { writeNifti } from "../../lib/data/nifti-write.ts";
import { syntheticCase } from "../../lib/data/synthetic.ts";
import { run as runTrain, validateTrainFile } from "../../lib/cli/train.ts";
import { run as runPredict } from "../../lib/cli/predict.ts";
import { OptionError } from "../../lib/util/errors.ts";

let dir: string;
beforeAll(async () => {
  process.env.UMMKD_BACKEND ||= "cpu";
  await initEngine({ backend: "cpu" });
  dir = mkdtempSync(join(tmpdir(), "ummkd-cli-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const base = {
  train: { profile: "smoke", model: { network: "dilated2d", setting: "ours", width: 1 / 32, numClasses: 5, init: "he" }, seed: 4, steps: 2, batchSize: 2, validateEvery: 2, checkpointEvery: 1 },
  data: { kind: "synthetic", task: "cardiac", trainCases: 1, valCases: 1, shape: [16, 16, 6], spacing: [2, 2, 4] },
  out: "run",
};

describe("ummkd train config file validation", () => {
  it.each([
    [{ ...base, extra: 1 }, /cfg\.json: extra.*no such key/],
    [{ ...base, train: { ...base.train, batchSize: "2" } }, /cfg\.json: train\.batchSize.*got string "2"/],
    [{ ...base, data: { ...base.data, kind: "png" } }, /data\.kind.*"synthetic", "nifti"/],
    [{ ...base, data: { ...base.data, cases: 3 } }, /cfg\.json: data\.cases.*no such key/],
    [{ ...base, data: { kind: "nifti", train: { ct: [{ image: "a.nii" }], mri: [] } } }, /data\.train\.ct\[0\]\.label.*required/],
  ])("rejects %j", (raw, re) => {
    expect(() => validateTrainFile(raw, "cfg.json")).toThrow(OptionError);
    expect(() => validateTrainFile(raw, "cfg.json")).toThrow(re);
  });
});

describe("ummkd train + predict", () => {
  it("trains from a config, resumes when re-run, and predicts a NIfTI on the input grid", async () => {
    const cfg = join(dir, "cfg.json");
    writeFileSync(cfg, JSON.stringify(base));
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    try {
      expect(await runTrain(["--config", cfg, "--progress", "none"])).toBe(0);
      const first = JSON.parse(log.mock.calls.at(-1)![0] as string);
      expect(first.steps).toBe(2);
      expect(first.resumedFrom).toBe(0);
      const runDir = join(dir, "run");
      expect(existsSync(join(runDir, "checkpoint", "model.bin"))).toBe(true);
      const records = readFileSync(join(runDir, "log.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
      expect(records.map((r) => `${r.type}@${r.step}`)).toEqual(["train@1", "train@2", "val@2"]);

      // Raise steps: the re-run resumes from step 2.
      writeFileSync(cfg, JSON.stringify({ ...base, train: { ...base.train, steps: 3 } }));
      expect(await runTrain(["--config", cfg, "--progress", "none"])).toBe(0);
      const second = JSON.parse(log.mock.calls.at(-1)![0] as string);
      expect([second.resumedFrom, second.steps]).toEqual([2, 3]);

      // Predict an MRI volume with odd in-plane size (12 x 20 x 5), written as NIfTI.
      const c = syntheticCase("cardiac", "mri", 9, { shape: [12, 20, 5], spacing: [1.5, 1.25, 3] });
      const input = join(dir, "mri.nii.gz");
      writeNifti(input, c.image);
      const out = join(dir, "pred.nii.gz");
      expect(await runPredict(["--checkpoint", runDir, "--input", input, "--modality", "mri", "--out", out])).toBe(0);
      const pred = readNifti(out);
      const src = readNifti(input);
      expect(pred.volume.shape).toEqual([12, 20, 5]);
      expect(pred.header.dtype).toBe("uint8");
      for (let i = 0; i < 3; i++) expect(pred.volume.spacing[i]).toBeCloseTo(src.volume.spacing[i]!, 5);
      expect(pred.volume.affine).toEqual(src.volume.affine);
      expect(Math.max(...pred.volume.data)).toBeLessThan(5);
    } finally {
      log.mockRestore();
    }
  });

  it("trains from NIfTI image/label pairs listed in the config (paths relative to it)", async () => {
    const sub = join(dir, "nifti");
    const ref = (m: "ct" | "mri", seed: number) => {
      const c = syntheticCase("cardiac", m, seed, { shape: [16, 16, 4], spacing: [2, 2, 4] });
      writeNifti(join(sub, `${m}${seed}.nii.gz`), c.image);
      writeNifti(join(sub, `${m}${seed}_label.nii.gz`), c.label!);
      return { image: `${m}${seed}.nii.gz`, label: `${m}${seed}_label.nii.gz` };
    };
    const cfg = join(sub, "cfg.json");
    writeFileSync(
      cfg,
      JSON.stringify({
        train: { ...base.train, steps: 1, validateEvery: 1 },
        data: { kind: "nifti", train: { ct: [ref("ct", 1)], mri: [ref("mri", 2)] }, val: { ct: [ref("ct", 3)], mri: [ref("mri", 4)] } },
        out: "run",
      }),
    );
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    try {
      expect(await runTrain(["--config", cfg, "--progress", "none"])).toBe(0);
      expect(JSON.parse(log.mock.calls.at(-1)![0] as string).steps).toBe(1);
    } finally {
      log.mockRestore();
    }
    const records = readFileSync(join(sub, "run", "log.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(records.map((r) => r.type)).toEqual(["train", "val"]);
    // A label file that is not integer-valued is refused with its path.
    const bad = syntheticCase("cardiac", "ct", 5, { shape: [16, 16, 4], spacing: [2, 2, 4] });
    writeNifti(join(sub, "bad_label.nii.gz"), { ...bad.image, data: bad.image.data.map((v) => v + 0.5) });
    writeFileSync(cfg, JSON.stringify({ train: base.train, data: { kind: "nifti", train: { ct: [{ image: "ct1.nii.gz", label: "bad_label.nii.gz" }], mri: [ref("mri", 2)] } }, out: "run2" }));
    await expect(runTrain(["--config", cfg, "--progress", "none"])).rejects.toThrow(/bad_label\.nii\.gz.*integer class indices/);
  });

  it("predict errors name the flag", async () => {
    await expect(runPredict(["--checkpoint", dir, "--input", "x.nii", "--modality", "pet", "--out", "y.nii"])).rejects.toThrow(/--modality.*"ct", "mri"/);
    await expect(runPredict(["--checkpoint", join(dir, "nowhere"), "--input", "x.nii", "--modality", "ct", "--out", "y.nii.gz"])).rejects.toThrow(/no checkpoint here/);
  });
});
