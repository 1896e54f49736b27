/**
 * Gradient configs that replace tfjs-core's for Conv2D, Conv3D, Conv2DBackpropInput (the forward
 * of conv2dTranspose) and Conv3DBackpropInputV2 (conv3dTranspose, which tfjs cannot differentiate
 * at all). They call the ummkd custom kernels by name, so the active backend's implementation runs
 * (oneDNN on `native`, forward-conv compositions elsewhere), and they support dilation > 1.
 */
import { tf, type Tensor, type Tensor4D, type Tensor5D } from "../tf.ts";
import type { GradConfig, NamedAttrMap } from "@tensorflow/tfjs-core";
import {
  UmmkdConv2DBackpropFilter,
  UmmkdConv2DBackpropInput,
  UmmkdConv3DBackpropFilter,
  UmmkdConv3DBackpropInput,
  type ConvPad,
  type UmmkdConv2DBackpropFilterAttrs,
  type UmmkdConv2DBackpropInputAttrs,
  type UmmkdConv3DBackpropFilterAttrs,
  type UmmkdConv3DBackpropInputAttrs,
} from "../kernel-names.ts";
import { runUmmkdKernel } from "./run-kernel.ts";
import { tfPads3D, tfjsPads3DWrong } from "../wasm/conv3d-grads.ts";

function refuseWrongTfjsPads(op: string, xShape: number[], filterShape: number[], strides: unknown, pad: "same" | "valid"): void {
  if (tfjsPads3DWrong(xShape as never, filterShape as never, strides as number, 1, pad)) {
    throw new Error(
      `gradient of ${op}: tfjs-core pads this 'same' 3D conv by -1 (kernel [${filterShape.slice(0, 3)}] smaller than stride [${strides}]), unlike TensorFlow; ` +
        `use conv3d / conv3dTranspose from lib/engine/ops.ts, which pad as TensorFlow does`,
    );
  }
}

const pair = (v: unknown): [number, number] => (typeof v === "number" ? [v, v] : [(v as number[])[0]!, (v as number[])[1]!]);
const triple = (v: unknown): [number, number, number] =>
  typeof v === "number" ? [v, v, v] : [(v as number[])[0]!, (v as number[])[1]!, (v as number[])[2]!];

function checkNHWC(op: string, attrs: NamedAttrMap): void {
  const f = attrs.dataFormat as string | undefined;
  if (f && f !== "NHWC" && f !== "NDHWC" && f !== "channelsLast") throw new Error(`gradient of ${op}: only channels-last layouts are supported, got dataFormat '${f}'`);
}

/** dW of conv2d through the active backend's UmmkdConv2DBackpropFilter. */
export function conv2dBackpropFilter(x: Tensor4D, dy: Tensor4D, filterShape: [number, number, number, number], strides: number | [number, number], pad: ConvPad, dilations: number | [number, number] = 1): Tensor4D {
  const attrs: UmmkdConv2DBackpropFilterAttrs = { strides: pair(strides), pad, dilations: pair(dilations), filterShape };
  return runUmmkdKernel(UmmkdConv2DBackpropFilter, { x, dy }, attrs) as Tensor4D;
}
/** dx of conv2d through the active backend's UmmkdConv2DBackpropInput. */
export function conv2dBackpropInput(dy: Tensor4D, filter: Tensor4D, inputShape: [number, number, number, number], strides: number | [number, number], pad: ConvPad, dilations: number | [number, number] = 1): Tensor4D {
  const attrs: UmmkdConv2DBackpropInputAttrs = { strides: pair(strides), pad, dilations: pair(dilations), inputShape };
  return runUmmkdKernel(UmmkdConv2DBackpropInput, { dy, filter }, attrs) as Tensor4D;
}
/** dW of conv3d through the active backend's UmmkdConv3DBackpropFilter. */
export function conv3dBackpropFilter(x: Tensor5D, dy: Tensor5D, filterShape: [number, number, number, number, number], strides: number | [number, number, number], pad: "same" | "valid", dilations: number | [number, number, number] = 1): Tensor5D {
  const attrs: UmmkdConv3DBackpropFilterAttrs = { strides: triple(strides), pad, dilations: triple(dilations), filterShape };
  return runUmmkdKernel(UmmkdConv3DBackpropFilter, { x, dy }, attrs) as Tensor5D;
}
/** dx of conv3d through the active backend's UmmkdConv3DBackpropInput. */
export function conv3dBackpropInput(dy: Tensor5D, filter: Tensor5D, inputShape: [number, number, number, number, number], strides: number | [number, number, number], pad: "same" | "valid", dilations: number | [number, number, number] = 1): Tensor5D {
  const attrs: UmmkdConv3DBackpropInputAttrs = { strides: triple(strides), pad, dilations: triple(dilations), inputShape };
  return runUmmkdKernel(UmmkdConv3DBackpropInput, { dy, filter }, attrs) as Tensor5D;
}

export const conv2DGrad: GradConfig = {
  kernelName: "Conv2D",
  inputsToSave: ["x", "filter"],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    checkNHWC("conv2d", attrs);
    const [x, filter] = saved as [Tensor4D, Tensor4D];
    const { strides, pad, dilations } = attrs as unknown as { strides: number | [number, number]; pad: ConvPad; dilations: number | [number, number] };
    const g = dy as Tensor4D;
    return {
      x: () => conv2dBackpropInput(g, filter, x.shape, strides, pad, dilations ?? 1),
      filter: () => conv2dBackpropFilter(x, g, filter.shape, strides, pad, dilations ?? 1),
    };
  },
};

export const conv3DGrad: GradConfig = {
  kernelName: "Conv3D",
  inputsToSave: ["x", "filter"],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    checkNHWC("conv3d", attrs);
    const [x, filter] = saved as [Tensor5D, Tensor5D];
    const { strides, pad, dilations } = attrs as unknown as { strides: number | [number, number, number]; pad: "same" | "valid"; dilations: number | [number, number, number] };
    const g = dy as Tensor5D;
    if (!dilations || (typeof dilations === "number" ? dilations === 1 : dilations.every((d) => d === 1))) refuseWrongTfjsPads("conv3d", x.shape, filter.shape, strides, pad);
    return {
      x: () => conv3dBackpropInput(g, filter, x.shape, strides, pad, dilations ?? 1),
      filter: () => conv3dBackpropFilter(x, g, filter.shape, strides, pad, dilations ?? 1),
    };
  },
};

/** conv2dTranspose's forward is Conv2DBackpropInput(dy, filter); its gradients are a conv and a dW. */
export const conv2DBackpropInputGrad: GradConfig = {
  kernelName: "Conv2DBackpropInput",
  inputsToSave: ["dy", "filter"],
  gradFunc: (ddx: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    checkNHWC("conv2dTranspose", attrs);
    const [dy, filter] = saved as [Tensor4D, Tensor4D];
    const { strides, pad, dimRoundingMode } = attrs as unknown as { strides: number | [number, number]; pad: ConvPad; dimRoundingMode?: "floor" | "round" | "ceil" };
    const g = ddx as Tensor4D;
    return {
      dy: () => tf.conv2d(g, filter, strides, pad, "NHWC", 1, dimRoundingMode),
      filter: () => conv2dBackpropFilter(g, dy, filter.shape, strides, pad, 1),
    };
  },
};

export const conv3DBackpropInputV2Grad: GradConfig = {
  kernelName: "Conv3DBackpropInputV2",
  inputsToSave: ["dy", "filter"],
  gradFunc: (ddx: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const [dy, filter] = saved as [Tensor5D, Tensor5D];
    const { strides, pad, inputShape } = attrs as unknown as { strides: number | [number, number, number]; pad: "same" | "valid"; inputShape: number[] };
    refuseWrongTfjsPads("conv3dTranspose", inputShape, filter.shape, strides, pad);
    const g = ddx as Tensor5D;
    return {
      dy: () => tf.conv3d(g, filter, strides, pad),
      filter: () => conv3dBackpropFilter(g, dy, filter.shape, strides, pad, 1),
    };
  },
};

/** Gradients of the ummkd backprop-input kernels used as a forward op (transposed convolutions). */
export const ummkdConv2DBackpropInputGrad: GradConfig = {
  kernelName: UmmkdConv2DBackpropInput,
  inputsToSave: ["dy", "filter"],
  gradFunc: (ddx: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const [dy, filter] = saved as [Tensor4D, Tensor4D];
    const a = attrs as unknown as UmmkdConv2DBackpropInputAttrs;
    const g = ddx as Tensor4D;
    return {
      dy: () => tf.conv2d(g, filter, a.strides, a.pad, "NHWC", a.dilations),
      filter: () => conv2dBackpropFilter(g, dy, filter.shape, a.strides, a.pad, a.dilations),
    };
  },
};

export const ummkdConv3DBackpropInputGrad: GradConfig = {
  kernelName: UmmkdConv3DBackpropInput,
  inputsToSave: ["dy", "filter"],
  gradFunc: (ddx: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const [dy, filter] = saved as [Tensor5D, Tensor5D];
    const a = attrs as unknown as UmmkdConv3DBackpropInputAttrs;
    const g = ddx as Tensor5D;
    return {
      dy: () => conv3dTfPads(g, filter, a.strides, a.pad, a.dilations),
      filter: () => conv3dBackpropFilter(g, dy, filter.shape, a.strides, a.pad, a.dilations),
    };
  },
};

/** conv3d with TensorFlow's padding (explicit pad + VALID where tfjs's SAME padding is wrong). */
export function conv3dTfPads(x: Tensor5D, filter: Tensor5D, strides: number | [number, number, number], pad: "same" | "valid", dilations: number | [number, number, number] = 1): Tensor5D {
  if (!tfjsPads3DWrong(x.shape, filter.shape, strides, dilations, pad)) return tf.conv3d(x, filter, strides, pad, "NDHWC", dilations);
  const p = tfPads3D(x.shape, filter.shape, strides, dilations, pad);
  return tf.tidy(() => tf.conv3d(tf.pad(x, [[0, 0], ...p, [0, 0]]), filter, strides, "valid", "NDHWC", dilations));
}
