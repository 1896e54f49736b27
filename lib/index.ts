/**
 * ummkd public API: re-exports the folder barrels.
 * @see Dou, Liu, Heng, Glocker. Unpaired Multi-modal Segmentation via Knowledge Distillation. IEEE TMI 2020.
 */
export * from "./engine/index.ts";
export * from "./data/index.ts";
export * from "./models/index.ts";
export * from "./losses/index.ts";
export * from "./metrics/index.ts";
export * from "./stats/index.ts";
export * from "./train/index.ts";
export * from "./plan/index.ts";
export * from "./experiment/index.ts";
export * from "./notebooks/index.ts";
export { writeFileAtomic, writeJsonAtomic, writeDirAtomic } from "./util/atomic.ts";
export { Rng } from "./util/rng.ts";
export { provenance, type Provenance, type EngineFacts } from "./util/provenance.ts";
export * from "./util/errors.ts";
