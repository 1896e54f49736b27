#!/usr/bin/env bash
# Registers the project's tslab kernel (name "tslab", as the notebooks' metadata says) for the Python
# that has Jupyter. Unlike `tslab install` (argv ["tslab", ...], found only when node_modules/.bin
# is on PATH), the spec runs a launcher kept in the spec's own folder by absolute path, with the
# absolute path of node, so `jupyter notebook` started from any shell finds it.
#
# One kernel name serves every checkout on the machine: Jupyter starts a kernel in the notebook's
# folder, and the launcher (kernel-launch.sh, written below) walks up from there to the checkout
# that holds it and runs that checkout's bin/tslab-kernel.sh. Only a notebook outside any checkout
# falls back to the checkout that registered the kernel. (It used to call the registering checkout's
# bin/tslab-kernel.sh: a clone's `npm run setup` re-pointed every checkout's notebooks at that clone,
# and deleting the clone broke them.) Idempotent (replaces the spec).
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
    # {resource_dir}: the folder Jupyter installed this spec in (jupyter_client >= 5)
    "argv": ["/bin/sh", "{resource_dir}/kernel-launch.sh", "kernel", "--config-path", "{connection_file}"],
    "display_name": "TypeScript",
    "language": "typescript",
    "env": {"UMMKD_NODE": node},
    "metadata": {"ummkd_launcher": 1, "ummkd_root": root},
}
json.dump(spec, open(out, "w"), indent=1)
PY
# the fallback root is quoted for sh (a single-quoted string; a ' in the path closes and reopens it)
q=$(printf '%s' "$ROOT" | sed "s/'/'\\\\''/g")
cat > "$tmp/tslab/kernel-launch.sh" <<SH
#!/bin/sh
# ummkd's tslab kernel launcher (written by bin/register-kernel.sh; do not edit). Runs the
# bin/tslab-kernel.sh of the ummkd checkout that holds the kernel's working folder (Jupyter starts a
# kernel in the notebook's folder), else of the checkout that registered the kernel.
FALLBACK='$q'
d=\$PWD
while [ -n "\$d" ]; do
  if [ -f "\$d/bin/tslab-kernel.sh" ] && [ -f "\$d/bin/tslab-kernel.cjs" ]; then exec /bin/sh "\$d/bin/tslab-kernel.sh" "\$@"; fi
  [ "\$d" = / ] && break
  d=\${d%/*}
done
if [ -f "\$FALLBACK/bin/tslab-kernel.sh" ]; then exec /bin/sh "\$FALLBACK/bin/tslab-kernel.sh" "\$@"; fi
echo "ummkd kernel: \$PWD is not inside an ummkd checkout and the checkout that registered the kernel (\$FALLBACK) is gone; run npm run setup in your checkout" >&2
exit 1
SH
where=()
if [ "$(id -u)" != 0 ] || [ -n "${JUPYTER_DATA_DIR:-}" ]; then where=(--user); fi
if ! log=$(PYDEVD_DISABLE_FILE_VALIDATION=1 "$JPY" -m jupyter kernelspec install --replace --name tslab "${where[@]}" "$tmp/tslab" 2>&1); then
  echo "$log" >&2
  echo "register-kernel: could not register the tslab kernel for $JPY" >&2
  exit 1
fi
echo "kernel 'tslab' registered for $JPY: a launcher that runs the bin/tslab-kernel.sh of the notebook's checkout (else $ROOT) with node $NODE"
