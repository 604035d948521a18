#!/usr/bin/env bash
# make-example.sh - rebuild examples/debian-mini, the tiny image shipped for the README's first
# command, reproducibly (same root in, same digests out) with umoci.
#
# The image is an OCI layout with two layers cut from a real debootstrap Debian 12 root:
#   layer 1  os-release (etc/os-release a symlink to ../usr/lib/os-release, as in Debian),
#            etc/debian_version, var/lib/dpkg/status trimmed to 12 packages, a few
#            var/lib/dpkg/info/*.list and usr/share/doc/*/copyright files
#   layer 2  "apt-get purge tzdata": a new status without tzdata, and whiteouts for
#            usr/share/doc/tzdata/ and var/lib/dpkg/info/tzdata.list
# so a correct scan finds Debian 12 and 11 packages, and no tzdata.
#
# Usage:  scripts/make-example.sh [ROOTFS]
#   ROOTFS  a debootstrap bookworm root (default: $BOLLARD_TEST_STATE/rootfs-bookworm, i.e.
#           /var/lib/bollard-test/rootfs-bookworm, built by `scripts/test-env.sh up`)
# Needs: umoci, awk, tar. Writes examples/debian-mini/ (replacing it).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROOT=${1:-${BOLLARD_TEST_STATE:-/var/lib/bollard-test}/rootfs-bookworm}
OUT=$REPO/examples/debian-mini
# Fixed times: file mtimes, history and config `created` (reproducible output).
CREATED=2025-06-01T00:00:00Z
TOUCH_DATE=@1748736000
PACKAGES=(base-files debian-archive-keyring libc6 libgcc-s1 zlib1g bash bsdutils tar gzip libgnutls30 perl-base tzdata)
REMOVED=tzdata
LISTS=(base-files.list gzip.list zlib1g:amd64.list tzdata.list)
COPYRIGHTS=(base-files debian-archive-keyring gzip zlib1g tzdata)

log() { printf '[make-example] %s\n' "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}
command -v umoci >/dev/null || die "umoci is missing (apt-get install umoci)"
[ -s "$ROOT/var/lib/dpkg/status" ] || die "no dpkg status under $ROOT: run 'sudo scripts/test-env.sh up' or pass a root"

W=$(mktemp -d "${TMPDIR:-/tmp}/bollard-example.XXXXXX")
trap 'rm -rf "$W"' EXIT
L=$W/layout
B=$W/bundle
F=$B/rootfs

# stanzas PKG...: the status paragraphs of these packages, in the status file's own order.
stanzas() {
  awk -v want=" $* " 'BEGIN { RS = ""; ORS = "\n\n" }
    { if (match($0, /(^|\n)Package: [^\n]+/)) { p = substr($0, RSTART, RLENGTH); sub(/^\n?Package: /, "", p)
        if (index(want, " " p " ")) print } }' "$ROOT/var/lib/dpkg/status"
}

fix_times() { find "$F" -exec touch -h -d "$TOUCH_DATE" {} +; }

umoci init --layout "$L"
umoci new --image "$L:latest"
umoci config --image "$L:latest" --no-history --created "$CREATED" --author 'Bollard examples' \
  --architecture amd64 --os linux \
  --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --config.cmd /bin/bash \
  --config.label org.opencontainers.image.title=debian-mini \
  --config.label 'org.opencontainers.image.description=Bollard example: a trimmed Debian 12 package database in two layers'
umoci unpack --image "$L:latest" "$B" >/dev/null

# Layer 1: the trimmed root.
mkdir -p "$F/etc" "$F/usr/lib" "$F/var/lib/dpkg/info" "$F/usr/share/doc"
cp -L "$ROOT/usr/lib/os-release" "$F/usr/lib/os-release"
ln -s ../usr/lib/os-release "$F/etc/os-release"
cp "$ROOT/etc/debian_version" "$F/etc/debian_version"
stanzas "${PACKAGES[@]}" >"$F/var/lib/dpkg/status"
n=$(grep -c '^Package: ' "$F/var/lib/dpkg/status")
[ "$n" = "${#PACKAGES[@]}" ] || die "found $n of ${#PACKAGES[@]} packages in $ROOT/var/lib/dpkg/status"
for l in "${LISTS[@]}"; do cp "$ROOT/var/lib/dpkg/info/$l" "$F/var/lib/dpkg/info/$l"; done
for p in "${COPYRIGHTS[@]}"; do
  mkdir -p "$F/usr/share/doc/$p"
  cp "$ROOT/usr/share/doc/$p/copyright" "$F/usr/share/doc/$p/copyright"
done
chmod -R u=rwX,go=rX "$F"
fix_times
umoci repack --refresh-bundle --image "$L:latest" --history.created "$CREATED" \
  --history.created_by 'debootstrap --variant=minbase bookworm (trimmed)' "$B"

# Layer 2: purge one package.
keep=()
for p in "${PACKAGES[@]}"; do [ "$p" = "$REMOVED" ] || keep+=("$p"); done
stanzas "${keep[@]}" >"$F/var/lib/dpkg/status"
rm -rf "$F/usr/share/doc/$REMOVED" "$F/var/lib/dpkg/info/$REMOVED.list"
fix_times
umoci repack --image "$L:latest" --history.created "$CREATED" \
  --history.created_by "apt-get purge -y $REMOVED" "$B"
umoci gc --layout "$L"

size=$(du -sb "$L/blobs" | cut -f1)
[ "$size" -lt 102400 ] || die "blobs are $size bytes, over the 100 KB budget"
rm -rf "$OUT.new"
mkdir -p "$(dirname "$OUT")"
cp -r "$L" "$OUT.new"
chmod -R u=rwX,go=rX "$OUT.new"
rm -rf "$OUT"
mv "$OUT.new" "$OUT"
log "wrote $OUT ($size bytes of blobs; manifest $(sed -n 's/.*"digest":"\(sha256:[0-9a-f]*\)".*/\1/p' "$OUT/index.json"))"
