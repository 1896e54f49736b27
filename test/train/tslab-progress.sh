#!/usr/bin/env bash
# Runs the progress helper inside a real tslab kernel (headless nbconvert) and checks that it
# detects the notebook and leaves exactly one display output holding the final progress line.
# Needs jupyter + the tslab kernelspec (npm run setup). Usage: bash test/train/tslab-progress.sh
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
W="$(mktemp -d)"; trap 'rm -rf "$W"' EXIT
ROOT="$ROOT" /usr/bin/python3 - "$W/t.ipynb" <<'PY'
import json, os, sys
root = os.environ["ROOT"]
src = (
    f'require("module").createRequire("{root}/package.json")("tsx/cjs/api").register();\n'
    f'const pr: any = require("{root}/lib/train/progress.ts");\n'
    'const r = pr.createProgress({ mode: "auto", throttleMs: 0 });\n'
    'console.log("MODE", r.mode);\n'
    'for (let s = 1; s <= 3; s++) r.update({ step: s, totalSteps: 3, losses: { total: 1, segCt: 0.5, segMri: 0.5, kd: 0.01, l2: 1 }, lr: 1e-3, elapsedS: s, etaS: 3 - s });\n'
    'r.done("finished");'
)
nb = {"cells": [{"cell_type": "code", "id": "c1", "execution_count": None, "metadata": {}, "outputs": [], "source": src}],
      "metadata": {"kernelspec": {"name": "tslab", "display_name": "TypeScript", "language": "typescript"}}, "nbformat": 4, "nbformat_minor": 5}
json.dump(nb, open(sys.argv[1], "w"))
PY
PATH="$ROOT/node_modules/.bin:$PATH" jupyter nbconvert --to notebook --execute "$W/t.ipynb" --output "$W/out.ipynb" >/dev/null 2>&1
/usr/bin/python3 - "$W/out.ipynb" <<'PY'
import json, sys
outs = json.load(open(sys.argv[1]))["cells"][0]["outputs"]
text = "".join("".join(o.get("text", "")) for o in outs if o["output_type"] == "stream")
disp = [o for o in outs if o["output_type"] == "display_data"]
assert "MODE notebook" in text, text
assert len(disp) == 1, disp
final = "".join(disp[0]["data"]["text/plain"])
assert "step 3/3" in final and "finished" in final, final
print("tslab progress OK:", final.replace("\n", " | "))
PY
