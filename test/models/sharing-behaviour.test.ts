// Behavioural test of every setting's sharing (Section IV-B), for both networks: perturb one
// modality's kernels or normalization parameters in one segment and check WHICH modality's output
// changes; train-mode calls check which batch statistics each layer uses (own vs both modalities).
// The expected table below is written out by hand from the paper, not read from lib/models/sharing.ts.
import { beforeAll, describe, expect, it } from "vitest";
import { initEngine, tf, type Tensor } from "../../lib/engine/index.ts";
import { buildModel, describeModel, SETTINGS, type NetworkName, type Setting } from "../../lib/models/index.ts";

beforeAll(async () => {
  await initEngine();
});

type Seg = "encoder" | "bottleneck" | "decoder";
const SEGS: Seg[] = ["encoder", "bottleneck", "decoder"];

/**
 * Paper Section IV-B, by hand: `kernels[seg]` = the segment has a full copy per modality (kernels
 * and normalization); `norm` = normalization of the shared-kernel layers is per modality.
 * Individual: two networks. Joint (+KD): one network. Y-shaped: own encoders, shared rest.
 * X-shaped: own encoders and decoders, shared bottleneck. Chilopod/Ours: shared kernels, own norms.
 */
const EXPECTED: Record<Setting, { own: Seg[]; ownNorm: boolean }> = {
  individual: { own: ["encoder", "bottleneck", "decoder"], ownNorm: true },
  joint: { own: [], ownNorm: false },
  "joint-kd": { own: [], ownNorm: false },
  "y-shaped": { own: ["encoder"], ownNorm: false },
  "x-shaped": { own: ["encoder", "decoder"], ownNorm: false },
  chilopod: { own: [], ownNorm: true },
  ours: { own: [], ownNorm: true },
};
const ownKernels = (s: Setting, seg: Seg) => EXPECTED[s].own.includes(seg);
const ownNorm = (s: Setting, seg: Seg) => EXPECTED[s].own.includes(seg) || EXPECTED[s].ownNorm;

const NORM_ROLES = new Set(["gamma", "beta", "movingMean", "movingVar"]);
const opts = (network: NetworkName, setting: Setting) =>
  network === "dilated2d"
    ? { network, setting, width: 0.0625, dropout: 0, seed: 4, init: "he" as const }
    : { network, setting, width: 0.125, dropout: 0, seed: 4, init: "he" as const };
const input = (network: NetworkName, seed: number, b: number) =>
  tf.randomNormal(network === "dilated2d" ? [b, 16, 16, 3] : [b, 8, 16, 16, 1], 0, 1, "float32", seed);
const maxDiff = (a: Tensor, b: Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);

describe.each(["dilated2d", "unet3d"] as const)("%s: which modality a segment's parameters act on", (network) => {
  it.each(SETTINGS.map((s) => [s]))("%s", (setting) => {
    const net = buildModel(opts(network, setting));
    const specs = describeModel(opts(network, setting));
    const x = input(network, 1, 2);
    const base = [net.apply(x, 0, false), net.apply(x, 1, false)];
    const s0 = net.getState();
    for (const seg of SEGS) {
      for (const kind of ["kernels", "norm"] as const) {
        const params = specs.filter((p) => p.segment === seg && (kind === "kernels" ? p.role === "kernel" : NORM_ROLES.has(p.role)));
        expect(params.length, `${seg} ${kind}`).toBeGreaterThan(0);
        const perModality = kind === "kernels" ? ownKernels(setting, seg) : ownNorm(setting, seg);
        // the CT copy exists exactly where the paper's setting gives each modality its own copy
        for (const p of params) {
          expect(s0.has(`${p.name}/ct`), `${p.name}/ct`).toBe(perModality);
          expect(s0.has(`${p.name}/mri`), `${p.name}/mri`).toBe(perModality);
          expect(s0.has(p.name), p.name).toBe(!perModality);
        }
        // perturb CT's instance (its own copy, or the shared one)
        const keys = new Set(params.map((p) => (perModality ? `${p.name}/ct` : p.name)));
        const perturbed = new Map(
          [...s0].map(([k, v], i) => [k, keys.has(k) ? tf.tidy(() => tf.add(v, tf.randomNormal(v.shape, 0.3, 0.3, "float32", 100 + i))) : v.clone()]),
        );
        net.setState(perturbed);
        tf.dispose([...perturbed.values()]);
        const ct = net.apply(x, 0, false);
        const mri = net.apply(x, 1, false);
        const dCt = maxDiff(ct, base[0]!);
        const dMri = maxDiff(mri, base[1]!);
        tf.dispose([ct, mri]);
        net.setState(s0);
        expect(dCt, `${seg} ${kind}: CT output changes`).toBeGreaterThan(1e-6);
        if (perModality) expect(dMri, `${seg} ${kind}: MRI output unchanged by CT's copy`).toBe(0);
        else expect(dMri, `${seg} ${kind}: MRI output changes with the shared parameters`).toBeGreaterThan(1e-6);
      }
    }
    tf.dispose([x, ...base, ...s0.values()]);
    net.dispose();
  });
});

describe.each(["dilated2d", "unet3d"] as const)("%s: which batch statistics each segment's normalization uses", (network) => {
  it.each(SETTINGS.map((s) => [s]))("%s", (setting) => {
    const net = buildModel(opts(network, setting));
    const specs = describeModel(opts(network, setting));
    const xCt = input(network, 1, 2);
    const xMri = tf.tidy(() => tf.add(tf.mul(input(network, 2, 1), 2), 1));
    const xMri2 = tf.tidy(() => tf.add(tf.mul(input(network, 3, 1), 3), -1));
    const s0 = net.getState();
    const trainCall = (xb: Tensor) => {
      net.setState(s0);
      const [a, b] = net.applyPair(xCt, xb, true);
      const st = net.getState();
      tf.dispose(b);
      return { ct: a, st };
    };
    const r1 = trainCall(xMri);
    const r2 = trainCall(xMri2);
    // CT's batch-statistics at a layer depend on the MRI batch iff that layer or one upstream of it
    // (segments run encoder -> bottleneck -> decoder) normalizes over both modalities' samples.
    let joint = false;
    for (const seg of SEGS) {
      joint ||= !ownNorm(setting, seg);
      for (const p of specs.filter((q) => q.segment === seg && q.role === "movingMean")) {
        const key = s0.has(`${p.name}/ct`) ? `${p.name}/ct` : p.name;
        const d = maxDiff(r1.st.get(key)!, r2.st.get(key)!);
        // every training call moves the statistics it uses
        expect(maxDiff(r1.st.get(key)!, s0.get(key)!), `${key} updated`).toBeGreaterThan(0);
        if (joint) expect(d, `${key}: uses both modalities' statistics`).toBeGreaterThan(0);
        else expect(d, `${key}: uses CT's own statistics`).toBe(0);
      }
    }
    const dOut = maxDiff(r1.ct, r2.ct);
    if (joint) expect(dOut).toBeGreaterThan(1e-6);
    else expect(dOut).toBe(0);
    // a CT-only training call never touches MRI's own statistics
    net.setState(s0);
    tf.dispose(net.apply(xCt, 0, true));
    const s3 = net.getState();
    for (const p of specs.filter((q) => q.role === "movingMean" && s0.has(`${q.name}/mri`))) {
      expect(maxDiff(s3.get(`${p.name}/mri`)!, s0.get(`${p.name}/mri`)!), `${p.name}/mri`).toBe(0);
    }
    tf.dispose([xCt, xMri, xMri2, r1.ct, r2.ct, ...r1.st.values(), ...r2.st.values(), ...s0.values(), ...s3.values()]);
    net.dispose();
  });
});
