/**
 * Provenance recorded in every results file: seed, backend (and why), thread count, library and
 * runtime versions, hardware, git commit (and whether the tree was dirty), and timestamps.
 */
import { execFileSync } from "node:child_process";
import { cpus, totalmem, platform, arch, release } from "node:os";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT as ROOT } from "./repo-root.ts";


/**
 * What the running engine says about itself (lib/engine `engineFacts()`). Passed in by the caller,
 * so that lib/util stays below lib/engine (it imports nothing above it).
 */
export interface EngineFacts {
  backend: string;
  reason: string;
  threads: number;
  /** How the thread count was chosen (lib/engine `threadPolicy()`). */
  threadPolicy: string | null;
  /** Version of the native engine, when it is the backend. */
  nativeVersion?: string;
  /** The WebGPU adapter, when it is the backend. */
  adapter?: EngineAdapter;
}

/** A WebGPU adapter as lib/engine/webgpu.ts describes it (its `WebgpuAdapter`), for provenance. */
export interface EngineAdapter {
  dawnBackend: string;
  featureLevel: string;
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  software: boolean;
  versions: Record<string, string>;
}

export interface Provenance {
  seed: number | null;
  backend: string | null;
  backendReason: string | null;
  threads: number | null;
  /** How the thread count was chosen: fixed by UMMKD_THREADS, or the native engine's auto governor and the counts it used. */
  threadPolicy: string | null;
  /**
   * The WebGPU adapter when backend is "webgpu" (Dawn backend, device name, whether it is a software
   * rasteriser such as Mesa llvmpipe); absent on the other backends.
   */
  adapter?: EngineAdapter;
  versions: Record<string, string>;
  hardware: { cpu: string; cores: number; memoryGiB: number; platform: string; arch: string; kernel: string };
  git: { commit: string | null; dirty: boolean | null };
  createdAt: string;
}

function pkgVersion(name: string): string {
  try {
    return JSON.parse(readFileSync(join(ROOT, "node_modules", name, "package.json"), "utf8")).version as string;
  } catch {
    return "absent";
  }
}

export function gitState(): { commit: string | null; dirty: boolean | null } {
  try {
    const commit = execFileSync("git", ["rev-parse", "HEAD"], { cwd: ROOT, stdio: ["ignore", "pipe", "ignore"] })
      .toString()
      .trim();
    // "dirty" = uncommitted changes to tracked files that can change a result. Outputs the runs
    // themselves (re)write (results/, executed notebooks) are excluded, or a reproduction from a
    // clean checkout would mark itself dirty after its first notebook.
    const status = execFileSync("git", ["status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)results", ":(exclude)notebooks/executed"], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "ignore"],
    }).toString();
    return { commit, dirty: status.trim().length > 0 };
  } catch {
    return { commit: null, dirty: null };
  }
}

/**
 * The repository state when this process loaded its code. A record names the commit that trained
 * it: a run of an hour can outlive a checkout (a training worktree moved to a newer commit while
 * the run went on), and the state at the end would then name code the run never loaded.
 */
const LOADED_GIT = gitState();

/**
 * @param seed the run's seed (null: none)
 * @param e the engine's facts (`engineFacts()` of lib/engine); null before an engine is chosen
 */
export function provenance(seed: number | null = null, e: EngineFacts | null = null): Provenance {
  const c = cpus();
  let ummkd = "unknown";
  try {
    ummkd = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version;
  } catch {
    /* keep unknown */
  }
  return {
    seed,
    backend: e?.backend ?? null,
    backendReason: e?.reason ?? null,
    threads: e?.threads ?? null,
    threadPolicy: e?.threadPolicy ?? null,
    ...(e?.adapter ? { adapter: e.adapter } : {}),
    versions: {
      ummkd,
      node: process.versions.node,
      "@tensorflow/tfjs-core": pkgVersion("@tensorflow/tfjs-core"),
      "@tensorflow/tfjs-backend-wasm": pkgVersion("@tensorflow/tfjs-backend-wasm"),
      ...(e && "nativeVersion" in e ? { native: String(e.nativeVersion) } : {}),
      ...(e?.adapter ? e.adapter.versions : {}),
    },
    hardware: {
      cpu: c[0]?.model ?? "unknown",
      cores: c.length,
      memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
      platform: platform(),
      arch: arch(),
      kernel: release(),
    },
    git: LOADED_GIT,
    createdAt: new Date().toISOString(),
  };
}
