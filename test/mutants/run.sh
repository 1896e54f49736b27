#!/usr/bin/env bash
# Mutation check of the test suite (issue #17): applies each deliberate bug in test/mutants/*.patch
# to the working tree, runs the test file named for it below, expects that test to FAIL, and
# reverts the patch (also on Ctrl-C). Not part of `npm test`; run by hand (a few minutes):
#   bash test/mutants/run.sh            # all mutants
#   bash test/mutants/run.sh NAME ...   # some (NAME = patch file name without .patch)
# Exit 0 when every mutant was caught ("killed"); 1 when one survived or did not apply.
set -uo pipefail
cd "$(dirname "$0")/../.."

declare -A TEST=(
  [x-shaped-mri-uses-ct-decoder]=test/models/sharing-behaviour.test.ts
  [validation-jaccard]=test/train/validation.test.ts
  [kd-temperature-twice]=test/losses/kd.test.ts
  [leak-per-forward]=test/models/overfit2d.test.ts
  [leakyrelu-grad-as-relu]=test/engine/loss-gradcheck.test.ts
)
names=("$@")
[ ${#names[@]} -eq 0 ] && names=(x-shaped-mri-uses-ct-decoder validation-jaccard kd-temperature-twice leak-per-forward leakyrelu-grad-as-relu)

applied=""
revert() { [ -n "$applied" ] && git apply -R "$applied" && applied=""; }
trap 'revert; exit 130' INT TERM

bad=0
for n in "${names[@]}"; do
  p="test/mutants/$n.patch"; t="${TEST[$n]:-}"
  if [ -z "$t" ] || [ ! -f "$p" ]; then echo "mutant $n: unknown"; bad=1; continue; fi
  if ! git apply --check "$p" 2>/dev/null; then echo "mutant $n: patch does not apply (code moved; update $p)"; bad=1; continue; fi
  git apply "$p" && applied="$p"
  if UMMKD_THREADS="${UMMKD_THREADS:-1}" node node_modules/vitest/vitest.mjs run "$t" >"/tmp/ummkd-mutant-$n.log" 2>&1; then
    echo "mutant $n: SURVIVED ($t passed; log /tmp/ummkd-mutant-$n.log)"; bad=1
  else
    echo "mutant $n: killed by $t ($(grep -m1 -oE '[0-9]+ failed' "/tmp/ummkd-mutant-$n.log" || echo 'failed') ; log /tmp/ummkd-mutant-$n.log)"
  fi
  revert
done
exit $bad
