import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { initEngine } from "../../lib/engine/index.ts";
import { buildModel, countParams, describeModel, isPerModality, SETTINGS, type Setting } from "../../lib/models/index.ts";
import { run as paramsCli } from "../../lib/cli/params.ts";
import { OptionError } from "../../lib/util/errors.ts";

beforeAll(async () => {
  await initEngine();
});

// Table I "Param Scale" (paper), exact.
const TABLE1: Array<[Setting, number]> = [
  ["individual", 78_645_296],
  ["joint", 39_322_648],
  ["joint-kd", 39_322_648],
  ["y-shaped", 39_988_136],
  ["x-shaped", 65_956_656],
  ["chilopod", 39_342_840],
  ["ours", 39_342_840],
];

describe("dilated2d full-scale parameter counts (from the layer description, no allocation)", () => {
  it.each(TABLE1)("%s = %i (Table I)", (setting, n) => {
    expect(countParams({ network: "dilated2d", setting })).toBe(n);
  });

  it("decomposes as the notes' layer table says", () => {
    // kernels 39,302,456 + one BN set 20,192 (31 BN layers); notes section 1
    const specs = describeModel({ network: "dilated2d", setting: "joint" });
    const size = (s: { shape: number[] }) => s.shape.reduce((a, b) => a * b, 1);
    expect(specs.filter((s) => s.role === "kernel").reduce((a, s) => a + size(s), 0)).toBe(39_302_456);
    expect(specs.filter((s) => s.role === "gamma").length).toBe(31);
    expect(specs.filter((s) => s.role === "gamma" || s.role === "beta").reduce((a, s) => a + size(s), 0)).toBe(20_192);
    expect(specs.some((s) => s.role === "bias")).toBe(false);
    // Y = joint + kernels of groups 1-4 (432 + 2*9*16*16 + 9*16*32 + 9*32*32 + ...) and their BN
    const g14Kernels = 432 + 2 * 9 * 16 * 16 + (9 * 16 * 32 + 9 * 32 * 32) + (9 * 32 * 64 + 3 * 9 * 64 * 64) + (9 * 64 * 128 + 3 * 9 * 128 * 128);
    expect(g14Kernels).toBe(663_984);
    expect(countParams({ network: "dilated2d", setting: "y-shaped" }) - 39_322_648).toBe(663_984 + 1_504);
    // X = Y + groups 8-10 and the output conv: 6 3x3 512->512 convs, 3x3 512->2560, 5x5 40->5, 6 BN(512) + BN(2560)
    const g810 = 6 * 9 * 512 * 512 + 9 * 512 * 2560 + 25 * 40 * 5 + 2 * (6 * 512 + 2560);
    expect(countParams({ network: "dilated2d", setting: "x-shaped" }) - countParams({ network: "dilated2d", setting: "y-shaped" })).toBe(g810);
  });

  it("other normalizations have the same trainable count (gamma/beta only)", () => {
    for (const norm of ["instance", "layer", "group"] as const) expect(countParams({ network: "dilated2d", setting: "ours", norm })).toBe(39_342_840);
  });
});

describe("unet3d full-scale parameter counts (released-code architecture)", () => {
  // notes section 2: kernels + head 2,198,613; BN gamma+beta 2,976 per modality
  const joint = 2_198_613 + 2_976;
  // encoder levels 1-3 (notes' table, D-first in-plane kernels) + their BN
  const enc = 27 * 16 + 27 * 16 * 32 + 27 * 32 * 32 + 27 * 32 * 64 + 9 * 64 * 64 + 9 * 64 * 128 + 2 * (16 + 32 + 32 + 64 + 64 + 128);
  // decoder: up3, up2, up1 (transposed convs, convs, BN) and the head
  const dec =
    9 * 256 * 128 + 9 * 256 * 128 + 9 * 128 * 128 + 9 * 128 * 128 + 27 * 192 * 64 + 27 * 64 * 64 + 27 * 64 * 64 + 27 * 96 * 32 + 27 * 32 * 32 + (32 * 5 + 5) +
    2 * (3 * 128 + 128 + 2 * 64 + 64 + 2 * 32);
  it.each([
    ["individual", 2 * joint],
    ["joint", joint],
    ["joint-kd", joint],
    ["y-shaped", joint + enc],
    ["x-shaped", joint + enc + dec],
    ["chilopod", joint + 2_976],
    ["ours", joint + 2_976],
  ] as Array<[Setting, number]>)("%s = %i", (setting, n) => {
    expect(countParams({ network: "unet3d", setting })).toBe(n);
  });
  it("Y - Joint matches the paper's 208K (Table II: 2124K - 1916K)", () => {
    expect(Math.round((countParams({ network: "unet3d", setting: "y-shaped" }) - joint) / 1000)).toBe(208);
  });
});

describe("built small networks: variable sizes equal the description's count", () => {
  for (const network of ["dilated2d", "unet3d"] as const) {
    it.each(SETTINGS.map((s) => [s]))(`${network} %s`, (setting) => {
      const opts = { network, setting, width: network === "dilated2d" ? 0.0625 : 0.125 };
      const net = buildModel(opts);
      const n = net.trainableVariables().reduce((a, v) => a + v.size, 0);
      expect(n).toBe(countParams(opts));
      expect(net.countParams()).toBe(n);
      // per-modality parameters exist twice (name/ct, name/mri), shared ones once
      const names = [...net.stateShapes().keys()];
      for (const p of describeModel(opts)) {
        if (isPerModality(setting, p)) {
          expect(names).toContain(`${p.name}/ct`);
          expect(names).toContain(`${p.name}/mri`);
        } else expect(names).toContain(p.name);
      }
      net.dispose();
    });
  }
});

describe("ummkd params CLI", () => {
  const logs: string[] = [];
  const spy = vi.spyOn(console, "log").mockImplementation((s: unknown) => void logs.push(String(s)));
  afterAll(() => spy.mockRestore());
  it("--json prints params and the paper's value", async () => {
    logs.length = 0;
    expect(await paramsCli(["--network", "dilated2d", "--setting", "x-shaped", "--json"])).toBe(0);
    const out = JSON.parse(logs[0]!);
    expect(out.params).toBe(65_956_656);
    expect(out.paperParams).toBe(65_956_656);
    logs.length = 0;
    expect(await paramsCli(["--network", "unet3d", "--setting", "ours", "--json"])).toBe(0);
    const u = JSON.parse(logs[0]!);
    expect(u.params).toBe(2_204_565);
    expect(u.paperParams).toBe(1_919_000);
    expect(u.note).toMatch(/released/);
    logs.length = 0;
    expect(await paramsCli(["--network", "dilated2d", "--setting", "ours", "--width", "0.25", "--json"])).toBe(0);
    expect(JSON.parse(logs[0]!).params).toBe(countParams({ network: "dilated2d", setting: "ours", width: 0.25 }));
  });
  it("bad values are OptionErrors naming the flag", async () => {
    await expect(paramsCli(["--network", "vnet", "--setting", "ours"])).rejects.toThrow(/--network/);
    await expect(paramsCli(["--network", "unet3d", "--setting", "ours", "--width", "x"])).rejects.toThrow(OptionError);
    expect(() => countParams({ network: "dilated2d", setting: "ours", width: -1 })).toThrow(OptionError);
  });
});
