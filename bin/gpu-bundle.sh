#!/usr/bin/env bash
# Packs what a GPU machine without package registries needs to run the WebGPU engine (issue 29)
# into one folder of at most 64 MiB (the device tool's limit for the working tree plus carried
# paths), default .gpu/ in the repository root (ignored by git):
#   node.xz              this machine's Node binary (xz)
#   node_modules.tar.xz  node_modules pruned to what lib/, the WebGPU tests and the bench need:
#                        dawn.node for linux-x64 only, no tfjs umbrella/webgl/converter/node bindings,
#                        no notebook, browser, plotting or TypeScript tooling
#   repo.tar.xz          the repository's files (tracked and untracked-not-ignored: lib, test, bin, data,
#                        ...; not results/ or notebooks/) plus the built native addon (the CPU peer of
#                        the step timing)
#   debs/                libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 (the loaders the
#                        device README's headless-rendering recipe names) and libdnnl2 + ocl-icd-libopencl1
#                        (the native engine's oneDNN), fetched with apt-get download
#   device-check.sh      bin/gpu-device-check.sh: unpacks all this and runs the device check
# On the device: `bash .gpu/device-check.sh` (carry .gpu). Prints the bundle's size at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT=$(realpath -m "${1:-.gpu}")
LIMIT=$((64 * 1024 * 1024))

rm -rf "$OUT"
mkdir -p "$OUT/debs"
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT

echo "gpu-bundle: node $(node --version) (xz)"
# compressing the 90 MB binary takes minutes on 2 cores: kept per version and binary checksum
NODE_BIN=$(command -v node)
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/ummkd-gpu-bundle
mkdir -p "$CACHE"
NODE_XZ="$CACHE/node-$(node --version)-$(sha256sum "$NODE_BIN" | cut -c1-16).xz"
[ -f "$NODE_XZ" ] || { xz -T0 -9 -c "$NODE_BIN" >"$NODE_XZ.tmp" && mv "$NODE_XZ.tmp" "$NODE_XZ"; }
cp "$NODE_XZ" "$OUT/node.xz"

echo "gpu-bundle: node_modules (pruned)"
mkdir -p "$STAGE/nm"
# everything but what neither lib/ nor the tests and bench load
tar -C "$ROOT" -cf - \
  --exclude='node_modules/@tensorflow/tfjs' --exclude='node_modules/@tensorflow/tfjs-backend-webgl' \
  --exclude='node_modules/@tensorflow/tfjs-converter' --exclude='node_modules/@tensorflow/tfjs-data' \
  --exclude='node_modules/@tensorflow/tfjs-node' --exclude='node_modules/@tensorflow/tfjs-node-gpu' \
  --exclude='node_modules/webgpu/dist/darwin-*' --exclude='node_modules/webgpu/dist/win32-*' --exclude='node_modules/webgpu/dist/linux-arm64' \
  --exclude='node_modules/typescript' --exclude='node_modules/tslab' --exclude='node_modules/@tslab' --exclude='node_modules/zeromq' \
  --exclude='node_modules/playwright-core' --exclude='node_modules/plotly.js-dist' --exclude='node_modules/@img' --exclude='node_modules/sharp' \
  --exclude='node_modules/vega' --exclude='node_modules/vega-*' --exclude='node_modules/core-js' --exclude='node_modules/cmake-ts' \
  --exclude='node_modules/node-gyp' --exclude='node_modules/lightningcss*' \
  --exclude='node_modules/web-streams-polyfill' --exclude='node_modules/@types' \
  --exclude='*.map' --exclude='*.d.ts' --exclude='*.md' \
  --exclude='node_modules/@tensorflow/*/dist' \
  node_modules | tar -C "$STAGE/nm" -xf -
# the tfjs packages load through their node bundles ("main": dist/tf-*.node.js; nothing imports a
# deeper path) and wasm's .wasm files; their other dist files (ESM sources, tests, browser bundles) stay
for p in tfjs-core tfjs-backend-cpu tfjs-layers tfjs-backend-wasm tfjs-backend-webgpu; do
  mkdir -p "$STAGE/nm/node_modules/@tensorflow/$p/dist"
  for f in "$ROOT"/node_modules/@tensorflow/$p/dist/tf-*.node.js "$ROOT"/node_modules/@tensorflow/$p/dist/*.wasm; do
    [ -e "$f" ] && cp "$f" "$STAGE/nm/node_modules/@tensorflow/$p/dist/"
  done
done
tar -C "$STAGE/nm" -cf - node_modules | xz -T0 -9 >"$OUT/node_modules.tar.xz"

echo "gpu-bundle: repository (tracked and untracked-not-ignored files as they are now, without results/ and notebooks/)"
mkdir -p "$STAGE/repo"
git ls-files -z --cached --others --exclude-standard -- . ':(exclude)results' ':(exclude)notebooks' | xargs -0 -I{} sh -c '[ -f "{}" ] && printf "%s\0" "{}"' >"$STAGE/files"
tar -C "$ROOT" --null -T "$STAGE/files" -cf - | tar -C "$STAGE/repo" -xf -
if [ -f lib/engine/native/build/Release/ummkd_native.node ]; then
  mkdir -p "$STAGE/repo/lib/engine/native/build/Release"
  cp lib/engine/native/build/Release/ummkd_native.node "$STAGE/repo/lib/engine/native/build/Release/"
fi
tar -C "$STAGE/repo" -cf - . | xz -T0 -9 >"$OUT/repo.tar.xz"

echo "gpu-bundle: .debs (apt-get download)"
A=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64)
mkdir -p /tmp/amd64/partial
if [ ! -f /tmp/amd64/.updated ] || [ -n "$(find /tmp/amd64/.updated -mmin +1440 2>/dev/null)" ]; then
  apt-get "${A[@]}" update -qq && touch /tmp/amd64/.updated
fi
(cd "$OUT/debs" && apt-get "${A[@]}" download -qq libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 libdnnl2 ocl-icd-libopencl1)

cp bin/gpu-device-check.sh "$OUT/device-check.sh"
chmod +x "$OUT/device-check.sh"

size=$(du -sb "$OUT" | cut -f1)
echo "gpu-bundle: $OUT: $(du -sh --apparent-size "$OUT" | cut -f1) ($size bytes; limit $LIMIT)"
ls -la "$OUT" "$OUT/debs" | sed 's/^/  /'
if [ "$size" -gt "$LIMIT" ]; then
  echo "gpu-bundle: FAILED: over 64 MiB" >&2
  exit 1
fi
