// The one batch source (lib/train/batch-source.ts): CaseBatchSource, with the former
// UnpairedSampler's tests (test/data/sampler.test.ts) adapted to it, and its batches pinned.
import { createHash } from "node:crypto";
import { describe, it, expect } from "vitest";
import { CaseBatchSource, validationSet } from "../../lib/train/batch-source.ts";
import type { Batch } from "../../lib/train/types.ts";
import { augmentSample } from "../../lib/data/augment.ts";
import { diagonalAffine } from "../../lib/data/geometry.ts";
import { syntheticCohort } from "../../lib/data/synthetic.ts";
import type { Case, ModalityName } from "../../lib/data/types.ts";
import { Rng } from "../../lib/util/rng.ts";
import { OptionError, ShapeError } from "../../lib/util/errors.ts";

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

describe("CaseBatchSource", () => {
  it("2D: per modality a [B,H,W,3] batch of real 2.5D slices with the middle slice's label", () => {
    const s = new CaseBatchSource({ ct, mri }, "2d", 1);
    const b = { ct: s.next(0, 5), mri: s.next(1, 5) };
    expect(b.ct.xShape).toEqual([5, 3, 4, 3]);
    expect(b.ct.yShape).toEqual([5, 3, 4]);
    expect(b.mri.caseIds!.every((id) => id.startsWith("m"))).toBe(true);
    for (const [m, cases] of [["ct", ct], ["mri", mri]] as const) {
      const B = b[m];
      B.caseIds!.forEach((id, k) => {
        const c = cases.find((cc) => cc.id === id)!;
        const z = B.slices![k]!;
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
    const b = new CaseBatchSource({ ct, mri }, "3d", 2, { depth: 4 }).next(1, 6);
    expect(b.xShape).toEqual([6, 4, 3, 4, 1]);
    expect(b.yShape).toEqual([6, 4, 3, 4]);
    b.caseIds!.forEach((id, k) => {
      const nz = id === "m0" ? 4 : 12;
      const z0 = b.slices![k]!;
      expect(z0).toBeLessThanOrEqual(nz - 4);
      expect(b.x[k * 48 + 2 * 12]).toBeCloseTo((id === "m0" ? 3000 : 4000) + (z0 + 2) * 10, 4);
    });
  });
  it("3D patchesPerCase: consecutive patches from one volume", () => {
    const b = new CaseBatchSource({ ct, mri }, "3d", 9, { depth: 4, patchesPerCase: 2 }).next(1, 6);
    for (let k = 0; k < 6; k += 2) expect(b.caseIds![k]).toBe(b.caseIds![k + 1]);
    expect(new Set(b.caseIds).size).toBeGreaterThanOrEqual(1);
    expect(() => new CaseBatchSource({ ct, mri }, "3d", 9, { patchesPerCase: 2 }).next(1, 3)).toThrow(/patchesPerCase/);
  });
  it("deterministic for a seed, different for another; modalities draw independently; a restored source continues exactly", () => {
    const draw = (seed: number) => {
      const s = new CaseBatchSource({ ct, mri }, "2d", seed);
      return [{ ct: s.next(0, 4), mri: s.next(1, 4) }, { ct: s.next(0, 4), mri: s.next(1, 4) }];
    };
    const a = draw(7);
    const b = draw(7);
    expect(a[1]!.ct.x).toEqual(b[1]!.ct.x);
    expect(a[1]!.mri.slices).toEqual(b[1]!.mri.slices);
    const c = draw(8);
    expect(JSON.stringify([c[0]!.ct.slices, c[1]!.ct.slices, c[0]!.ct.caseIds])).not.toBe(JSON.stringify([a[0]!.ct.slices, a[1]!.ct.slices, a[0]!.ct.caseIds]));
    // the CT stream does not depend on whether the MRI batch is drawn
    const s = new CaseBatchSource({ ct, mri }, "2d", 7);
    s.next(0, 4);
    expect(s.next(0, 4).slices).toEqual(a[1]!.ct.slices);
    // resume: the state is the two counters
    const r = new CaseBatchSource({ ct, mri }, "2d", 7);
    r.restore(JSON.parse(JSON.stringify(s.state())));
    expect(r.next(0, 4).x).toEqual(s.next(0, 4).x);
  });
  it("seeded augmentation: off by default, reproducible, same sample positions, labels stay valid classes, identity when all ranges are 0", () => {
    const aug = { augment: { rotateDeg: 20 } };
    const a = new CaseBatchSource({ ct, mri }, "2d", 5, aug).next(0, 3);
    const b = new CaseBatchSource({ ct, mri }, "2d", 5, aug).next(0, 3);
    expect(a.x).toEqual(b.x);
    expect(a.y.every((v) => v <= 4)).toBe(true);
    const plain = new CaseBatchSource({ ct, mri }, "2d", 5).next(0, 3);
    expect(new CaseBatchSource({ ct, mri }, "2d", 5, { augment: false }).next(0, 3).x).toEqual(plain.x);
    expect(a.x).not.toEqual(plain.x);
    expect([a.caseIds, a.slices]).toEqual([plain.caseIds, plain.slices]);
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
    expect(y[2 * 3 + 1]! + y[0 * 3 + 1]!).toBe(1);
  });
  it("rejects mixed in-plane sizes and bad options", () => {
    expect(() => new CaseBatchSource({ ct: [ct[0]!, tagged("x", 9, "ct", 3, 5, 3)], mri }, "2d", 0)).toThrow(ShapeError);
    expect(() => new CaseBatchSource({ ct, mri }, "4d" as "2d", 0)).toThrow(/mode/);
    expect(() => new CaseBatchSource({ ct, mri }, "2d", 0).next(0, 0)).toThrow(OptionError);
    expect(() => new CaseBatchSource({ ct, mri }, "3d", 0, { patchesPerCase: 0 })).toThrow(/patchesPerCase/);
  });
});

describe("production batches are unchanged by the merge (pinned at 5319e7c's lib/experiment/sources.ts)", () => {
  const fingerprint = (bs: Batch[]) => {
    const h = createHash("sha256");
    for (const b of bs) h.update(Buffer.from(b.x.buffer)).update(Buffer.from(b.y.buffer)).update(JSON.stringify(b.xShape));
    return h.digest("hex").slice(0, 16);
  };
  it.each([
    ["cardiac", "2d", 0, "0573e1d40d04b8fd", "f4dfab7ccf90dab1"],
    ["cardiac", "2d", 0.5, "6ac04c09394fada0", "f4dfab7ccf90dab1"],
    ["abdominal", "3d", 0, "e5f776f49079ffd9", "5a8c15d03bf7eb02"],
    ["abdominal", "3d", 0.5, "fc6fc6269606b271", "5a8c15d03bf7eb02"],
  ] as const)("%s %s, classCentred %s", (task, mode, classCentred, train, val) => {
    const data = { ct: syntheticCohort(task, "ct", 2, 1, { shape: [32, 32, 12] }), mri: syntheticCohort(task, "mri", 2, 1, { shape: [32, 32, 12] }) };
    const s = new CaseBatchSource(data, mode, 7, { depth: 8, classCentred });
    const out: Batch[] = [];
    for (let k = 0; k < 5; k++) out.push(s.next(0, 2), s.next(1, 2));
    const s2 = new CaseBatchSource(data, mode, 7, { depth: 8, classCentred });
    s2.restore(s.state());
    out.push(s2.next(1, 2));
    expect(fingerprint(out)).toBe(train);
    expect(fingerprint(validationSet(data, mode, { depth: 8 }).batches.flat())).toBe(val);
  });
});
