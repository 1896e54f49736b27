/**
 * How much memory one training step needs (`ummkd bench train-step` / `thread-scaling`, `ummkd
 * train`), estimated from the networks' layer description before anything is built, so that a size
 * beyond the machine is refused at once with the estimate instead of running silently into an
 * out-of-memory kill.
 */
import { totalmem } from "node:os";
import { OptionError } from "../util/errors.ts";
import { activationElements, countParams } from "../models/network.ts";
import type { ModelOptions } from "../models/types.ts";
import type { TrainStepOptions } from "./train-step.ts";

/** Memory estimate of one training step: bytes, and the parameters and activation values behind it. */
export interface StepMemory {
  bytes: number;
  params: number;
  activations: number;
}

/**
 * Memory one training step of `model` needs on inputs of `inputShape` per modality, estimated
 * from the layer description before anything is built (lib/models `countParams`,
 * `activationElements`): float32 weights, gradients and two Adam moments (4 x params), and the
 * feature maps of both modalities' forward passes kept for the backward pass, their gradients
 * and temporaries (3 x activations). Within about 25% of the peak RSS measured for unet3d
 * 0.5/64/2 and dilated2d 0.5/128/4 (the process's own ~200 MB not counted).
 */
export function estimateStepBytes(model: ModelOptions, inputShape: readonly number[]): StepMemory {
  const params = countParams(model);
  const activations = 2 * activationElements(model, inputShape);
  return { bytes: 4 * (4 * params + 3 * activations), params, activations };
}

/** The estimate of one `bench train-step` step (see {@link estimateStepBytes}; the placeholder net by hand). */
export function estimateTrainStepBytes(o: TrainStepOptions): StepMemory {
  if (o.network === "placeholder") {
    const params = 9 * 16 + 9 * 16 * 32 + 9 * 32 * 32 + 2 * (16 + 32 + 32) + 32 * 5;
    const activations = o.batch * o.size * o.size * (3 * (16 + 32 + 32) + 3 * 5);
    return { bytes: 4 * (4 * params + 3 * activations), params, activations };
  }
  const spatial = o.network === "unet3d" ? [o.depth ?? 8, o.size, o.size] : [o.size, o.size];
  return estimateStepBytes({ network: o.network, setting: "ours", width: o.width, norm: o.norm ?? "batch" }, [o.batch, ...spatial, o.network === "unet3d" ? 1 : 3]);
}

/**
 * Refuse a step whose estimated memory is beyond this machine's, before anything is built.
 * @param option the options (or config keys) that set the size, as the message names them
 * @param received their values
 * @throws OptionError naming them, the estimate and the machine's memory
 */
export function checkStepMemory(option: string, received: unknown, what: string, e: StepMemory, memBytes = totalmem()): void {
  if (e.bytes <= memBytes) return;
  const gib = (b: number) => `${(b / 2 ** 30).toFixed(1)} GiB`;
  throw new OptionError(
    option,
    received,
    `a step that fits in memory: ${what} would need about ${gib(e.bytes)} (${(e.params / 1e6).toFixed(1)} M parameters, ${(e.activations / 1e6).toFixed(0)} M activation values), this machine has ${gib(memBytes)}`,
  );
}

/**
 * Refuse, before building anything, a benchmark whose estimated memory is beyond this machine's
 * (`--width 100` used to run silently for minutes on its way to an out-of-memory kill).
 * @throws OptionError naming the options that set the size
 */
export function checkTrainStepMemory(o: TrainStepOptions, memBytes = totalmem()): void {
  const received = { width: o.width, size: o.size, batch: o.batch, ...(o.network === "unet3d" ? { depth: o.depth ?? 8 } : {}) };
  checkStepMemory("--width/--size/--batch", received, o.network, estimateTrainStepBytes(o), memBytes);
}
