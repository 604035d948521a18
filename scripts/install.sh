#!/usr/bin/env bash
# install.sh - get a checkout ready to run: Node >= 24.15 (scripts/install-node.sh) and the npm
# dependencies from the committed lockfile. Works as non-root; idempotent.
#
# Prints the shell lines that put the right Node first on PATH (logs go to stderr; `false` on
# failure), so in your shell:
#     eval "$(scripts/install.sh)" && bin/bollard version
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
log() { printf '[install] %s\n' "$*" >&2; }
# On failure stdout says `false`, so `eval "$(scripts/install.sh)" && ...` stops there.
fail() {
  log "ERROR: $*"
  echo false
  exit 1
}
trap 'echo false' ERR

envlines=$("$REPO/scripts/install-node.sh") || fail "could not get Node (see above)"
eval "$envlines"

cd "$REPO"
start=$SECONDS
# Not `npm ci`: the lockfile lacks other platforms' biome/oxlint binaries on this registry, so
# `npm ci` refuses it, while `npm install` uses it and leaves it unchanged.
# --ignore-scripts: no dependency needs one, and `prepare` (building dist/) is not needed to run
# Bollard from source.
npm install --no-audit --no-fund --ignore-scripts --loglevel=error >&2 || fail "npm install failed"
log "npm dependencies installed in $((SECONDS - start))s (node $(node --version))"
printf '%s\n' "$envlines"
