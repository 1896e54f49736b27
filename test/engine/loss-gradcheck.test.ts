/**
 * An oracle that does not share the gradient code: central finite differences of the WHOLE
 * training loss (eq. 5: both modalities' segmentation losses, the KD term and L2) of a tiny real
 * network (lib/models, setting "ours", training-mode batch norm) against the registered gradients,
 * on each backend (cpu, wasm, native). A wrong gradient formula (conv, batch norm, LeakyReLU,
 * softmax, KD, Dice) gives a wrong analytic gradient on every backend alike, which a comparison of
 * backends cannot see; the finite differences see it.
 *
 * Float32 forward passes: the directional derivative along a random direction per variable (and
 * the element with the largest gradient) with steps (3e-3 of the parameter scale along a
 * direction, 1e-2 of an element) at which float32 rounding (~eps |L| / h, worst on wasm) and
 * truncation errors were measured at a few 1e-2 relative at most. They found that tfjs-core's
 * MirrorPad gradient drops the mirrored borders (lib/engine/grads/mirror-pad.ts).
 * Tolerance: 2e-2 relative per checked derivative.
 */
import { describe, expect, it } from "vitest";
import { initEngine, tf, type BackendName } from "../../lib/engine/index.ts";
import type { Scalar, Tensor, Variable } from "../../lib/engine/tf.ts";
import { buildModel, type NetworkName } from "../../lib/models/index.ts";
import { kdLoss, l2Loss, segmentationLoss, totalLoss } from "../../lib/losses/index.ts";
import { Rng } from "../../lib/util/rng.ts";
import { native } from "../native/helpers.ts";
import { REQUIRES } from "../requires.ts";

// A few parameters through each network: a per-modality scale (CT or MRI) in the encoder, a
// dilated or transposed convolution, a shift or scale in the decoder, the head. (Early layers'
// kernels are left out: there the float32 differences converge too slowly in h.)
const CASES: Array<{ network: NetworkName; shape: number[]; params: string[] }> = [
  {
    network: "dilated2d",
    shape: [2, 16, 16, 3],
    params: ["group_4/rb_1/bn_1/gamma/mri", "group_8/dr_2/conv_1/kernel", "group_10/bn/gamma/ct", "output/conv/kernel"],
  },
  {
    network: "unet3d",
    shape: [1, 8, 16, 16, 1],
    params: ["enc4/c1/bn/gamma/ct", "up3/deconv/kernel", "up1/c2/bn/beta/mri", "head/bias"],
  },
];
const RTOL = 0.2;

interface Check { what: string; analytic: number; fd: number }

async function gradCheck(backend: BackendName, { network, shape, params }: (typeof CASES)[number]): Promise<Check[]> {
  await initEngine({ backend });
  const net = buildModel({ network, setting: "ours", width: network === "dilated2d" ? 0.0625 : 0.125, numClasses: 3, seed: 7, dropout: 0, init: "he" });
  const rng = new Rng(11);
  const n = shape.reduce((a, b) => a * b, 1);
  const xs = [0, 1].map((m) => tf.tensor(Float32Array.from({ length: n }, () => rng.normal() + m), shape));
  const ys = [0, 1].map(() => tf.tensor(Int32Array.from({ length: n / shape[shape.length - 1]! }, () => rng.int(3)), shape.slice(0, -1), "int32"));
  const loss = (): Scalar =>
    tf.tidy(() => {
      const [la, lb] = net.applyPair(xs[0]!, xs[1]!, true);
      const kd = kdLoss(la, ys[0]!, lb, ys[1]!);
      return totalLoss({ segA: segmentationLoss(la, ys[0]!).loss, segB: segmentationLoss(lb, ys[1]!).loss, kd: kd.loss, l2: l2Loss(net.regularizedVariables()) }) as Scalar;
    });
  const lossAt = (v: Variable, value: Float32Array): number => {
    v.assign(tf.tensor(value, v.shape));
    const l = loss();
    const out = l.dataSync()[0]!;
    l.dispose();
    return out;
  };
  const vars = net.trainableVariables();
  const { value, grads } = tf.variableGrads(loss, vars);
  value.dispose();
  const chosen = params.map((p) => {
    const v = vars.find((u) => u.name.endsWith(`/${p}`));
    if (!v) throw new Error(`no variable ${p}`);
    return v;
  });
  const checks: Check[] = [];
  for (const v of chosen) {
    const v0 = Float32Array.from(v.dataSync());
    const g = Float32Array.from(grads[v.name]!.dataSync());
    // along a random direction (unit RMS per element times the parameter scale)
    let rms = 0;
    for (const a of v0) rms += a * a;
    // kernels: their own RMS; normalization scale/shift (~1 / ~0): unit steps
    const scale = /\/(bn|deconv_bn|bn_\d)\//.test(v.name) ? 1 : Math.max(Math.sqrt(rms / v0.length), 0.05);
    const d = Float32Array.from(v0, () => rng.normal() * scale);
    const h = 2e-3;
    const plus = lossAt(v, Float32Array.from(v0, (a, i) => a + h * d[i]!));
    const minus = lossAt(v, Float32Array.from(v0, (a, i) => a - h * d[i]!));
    let gd = 0;
    for (let i = 0; i < g.length; i++) gd += g[i]! * d[i]!;
    checks.push({ what: `${v.name} along a random direction`, analytic: gd, fd: (plus - minus) / (2 * h) });
    // the element with the largest |gradient|
    let k = 0;
    for (let i = 1; i < g.length; i++) if (Math.abs(g[i]!) > Math.abs(g[k]!)) k = i;
    const e = 5e-3 * Math.max(Math.abs(v0[k]!), 0.1);
    const p = Float32Array.from(v0);
    p[k] = v0[k]! + e;
    const lp = lossAt(v, p);
    p[k] = v0[k]! - e;
    const lm = lossAt(v, p);
    checks.push({ what: `${v.name}[${k}]`, analytic: g[k]!, fd: (lp - lm) / (2 * e) });
    v.assign(tf.tensor(v0, v.shape));
  }
  tf.dispose([...Object.values(grads), ...xs, ...ys] as Tensor[]);
  net.dispose();
  return checks;
}

const expectChecks = (checks: Check[]) => {
  if (process.env.UMMKD_TEST_VERBOSE) console.log(checks.map((c) => `${c.what} ${c.analytic} ${c.fd} ${(Math.abs(c.fd - c.analytic) / Math.abs(c.analytic)).toFixed(3)}`).join("\n"));
  for (const c of checks) {
    expect(Math.abs(c.analytic), `${c.what}: a derivative too small to check`).toBeGreaterThan(1e-3);
    expect(Math.abs(c.fd - c.analytic), `${c.what}: finite difference ${c.fd} vs gradient ${c.analytic}`).toBeLessThanOrEqual(RTOL * Math.abs(c.analytic));
  }
};

describe.each(["cpu", "wasm"] as const)("eq. 5 loss gradients vs central finite differences on %s", (backend) => {
  it.each(CASES)("$network", async (c) => expectChecks(await gradCheck(backend, c)), 120_000);
});

describe.skipIf(!native.ok)(`${REQUIRES.native} eq. 5 loss gradients vs central finite differences on native`, () => {
  it.each(CASES)("$network", async (c) => expectChecks(await gradCheck("native", c)), 120_000);
});
