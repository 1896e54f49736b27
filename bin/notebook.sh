#!/usr/bin/env bash
# `npm run notebook [-- JUPYTER-OPTIONS]`: the notebook UI on http://127.0.0.1 (token-protected, as
# Jupyter does by default), rooted at the repository and opened at notebooks/, with the project's
# tslab kernel. Uses the classic Notebook (Debian `jupyter-notebook`, installed by npm run setup),
# else JupyterLab where the user has it. Extra options go to Jupyter (e.g. --port 8899 --no-browser).
set -euo pipefail
ROOT=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
cd "$ROOT"
export PYDEVD_DISABLE_FILE_VALIDATION=1

# the registered kernel must be ummkd's launcher (bin/register-kernel.sh), which runs this checkout's
# bin/tslab-kernel.sh for notebooks under it, not a bare `tslab` on PATH
launcher=$(jupyter kernelspec list --json 2>/dev/null | /usr/bin/env python3 -c 'import json,sys; d=json.load(sys.stdin)["kernelspecs"].get("tslab"); print("none" if not d else "yes" if d["spec"].get("metadata", {}).get("ummkd_launcher") else "other")' 2>/dev/null || echo none)
if [ "$launcher" = none ]; then
  echo "notebook: no tslab kernel is registered; run npm run setup first" >&2
  exit 1
fi
if [ "$launcher" != yes ]; then
  echo "notebook: the registered tslab kernel is not ummkd's launcher; registering it (bin/register-kernel.sh)" >&2
  bin/register-kernel.sh
fi

# Jupyter refuses to start as root without --allow-root (containers, CI, cloud VMs log in as root);
# the server listens on 127.0.0.1 only and asks for its token either way
root=()
if [ "$(id -u)" = 0 ]; then
  echo "notebook: running as root, so Jupyter is started with --allow-root (127.0.0.1 only, token required)" >&2
  root=(--allow-root)
fi

# saving a source notebook (notebooks/*.ipynb) keeps its sources only, so that opening and running
# one leaves git clean (bin/jupyter/ummkd_jupyter.py); executed copies keep their outputs
export PYTHONPATH="$ROOT/bin/jupyter${PYTHONPATH:+:$PYTHONPATH}"
hook=(--ContentsManager.pre_save_hook=ummkd_jupyter.strip_source_notebook)

if command -v jupyter-notebook >/dev/null 2>&1 || jupyter notebook --version >/dev/null 2>&1; then
  exec jupyter notebook --ip=127.0.0.1 "${root[@]}" "${hook[@]}" --notebook-dir="$ROOT" --NotebookApp.default_url=/tree/notebooks "$@"
elif jupyter lab --version >/dev/null 2>&1; then
  exec jupyter lab --ip=127.0.0.1 "${root[@]}" "${hook[@]}" --notebook-dir="$ROOT" --ServerApp.default_url=/lab/tree/notebooks "$@"
fi
echo "notebook: no Jupyter notebook UI found; run npm run setup (Debian: apt-get install jupyter-notebook), or pip install notebook" >&2
exit 1
