/**
 * Reliability suite, round 2 (issue #27), classes 12 and 14: sizes refused up front with an
 * estimate, and error messages that name the right thing. A full disk and a read-only file system
 * cannot be made in CI, so `node:fs` is wrapped: `writeSync` fails with ENOSPC while `fault.full`
 * is set (as a write on a file descriptor does, without a path), and below `fault.readOnly`
 * `accessSync` fails with EROFS and a recursive `mkdirSync` with ENOENT (what Node reports on a
 * read-only mount; checked by hand on a `mount -o ro` tmpfs). The CLI cases run in child
 * processes, which the wrapper does not reach.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { RefusalCase } from "./helpers.ts";

const fault = vi.hoisted(() => ({ full: false, readOnly: "", noPermission: "" }));

vi.mock("node:fs", async (orig) => {
  const fs = await orig<typeof import("node:fs")>();
  const sysErr = (code: string, syscall: string, path?: string) =>
    Object.assign(new Error(`${code}: ${syscall}${path ? ` '${path}'` : ""}`), { code, syscall, ...(path ? { path } : {}) });
  const under = (p: unknown, dir: string) => dir !== "" && (String(p) === dir || String(p).startsWith(dir + "/"));
  const writeSync = ((...a: Parameters<typeof fs.writeSync>) => {
    if (fault.full) throw sysErr("ENOSPC", "write");
    return (fs.writeSync as (...x: unknown[]) => number)(...a);
  }) as typeof fs.writeSync;
  const accessSync: typeof fs.accessSync = (p, m) => {
    if (under(p, fault.readOnly)) throw sysErr("EROFS", "access", String(p));
    if (under(p, fault.noPermission)) throw sysErr("EACCES", "access", String(p));
    return fs.accessSync(p, m);
  };
  const mkdirSync = ((p: Parameters<typeof fs.mkdirSync>[0], o?: Parameters<typeof fs.mkdirSync>[1]) => {
    if (under(p, fault.readOnly) && String(p) !== fault.readOnly) throw sysErr("ENOENT", "mkdir", String(p));
    return fs.mkdirSync(p, o);
  }) as typeof fs.mkdirSync;
  const over = { writeSync, accessSync, mkdirSync };
  return { ...fs, ...over, default: { ...fs, ...over } };
});

const { writeFileAtomic, writeDirAtomic } = await import("../../lib/util/atomic.ts");
const { acquireLock } = await import("../../lib/util/lock.ts");
const { userErrorMessage } = await import("../../lib/util/errors.ts");
const { checkWritableOutput } = await import("../../lib/util/paths.ts");
const { activationElements, countParams } = await import("../../lib/models/network.ts");
const { checkTrainStepMemory, estimateTrainStepBytes } = await import("../../lib/bench/train-step-memory.ts");
const { expectRefusal, niftiBytes, runCli } = await import("./helpers.ts");

afterEach(() => {
  fault.full = false;
  fault.readOnly = "";
  fault.noPermission = "";
});

/** The error `fn` throws (or rejects with). */
async function caught(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected an error");
}

describe("disk full: the message names the path (class 14)", () => {
  it("writeFileAtomic (results, NIfTI, configs): ENOSPC names the file being written", async () => {
    const d = mkdtempSync(join(tmpdir(), "ummkd-full-"));
    const file = join(d, "config.json");
    fault.full = true;
    const e = await caught(() => writeFileAtomic(file, "{}"));
    expect(userErrorMessage(e)).toBe(`${file}: no space left on the device (write) [ENOSPC]`);
    fault.full = false;
    expect(readdirSync(d)).toEqual([]); // no temp file left
  });
  it("writeDirAtomic (prepare's output, checkpoints): the file is named as it would have been published, no temp folder left", async () => {
    const d = mkdtempSync(join(tmpdir(), "ummkd-full-"));
    const out = join(d, "prep");
    const e = await caught(() =>
      writeDirAtomic(out, (tmp) => {
        writeFileAtomic(join(tmp, "manifest.json"), "{}");
        fault.full = true;
        writeFileAtomic(join(tmp, "mri", "1_image.nii.gz"), new Uint8Array(10));
      }),
    );
    fault.full = false;
    expect(userErrorMessage(e)).toBe(`${join(out, "mri", "1_image.nii.gz")}: no space left on the device (write) [ENOSPC]`);
    expect(readdirSync(d)).toEqual([]);
  });
  it("a folder build that fails on a descriptor with no path of its own names the folder", async () => {
    const d = mkdtempSync(join(tmpdir(), "ummkd-full-"));
    const out = join(d, "results");
    const e = await caught(() =>
      writeDirAtomic(out, () => {
        throw Object.assign(new Error("ENOSPC"), { code: "ENOSPC", syscall: "write" });
      }),
    );
    expect(userErrorMessage(e)).toBe(`${out}: no space left on the device (write) [ENOSPC]`);
  });
  it("a lock file that cannot be written names the lock", async () => {
    const d = mkdtempSync(join(tmpdir(), "ummkd-full-"));
    const lock = join(d, "0024fd323338fd2b.lock");
    fault.full = true;
    const e = await caught(() => acquireLock(lock));
    expect(userErrorMessage(e)).toBe(`${lock}: no space left on the device (write) [ENOSPC]`);
  });
});

describe("read-only output: said as read-only, not ENOENT (class 14)", () => {
  it("mkdir -p under a read-only file system: the one line says read-only and names the folder", async () => {
    const ro = mkdtempSync(join(tmpdir(), "ummkd-ro-"));
    fault.readOnly = ro;
    const e = await caught(() => mkdirSync(join(ro, "out", "run"), { recursive: true }));
    expect((e as { code: string }).code).toBe("ENOENT"); // what Node says
    expect(userErrorMessage(e)).toBe(`${join(ro, "out", "run")}: cannot be created: ${ro} is on a read-only file system [EROFS]`);
  });
  it("a genuinely missing parent stays ENOENT", async () => {
    const e = Object.assign(new Error("ENOENT"), { code: "ENOENT", syscall: "mkdir", path: join(mkdtempSync(join(tmpdir(), "ummkd-ro-")), "x") });
    expect(userErrorMessage(e)).toMatch(/: no such file or folder \(mkdir\) \[ENOENT\]$/);
  });
  it("checkWritableOutput refuses a read-only or unwritable location before any work, naming the option", () => {
    const ro = mkdtempSync(join(tmpdir(), "ummkd-ro-"));
    fault.readOnly = ro;
    expect(() => checkWritableOutput("--out", join(ro, "a", "run"))).toThrow(`option '--out': got "${join(ro, "a", "run")}", expected a location ummkd can write to: ${ro} is on a read-only file system [EROFS]`);
    fault.readOnly = "";
    const locked = mkdtempSync(join(tmpdir(), "ummkd-ro-"));
    fault.noPermission = locked;
    expect(() => checkWritableOutput("--out", join(locked, "run"))).toThrow(`${locked} is not writable (permission denied) [EACCES]`);
    fault.noPermission = "";
    expect(() => checkWritableOutput("--out", join(locked, "run"))).not.toThrow();
  });
  it("checkWritableOutput: /proc and /sys are refused (mkdir -p never returns there)", () => {
    expect(() => checkWritableOutput("--out", "/proc/ummkd-x/run")).toThrow("/proc is in a kernel pseudo-file system (/proc, /sys), where no folder can be made");
    expect(() => checkWritableOutput("--out", "/sys/ummkd-x")).toThrow("/sys is in a kernel pseudo-file system");
    expect(() => checkWritableOutput("--out", "/processing/x")).not.toThrow(/pseudo-file system/);
  });
  it("checkWritableOutput: a path through a file is named", () => {
    const d = mkdtempSync(join(tmpdir(), "ummkd-ro-"));
    writeFileSync(join(d, "f"), "x");
    expect(() => checkWritableOutput("--out", join(d, "f", "run"))).toThrow(`${join(d, "f")} is a file, not a folder`);
  });
});

describe("memory estimate of bench train-step (class 12)", () => {
  it("activations are counted from the layer description (hand count of the 3D U-Net at base 1 on 8x8x8: 28752)", () => {
    // enc1 3*512*(1+2), pools 128/32/8, enc2 3*64*(2+4), enc3 3*8*(4+8), enc4 3*1*(8+16), up3 3*8*8 + concat 8*16
    // + 2 convs 3*8*8*2, up2 3*64*8 + concat 64*12 + 3*64*4*2, up1 3*512*4 + concat 512*6 + 3*512*2*2, head 512*5
    expect(activationElements({ network: "unet3d", setting: "ours", width: 1 / 16 }, [1, 8, 8, 8, 1])).toBe(28752);
    expect(countParams({ network: "unet3d", setting: "ours", width: 1 })).toBe(2_204_565); // the README's count
  });
  it("the estimate scales as weights x 16 B + activations x 12 B, both modalities", () => {
    const o = { network: "unet3d" as const, width: 1 / 16, size: 8, depth: 8, batch: 1, steps: 1, warmup: 0 };
    const e = estimateTrainStepBytes(o);
    expect(e.activations).toBe(2 * 28752);
    expect(e.bytes).toBe(16 * e.params + 12 * 2 * 28752);
  });
  it("a step beyond the machine's memory is refused naming the options and the estimate; one that fits is not", () => {
    const gib = 2 ** 30;
    const big = { network: "unet3d" as const, width: 1, size: 96, depth: 8, batch: 2, steps: 1, warmup: 0 };
    expect(() => checkTrainStepMemory(big, gib)).toThrow(/option '--width\/--size\/--batch'.*unet3d would need about 2\.\d GiB \(2\.2 M parameters, \d+ M activation values\), this machine has 1\.0 GiB/);
    expect(() => checkTrainStepMemory({ ...big, width: 0.5, size: 64 }, gib)).not.toThrow();
  });
});

// at width 100 every channel count is 100x the paper's, so the parameters are about 100^2 x the
// paper-scale counts (Table I: 39.3 M for Ours; the released 3D U-Net: 2.2 M), a little less
// because the first and last layers grow only linearly
const CASES: RefusalCase[] = [
  {
    name: "bench train-step --network unet3d --width 100 is refused at once with the estimate (ran silently > 300 s)",
    stderr: [/^ummkd bench: option '--width\/--size\/--batch': got \{"width":100,"size":64,"batch":8,"depth":8\}/m, /unet3d would need about \d+(\.\d)? GiB \(2[12]\d{3}\.\d M parameters/, /this machine has \d+(\.\d)? GiB/],
    setup: () => ["bench", "train-step", "--network", "unet3d", "--width", "100"],
    timeoutMs: 30_000,
  },
  {
    name: "bench thread-scaling --width 100 (dilated2d) is refused the same way",
    stderr: [/option '--width\/--size\/--batch'/, /dilated2d would need about \d+(\.\d)? GiB/],
    setup: () => ["bench", "thread-scaling", "--width", "100"],
    timeoutMs: 30_000,
  },
  {
    name: "train with train.model.width 100 is refused at once, naming the config keys (it grew for minutes)",
    stderr: [/^ummkd train: option '.*cfg\.json: train\.model\.width \/ train\.batchSize': got \{"width":100,"batchSize":2,"plane":\[16,16\]\}/m, /dilated2d on 16x16 would need about \d+(\.\d)? GiB \(39\d{4}\.\d M parameters/],
    setup: (d) => {
      const cfg = {
        train: { profile: "smoke", model: { network: "dilated2d", setting: "ours", width: 100, numClasses: 5, init: "he" }, seed: 4, steps: 2, batchSize: 2, validateEvery: 0, checkpointEvery: 1 },
        data: { kind: "synthetic", task: "cardiac", trainCases: 1, valCases: 0, shape: [16, 16, 6], spacing: [2, 2, 4] },
      };
      writeFileSync(join(d, "cfg.json"), JSON.stringify(cfg));
      return ["train", "--config", join(d, "cfg.json"), "--out", join(d, "run"), "--progress", "none"];
    },
    timeoutMs: 30_000,
  },
  {
    name: "experiment --out under /proc is refused at once (Node's mkdir -p looped there for ever)",
    stderr: [/^ummkd experiment: option '--out': got "\/proc\/ummkd-no\/run[^"]*", expected a location ummkd can write to: \/proc is in a kernel pseudo-file system/m],
    setup: () => ["experiment", "--notebook", "table1_cardiac", "--profile", "smoke", "--out", "/proc/ummkd-no/run"],
    timeoutMs: 30_000,
  },
  {
    name: "prepare --out a symbolic link is refused before the work (it failed with ENOTDIR after all of it)",
    stderr: [/option '--out': got ".*link"/, /not a symbolic link \(it links to .*real/],
    setup: (d) => {
      const src = join(d, "chaos");
      mkdirSync(src);
      writeFileSync(join(src, "image_1.nii"), niftiBytes([16, 16, 2]));
      writeFileSync(join(src, "label_1.nii"), niftiBytes([16, 16, 2], { data: new Uint8Array(512) }));
      mkdirSync(join(d, "real"));
      symlinkSync(join(d, "real"), join(d, "link"));
      return ["prepare", "chaos", "--src", src, "--out", join(d, "link")];
    },
  },
  {
    name: "experiment --data with the wrong layout says which layout (it blamed Table VI's CT test cases)",
    stderr: [/^ummkd experiment: option '--data': got ".*wrong"/m, /btcv_sabs_ct\/ .*chaos_t2_mr\//, /table2_abdominal reads at profile cpu; this folder holds notes\.txt, scans$/m],
    setup: (d) => {
      mkdirSync(join(d, "wrong", "scans"), { recursive: true });
      writeFileSync(join(d, "wrong", "notes.txt"), "x");
      return ["experiment", "--notebook", "table6_outlier", "--profile", "cpu", "--data", join(d, "wrong"), "--dry-run"];
    },
  },
  {
    name: "experiment --config (abdominal) --profile cpu --data with the wrong layout, before training",
    stderr: [/option '--data'/, /abd reads at profile cpu/],
    setup: (d) => {
      mkdirSync(join(d, "wrong"));
      writeFileSync(join(d, "wrong", "x"), "x");
      writeFileSync(join(d, "c.json"), JSON.stringify({ name: "abd", artefact: "test", task: "abdominal", network: "unet3d", settings: ["joint"], norms: ["batch"], alphas: [0] }));
      return ["experiment", "--config", join(d, "c.json"), "--profile", "cpu", "--data", join(d, "wrong"), "--out", join(d, "out")];
    },
  },
];

describe.concurrent("the CLI: sizes and messages (issue #27 classes 12, 14)", () => {
  it.concurrent.for(CASES)("$name", (c, { expect }) => expectRefusal(c, expect));
});

describe("what still works", () => {
  it("prepare --out the folder a link points to (the remedy the message gives) writes there", async () => {
    const d = mkdtempSync(join(tmpdir(), "ummkd-case-"));
    try {
      const src = join(d, "chaos");
      mkdirSync(src);
      writeFileSync(join(src, "image_1.nii"), niftiBytes([16, 16, 2]));
      writeFileSync(join(src, "label_1.nii"), niftiBytes([16, 16, 2], { data: new Uint8Array(512) }));
      mkdirSync(join(d, "real"));
      const r = await runCli(["prepare", "chaos", "--src", src, "--out", join(d, "real"), "--quiet"]);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(readFileSync(join(d, "real", "manifest.json"), "utf8")).cases).toHaveLength(1);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});
