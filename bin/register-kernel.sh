#!/usr/bin/env bash
# Registers the project's tslab kernel (name "tslab", as the notebooks' metadata says) for the Python
# that has Jupyter. Unlike `tslab install` (argv ["tslab", ...], found only when node_modules/.bin
# is on PATH), the spec calls bin/tslab-kernel.sh by absolute path with the absolute path of node,
# so `jupyter notebook` started from any shell finds it. Idempotent (replaces the spec).
#   usage: bin/register-kernel.sh [PYTHON]   (default: /usr/bin/python3, else python3 on PATH)
# Installs system-wide as root (unless JUPYTER_DATA_DIR is set), else for the user.
set -euo pipefail
ROOT=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
JPY=${1:-/usr/bin/python3}
[ -x "$JPY" ] || JPY=$(command -v python3)
NODE=$(command -v node)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/tslab"
"$JPY" - "$ROOT" "$NODE" "$tmp/tslab/kernel.json" <<'PY'
import json, sys
root, node, out = sys.argv[1:4]
spec = {
    "argv": [f"{root}/bin/tslab-kernel.sh", "kernel", "--config-path", "{connection_file}"],
    "display_name": "TypeScript",
    "language": "typescript",
    "env": {"UMMKD_NODE": node},
    "metadata": {"ummkd_root": root},
}
json.dump(spec, open(out, "w"), indent=1)
PY
where=()
if [ "$(id -u)" != 0 ] || [ -n "${JUPYTER_DATA_DIR:-}" ]; then where=(--user); fi
if ! log=$(PYDEVD_DISABLE_FILE_VALIDATION=1 "$JPY" -m jupyter kernelspec install --replace --name tslab "${where[@]}" "$tmp/tslab" 2>&1); then
  echo "$log" >&2
  echo "register-kernel: could not register the tslab kernel for $JPY" >&2
  exit 1
fi
echo "kernel 'tslab' registered for $JPY: $ROOT/bin/tslab-kernel.sh (node $NODE)"
