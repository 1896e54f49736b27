import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, test, vi } from "vitest";
import { main } from "../../lib/cli/main.ts";
import { FIXTURE_DIR, expectClose, num } from "./fixtures.ts";

const N = FIXTURE_DIR + "nifti/";
interface Row {
  label: number;
  dice: number | string;
  hd: number | string;
  hd95: number | string;
  assd: number | string;
}
const expected = JSON.parse(readFileSync(N + "expected.json", "utf8")) as { classes: Row[]; classes2d: Row[] };

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void out.push(a.join(" ")));
  vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void err.push(a.join(" ")));
  return { out, err };
}

function checkRows(rows: Row[], exp: Row[] = expected.classes): void {
  expect(rows.map((r) => r.label)).toEqual(exp.map((r) => r.label));
  rows.forEach((r, i) => {
    const e = exp[i]!;
    for (const k of ["dice", "hd", "hd95", "assd"] as const) expectClose(num(r[k]), num(e[k]), 1e-9, `label ${r.label} ${k}`);
  });
}

describe("ummkd metrics (NIfTI fixtures written by nibabel, values from scipy)", () => {
  afterEach(() => vi.restoreAllMocks());

  test("--json, uint8 pred vs int16 label, spacing (0.8, 1.2, 2.5) from the header", async () => {
    const c = capture();
    const code = await main(["metrics", "--pred", N + "pred.nii.gz", "--label", N + "label.nii.gz", "--labels", "1,2,3,4", "--json"]);
    expect(code).toBe(0);
    const parsed = JSON.parse(c.out.join("\n")) as { classes: Row[] };
    checkRows(parsed.classes);
    expect(parsed.classes[3]).toMatchObject({ label: 4, dice: 0, hd: "Infinity" });
  });

  test("float32 label with integral values is accepted; default labels = present ones", async () => {
    const c = capture();
    expect(await main(["metrics", "--pred", N + "pred.nii.gz", "--label", N + "label_float_integral.nii.gz", "--json"])).toBe(0);
    checkRows((JSON.parse(c.out.join("\n")) as { classes: Row[] }).classes);
  });

  test("2-D NIfTI (dim[0] = 2): 4-connected surfaces, as nibabel + medpy", async () => {
    const c = capture();
    expect(await main(["metrics", "--pred", N + "pred_2d.nii.gz", "--label", N + "label_2d.nii.gz", "--json"])).toBe(0);
    checkRows((JSON.parse(c.out.join("\n")) as { classes: Row[] }).classes, expected.classes2d);
  });

  test("table output without --json", async () => {
    const c = capture();
    expect(await main(["metrics", "--pred", N + "pred.nii.gz", "--label", N + "label.nii.gz"])).toBe(0);
    expect(c.out.join("\n")).toMatch(/spacing \[0\.8, 1\.2, 2\.5\] mm[\s\S]*label +dice/);
  });

  test.each([
    ["label_spacing.nii.gz", /spacing \[0\.8, 1\.2, 2\.5\] mm but --label .* has \[0\.8, 1\.2, 3\] mm/],
    ["label_shape.nii.gz", /shape \[20, 16, 10\] but --label .* has \[20, 16, 9\]/],
    ["label_float.nii.gz", /label_float\.nii\.gz: label image must hold integer values, found 0\.5 at voxel \(0, 0, 0\)/],
    ["missing.nii.gz", /missing\.nii\.gz: cannot read.*ENOENT/],
  ])("error: %s -> exit 1 with a clear message", async (file, msg) => {
    const c = capture();
    expect(await main(["metrics", "--pred", N + "pred.nii.gz", "--label", N + file])).toBe(1);
    expect(c.err.join("\n")).toMatch(msg);
  });

  test("bad flags", async () => {
    const c = capture();
    expect(await main(["metrics", "--pred", N + "pred.nii.gz"])).toBe(2);
    expect(await main(["metrics", "--pred", N + "pred.nii.gz", "--label", N + "label.nii.gz", "--labels", "1,x"])).toBe(1);
    expect(c.err.join("\n")).toMatch(/--labels/);
  });

  test("end to end through bin/ummkd.js", () => {
    const out = execFileSync(
      process.execPath,
      ["bin/ummkd.js", "metrics", "--pred", N + "pred.nii.gz", "--label", N + "label.nii.gz", "--labels", "1,2,3,4", "--json"],
      { encoding: "utf8" },
    );
    checkRows((JSON.parse(out) as { classes: Row[] }).classes);
  });
});
