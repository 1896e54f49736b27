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

// The cpu backend prints a block "Hi, looks like you are running TensorFlow.js in Node.js ... install
// our node backend" (console.warn, red in a notebook) at its first use. The backend actually used is
// said once, in one line, by initEngine(); a notebook kernel that only derives tables uses the cpu
// backend for small ops and has nothing to be warned about (issue 25).
const cpuBackend = tfc.findBackend("cpu") as { firstUse?: boolean } | null;
if (cpuBackend) cpuBackend.firstUse = false;

export const tf = { ...tfc, layers: tfl.layers, serialization: tfc.serialization, LayersModel: tfl.LayersModel };
export type { Tensor, Scalar, Tensor1D, Tensor2D, Tensor3D, Tensor4D, Tensor5D, Variable, Rank, NamedTensorMap, TensorContainer } from "@tensorflow/tfjs-core";
export { tfc, tfl };
