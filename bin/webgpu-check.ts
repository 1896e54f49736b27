/**
 * `node --import tsx bin/webgpu-check.ts adapter`: loads the WebGPU engine (forced, as
 * UMMKD_BACKEND=webgpu) and prints one JSON line: the adapter (Dawn backend, device name, whether
 * it is a software rasteriser), the device limits the tfjs backend uses, and a tiny conv + matMul
 * checked against the cpu backend. Exit 1 when no adapter loads. Part of the device check
 * (bin/gpu-device-check.sh, issue 29).
 */
import { initEngine, releaseWebgpu, tf, webgpuErrors } from "../lib/engine/index.ts";

async function adapter(): Promise<number> {
  let info;
  try {
    info = await initEngine({ backend: "webgpu" });
  } catch (e) {
    console.log(JSON.stringify({ ok: false, reason: (e as Error).message }));
    return 1;
  }
  const limits = (tf.backend() as unknown as { device: { limits: Record<string, number> } }).device.limits;
  const pick = ["maxStorageBuffersPerShaderStage", "maxComputeWorkgroupStorageSize", "maxComputeInvocationsPerWorkgroup", "maxStorageBufferBindingSize", "maxBufferSize"];
  const f = () => {
    const x = tf.randomNormal([2, 32, 32, 8], 0, 1, "float32", 1), w = tf.randomNormal([3, 3, 8, 16], 0, 1, "float32", 2);
    return tf.sum(tf.matMul(tf.reshape(tf.conv2d(x as never, w as never, 1, "same", "NHWC", 2), [-1, 16]), tf.reshape(w, [72, 16]), false, true));
  };
  const t = tf.tidy(f);
  const got = (await t.data())[0]!;
  t.dispose();
  await initEngine({ backend: "cpu" });
  const r = tf.tidy(f);
  const want = (await r.data())[0]!;
  r.dispose();
  console.log(JSON.stringify({ ok: true, adapter: info.adapter, reason: info.reason, limits: Object.fromEntries(pick.map((k) => [k, limits[k]])), check: { webgpu: got, cpu: want, relErr: Math.abs(got - want) / Math.abs(want) }, dawnErrors: webgpuErrors() }));
  return 0;
}

const what = process.argv[2] ?? "adapter";
if (what !== "adapter") {
  console.error(`webgpu-check: unknown command '${what}' (known: adapter)`);
  process.exitCode = 2;
} else {
  process.exitCode = await adapter();
}
releaseWebgpu();
