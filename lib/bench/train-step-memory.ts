/**
 * How much memory one `ummkd bench train-step` / `thread-scaling` step needs, estimated from the
 * networks' layer description before anything is built, so that a size beyond the machine is
 * refused at once with the estimate instead of running silently into an out-of-memory kill.
 */
import { totalmem } from "node:os";
import { OptionError } from "../util/errors.ts";
import { activationElements, countParams } from "../models/network.ts";
import type { TrainStepOptions } from "./train-step.ts";

/**
 * Memory one benchmark step needs, estimated from the layer description before anything is built
 * (lib/models `countParams`, `activationElements`): float32 weights, gradients and two Adam
 * moments (4 x params), and the feature maps of both modalities' forward passes kept for the
 * backward pass, their gradients and temporaries (3 x activations).
 */
export function estimateTrainStepBytes(o: TrainStepOptions): { bytes: number; params: number; activations: number } {
  let params: number;
  let activations: number;
  if (o.network === "placeholder") {
    params = 9 * 16 + 9 * 16 * 32 + 9 * 32 * 32 + 2 * (16 + 32 + 32) + 32 * 5;
    activations = o.batch * o.size * o.size * (3 * (16 + 32 + 32) + 3 * 5);
  } else {
    const model = { network: o.network, setting: "ours" as const, width: o.width, norm: o.norm ?? "batch" };
    params = countParams(model);
    const spatial = o.network === "unet3d" ? [o.depth ?? 8, o.size, o.size] : [o.size, o.size];
    activations = 2 * activationElements(model, [o.batch, ...spatial, o.network === "unet3d" ? 1 : 3]);
  }
  return { bytes: 4 * (4 * params + 3 * activations), params, activations };
}

/**
 * Refuse, before building anything, a benchmark whose estimated memory is beyond this machine's
 * (`--width 100` used to run silently for minutes on its way to an out-of-memory kill).
 * @throws OptionError naming the options that set the size
 */
export function checkTrainStepMemory(o: TrainStepOptions, memBytes = totalmem()): void {
  const e = estimateTrainStepBytes(o);
  if (e.bytes <= memBytes) return;
  const gib = (b: number) => `${(b / 2 ** 30).toFixed(1)} GiB`;
  throw new OptionError(
    "--width/--size/--batch",
    { width: o.width, size: o.size, batch: o.batch, ...(o.network === "unet3d" ? { depth: o.depth ?? 8 } : {}) },
    `a step that fits in memory: ${o.network} would need about ${gib(e.bytes)} (${(e.params / 1e6).toFixed(1)} M parameters, ${(e.activations / 1e6).toFixed(0)} M activation values), this machine has ${gib(memBytes)}`,
  );
}

