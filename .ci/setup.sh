#!/usr/bin/env bash
# One-time set-up of a fresh machine for ummkd (idempotent; safe to re-run).
#   - OS packages: Jupyter (nbconvert/nbclient/ipykernel) to run the notebooks headless, the classic
#     notebook UI (jupyter-notebook, for `npm run notebook`), Chromium (headless, for the browser
#     test of the notebook UI) with a font for figure text (also used by the PNG fallback), oneDNN
#     (libdnnl-dev) for the native CPU engine, Vulkan/EGL loaders and Mesa (llvmpipe) for the WebGPU
#     engine's tests on a machine without a GPU, and with --bench the Python peers/oracles
#     (PyTorch CPU, SciPy, NiBabel) used only by `npm run bench` and fixture scripts.
#   - npm packages from the lockfile (install scripts are not needed by any dependency).
#   - the native oneDNN addon (skipped with one line if oneDNN is absent; setup fails if oneDNN is
#     present but the addon does not build or load, or if UMMKD_REQUIRE lists native).
#   - the tslab Jupyter kernel, registered for the Python that has Jupyter with an absolute path
#     (bin/register-kernel.sh), so it starts whatever the caller's PATH is; its launcher runs the
#     checkout that holds the notebook, so one registration serves every checkout.
set -euo pipefail
cd "$(dirname "$0")/.."

WITH_BENCH=0
for a in "$@"; do
  case "$a" in
    --bench) WITH_BENCH=1 ;;
    *) echo "setup: unknown option $a (known: --bench)" >&2; exit 2 ;;
  esac
done

want=(jupyter-nbconvert python3-nbclient jupyter-client python3-ipykernel jupyter-notebook python3-notebook chromium fonts-dejavu-core libdnnl-dev g++ make)
# WebGPU engine (issue 29): Dawn (npm package `webgpu`) loads libvulkan.so.1 / libEGL at run time; on a
# machine without a GPU, the tests run it on Mesa llvmpipe through EGL (libgl1-mesa-dri holds llvmpipe)
want+=(libvulkan1 mesa-vulkan-drivers libegl1 libegl-mesa0 libgl1-mesa-dri)
[ "$WITH_BENCH" = 1 ] && want+=(python3-torch python3-scipy python3-nibabel)
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing OS packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: please install these OS packages (Debian/Ubuntu names): ${missing[*]}" >&2
    echo "setup: (Jupyter can also come from pip: pip install nbconvert nbclient ipykernel notebook)" >&2
  fi
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
fi

if ! npm run --silent build:native; then
  echo "setup: FAILED: the native engine did not build (see the line above and lib/engine/native/build/build.log)" >&2
  exit 1
fi

JPY=/usr/bin/python3
if ! "$JPY" -c "import nbclient, ipykernel" 2>/dev/null; then JPY=$(command -v python3); fi
if "$JPY" -c "import nbclient, ipykernel" 2>/dev/null; then
  bin/register-kernel.sh "$JPY" | sed 's/^/setup: /'
else
  echo "setup: no Python with Jupyter found; notebooks cannot be executed headless" >&2
fi
echo "setup: done"
