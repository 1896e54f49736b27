/**
 * Helpers of the reliability suite: spawn the real CLI (`node bin/ummkd.js`), hash a folder tree
 * (to prove a refused command changed nothing), and build tiny NIfTI / PNG / config fixtures whose
 * header bytes the cases then corrupt.
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { lstatSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { deflateSync } from "node:zlib";
import type { ExpectStatic } from "vitest";
import { encodeNifti } from "../../lib/data/nifti-write.ts";
import { diagonalAffine } from "../../lib/data/geometry.ts";
import type { Affine } from "../../lib/data/types.ts";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run `node bin/ummkd.js ...args` from the repository root (cpu backend, 1 thread unless `env` says otherwise). */
export function runCli(args: string[], env: Record<string, string> = {}, timeoutMs = 90_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, "bin", "ummkd.js"), ...args], {
      cwd: ROOT,
      env: { ...process.env, UMMKD_BACKEND: "cpu", UMMKD_THREADS: "1", NO_COLOR: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b) => (stdout += b));
    child.stderr.on("data", (b) => (stderr += b));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A JavaScript stack frame or Node's crash banner in CLI output. */
export const STACK_RE = /^\s+at .+(\(|:\d+:\d+)|node:internal|^Node\.js v\d/m;

/** A bad-input case of the CLI: its argv, built in a fresh temp folder, and the refusal it must give. */
export interface RefusalCase {
  name: string;
  setup: (dir: string) => string[];
  /** Extra environment, from the case's folder. */
  env?: (dir: string) => Record<string, string>;
  /** Patterns the stderr must match. */
  stderr: RegExp[];
  /** The refusal must come within this time (the child is killed after it); default 90 s. */
  timeoutMs?: number;
}

/**
 * Run one refusal case and check what every refusal must be: exit 1, the case's stderr patterns,
 * exactly one `ummkd <cmd>:` line, no stack trace, and the case's folder byte-identical afterwards.
 */
export async function expectRefusal(c: RefusalCase, expect: ExpectStatic): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "ummkd-case-"));
  try {
    const argv = c.setup(dir);
    const before = hashTree(dir);
    const t0 = Date.now();
    const r = await runCli(argv, c.env?.(dir), c.timeoutMs);
    const why = `argv: ${argv.join(" ")}\nstderr: ${r.stderr}\nstdout: ${r.stdout.slice(0, 500)}`;
    expect(r.code, why).toBe(1);
    for (const re of c.stderr) expect(r.stderr, why).toMatch(re);
    expect(r.stderr, why).not.toMatch(STACK_RE);
    expect(r.stderr.split("\n").filter((l) => /^ummkd \w+: /.test(l)), why).toHaveLength(1);
    expect(hashTree(dir), why).toEqual(before);
    if (c.timeoutMs) expect(Date.now() - t0, why).toBeLessThan(c.timeoutMs);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Sorted "path type sha256" lines for every entry below `dir` (hidden ones included). */
export function hashTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = lstatSync(p);
      const rel = relative(dir, p);
      if (st.isSymbolicLink()) out.push(`${rel} link ${readlinkSync(p)}`);
      else if (st.isDirectory()) {
        out.push(`${rel} dir`);
        walk(p);
      } else out.push(`${rel} file ${createHash("sha256").update(readFileSync(p)).digest("hex")}`);
    }
  };
  walk(dir);
  return out;
}

/** Bytes of a valid little-endian NIfTI-1 (.nii, uncompressed; header at 0, voxels from 352). */
export function niftiBytes(
  shape: [number, number, number] = [4, 4, 2],
  opts: { data?: Float32Array | Uint8Array; affine?: Affine; spacing?: [number, number, number] } = {},
): Buffer {
  const n = shape[0] * shape[1] * shape[2];
  const spacing = opts.spacing ?? [1, 1, 2];
  const data = opts.data ?? Uint8Array.from({ length: n }, (_, i) => i % 3);
  return Buffer.from(encodeNifti({ data, shape, spacing, affine: opts.affine ?? diagonalAffine(spacing) }));
}

/** NIfTI-1 header field offsets (bytes) used by the corruption cases. */
export const HDR = { sizeof_hdr: 0, dim: 40, datatype: 70, bitpix: 72, pixdim: 76 } as const;

/** A NIfTI file with header edits applied: `edit(dataView)` on a valid file's bytes. */
export function writeNiftiEdited(path: string, edit: (dv: DataView) => void, shape?: [number, number, number]): void {
  const b = niftiBytes(shape);
  edit(new DataView(b.buffer, b.byteOffset, b.byteLength));
  writeFileSync(path, b);
}

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const byte of buf) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** A greyscale 8-bit PNG whose IHDR declares width x height, with `idat` as its (compressed) data. */
export function pngDeclaring(width: number, height: number, idat: Buffer = deflateSync(Buffer.alloc(100))): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr), chunk("IDAT", idat), chunk("IEND", Buffer.alloc(0))]);
}

/** The pid of a process that has exited (for stale-lock and stale-temp cases). */
export function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", ""]);
  return r.pid!;
}
