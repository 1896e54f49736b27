/**
 * The one description of the seven settings (Section IV-B): which segments of a network have a
 * copy per modality (kernels AND normalization), and whether the normalization parameters of the
 * remaining shared layers are per modality. Each network maps its layers to the three segments.
 *
 * Dilated 2D net: encoder = groups 1-4 (conv1_1 .. group_4, before group_5), bottleneck = groups
 * 5-7, decoder = groups 8-10 + output conv. 3D U-Net: encoder = levels 1-3 (before pool3),
 * bottleneck = level 4, decoder = up3, up2, up1 and the head.
 */
import type { Setting } from "./types.ts";

export type Segment = "encoder" | "bottleneck" | "decoder";
export const SEGMENTS: readonly Segment[] = ["encoder", "bottleneck", "decoder"];

export interface SharingRule {
  /** Segments with one full copy (kernels + norm) per modality. */
  specific: readonly Segment[];
  /** Whether the normalization parameters of the other (shared-kernel) layers are per modality. */
  normSpecific: boolean;
}

export const SHARING: Readonly<Record<Setting, SharingRule>> = {
  individual: { specific: ["encoder", "bottleneck", "decoder"], normSpecific: true },
  joint: { specific: [], normSpecific: false },
  "joint-kd": { specific: [], normSpecific: false },
  "y-shaped": { specific: ["encoder"], normSpecific: false },
  "x-shaped": { specific: ["encoder", "decoder"], normSpecific: false },
  chilopod: { specific: [], normSpecific: true },
  ours: { specific: [], normSpecific: true },
};

export type ParamRole = "kernel" | "bias" | "gamma" | "beta" | "movingMean" | "movingVar";

/** One parameter of the layer description (before per-modality duplication). */
export interface ParamSpec {
  name: string;
  shape: number[];
  role: ParamRole;
  segment: Segment;
  /** Trainable (everything but moving statistics). */
  trainable: boolean;
  /** Initializer: kernels "truncated-normal"/"normal" (scaled by fanIn for He), others constant. */
  init: "truncated-normal" | "normal" | "zeros" | "ones";
  /** Fan-in of a kernel (for He init). */
  fanIn?: number;
}

/** Whether a parameter has one copy per modality under a setting. */
export function isPerModality(setting: Setting, p: Pick<ParamSpec, "role" | "segment">): boolean {
  const rule = SHARING[setting];
  if (rule.specific.includes(p.segment)) return true;
  const isNorm = p.role === "gamma" || p.role === "beta" || p.role === "movingMean" || p.role === "movingVar";
  return isNorm && rule.normSpecific;
}

/** Trainable parameter count of a description under a setting (per-modality params counted twice). */
export function countFromSpecs(specs: readonly ParamSpec[], setting: Setting): number {
  let n = 0;
  for (const p of specs) {
    if (!p.trainable) continue;
    const size = p.shape.reduce((a, b) => a * b, 1);
    n += size * (isPerModality(setting, p) ? 2 : 1);
  }
  return n;
}
