/**
 * WebGPU parity of the paper's networks (issue 29): for the 2D dilated network and the 3D U-Net at
 * width 1/8, under each of the seven settings, the total loss (eq. 5: both segmentation losses, KD,
 * L2) and the gradient of every trainable variable on the webgpu engine agree with the cpu backend
 * (the portable reference). This runs every kernel of a training step on WebGPU: the pack's
 * dilated-conv and conv3dTranspose gradients, TF-exact 3D SAME padding, BN, LeakyReLU, dropout off.
 * Here (no GPU) the adapter is Mesa llvmpipe through Dawn's OpenGL backend: software rendering.
 */
import { describe, it, expect, afterAll } from "vitest";
import { initEngine, releaseWebgpu, tf, webgpuErrors, type BackendName } from "../../lib/engine/index.ts";
import type { Scalar, Variable } from "../../lib/engine/tf.ts";
import { buildModel } from "../../lib/models/index.ts";
import { SETTINGS, type Setting } from "../../lib/models/types.ts";
import { segmentationLoss, kdLoss, l2Loss, totalLoss } from "../../lib/losses/index.ts";
import { Rng } from "../../lib/util/rng.ts";
import { REQUIRES } from "../requires.ts";
import { expectScaledClose, probeWebgpu } from "./helpers.ts";

const wg = await probeWebgpu();
afterAll(() => releaseWebgpu());

const NETS = [
  { network: "dilated2d" as const, spatial: [16, 16], cin: 3 },
  { network: "unet3d" as const, spatial: [8, 16, 16], cin: 1 },
];
/**
 * Loss: relative; gradients: max |diff| / (1 + max |cpu|) per variable (float32 sums in another
 * order). Measured on llvmpipe: the 3D U-Net's Y-shaped first CT convolution gradient differs from
 * cpu by 4.2e-4, and the native and wasm engines differ from cpu by the same 4.2e-4 there (an
 * ill-conditioned gradient, not a WebGPU error): hence 1e-3. Each case logs its worst value.
 */
const LOSS_TOL = 1e-4;
const GRAD_TOL = 1e-3;

function data(spatial: number[], cin: number) {
  const rng = new Rng(3);
  const n = spatial.reduce((a, b) => a * b, 1);
  return {
    x: [0, 1].map(() => Float32Array.from({ length: n * cin }, () => rng.normal())),
    y: [0, 1].map(() => Int32Array.from({ length: n }, () => rng.int(5))),
  };
}

async function lossAndGrads(backend: BackendName, c: (typeof NETS)[number], setting: Setting): Promise<{ loss: number; grads: Float32Array[]; names: string[] }> {
  await initEngine({ backend });
  const net = buildModel({ network: c.network, setting, width: 0.125, seed: 5, dropout: 0 });
  const d = data(c.spatial, c.cin);
  const xs = d.x.map((v) => tf.tensor(v, [1, ...c.spatial, c.cin]));
  const ys = d.y.map((v) => tf.tensor(v, [1, ...c.spatial], "int32"));
  const vars = net.trainableVariables() as Variable[];
  const before = tf.memory().numTensors;
  const { value, grads } = tf.variableGrads(() => {
    const la = net.apply(xs[0]!, 0, true), lb = net.apply(xs[1]!, 1, true);
    return totalLoss({ segA: segmentationLoss(la, ys[0]!).loss, segB: segmentationLoss(lb, ys[1]!).loss, kd: kdLoss(la, ys[0]!, lb, ys[1]!).loss, l2: l2Loss(net.regularizedVariables()) }) as Scalar;
  }, vars);
  const loss = (await value.data())[0]!;
  const g = await Promise.all(vars.map(async (v) => Float32Array.from((await grads[v.name]!.data()) as Float32Array)));
  tf.dispose([value, ...Object.values(grads)]);
  expect(tf.memory().numTensors, `tensor leak on ${backend}`).toBe(before);
  tf.dispose([...xs, ...ys]);
  net.dispose();
  // variable names carry a per-process network counter (ummkd_net<N>/...): compare the rest
  return { loss, grads: g, names: vars.map((v) => v.name.replace(/^ummkd_net\d+\//, "")) };
}

describe.skipIf(!wg.ok)(`${REQUIRES.webgpu} both networks, seven settings: webgpu vs cpu`, () => {
  it("the adapter is recorded (software rendering named as such)", () => {
    if (!wg.ok) return;
    expect(wg.info.backend).toBe("webgpu");
    expect(wg.info.adapter).toBeDefined();
    expect(wg.info.reason).toContain(wg.info.adapter!.software ? "software rendering" : wg.info.adapter!.dawnBackend);
  });

  const cases = NETS.flatMap((n) => SETTINGS.map((setting) => ({ ...n, setting })));
  it.each(cases)("$network / $setting: total loss and every gradient", async (c) => {
    const ref = await lossAndGrads("cpu", c, c.setting);
    const got = await lossAndGrads("webgpu", c, c.setting);
    expect(Math.abs(got.loss - ref.loss) / Math.max(1, Math.abs(ref.loss))).toBeLessThanOrEqual(LOSS_TOL);
    expect(got.names).toEqual(ref.names);
    let worst = 0;
    for (let i = 0; i < ref.grads.length; i++) worst = Math.max(worst, expectScaledClose(got.grads[i]!, ref.grads[i]!, GRAD_TOL, `${c.network}/${c.setting} d${ref.names[i]}`));
    console.log(`[webgpu parity] ${c.network}/${c.setting}: loss ${got.loss} vs ${ref.loss}; worst gradient ${worst.toExponential(2)}`);
    expect(webgpuErrors(), "Dawn validation errors").toEqual({ count: 0 });
  }, 300_000);
});
