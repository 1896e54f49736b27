/**
 * Gradient of MirrorPad ("reflect" / "symmetric"). tfjs-core's (4.22) slices the centre of dy and
 * drops the gradient of the mirrored border copies, so every layer below a symmetric-pad conv (the
 * 2D dilated network's group 10 and output conv) got a wrong gradient. Here each padded axis folds
 * its two borders back onto the elements they copy: symmetric border j (0-based from the edge)
 * copies element j, reflect border j copies element j + 1. Axes are separable, so they are folded
 * one after another.
 */
import { tf, type Tensor } from "../tf.ts";
import type { GradConfig, NamedAttrMap } from "@tensorflow/tfjs-core";

/** Folds the gradient of a mirror-padded axis back onto the unpadded one. */
function foldAxis(g: Tensor, axis: number, before: number, after: number, n: number, reflect: boolean): Tensor {
  const size = (len: number) => g.shape.map((d, i) => (i === axis ? len : d));
  const at = (start: number) => g.shape.map((_, i) => (i === axis ? start : 0));
  const noPad = (): Array<[number, number]> => g.shape.map(() => [0, 0]);
  const off = reflect ? 1 : 0;
  let out = tf.slice(g, at(before), size(n));
  if (before > 0) {
    const b = tf.reverse(tf.slice(g, at(0), size(before)), axis);
    const pads = noPad();
    pads[axis] = [off, n - before - off];
    out = tf.add(out, tf.pad(b, pads));
  }
  if (after > 0) {
    const a = tf.reverse(tf.slice(g, at(before + n), size(after)), axis);
    const pads = noPad();
    pads[axis] = [n - after - off, off];
    out = tf.add(out, tf.pad(a, pads));
  }
  return out;
}

export const mirrorPadGrad: GradConfig = {
  kernelName: "MirrorPad",
  inputsToSave: ["x"],
  gradFunc: (dys: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const dy = Array.isArray(dys) ? dys[0]! : dys;
    const [x] = saved as [Tensor];
    const paddings = attrs.paddings as Array<[number, number]>;
    const reflect = attrs.mode === "reflect";
    return {
      x: () => {
        let g = dy;
        paddings.forEach(([b, a], axis) => {
          if (b > 0 || a > 0) g = foldAxis(g, axis, b, a, x.shape[axis]!, reflect);
        });
        return g;
      },
    };
  },
};
