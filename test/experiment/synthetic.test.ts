import { describe, it, expect } from "vitest";
import { createHash } from "node:crypto";
import { syntheticCase, syntheticCohort, addArtefacts, CARDIAC_STRUCTURES, ABDOMINAL_STRUCTURES } from "../../lib/data/synthetic.ts";
import { OptionError } from "../../lib/util/errors.ts";

const sha = (a: ArrayBufferView) => createHash("sha256").update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest("hex");
const labelsOf = (d: Uint8Array) => [...new Set(d)].sort((a, b) => a - b);
const small = { shape: [32, 32, 8] as [number, number, number], spacing: [4, 4, 8] as [number, number, number] };

describe("synthetic phantoms", () => {
  it("are deterministic from the seed and differ between seeds", () => {
    for (const task of ["cardiac", "abdominal"] as const)
      for (const m of ["ct", "mri"] as const) {
        const a = syntheticCase(task, m, 11, small);
        const b = syntheticCase(task, m, 11, small);
        expect(sha(a.image.data)).toBe(sha(b.image.data));
        expect(sha(a.label!.data)).toBe(sha(b.label!.data));
        const c = syntheticCase(task, m, 12, small);
        expect(sha(c.image.data)).not.toBe(sha(a.image.data));
      }
  });

  it("contain every structure of the task (labels 0..4) on the image grid", () => {
    for (const task of ["cardiac", "abdominal"] as const)
      for (const seed of [0, 1, 2, 3]) {
        const c = syntheticCase(task, "ct", seed);
        expect(labelsOf(c.label!.data)).toEqual([0, 1, 2, 3, 4]);
        expect(c.label!.shape).toEqual(c.image.shape);
        expect(c.image.data.length).toBe(64 * 64 * 24);
        expect(c.image.spacing).toEqual([2, 2, 4]);
        expect(c.meta?.synthetic).toBe(true);
      }
    expect(CARDIAC_STRUCTURES).toEqual(["LVM", "LAC", "LVC", "AA"]);
    expect(ABDOMINAL_STRUCTURES).toEqual(["liver", "R-kdy", "L-kdy", "spleen"]);
  });

  it("LV myocardium surrounds the LV cavity in-plane (ring)", () => {
    const c = syntheticCase("cardiac", "ct", 5);
    const [nx, ny] = c.image.shape;
    const l = c.label!.data;
    // every LV-cavity voxel's in-plane 4-neighbours are cavity or myocardium
    let bad = 0;
    let n = 0;
    for (let i = 0; i < l.length; i++) {
      if (l[i] !== 3) continue;
      n++;
      const x = i % nx, y = Math.floor(i / nx) % ny;
      for (const [dx, dy] of [[1, 0], [-1, 0], [0, 1], [0, -1]] as const) {
        const j = i + dx + dy * nx;
        if (x + dx < 0 || x + dx >= nx || y + dy < 0 || y + dy >= ny) continue;
        if (l[j] !== 3 && l[j] !== 1) bad++;
      }
    }
    expect(n).toBeGreaterThan(100);
    expect(bad / n).toBeLessThan(0.05);
  });

  it("have a real modality shift: structure intensity orders differ between CT and MRI", () => {
    const mean = (task: "cardiac" | "abdominal", m: "ct" | "mri", k: number) => {
      const c = syntheticCase(task, m, 3);
      let s = 0, n = 0;
      c.label!.data.forEach((v, i) => { if (v === k) { s += c.image.data[i]!; n++; } });
      return s / n;
    };
    // abdominal: liver brighter than spleen in CT, darker in MRI (T2-like)
    expect(mean("abdominal", "ct", 1)).toBeGreaterThan(mean("abdominal", "ct", 4));
    expect(mean("abdominal", "mri", 1)).toBeLessThan(mean("abdominal", "mri", 4));
    // cardiac: aorta about as bright as the LV cavity in CT (contrast-filled), much darker in MRI
    expect(mean("cardiac", "ct", 4) / mean("cardiac", "ct", 3)).toBeGreaterThan(0.9);
    expect(mean("cardiac", "mri", 4) / mean("cardiac", "mri", 3)).toBeLessThan(0.85);
  });

  it("cohorts: unpaired CT/MRI subjects, stable prefix when n grows", () => {
    const ct = syntheticCohort("abdominal", "ct", 3, 1, small);
    const mri = syntheticCohort("abdominal", "mri", 2, 1, small);
    expect(ct.map((c) => c.id)).toEqual(["syn-abdominal-ct-000", "syn-abdominal-ct-001", "syn-abdominal-ct-002"]);
    expect(sha(ct[0]!.label!.data)).not.toBe(sha(mri[0]!.label!.data));
    const ct2 = syntheticCohort("abdominal", "ct", 2, 1, small);
    expect(sha(ct2[1]!.image.data)).toBe(sha(ct[1]!.image.data));
  });

  it("rejects bad options naming the parameter", () => {
    expect(() => syntheticCase("brain" as never, "ct", 0)).toThrow(OptionError);
    expect(() => syntheticCase("cardiac", "pet" as never, 0)).toThrow(/modality/);
    expect(() => syntheticCase("cardiac", "ct", 0, { shape: [32, 32, 2] })).toThrow(/shape\[2\]/);
    expect(() => syntheticCohort("cardiac", "ct", 0, 0)).toThrow(/'n'/);
  });
});

describe("artefact generator (Table VI)", () => {
  it("keeps the label, changes the image deterministically, and records what was added", () => {
    const c = syntheticCase("abdominal", "ct", 2, small);
    const a = addArtefacts(c, { seed: 6 });
    const b = addArtefacts(c, { seed: 6 });
    expect(a.label).toBe(c.label);
    expect(sha(a.image.data)).toBe(sha(b.image.data));
    expect(sha(addArtefacts(c, { seed: 7 }).image.data)).not.toBe(sha(a.image.data));
    expect(a.id).toBe(`${c.id}-artefacts`);
    expect(a.meta?.artefacts).toMatchObject({ seed: 6, streaks: 6 });
    // noise alone (no streaks, no bias) adds about `noise` x the image std
    const n = addArtefacts(c, { seed: 1, noise: 0.5, streaks: 0, bias: 0 });
    let m = 0, v = 0, d2 = 0;
    c.image.data.forEach((x) => (m += x));
    m /= c.image.data.length;
    c.image.data.forEach((x, i) => { v += (x - m) ** 2; d2 += (n.image.data[i]! - x) ** 2; });
    const ratio = Math.sqrt(d2 / v);
    expect(ratio).toBeGreaterThan(0.45);
    expect(ratio).toBeLessThan(0.55);
  });
});
