/**
 * Run an ummkd custom kernel on the active backend, registering the portable implementation first
 * if that backend has none (so a backend that only registers some of the names still works).
 */
import { tf, type Tensor } from "../tf.ts";
import type { NamedAttrMap, NamedTensorMap } from "@tensorflow/tfjs-core";
import { registerKernelPack } from "../wasm/register.ts";

export function runUmmkdKernel(name: string, inputs: NamedTensorMap, attrs: object): Tensor | Tensor[] {
  const backend = tf.getBackend();
  if (!tf.getKernel(name, backend)) registerKernelPack(backend);
  return tf.engine().runKernel(name, inputs, attrs as unknown as NamedAttrMap) as Tensor | Tensor[];
}
