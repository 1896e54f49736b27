/**
 * Backend selection (engine issue). Order: tfjs-node-gpu, tfjs-node, native (oneDNN addon),
 * wasm + our kernel pack, cpu. `UMMKD_BACKEND` forces one. The choice is logged once and is part
 * of every result's provenance via `engineInfo()`.
 *
 * NOTE: minimal first version (cpu only); the engine work fills in the rest.
 */
import { tf } from "./tf.ts";

export { tf } from "./tf.ts";

export type BackendName = "tensorflow-gpu" | "tensorflow" | "native" | "wasm" | "cpu";

export interface EngineInfo {
  backend: BackendName;
  /** Why this backend was chosen (forced, first that loaded, fallbacks tried and why they failed). */
  reason: string;
  threads: number;
  tfjsVersion: string;
}

let current: EngineInfo | undefined;

export async function initEngine(opts: { backend?: BackendName } = {}): Promise<EngineInfo> {
  const want = opts.backend ?? (process.env.UMMKD_BACKEND as BackendName | undefined);
  if (current && (!want || want === current.backend)) return current;
  await tf.setBackend("cpu");
  await tf.ready();
  current = { backend: "cpu", reason: "placeholder engine: cpu only", threads: 1, tfjsVersion: tf.version_core };
  return current;
}

export function engineInfo(): EngineInfo | undefined {
  return current;
}
