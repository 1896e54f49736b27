/**
 * The one TensorFlow.js namespace the whole library uses.
 *
 * We import tfjs-core + tfjs-layers + the cpu backend (all CommonJS node bundles, so one global
 * engine), never the `@tensorflow/tfjs` umbrella (it drags in WebGL and prints a banner in Node).
 * Backends are registered and chosen by `initEngine()` in `./index.ts`.
 */
import * as tfc from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import * as tfl from "@tensorflow/tfjs-layers";

export const tf = { ...tfc, layers: tfl.layers, serialization: tfc.serialization, LayersModel: tfl.LayersModel };
export type { Tensor, Scalar, Tensor1D, Tensor2D, Tensor3D, Tensor4D, Tensor5D, Variable, Rank, NamedTensorMap, TensorContainer } from "@tensorflow/tfjs-core";
export { tfc, tfl };
