/**
 * The compiled oneDNN addon (`build/Release/ummkd_native.node`, built by `npm run build:native`).
 * Its typed surface, `NativeAddon`, and its op-code enums are generated from `entries.json` into
 * `entries.gen.ts`. Every buffer is a Float32Array used in place (no copies); `params` packs the
 * integer attributes described in `src/*.cc`. The addon throws TypeError for an argument of the
 * wrong JS type, RangeError for a bad shape, length or code, and Error (naming the primitive) when
 * oneDNN fails.
 */
import { createRequire } from "node:module";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { NATIVE_ENTRY_POINTS, type NativeAddon } from "./entries.gen.ts";

export type { NativeAddon } from "./entries.gen.ts";

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Absolute path where `npm run build:native` puts the addon (`UMMKD_NATIVE_ADDON` overrides it,
 * e.g. to test the fallback when the addon is missing).
 */
export const ADDON_PATH = process.env.UMMKD_NATIVE_ADDON ?? join(here, "build", "Release", "ummkd_native.node");

let cached: { addon: NativeAddon } | { reason: string } | undefined;

/** Loads the addon once; returns it, or a one-line reason why it cannot be used. Never throws. */
export function loadAddon(): { addon: NativeAddon } | { reason: string } {
  if (cached) return cached;
  if (!existsSync(ADDON_PATH)) {
    cached = { reason: `native addon not built (${ADDON_PATH} missing; run \`npm run build:native\`, needs libdnnl-dev)` };
    return cached;
  }
  try {
    const req = createRequire(import.meta.url);
    const addon = req(ADDON_PATH) as NativeAddon;
    // An addon built from an older table (a stale build/) lacks entry points the kernels call.
    const missing = NATIVE_ENTRY_POINTS.filter((n) => typeof (addon as unknown as Record<string, unknown>)[n] !== "function");
    cached = missing.length
      ? { reason: `native addon is out of date (no ${missing.join(", ")}; run \`npm run build:native\`)` }
      : { addon };
  } catch (err) {
    const msg = (err instanceof Error ? err.message : String(err)).split("\n")[0];
    cached = { reason: `native addon failed to load (is oneDNN/libdnnl installed?): ${msg}` };
  }
  return cached;
}
