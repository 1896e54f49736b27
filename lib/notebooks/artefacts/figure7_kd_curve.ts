/**
 * Figure 7: the KD loss on the validation cases against the training step, one curve per alpha
 * (and seed), with the first and last values as a table.
 */
import { kdCurveSpec } from "../figures.ts";
import type { Artefact, ArtefactInput, ArtefactOutput } from "./types.ts";
import { COMMON_DIFFERS, ABDOMINAL_DATA } from "./text.ts";

function derive(input: ArtefactInput): ArtefactOutput {
  const runs = input.runs[0]!.runs;
  const values = runs.flatMap((r) => r.val.map((v) => ({ step: v.step, kd: v.kd, alpha: `α = ${r.spec.alpha}${r.spec.seed ? ` (seed ${r.spec.seed})` : ""}` })));
  const rows = runs.map((r) => ({ alpha: r.spec.alpha, seed: r.spec.seed, "first val KD": r.val[0]?.kd ?? NaN, "last val KD": r.val.at(-1)?.kd ?? NaN, "val points": r.val.length }));
  return {
    tables: [{ title: "Validation KD loss at the first and last validation", rows }],
    figures: [{ name: "figure7_kd_curve", title: "Figure 7 (ours): KD loss on validation data during training", vegaLite: kdCurveSpec(values, "Figure 7 (ours): validation KD loss vs step") }],
    notes: ["The paper computes this curve on test data of the abdominal task; we use the validation cases (the test cases stay unseen)."],
  };
}

export const figure7KdCurve: Artefact = {
  name: "figure7_kd_curve",
  configs: ["figure7_kd_curve"],
  paper: [],
  text: {
    title: "Figure 7 — KD loss during training for several α",
    caption: "Fig. 7: Comparison of learning curves for KD-loss at different values of α.",
    differs: [ABDOMINAL_DATA, ...COMMON_DIFFERS, "The KD loss is logged on the validation cases (the paper: on test data). α = 0 trains the Chilopod architecture without the KD term while still logging it."],
    reading: ["The paper's claim to check: without KD (α = 0) the distilled knowledge of the two modalities diverges; with KD the loss is stabilised."],
  },
  params: [["alphas", "default (data/configs): 0, 0.5, 1.0 (smoke: 0, 0.5)"]],
  derive,
};
