import { describe, it, expect, afterAll, vi } from "vitest";
import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { main } from "../../lib/cli/main.ts";
import { writeNifti } from "../../lib/data/nifti-write.ts";
import { labelValues } from "../../lib/data/read.ts";
import { diagonalAffine } from "../../lib/data/geometry.ts";
import { tmpDir } from "./helpers.ts";

const t = tmpDir();
afterAll(t.cleanup);

describe("ummkd info", () => {
  it("--json prints shape, spacing, dtype and label values", async () => {
    const f = join(t.dir, "lab.nii.gz");
    writeNifti(f, { data: Uint8Array.from([0, 3, 3, 1, 0, 0]), shape: [3, 2, 1], spacing: [0.5, 0.75, 2], affine: diagonalAffine([0.5, 0.75, 2]) });
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    expect(await main(["info", f, "--json"])).toBe(0);
    const out = JSON.parse(String(log.mock.calls[0]![0]));
    log.mockRestore();
    expect(out).toMatchObject({ shape: [3, 2, 1], spacing: [0.5, 0.75, 2], dtype: "uint8", labels: [0, 1, 3], format: "nifti" });
  });
  it("non-image file -> exit 1 naming the file", async () => {
    const f = join(t.dir, "x.nii");
    writeFileSync(f, "not an image at all, just text".repeat(20));
    const err = vi.spyOn(console, "error").mockImplementation(() => {});
    expect(await main(["info", f])).toBe(1);
    expect(String(err.mock.calls[0]![0])).toMatch(/x\.nii: not a NIfTI/);
    err.mockRestore();
  });
  it("labelValues: integers only, else null", () => {
    expect(labelValues([2, 0, 2, 1])).toEqual([0, 1, 2]);
    expect(labelValues([0, 0.5])).toBeNull();
    expect(labelValues([0, 1, 2, 3], 3)).toBeNull();
  });
});
