#!/bin/sh
# Launches the project's tslab Jupyter kernel. The registered kernel spec (bin/register-kernel.sh,
# run by `npm run setup`) calls this file by its absolute path and passes the absolute path of node
# in UMMKD_NODE, so the kernel starts whatever the caller's PATH is (`jupyter notebook` from any
# shell or launcher, nbconvert, the browser test).
# shell built-ins only: the kernel's PATH may hold nothing useful
case "$0" in */*) BIN=${0%/*} ;; *) BIN=. ;; esac
ROOT=$(CDPATH= cd -- "$BIN/.." && pwd)
NODE=${UMMKD_NODE:-}
if [ -z "$NODE" ] || [ ! -x "$NODE" ]; then NODE=$(command -v node || true); fi
if [ -z "$NODE" ]; then
  echo "ummkd kernel: node not found (UMMKD_NODE unset and no node on PATH); run npm run setup in $ROOT" >&2
  exit 1
fi
TSLAB="$ROOT/node_modules/tslab/dist/main.js"
if [ ! -f "$TSLAB" ]; then
  echo "ummkd kernel: $TSLAB is missing; run npm run setup in $ROOT" >&2
  exit 1
fi
# tslab, with error replies nbconvert can show (bin/tslab-kernel.cjs)
exec "$NODE" "$ROOT/bin/tslab-kernel.cjs" "$@"
