#!/usr/bin/env bash
# The device tool sends the session's checkout (tracked and untracked-not-ignored files) and at most
# 64 MiB with the carried .gpu/ bundle (~48 MiB); the committed results (results/, notebooks/executed/,
# ~85 MB) do not fit beside it. `bin/gpu-slim-tree.sh on` checks out a throw-away branch whose last
# commit drops them from the tree (the check needs none of them: the bundle holds the repository);
# `bin/gpu-slim-tree.sh off` goes back to the branch you were on, which restores them, and deletes the
# throw-away branch. Refuses with uncommitted changes to tracked files (commit them first).
set -euo pipefail
cd "$(dirname "$0")/.."
TMP=gpu-slim-tree
case "${1:-}" in
  on)
    [ -z "$(git status --porcelain --untracked-files=no)" ] || { echo "gpu-slim-tree: uncommitted changes to tracked files: commit them first" >&2; exit 1; }
    cur=$(git symbolic-ref --short HEAD)
    [ "$cur" != "$TMP" ] || { echo "gpu-slim-tree: already on $TMP" >&2; exit 1; }
    git checkout -q -b "$TMP"
    git config "branch.$TMP.ummkd-return" "$cur"
    git rm -r -q --ignore-unmatch results notebooks/executed
    git commit -q -m "throw-away: the tree without committed results, for the device tool (bin/gpu-slim-tree.sh)"
    echo "gpu-slim-tree: on $TMP (from $cur); tracked files now $(git ls-files -z | xargs -0 du -cb | tail -1 | cut -f1) bytes, .gpu/ $(du -sb .gpu 2>/dev/null | cut -f1 || echo 0) bytes (limit $((64 * 1024 * 1024)))"
    ;;
  off)
    [ "$(git symbolic-ref --short HEAD)" = "$TMP" ] || { echo "gpu-slim-tree: not on $TMP" >&2; exit 1; }
    back=$(git config "branch.$TMP.ummkd-return")
    git checkout -q "$back"
    git branch -q -D "$TMP"
    echo "gpu-slim-tree: back on $back"
    ;;
  *) echo "usage: bin/gpu-slim-tree.sh on|off" >&2; exit 2 ;;
esac
