#!/usr/bin/env bash
# One-command device check of the WebGPU engine (issue 29), run from a folder made by
# bin/gpu-bundle.sh (copied there as device-check.sh): `bash .gpu/device-check.sh`.
#   1. as root, unpacks the bundle's .debs (Vulkan/EGL loaders, oneDNN) into / (the device README's
#      headless-rendering recipe); UMMKD_GPU_DEBS=0 skips this (a machine that has them, e.g. here);
#      points Vulkan/EGL at NVIDIA's ICD files when they exist and nothing else is set
#   2. unpacks Node, the repository and its node_modules into $UMMKD_GPU_WORK (default /tmp/ummkd-gpu)
#   3. prints the adapter (Dawn backend, device name, software rendering or not, limits)
#   4. runs the WebGPU parity tests (test/webgpu: both networks x seven settings, KD loss, a training)
#   5. times a training step (fused Adam, setting "ours", eq. 5 loss) on webgpu and on the native CPU
#      engine (wasm if the native addon does not load): at the `paper` scale, the 2D network at W=1 on
#      256x256x3 with 8 images per modality and the 3D U-Net at W=1 on 16x128x128 patches, 2 per
#      modality; UMMKD_GPU_CHECK_SCALE=tiny uses W=1/8 and 64x64 (8x64x64) instead, which a CPU-only
#      machine (llvmpipe) can run; UMMKD_GPU_CHECK_STEPS (3), _WARMUP (2), _TIMEOUT (300 s per engine)
# Everything it prints also goes to $OUT/device-check.log when OUT is set (the device tool's folder).
set -uo pipefail
B=$(cd "$(dirname "$0")" && pwd)
W=${UMMKD_GPU_WORK:-/tmp/ummkd-gpu}
LOG=${OUT:+$OUT/device-check.log}
[ -n "$LOG" ] && exec > >(tee "$LOG") 2>&1
say() { echo "[device-check] $*"; }
t0=$(date +%s)

if [ "${UMMKD_GPU_DEBS:-1}" = 1 ] && [ "$(id -u)" = 0 ]; then
  for f in "$B"/debs/*.deb; do dpkg -x "$f" /; done
  ldconfig
  say "unpacked $(ls "$B"/debs/*.deb | wc -l) .debs into /"
fi
if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && ! ls /usr/share/vulkan/icd.d/nvidia* /etc/vulkan/icd.d/nvidia* >/dev/null 2>&1; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
  say "Vulkan/EGL: NVIDIA ICD files under /usr/local/nvidia"
fi
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | sed 's/^/[device-check] nvidia-smi: /'

rm -rf "$W" && mkdir -p "$W/repo"
xz -dc "$B/node.xz" >"$W/node" && chmod +x "$W/node"
tar -C "$W/repo" -xJf "$B/repo.tar.xz"
tar -C "$W/repo" -xJf "$B/node_modules.tar.xz"
export PATH="$W:$PATH"
cd "$W/repo"
say "node $(node --version), unpacked in $(( $(date +%s) - t0 )) s; cpu: $(nproc) cores"

say "adapter:"
node --import tsx bin/webgpu-check.ts adapter || say "FAILED: no WebGPU adapter"

say "parity tests (test/webgpu):"
# the notebook test needs Jupyter, which a GPU machine lacks; here it is part of test/webgpu anyway
node node_modules/vitest/vitest.mjs run test/webgpu --exclude 'test/webgpu/notebook-*' 2>&1 | grep -E "webgpu (parity|training)\]|✓|×|FAIL|Error|Tests |Test Files" | tail -n 60
say "parity tests exit: ${PIPESTATUS[0]}"

if [ "${UMMKD_GPU_CHECK_SCALE:-paper}" = tiny ]; then
  NETS=("--network dilated2d --width 0.125 --size 64 --batch 4" "--network unet3d --width 0.125 --size 64 --depth 8 --batch 2")
else
  NETS=("--network dilated2d --width 1 --size 256 --batch 8" "--network unet3d --width 1 --size 128 --depth 16 --batch 2")
fi
for net in "${NETS[@]}"; do
  for eng in webgpu native; do
    # shellcheck disable=SC2086
    UMMKD_BACKEND=$eng timeout "${UMMKD_GPU_CHECK_TIMEOUT:-300}" node --max-semi-space-size=64 bin/ummkd.js bench train-step $net --steps "${UMMKD_GPU_CHECK_STEPS:-3}" --warmup "${UMMKD_GPU_CHECK_WARMUP:-2}" --json 2>/dev/null |
      node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const l=s.trim().split("\n").reverse().find(x=>x.startsWith("{"));if(!l){console.log("[device-check] step: no result");return;}const r=JSON.parse(l);console.log(`[device-check] step ${r.network} W=${r.width} ${r.size}px B=${r.batch}: ${r.backend}${r.adapter?` (${r.adapter})`:""} ${r.ms_per_step} ms/step median of [${r.ms_steps}], loss ${r.loss.toFixed(4)}, leak ${r.tensor_leak_per_step}/step, ${r.threads} thread(s)`)})'
    [ "${PIPESTATUS[0]}" = 0 ] || say "step on $eng ($net): FAILED or timed out"
  done
done
say "done in $(( $(date +%s) - t0 )) s"
