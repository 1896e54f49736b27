#!/usr/bin/env bash
# One-command device check of the WebGPU engine (issue 29), run from a folder made by
# bin/gpu-bundle.sh (copied there as device-check.sh): `bash .gpu/device-check.sh`.
#   1. as root, unpacks the bundle's .debs (Vulkan/EGL loaders, oneDNN) into / (the device README's
#      headless-rendering recipe); UMMKD_GPU_DEBS=0 skips this (a machine that has them, e.g. here);
#      points Vulkan/EGL at NVIDIA's ICD files when they exist and nothing else is set
#   2. unpacks Node, the repository and its node_modules into $UMMKD_GPU_WORK (default /tmp/ummkd-gpu)
#   3. prints the adapter (Dawn backend, device name, software rendering or not, limits)
#   4. runs the WebGPU parity tests (test/webgpu: both networks x seven settings, KD loss, a training)
#   5. times a training step (fused Adam, setting "ours", eq. 5 loss) on webgpu, on the native CPU
#      engine (wasm if the native addon does not load; UMMKD_THREADS, default 1 here: the unit of the
#      compute plan) and on PyTorch CUDA (lib/bench/torch_train_step.py --device cuda, where python3
#      has torch with CUDA): UMMKD_GPU_CHECK_SCALE is a comma list of
#        cpu    the committed `cpu` profile's networks: the 3D U-Net at W=1/2 on 16x96x96 patches
#               (Table II's 16x96x80, rounded up to a square), 1 per modality (the cpu profile) and
#               2 (the paper's batch), and the 2D network at W=1/8 on 64x64x3, 4 per modality
#        paper  the 2D network at W=1 on 256x256x3 with 8 images per modality and the 3D U-Net at
#               W=1 on 16x128x128 patches, 2 per modality
#        tiny   W=1/8 and 64x64 (8x64x64), which a CPU-only machine (llvmpipe) can run
#        parity the WebGPU parity tests of step 4, run at this place in the list
#      (default: cpu,parity,paper); UMMKD_GPU_CHECK_STEPS (3), _WARMUP (2), _TIMEOUT (300 s per
#      engine and network), UMMKD_GPU_PARITY_TIMEOUT (600 s for test/webgpu)
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
say "node $(node --version), unpacked in $(( $(date +%s) - t0 )) s; cpu: $(nproc) cores, $(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2- | sed "s/^ *//")"

say "adapter:"
node --import tsx bin/webgpu-check.ts adapter || say "FAILED: no WebGPU adapter"

step_line() {  # the bench's last JSON line -> one readable line
  node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const l=s.trim().split("\n").reverse().find(x=>x.startsWith("{"));if(!l){console.log("[device-check] step: no result");return;}const r=JSON.parse(l);const who=r.impl==="pytorch"?`pytorch ${r.torch} ${r.device}${r.gpu?` (${r.gpu})`:""}`:`${r.backend}${r.adapter?` (${r.adapter})`:""}`;console.log(`[device-check] step ${r.network} W=${r.width} ${r.size}px B=${r.batch}: ${who} ${Number(r.ms_per_step).toFixed(1)} ms/step median of [${r.ms_steps.map(x=>Number(x).toFixed(1))}], loss ${Number(r.loss).toFixed(4)}${r.tensor_leak_per_step!==undefined?`, leak ${r.tensor_leak_per_step}/step`:""}, ${r.threads} thread(s)`)})'
}
TO=${UMMKD_GPU_CHECK_TIMEOUT:-300}
ST=${UMMKD_GPU_CHECK_STEPS:-3}
WU=${UMMKD_GPU_CHECK_WARMUP:-2}
TORCH_CUDA=0
python3 -c 'import torch,sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null && TORCH_CUDA=1
say "pytorch cuda peer: $([ $TORCH_CUDA = 1 ] && python3 -c 'import torch; print(torch.__version__, torch.cuda.get_device_name(0))' || echo none)"
time_step() {  # $1: network flags
  for eng in webgpu native; do
    # shellcheck disable=SC2086
    UMMKD_THREADS=${UMMKD_THREADS:-1} UMMKD_BACKEND=$eng timeout "$TO" node --max-semi-space-size=64 bin/ummkd.js bench train-step $1 --steps "$ST" --warmup "$WU" --json 2>/dev/null | step_line
    [ "${PIPESTATUS[0]}" = 0 ] || say "step on $eng ($1): FAILED or timed out"
  done
  if [ $TORCH_CUDA = 1 ]; then
    # shellcheck disable=SC2086
    timeout "$TO" python3 lib/bench/torch_train_step.py $1 --device cuda --steps "$ST" --warmup "$WU" 2>/dev/null | step_line
    [ "${PIPESTATUS[0]}" = 0 ] || say "step on pytorch cuda ($1): FAILED or timed out"
  fi
}
parity() {
  say "parity tests (test/webgpu):"
  # the notebook test needs Jupyter, which a GPU machine lacks
  timeout "${UMMKD_GPU_PARITY_TIMEOUT:-600}" node node_modules/vitest/vitest.mjs run test/webgpu --exclude 'test/webgpu/notebook-*' 2>&1 | grep -E "webgpu (parity|training)\]|✓|×|FAIL|Error|Tests |Test Files" | tail -n 60
  say "parity tests exit: ${PIPESTATUS[0]} at $(( $(date +%s) - t0 )) s"
}
IFS=, read -ra STAGES <<<"${UMMKD_GPU_CHECK_SCALE:-cpu,parity,paper}"
for sc in "${STAGES[@]}"; do
  case $sc in
    tiny) NETS=("--network dilated2d --width 0.125 --size 64 --batch 4" "--network unet3d --width 0.125 --size 64 --depth 8 --batch 2") ;;
    cpu) NETS=("--network unet3d --width 0.5 --size 96 --depth 16 --batch 1" "--network unet3d --width 0.5 --size 96 --depth 16 --batch 2" "--network dilated2d --width 0.125 --size 64 --batch 4") ;;
    paper) NETS=("--network dilated2d --width 1 --size 256 --batch 8" "--network unet3d --width 1 --size 128 --depth 16 --batch 2") ;;
    parity) parity; continue ;;
    *) say "unknown stage '$sc' (tiny, cpu, paper, parity)"; exit 2 ;;
  esac
  for net in "${NETS[@]}"; do time_step "$net"; done
  say "$sc step timings done at $(( $(date +%s) - t0 )) s"
done
say "done in $(( $(date +%s) - t0 )) s"
