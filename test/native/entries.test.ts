/**
 * The native addon's one table of entry points (lib/engine/native/entries.json) against everything
 * that must agree with it: the generated C++ header and TS module, the C++ definitions in src/*.cc,
 * the built addon's exports, and the kernels the native backend registers (NATIVE_KERNELS). Also
 * the error classes the addon throws: TypeError for a wrong JS type, RangeError for a bad shape or
 * code, Error naming the primitive when oneDNN fails. The table checks run without the addon.
 */
import { describe, it, expect } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KernelFunc } from "@tensorflow/tfjs-core";
import { loadAddon, nativeKernelFuncs, NATIVE_KERNELS, type NativeAddon } from "../../lib/engine/native/index.ts";
import { BinaryOp, BroadcastMode, ConvKind, ConvLayout, ConvPostOp, NATIVE_ENTRY_POINTS, UnaryOp } from "../../lib/engine/native/entries.gen.ts";
import { native } from "./helpers.ts";
import { REQUIRES } from "../requires.ts";

const DIR = join(import.meta.dirname, "..", "..", "lib", "engine", "native");
const GEN = join(DIR, "gen-entries.mjs");
type Table = { entries: { name: string; cc: string; ts: string }[]; kernels: Record<string, string[] | string> };
const table = JSON.parse(readFileSync(join(DIR, "entries.json"), "utf8")) as Table;

function gen(...args: string[]): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [GEN, ...args], { encoding: "utf8" });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe("native entry-point table", () => {
  it("src/entries.gen.h and entries.gen.ts are what entries.json generates", () => {
    const r = gen("--check");
    expect(r.out).toMatch(/up to date/);
    expect(r.status).toBe(0);
  });

  it("the check fails on a table that disagrees with the generated files", () => {
    const changed = structuredClone(table);
    changed.entries.push({ name: "extra", cc: "Extra", ts: "(): void" });
    const file = join(mkdtempSync(join(tmpdir(), "ummkd-entries-")), "entries.json");
    writeFileSync(file, JSON.stringify(changed));
    const r = gen("--check", "--table", file);
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/src\/entries\.gen\.h, entries\.gen\.ts disagree with the table/);
  });

  it("each entry's C++ function is defined once in src/*.cc, and no entry-point-shaped function is left out", () => {
    const defined: string[] = [];
    for (const f of readdirSync(join(DIR, "src")).filter((n) => n.endsWith(".cc"))) {
      const text = readFileSync(join(DIR, "src", f), "utf8");
      for (const m of text.matchAll(/^Napi::Value (\w+)\(const Napi::CallbackInfo& \w+\)/gm)) defined.push(m[1]!);
    }
    expect([...defined].sort()).toEqual(table.entries.map((e) => e.cc).sort());
  });

  it("NATIVE_ENTRY_POINTS lists the table's names in order", () => {
    expect([...NATIVE_ENTRY_POINTS]).toEqual(table.entries.map((e) => e.name));
  });

  it("NATIVE_KERNELS are exactly the kernels the native backend registers", () => {
    // Any entry point and any cpu kernel is a function here: registration only looks them up.
    const stub = new Proxy({}, { get: () => () => undefined }) as unknown as NativeAddon;
    const fallbacks = new (class extends Map<string, KernelFunc> {
      override get(): KernelFunc {
        return () => [];
      }
    })();
    const registered = [...nativeKernelFuncs(stub, fallbacks, true).keys()];
    expect(new Set(NATIVE_KERNELS).size).toBe(NATIVE_KERNELS.length);
    expect([...registered].sort()).toEqual([...NATIVE_KERNELS].sort());
    const withoutElementwise = [...nativeKernelFuncs(stub, fallbacks, false).keys()];
    expect(withoutElementwise.every((k) => NATIVE_KERNELS.includes(k))).toBe(true);
  });
});

describe.skipIf(!native.ok)(`${REQUIRES.native} the built addon`, () => {
  const addon = () => (loadAddon() as { addon: NativeAddon }).addon;
  const f = (n: number) => new Float32Array(n);

  it("exports exactly the table's entry points", () => {
    expect(Object.keys(addon()).sort()).toEqual(table.entries.map((e) => e.name).sort());
  });

  it("TypeError for an argument of the wrong JS type", () => {
    expect(() => addon().unary(UnaryOp.neg, [1, 2] as unknown as Float32Array, f(2))).toThrow(TypeError);
    expect(() => addon().conv([0] as unknown as Int32Array, f(1), f(1), f(1), null, 0)).toThrow(/'params' must be an Int32Array/);
  });

  it("RangeError naming the parameter for a bad code, shape or length", () => {
    expect(() => addon().binary(99 as BinaryOp, BroadcastMode.same, f(2), f(2), f(2))).toThrow(RangeError);
    expect(() => addon().binary(99 as BinaryOp, BroadcastMode.same, f(2), f(2), f(2))).toThrow(/'op' must be a BinaryOp \(0 add, .*got 99/);
    expect(() => addon().binary(BinaryOp.add, BroadcastMode.same, f(3), f(2), f(3))).toThrow(/binary: buffer lengths a 3, b 2, out 3 do not fit BroadcastMode 0/);
    expect(() => addon().unary(UnaryOp.neg, f(3), f(2))).toThrow(RangeError);
    expect(() => addon().conv(Int32Array.of(ConvKind.forward, 2), f(1), f(1), f(1), null, 0)).toThrow(RangeError);
    expect(() => addon().conv(Int32Array.of(7, 2, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0), f(1), f(1), f(1), null, 0)).toThrow(/params\[0\] \(kind\) must be a ConvKind/);
    expect(() => addon().maxPool(Int32Array.of(4), f(1), f(1))).toThrow(RangeError);
    expect(() => addon().bnTrain(Int32Array.of(1, 1), 1e-3, f(1), f(1), f(1), f(1), f(1), f(1))).toThrow(/batch norm: params must be \[N, S, C\].*got \[1, 1\]/);
    expect(() => addon().matmul(Int32Array.of(2, 3, 1, 1, 1, 0, 0), f(2), f(3), f(3))).toThrow(RangeError);
  });

  it("Error naming the primitive (not a TypeError or RangeError) when oneDNN refuses", () => {
    // A 4x4 input, 3x3 filter, stride 1, no padding cannot give a 10x10 output: oneDNN rejects the descriptor.
    const p = Int32Array.of(ConvKind.forward, 2, ConvLayout.channelsLast, 0, ConvPostOp.none, 1, 1, 1, 4, 4, 3, 3, 10, 10, 1, 1, 0, 0, 0, 0, 0, 0);
    let err: unknown;
    try {
      addon().conv(p, f(16), f(9), f(100), null, 0);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(TypeError);
    expect(err).not.toBeInstanceOf(RangeError);
    expect((err as Error).message).toMatch(/^ummkd native: oneDNN could not create the convolution forward: .*\(status \d+\)/);
  });
});
