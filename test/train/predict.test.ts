import { beforeAll, describe, expect, it } from "vitest";
import { initEngine, tf, type Tensor, type Variable } from "../../lib/engine/index.ts";
import type { ImageVolume } from "../../lib/data/types.ts";
import type { Modality, ModelOptions, SegmentationNetwork } from "../../lib/models/types.ts";
import { padTo, predictVolume2D5, predictVolume3D } from "../../lib/train/predict.ts";

/**
 * A probe "network": class k scores -(v - k)^2 where v = input channel `channel` + modality, so the
 * argmax is the nearest integer of what the network saw. It rejects H/W not divisible by 8 (like
 * the real networks) and training-mode calls, and records the inputs' shapes.
 */
class Probe implements SegmentationNetwork {
  readonly options: Required<ModelOptions>;
  calls: number[][] = [];
  constructor(readonly network: "dilated2d" | "unet3d", readonly channel: number, K = 6) {
    this.options = { network, setting: "ours", width: 1, norm: "batch", numClasses: K, inChannels: network === "unet3d" ? 1 : 3, seed: 0, dropout: 0 } as Required<ModelOptions>;
  }
  apply(x: Tensor, modality: Modality, training: boolean): Tensor {
    if (training) throw new Error("predict must run in eval mode");
    const r = x.shape.length;
    if (x.shape[r - 2]! % 8 !== 0 || x.shape[r - 3]! % 8 !== 0) throw new Error(`H/W ${x.shape} not divisible by 8`);
    if (this.network === "unet3d" && x.shape[1] !== 8) throw new Error(`depth ${x.shape[1]} != 8`);
    this.calls.push(x.shape.slice());
    return tf.tidy(() => {
      const begin = x.shape.map((_, j) => (j === r - 1 ? this.channel : 0));
      const size = x.shape.map((d, j) => (j === r - 1 ? 1 : d!));
      const v = tf.add(tf.slice(x, begin, size), modality);
      const ks = tf.range(0, this.options.numClasses);
      return tf.neg(tf.square(tf.sub(v, ks)));
    });
  }
  applyPair(): [Tensor, Tensor] {
    throw new Error("unused");
  }
  trainableVariables(): Variable[] {
    return [];
  }
  regularizedVariables(): Variable[] {
    return [];
  }
  countParams(): number {
    return 0;
  }
  getState(): Map<string, Tensor> {
    return new Map();
  }
  setState(): void {}
  dispose(): void {}
}

/** Volume with value (x + 2y + z) mod 4 at voxel (x, y, z), NIfTI order. */
function volume(nx: number, ny: number, nz: number): ImageVolume {
  const data = new Float32Array(nx * ny * nz);
  for (let z = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) data[x + nx * (y + ny * z)] = (x + 2 * y + z) % 4;
  return {
    data,
    shape: [nx, ny, nz],
    spacing: [0.8, 0.9, 2.5],
    affine: [
      [-0.8, 0, 0, 10],
      [0, 0.9, 0, -20],
      [0, 0, 2.5, 30],
      [0, 0, 0, 1],
    ],
    source: "probe",
  };
}

beforeAll(async () => {
  await initEngine({ backend: "cpu" });
});

describe("padTo", () => {
  it("pads up to the next multiple, split before/after", () => {
    expect(padTo(16, 8)).toEqual([0, 0]);
    expect(padTo(13, 8)).toEqual([1, 2]);
    expect(padTo(1, 8)).toEqual([3, 4]);
  });
});

describe("predictVolume2D5", () => {
  it.each([
    [0, -1],
    [1, 0],
    [2, 1],
  ])("channel %i sees slice z%+i (edge slices replicated), on the input grid, odd H/W", async (channel, dz) => {
    const img = volume(13, 10, 5);
    const before = tf.memory().numTensors;
    const net = new Probe("dilated2d", channel);
    const out = await predictVolume2D5(net, img, 1, { batchSize: 2 });
    expect(tf.memory().numTensors).toBe(before);
    expect(out.shape).toEqual([13, 10, 5]);
    expect(out.spacing).toEqual(img.spacing);
    expect(out.affine).toEqual(img.affine);
    // Every slice predicted, in batches of 2 (3 calls for 5 slices), padded to 16 x 16.
    expect(net.calls).toEqual([
      [2, 16, 16, 3],
      [2, 16, 16, 3],
      [1, 16, 16, 3],
    ]);
    for (let z = 0; z < 5; z++)
      for (let y = 0; y < 10; y++)
        for (let x = 0; x < 13; x++) {
          const zz = Math.min(4, Math.max(0, z + dz));
          const want = ((x + 2 * y + zz) % 4) + 1; // + modality 1
          expect(out.data[x + 13 * (y + 10 * z)]).toBe(want);
        }
  });

  it("rejects inconsistent data", () => {
    const img = volume(8, 8, 2);
    expect(() => predictVolume2D5(new Probe("dilated2d", 1), { ...img, shape: [8, 8, 3] }, 0)).toThrow(/data length/);
    expect(() => predictVolume2D5(new Probe("dilated2d", 1), img, 0, { batchSize: 0 })).toThrow(/batchSize/);
  });
});

describe("predictVolume3D", () => {
  it("predicts 8-slice blocks with the last block clamped to the end", async () => {
    const img = volume(9, 16, 13);
    const net = new Probe("unet3d", 0);
    const out = await predictVolume3D(net, img, 0);
    expect(net.calls).toEqual([
      [1, 8, 16, 16, 1],
      [1, 8, 16, 16, 1],
    ]);
    expect(out.shape).toEqual([9, 16, 13]);
    expect(out.affine).toEqual(img.affine);
    expect(Array.from(out.data)).toEqual(Array.from(img.data));
  });

  it("handles a volume thinner than one block and an exact multiple", async () => {
    const thin = volume(8, 8, 5);
    expect(Array.from((await predictVolume3D(new Probe("unet3d", 0), thin, 0)).data)).toEqual(Array.from(thin.data));
    const exact = volume(8, 8, 16);
    const net = new Probe("unet3d", 0);
    expect(Array.from((await predictVolume3D(net, exact, 1)).data)).toEqual(Array.from(exact.data, (v) => v + 1));
    expect(net.calls).toHaveLength(2);
  });
});
