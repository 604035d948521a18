#!/bin/sh
# Regenerates gomod-webapp/ and gomod-legacy/ with Debian's Go (golang-go 2:1.19~1, go1.19.8), offline:
# a file:// module proxy is built from Debian's golang-*-dev sources (golang-golang-x-net-dev 0.7.0,
# golang-golang-x-text-dev 0.7.0, golang-gopkg-yaml.v3-dev 3.0.1) and from small modules written
# here. The h1: hashes are therefore those of this proxy's zips, not sum.golang.org's.
# Needs: apt-get install golang-go golang-golang-x-net-dev golang-golang-x-text-dev golang-gopkg-yaml.v3-dev zip
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
W=$(mktemp -d)
trap 'chmod -R u+w "$W"; rm -rf "$W"' EXIT
P=$W/proxy
S=/usr/share/gocode/src
add() { # module version srcdir|- [go.mod text]
  mod=$1 ver=$2 src=$3
  d=$P/$mod/@v
  mkdir -p "$d"
  echo "$ver" >>"$d/list"
  printf '{"Version":"%s","Time":"2023-02-01T00:00:00Z"}\n' "$ver" >"$d/$ver.info"
  if [ $# -ge 4 ]; then printf '%s' "$4" >"$d/$ver.mod"
  elif [ "$src" != - ] && [ -f "$src/go.mod" ]; then cp "$src/go.mod" "$d/$ver.mod"
  else printf 'module %s\n' "$mod" >"$d/$ver.mod"; fi
  if [ "$src" != - ]; then
    z=$W/zip/$mod@$ver
    mkdir -p "$(dirname "$z")"
    cp -r "$src" "$z"
    cp "$d/$ver.mod" "$z/go.mod"
    (cd "$W/zip" && find "$mod@$ver" -type f | LC_ALL=C sort | zip -qX "$d/$ver.zip" -@)
  fi
}
lib() { # module version go.mod-text file go-text
  mkdir -p "$W/lib/$1@$2"
  printf '%s' "$3" >"$W/lib/$1@$2/go.mod"
  printf '%s' "$5" >"$W/lib/$1@$2/$4"
  add "$1" "$2" "$W/lib/$1@$2"
}
add golang.org/x/net v0.7.0 $S/golang.org/x/net
add golang.org/x/text v0.7.0 $S/golang.org/x/text
add gopkg.in/yaml.v3 v3.0.1 $S/gopkg.in/yaml.v3
# No go.mod at that commit: a proxy serves `module gopkg.in/check.v1`; only its go.mod is needed.
add gopkg.in/check.v1 v0.0.0-20161208181325-20d25e280405 -
lib example.com/lib/a v1.0.0 'module example.com/lib/a

go 1.16

require example.com/lib/b v1.0.0
' a.go 'package a

import "example.com/lib/b"

// V is the version of b.
const V = b.V
'
lib example.com/lib/b v1.0.0 'module example.com/lib/b

go 1.16
' b.go 'package b

// V is the version.
const V = "1.0.0"
'
lib example.com/lib/b v1.1.0 'module example.com/lib/b

go 1.16
' b.go 'package b

// V is the version.
const V = "1.1.0"
'
lib example.com/lib/c v1.2.0 'module example.com/lib/c

go 1.16

require example.com/lib/b v1.1.0
' c.go 'package c

// N is a number.
const N = 3
'
export GOPROXY=file://$P GOSUMDB=off GOPATH=$W/gopath GOCACHE=$W/cache GOTOOLCHAIN=local GOFLAGS=-mod=mod
# webapp (go 1.19): `go get .` records what the build needs (`go mod tidy` would also want the zip of
# gopkg.in/check.v1, which yaml.v3's tests import and Debian does not ship at that commit).
cd "$HERE/gomod-webapp" && rm -f go.sum && go get . && go build -o /dev/null .
# legacy (go 1.16): go.mod lists only the direct requirements, go.sum the whole build.
cd "$HERE/gomod-legacy" && rm -f go.sum && go mod tidy && go build -o /dev/null .
