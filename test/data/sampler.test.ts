import { describe, it, expect, afterAll } from "vitest";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { UnpairedSampler } from "../../lib/data/sampler.ts";
import { augmentSample } from "../../lib/data/augment.ts";
import { makeSplit, loadOrCreateSplits, mmwhsSplits } from "../../lib/data/splits.ts";
import { diagonalAffine } from "../../lib/data/geometry.ts";
import type { Case, ModalityName } from "../../lib/data/types.ts";
import { Rng } from "../../lib/util/rng.ts";
import { DataError, ShapeError } from "../../lib/util/errors.ts";
import { tmpDir } from "./helpers.ts";

const t = tmpDir();
afterAll(t.cleanup);

/** Case whose voxel value encodes (case k, z, y, x) so every batch item can be traced back. */
function tagged(id: string, k: number, modality: ModalityName, nz: number, W = 4, H = 3): Case {
  const n = W * H * nz;
  const data = new Float32Array(n);
  const lab = new Uint8Array(n);
  for (let z = 0; z < nz; z++) for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    const i = x + W * (y + H * z);
    data[i] = k * 1000 + z * 10 + y + x / 10;
    lab[i] = z >= 2 && z <= 3 && x === 1 ? 1 + (z % 4) : 0;
  }
  const geo = { shape: [W, H, nz] as [number, number, number], spacing: [1, 1, 1] as [number, number, number], affine: diagonalAffine([1, 1, 1]) };
  return { id, modality, image: { data, ...geo }, label: { data: lab, ...geo } };
}

const ct = [tagged("c0", 1, "ct", 5), tagged("c1", 2, "ct", 9)];
const mri = [tagged("m0", 3, "mri", 4), tagged("m1", 4, "mri", 12)];

describe("UnpairedSampler", () => {
  it("2D: per modality a [B,H,W,3] batch of real 2.5D slices with the middle slice's label", () => {
    const s = new UnpairedSampler({ ct, mri }, { mode: "2d", batchSize: 5, seed: 1 });
    const b = s.next();
    expect(b.ct!.xShape).toEqual([5, 3, 4, 3]);
    expect(b.ct!.yShape).toEqual([5, 3, 4]);
    expect(b.mri!.caseIds.every((id) => id.startsWith("m"))).toBe(true);
    for (const [m, cases] of [["ct", ct], ["mri", mri]] as const) {
      const B = b[m]!;
      B.caseIds.forEach((id, k) => {
        const c = cases.find((cc) => cc.id === id)!;
        const z = B.slices[k]!;
        const nz = c.image.shape[2];
        // pixel (y=2, x=3) of item k, channel 0/1/2 = slices z-1, z, z+1 clamped
        for (let ch = 0; ch < 3; ch++) {
          const zz = Math.min(Math.max(z + ch - 1, 0), nz - 1);
          expect(B.x[k * 36 + (2 * 4 + 3) * 3 + ch]).toBeCloseTo(c.image.data[3 + 4 * (2 + 3 * zz)]!, 5);
        }
        expect(B.y[k * 12 + 1]).toBe(c.label!.data[1 + 12 * z]);
      });
    }
  });
  it("3D: [B,D,H,W,1] patches, start slices from the aligned/foreground rule", () => {
    const s = new UnpairedSampler({ mri }, { mode: "3d", batchSize: 6, depth: 4, seed: 2 });
    const b = s.next().mri!;
    expect(b.xShape).toEqual([6, 4, 3, 4, 1]);
    expect(b.yShape).toEqual([6, 4, 3, 4]);
    b.caseIds.forEach((id, k) => {
      const nz = id === "m0" ? 4 : 12;
      const z0 = b.slices[k]!;
      expect(z0).toBeLessThanOrEqual(nz - 4);
      expect(b.x[k * 48 + 2 * 12]).toBeCloseTo((id === "m0" ? 3000 : 4000) + (z0 + 2) * 10, 4);
    });
  });
  it("3D patchesPerCase: consecutive patches from one volume", () => {
    const b = new UnpairedSampler({ mri }, { mode: "3d", batchSize: 6, depth: 4, seed: 9, patchesPerCase: 2 }).next().mri!;
    for (let k = 0; k < 6; k += 2) expect(b.caseIds[k]).toBe(b.caseIds[k + 1]);
    expect(() => new UnpairedSampler({ mri }, { mode: "3d", batchSize: 3, seed: 9, patchesPerCase: 2 })).toThrow(/patchesPerCase/);
  });
  it("deterministic for a seed, different for another; modalities draw independently", () => {
    const draw = (seed: number, data: Partial<Record<ModalityName, Case[]>>) => {
      const s = new UnpairedSampler(data, { mode: "2d", batchSize: 4, seed });
      return [s.next(), s.next()];
    };
    const a = draw(7, { ct, mri });
    const b = draw(7, { ct, mri });
    expect(a[1]!.ct!.x).toEqual(b[1]!.ct!.x);
    expect(a[1]!.mri!.slices).toEqual(b[1]!.mri!.slices);
    const c = draw(8, { ct, mri });
    expect(JSON.stringify([c[0]!.ct!.slices, c[1]!.ct!.slices, c[0]!.ct!.caseIds])).not.toBe(JSON.stringify([a[0]!.ct!.slices, a[1]!.ct!.slices, a[0]!.ct!.caseIds]));
    // the CT stream does not depend on whether the MRI batch is drawn
    const s = new UnpairedSampler({ ct, mri }, { mode: "2d", batchSize: 4, seed: 7 });
    s.batch("ct");
    expect(s.batch("ct").slices).toEqual(a[1]!.ct!.slices);
  });
  it("seeded augmentation: reproducible, labels stay valid classes, identity when all ranges are 0", () => {
    const opts = { mode: "2d" as const, batchSize: 3, seed: 5, augment: { rotateDeg: 20 } };
    const a = new UnpairedSampler({ ct }, opts).next().ct!;
    const b = new UnpairedSampler({ ct }, opts).next().ct!;
    expect(a.x).toEqual(b.x);
    expect(a.y.every((v) => v <= 4)).toBe(true);
    const plain = new UnpairedSampler({ ct }, { ...opts, augment: false }).next().ct!;
    expect(a.x).not.toEqual(plain.x);
    const x = Float32Array.from(plain.x.subarray(0, 36));
    const y = Uint8Array.from(plain.y.subarray(0, 12));
    augmentSample(x, y, 3, 4, { channels: 3, planar: false }, new Rng(1), { rotateDeg: 0, scale: 0, shift: 0, intensityScale: 0, intensityShift: 0 });
    Array.from(x).forEach((v, i) => expect(v).toBeCloseTo(plain.x[i]!, 4));
    expect(Array.from(y)).toEqual(Array.from(plain.y.subarray(0, 12)));
  });
  it("90-degree rotation moves pixels as expected (nearest labels)", () => {
    // 3x3 plane, label 1 at (x=2, y=1); rotating by +90 about the centre maps it to (x=1, y=2) or (1,0)
    const y = new Uint8Array(9);
    y[1 * 3 + 2] = 1;
    const x = Float32Array.from(y);
    augmentSample(x, y, 3, 3, { channels: 1, planar: true }, { next: () => 1, normal: () => 0 } as unknown as Rng, { rotateDeg: 90, scale: 0, shift: 0 });
    expect(y.reduce((a, v) => a + v, 0)).toBe(1);
    expect(y[2 * 3 + 1] + y[0 * 3 + 1]).toBe(1);
  });
  it("rejects mixed in-plane sizes and bad options", () => {
    expect(() => new UnpairedSampler({ ct: [ct[0]!, tagged("x", 9, "ct", 3, 5, 3)] }, { mode: "2d", batchSize: 1, seed: 0 })).toThrow(ShapeError);
    expect(() => new UnpairedSampler({ ct }, { mode: "4d" as any, batchSize: 1, seed: 0 })).toThrow(/mode/);
    expect(() => new UnpairedSampler({ ct }, { mode: "2d", batchSize: 0, seed: 0 })).toThrow(/batchSize/);
  });
});

describe("splits", () => {
  const ids16 = Array.from({ length: 16 }, (_, i) => String(i));
  it("70/10/20 by count, disjoint, covering, deterministic", () => {
    const a = makeSplit(ids16, new Rng(1));
    expect([a.train.length, a.val.length, a.test.length]).toEqual([11, 2, 3]);
    expect(new Set([...a.train, ...a.val, ...a.test]).size).toBe(16);
    expect(makeSplit(ids16, new Rng(1))).toEqual(a);
    expect(makeSplit(ids16, new Rng(2))).not.toEqual(a);
    const b = makeSplit(Array.from({ length: 20 }, (_, i) => String(i)), new Rng(1));
    expect([b.train.length, b.val.length, b.test.length]).toEqual([14, 2, 4]);
  });
  it("fixed test cases are honoured (MM-WHS)", () => {
    const ids = Array.from({ length: 20 }, (_, i) => String(1001 + i));
    const s = makeSplit(ids, new Rng(0), ["1003", "1008", "1014", "1019"]);
    expect(s.test).toEqual(["1003", "1008", "1014", "1019"]);
    expect(s.train.length + s.val.length).toBe(16);
    expect(() => makeSplit(ids, new Rng(0), ["999"])).toThrow(/999/);
  });
  it("written once, reused, and a changed case list is an error (not a silent regeneration)", () => {
    const f = join(t.dir, "splits", "toy.json");
    const first = loadOrCreateSplits(f, "toy", { ct: ids16, mri: ["a", "b", "c"] }, 3);
    expect(existsSync(f)).toBe(true);
    const text = readFileSync(f, "utf8");
    const second = loadOrCreateSplits(f, "toy", { mri: ["c", "b", "a"], ct: [...ids16].reverse() }, 999);
    expect(second).toEqual(first);
    expect(readFileSync(f, "utf8")).toBe(text);
    expect(() => loadOrCreateSplits(f, "toy", { ct: ids16.slice(1), mri: ["a", "b", "c"] }, 3)).toThrow(DataError);
    expect(() => loadOrCreateSplits(f, "toy", { ct: ids16, mri: ["a", "b", "c"], }, 3, {})).not.toThrow();
    writeFileSync(f, "{ broken");
    expect(() => loadOrCreateSplits(f, "toy", { ct: ids16 }, 3)).toThrow(/toy\.json: unreadable split file/);
  });
  it("MM-WHS: fixed SIFA test cases when all are present", () => {
    const ids = Array.from({ length: 20 }, (_, i) => String(1001 + i));
    const f = mmwhsSplits({ ct: ids, mri: ids }, join(t.dir, "splits", "mmwhs.json"));
    expect(f.splits.ct!.test).toEqual(["1003", "1008", "1014", "1019"]);
    expect(f.splits.mri!.test).toEqual(["1007", "1009", "1018", "1019"]);
    expect(f.splits.ct!.val).toHaveLength(2);
    expect(f.splits.ct!.train).toHaveLength(14);
  });
});
