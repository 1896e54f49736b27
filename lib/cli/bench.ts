/**
 * `ummkd bench <what>`:
 *   train-step  one Adam step of a network (engine issue): --network dilated2d|unet3d|placeholder
 *               --width W --size S --batch B --steps N [--warmup N] [--depth D] [--norm KIND] [--profile] [--json]
 *   thread-scaling  the same step with the native engine's thread count alternated step by step
 *               (--threads 1,2): step, kernel and between-kernel time per count, per kernel
 *   all         every benchmark of `npm run bench` (lib/bench/run.ts)
 * The backend comes from UMMKD_BACKEND / UMMKD_THREADS (see lib/engine).
 */
import { parseFlags, numberFlag } from "./args.ts";
import { OptionError } from "../util/errors.ts";
import { benchTrainStep, benchThreadScaling, checkTrainStepOptions, type BenchNetwork } from "../bench/train-step.ts";
import { checkTrainStepMemory } from "../bench/train-step-memory.ts";
import type { NormKind } from "../models/types.ts";

const USAGE = `usage: ummkd bench train-step --network dilated2d|unet3d|placeholder [--width 0.25] [--size 64] [--batch 8] [--steps 5] [--warmup 2] [--depth 8] [--optimizer fused|tfjs] [--norm batch|instance|layer|group] [--profile] [--json]
       ummkd bench thread-scaling [the same flags] [--threads 1,2]   (native engine: where the second thread helps)
       ummkd bench all        (the same as npm run bench)`;

export async function run(argv: string[]): Promise<number> {
  const [what, ...rest] = argv;
  if (!what || what === "--help" || what === "-h") {
    console.log(USAGE);
    return what ? 0 : 2;
  }
  if (what === "all") {
    const { runAll } = await import("../bench/run.ts");
    return runAll();
  }
  if (what !== "train-step" && what !== "thread-scaling") throw new OptionError("ummkd bench <what>", what, ["train-step", "thread-scaling", "all"]);
  const { values } = parseFlags(
    rest,
    {
      network: { type: "string", default: "dilated2d" },
      width: { type: "string" },
      size: { type: "string" },
      depth: { type: "string" },
      batch: { type: "string" },
      steps: { type: "string" },
      warmup: { type: "string" },
      profile: { type: "boolean", default: false },
      optimizer: { type: "string", default: "fused" },
      norm: { type: "string", default: "batch" },
      json: { type: "boolean", default: false },
      ...(what === "thread-scaling" ? { threads: { type: "string" as const, default: "1,2" } } : {}),
      help: { type: "boolean", default: false },
    },
    `bench ${what}`,
  );
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const common = {
    network: values.network as BenchNetwork,
    width: numberFlag("width", values.width, 0.25),
    size: numberFlag("size", values.size, 64),
    depth: numberFlag("depth", values.depth, 8),
    batch: numberFlag("batch", values.batch, 8),
    steps: numberFlag("steps", values.steps, 5),
    warmup: numberFlag("warmup", values.warmup, 2),
    norm: values.norm as NormKind,
  };
  // a network beyond this machine's memory is refused now, with the estimate (--width 100 ran for minutes)
  checkTrainStepMemory(checkTrainStepOptions({ ...common }));
  if (what === "thread-scaling") {
    const raw = String((values as { threads?: string }).threads);
    const res = await benchThreadScaling({ ...common, threadCounts: raw.split(",").map((x) => Number(x.trim())) });
    if (values.json) console.log(JSON.stringify(res));
    else {
      for (const t of res.byThreads) console.log(`${t.threads} thread(s): step ${t.ms_median} ms = ${t.kernel_ms_median} ms in kernels + ${t.outside_ms_median} ms between (medians over ${res.steps} steps)`);
      const names = res.byThreads[0]!.kernels.slice(0, 25).map((k) => k.kernel);
      console.log(`  ${"kernel".padEnd(28)}${res.byThreads.map((t) => `${t.threads} thr ms`.padStart(11)).join("")}`);
      for (const k of names) console.log(`  ${k.padEnd(28)}${res.byThreads.map((t) => String(t.kernels.find((x) => x.kernel === k)?.ms ?? 0).padStart(11)).join("")}`);
    }
    return 0;
  }
  const res = await benchTrainStep({ ...common, profile: values.profile, optimizer: values.optimizer as "fused" | "tfjs" });
  if (values.json) {
    console.log(JSON.stringify(res));
  } else {
    console.log(
      `${res.network} (width ${res.width}, ${res.norm} norm, ${res.size}px, batch ${res.batch}/modality): ${res.ms_per_step} ms/step (${res.cpu_ms_per_step} ms CPU) on ${res.backend} (${res.threads} thread${res.threads === 1 ? "" : "s"}), ${res.params} params, loss ${res.loss.toFixed(4)}, leak ${res.tensor_leak_per_step}/step`,
    );
    if (res.profile) for (const k of res.profile.slice(0, 25)) console.log(`  ${k.kernel.padEnd(28)} ${String(k.ms).padStart(9)} ms  ${k.calls} calls`);
  }
  return 0;
}
