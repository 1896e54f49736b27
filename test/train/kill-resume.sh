#!/usr/bin/env bash
# Process-level resume check: train 8 steps uninterrupted (runA); train again (runB), SIGKILL it
# after step 5 (last checkpoint: step 4), re-run to completion; the final checkpoints' model and
# optimizer blobs must be byte-identical and the logs equal (minus wall times).
# Usage: bash test/train/kill-resume.sh [backend]   (default cpu; e.g. wasm or native)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
W="$(mktemp -d)"; trap 'rm -rf "$W"' EXIT
export UMMKD_BACKEND="${1:-cpu}"
cat > "$W/cfg.json" <<'JSON'
{ "train": { "profile": "smoke", "model": { "network": "dilated2d", "setting": "ours", "width": 0.0625, "init": "he" }, "seed": 3, "steps": 8, "batchSize": 2, "validateEvery": 4, "checkpointEvery": 2, "logEvery": 1 },
  "data": { "kind": "synthetic", "task": "cardiac", "trainCases": 2, "valCases": 1, "shape": [32, 32, 8] } }
JSON
cd "$W"
node "$ROOT/bin/ummkd.js" train --config cfg.json --out runA --progress none > a.out 2>&1
node "$ROOT/bin/ummkd.js" train --config cfg.json --out runB --progress none > b1.out 2>&1 &
PID=$!
until grep -q '"step":5' runB/log.jsonl 2>/dev/null; do
  kill -0 "$PID" 2>/dev/null || { echo "run B ended before step 5"; exit 1; }
  sleep 0.1
done
kill -9 "$PID"; wait "$PID" 2>/dev/null || true
echo "killed after step 5; checkpoint at $(grep -o '"step": [0-9]*' runB/checkpoint/trainer.json)"
node "$ROOT/bin/ummkd.js" train --config cfg.json --out runB --progress none > b2.out 2>&1
grep -q '"resumedFrom":4' b2.out || { echo "did not resume from step 4"; cat b2.out; exit 1; }
cmp runA/checkpoint/model.bin runB/checkpoint/model.bin
cmp runA/checkpoint/optimizer.bin runB/checkpoint/optimizer.bin
node -e '
const fs = require("fs");
const read = (f) => fs.readFileSync(f, "utf8").trim().split("\n").map((l) => { const r = JSON.parse(l); delete r.elapsedS; return JSON.stringify(r); });
const a = read("runA/log.jsonl"), b = read("runB/log.jsonl");
if (a.length !== b.length || a.some((l, i) => l !== b[i])) { console.error("logs differ"); process.exit(1); }'
echo "kill-resume OK on $UMMKD_BACKEND: model.bin, optimizer.bin identical; logs equal"
