#!/usr/bin/env bash
# test-env.sh - build and run the real components Bollard's tests use, on a Debian 12 machine
# (root, no systemd, cgroups v1 hybrid; only the npm registry and Debian's mirror reachable).
#
# Usage:  sudo scripts/test-env.sh up|down|status [--purge]
#   up      install the Debian packages the tests need, write containers.conf, debootstrap a Debian 12
#           minbase root, import it into podman, save it as oci-archive, docker-archive and an OCI
#           layout, start a docker-registry on a free loopback port and push the image there, start
#           podman's Docker-compatible API service, and write $STATE/env.json (test/helpers/env.ts).
#           Idempotent: with everything present it only checks, in a few seconds.
#   down    stop the registry and the podman API service (started by `up`, found by their PID files).
#           --purge also removes what `up` built, except the debootstrap root.
#   status  report each component; exit 0 only when all are up.
# Env:
#   BOLLARD_TEST_STATE     state directory (default /var/lib/bollard-test); tests find it through
#                          BOLLARD_TEST_ENV=$BOLLARD_TEST_STATE/env.json when it is not the default
#   BOLLARD_TEST_RUN       sockets and PID files (default /run/bollard-test)
#   BOLLARD_DEBIAN_MIRROR  mirror for debootstrap (default: the first URIs: line of the apt sources)
set -Eeuo pipefail

STATE=${BOLLARD_TEST_STATE:-/var/lib/bollard-test}
RUN=${BOLLARD_TEST_RUN:-/run/bollard-test}
IMAGE=localhost/bollard-test/bookworm:latest
REG_REPO=bollard-test/bookworm
REG_TAG=latest
ROOTFS=$STATE/rootfs-bookworm
# The same root upgraded with bookworm-security only (vulnerability matching tests).
ROOTFS_SECURITY=$STATE/rootfs-bookworm-security
IMAGES=$STATE/images
OCI_ARCHIVE=$IMAGES/bookworm.oci.tar
DOCKER_ARCHIVE=$IMAGES/bookworm.docker.tar
OCI_LAYOUT=$IMAGES/bookworm-oci
RDIR=$STATE/registry
LOGS=$STATE/logs
SOCK=$RUN/podman.sock
export CONTAINERS_CONF=$STATE/containers.conf
MANIFEST_ACCEPT='application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json'

# The Debian packages the tests use: podman and its runtime pieces (runc, not crun: crun refuses
# cgroups v1 hybrid), image tools, the registry, rpm/db-util/sqlite3 for the rpm analyzer tests,
# zstd for zstd layers, time and iproute2 (ss) for the benches and the port check.
PKGS=(podman runc conmon netavark aardvark-dns containernetworking-plugins slirp4netns fuse-overlayfs
  catatonit uidmap iptables skopeo umoci debootstrap busybox-static curl ca-certificates docker-registry
  rpm db-util sqlite3 zstd gzip tar time iproute2 procps unzip openssl gnupg openssh-client python3)

us() { local t=${EPOCHREALTIME/./}; echo "${t#0}"; }
T0=$(us)
fmt() { printf '%d.%d' $(($1 / 1000000)) $((($1 / 100000) % 10)); }
log() { printf '[test-env %6ss] %s\n' "$(fmt $(($(us) - T0)))" "$*"; }
die() {
  log "ERROR: $*"
  exit 1
}
step() {
  local name=$1 s
  shift
  s=$(us)
  "$@"
  printf '[test-env %6ss] step %-16s %6ss\n' "$(fmt $(($(us) - T0)))" "$name" "$(fmt $(($(us) - s)))"
}
need_root() { [ "$(id -u)" = 0 ] || die "run as root: sudo $0 $*"; }

case "$STATE$RUN" in
  *[!A-Za-z0-9/._-]*) die "BOLLARD_TEST_STATE and BOLLARD_TEST_RUN must be plain paths (letters, digits, / . _ -)" ;;
esac

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }

# --- helpers ---------------------------------------------------------------------------------------

pid_alive() {
  # pid_alive FILE NAME: the PID in FILE is running and its command line contains NAME (guards
  # against a recycled PID).
  local pid
  [ -f "$1" ] || return 1
  pid=$(cat "$1")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$2"
}

stop_pid() {
  # stop_pid FILE NAME: stop the process recorded in FILE (TERM, then KILL after 5 s).
  local pid i
  if pid_alive "$1" "$2"; then
    pid=$(cat "$1")
    kill "$pid"
    for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    log "stopped $2 (pid $pid)"
  else
    log "$2 not running"
  fi
  rm -f "$1"
}

registry_port() { [ -f "$RDIR/port" ] && cat "$RDIR/port" || true; }
registry_up() {
  local port
  port=$(registry_port)
  [ -n "$port" ] && pid_alive "$RUN/registry.pid" docker-registry &&
    [ "$(curl -s -o /dev/null -w '%{http_code}' -m 2 "http://127.0.0.1:$port/v2/" 2>/dev/null)" = 200 ]
}
podman_api_up() { pid_alive "$RUN/podman.pid" podman && curl -s -m 2 --unix-socket "$SOCK" http://d/_ping 2>/dev/null | grep -q OK; }
image_id() { podman image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true; }
registry_digest() {
  # Digest of the pushed manifest, empty if the tag is absent.
  curl -s -m 5 -o /dev/null -D - -H "Accept: $MANIFEST_ACCEPT" \
    "http://127.0.0.1:$1/v2/$REG_REPO/manifests/$REG_TAG" 2>/dev/null |
    awk '/^HTTP\//{ok=($2==200)} tolower($1)=="docker-content-digest:"{if(ok){gsub("\r","");print $2}}'
}

take_lock() {
  # One `up`/`down` at a time. Services started under the lock close fd 9 (`9>&-`), or they would
  # hold it for their whole life.
  exec 9>"$STATE/.lock"
  if ! flock -n 9; then
    log "waiting for another test-env.sh (lock $STATE/.lock)"
    flock -w 600 9 || die "another test-env.sh still holds $STATE/.lock"
  fi
}

# --- up steps --------------------------------------------------------------------------------------

APT_UPDATED=0
install_pkgs() {
  local missing=() p
  for p in "$@"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
  if [ ${#missing[@]} -eq 0 ]; then
    log "all ${#PKGS[@]} packages installed"
    return 0
  fi
  if [ "$APT_UPDATED" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$LOGS/apt-update.log" 2>&1 || {
      tail -20 "$LOGS/apt-update.log"
      die "apt-get update failed"
    }
    APT_UPDATED=1
  fi
  log "installing: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o Dpkg::Use-Pty=0 "${missing[@]}" \
    >"$LOGS/apt-install.log" 2>&1 || {
    tail -20 "$LOGS/apt-install.log"
    die "apt-get install failed (log: $LOGS/apt-install.log)"
  }
}

write_containers_conf() {
  # default_ulimits = []: podman otherwise raises RLIMIT_NOFILE/NPROC, which needs CAP_SYS_RESOURCE
  # (absent here); cgroupfs: no systemd; runc: crun refuses cgroups v1 hybrid.
  local want
  want=$(
    cat <<'CONF'
[containers]
default_ulimits = []

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc"
CONF
  )
  if [ -f "$CONTAINERS_CONF" ] && [ "$(cat "$CONTAINERS_CONF")" = "$want" ]; then
    log "containers.conf up to date"
  else
    printf '%s\n' "$want" >"$CONTAINERS_CONF"
    log "wrote $CONTAINERS_CONF"
  fi
}

debian_mirror() {
  local m=${BOLLARD_DEBIAN_MIRROR:-}
  if [ -z "$m" ] && [ -f /etc/apt/sources.list.d/debian.sources ]; then
    m=$(awk '/^URIs:/ && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
  fi
  if [ -z "$m" ] && [ -f /etc/apt/sources.list ]; then
    m=$(awk '$1=="deb" && $0 !~ /security/ {print $2; exit}' /etc/apt/sources.list)
  fi
  [ -n "$m" ] || die "no Debian mirror in the apt sources: set BOLLARD_DEBIAN_MIRROR"
  echo "$m"
}

build_rootfs() {
  if [ -x "$ROOTFS/bin/sh" ] && [ -s "$ROOTFS/var/lib/dpkg/status" ]; then
    log "debootstrap root present: $ROOTFS"
    return 0
  fi
  local mirror
  mirror=$(debian_mirror)
  log "debootstrap --variant=minbase bookworm from $mirror (about a minute)"
  rm -rf "$ROOTFS.partial"
  debootstrap --variant=minbase bookworm "$ROOTFS.partial" "$mirror" >"$LOGS/debootstrap.log" 2>&1 || {
    tail -20 "$LOGS/debootstrap.log"
    die "debootstrap failed (log: $LOGS/debootstrap.log)"
  }
  rm -rf "$ROOTFS"
  mv "$ROOTFS.partial" "$ROOTFS"
  log "built $ROOTFS ($(du -sh "$ROOTFS" | cut -f1))"
}

security_mirror() {
  local m=${BOLLARD_DEBIAN_SECURITY_MIRROR:-}
  if [ -z "$m" ] && [ -f /etc/apt/sources.list.d/debian.sources ]; then
    m=$(awk '/^URIs:/ && $2 ~ /security/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
  fi
  echo "${m:-http://deb.debian.org/debian-security}"
}

# A copy of the debootstrap root upgraded from the bookworm-security suite alone, with apt inside
# the root: the packages whose security fixes came after the point release move past them.
build_rootfs_security() {
  if [ -s "$ROOTFS_SECURITY/var/lib/dpkg/status" ] && [ -f "$ROOTFS_SECURITY/.bollard-upgraded" ]; then
    log "security-upgraded root present: $ROOTFS_SECURITY"
    return 0
  fi
  local p=$ROOTFS_SECURITY.partial
  rm -rf "$p"
  cp -a "$ROOTFS" "$p"
  rm -f "$p/etc/apt/sources.list" "$p"/etc/apt/sources.list.d/*
  echo "deb $(security_mirror) bookworm-security main" >"$p/etc/apt/sources.list.d/security.list"
  local run=(chroot "$p" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive
    apt-get -q -o APT::Sandbox::User=root)
  { "${run[@]}" update && "${run[@]}" -y -o Dpkg::Options::=--force-confold upgrade; } >"$LOGS/apt-security.log" 2>&1 || {
    tail -20 "$LOGS/apt-security.log"
    die "apt-get upgrade from bookworm-security failed (log: $LOGS/apt-security.log)"
  }
  rm -rf "$p/var/lib/apt/lists"/* "$p/var/cache/apt"/*.bin
  touch "$p/.bollard-upgraded"
  rm -rf "$ROOTFS_SECURITY"
  mv "$p" "$ROOTFS_SECURITY"
  log "upgraded $(grep -c '^Setting up' "$LOGS/apt-security.log") packages from bookworm-security into $ROOTFS_SECURITY"
}

import_image() {
  if podman image exists "$IMAGE"; then
    log "$IMAGE present ($(image_id | cut -c1-12))"
    return 0
  fi
  # Sorted names and numeric owners: the same root gives the same layer.
  tar -C "$ROOTFS" --sort=name --numeric-owner -c . |
    podman import -q --change 'CMD ["/bin/bash"]' \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - "$IMAGE" >/dev/null
  image_id >"$STATE/.imported-image-id"
  log "imported $IMAGE ($(image_id | cut -c1-12))"
}

save_images() {
  local id stamp
  id=$(image_id)
  [ -n "$id" ] || die "$IMAGE is missing"
  mkdir -p "$IMAGES"
  stamp="$id layout-zstd" # change the suffix when the saved forms change
  if [ "$(cat "$IMAGES/.image-id" 2>/dev/null || true)" = "$stamp" ] && [ -s "$OCI_ARCHIVE" ] &&
    [ -s "$DOCKER_ARCHIVE" ] && [ -f "$OCI_LAYOUT/index.json" ]; then
    log "archives and OCI layout up to date"
    return 0
  fi
  rm -f "$IMAGES/.image-id" "$OCI_ARCHIVE.partial" "$DOCKER_ARCHIVE.partial"
  rm -rf "$OCI_LAYOUT" "$OCI_LAYOUT.partial"
  podman save -q --format oci-archive -o "$OCI_ARCHIVE.partial" "$IMAGE"
  mv "$OCI_ARCHIVE.partial" "$OCI_ARCHIVE"
  podman save -q --format docker-archive -o "$DOCKER_ARCHIVE.partial" "$IMAGE"
  mv "$DOCKER_ARCHIVE.partial" "$DOCKER_ARCHIVE"
  # podman save writes the oci-archive with gzip layers and the docker-archive with plain tar; the
  # OCI layout gets zstd, so the three local transports cover the three layer encodings.
  skopeo copy -q --dest-compress-format zstd "containers-storage:$IMAGE" "oci:$OCI_LAYOUT.partial:latest" \
    2>"$LOGS/skopeo-layout.log" || {
    cat "$LOGS/skopeo-layout.log"
    die "skopeo copy to the OCI layout failed"
  }
  mv "$OCI_LAYOUT.partial" "$OCI_LAYOUT"
  echo "$stamp" >"$IMAGES/.image-id"
  log "saved $OCI_ARCHIVE, $DOCKER_ARCHIVE, $OCI_LAYOUT:latest"
}

write_registry_config() {
  mkdir -p "$RDIR/data"
  cat >"$RDIR/config.yml" <<YML
version: 0.1
log:
  level: warn
  formatter: text
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $RDIR/data
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:$1
  headers:
    X-Content-Type-Options: [nosniff]
YML
}

port_free() { [ -z "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]; }

start_registry() {
  if registry_up; then
    log "registry up on 127.0.0.1:$(registry_port) (pid $(cat "$RUN/registry.pid"))"
    return 0
  fi
  stop_pid "$RUN/registry.pid" docker-registry >/dev/null
  local port prev attempt pid i
  prev=$(registry_port)
  for attempt in $(seq 1 20); do
    # Loopback ports are shared with other processes: prefer the last port, else a random high one;
    # check it is free, and after starting check that *our* process is the one listening.
    if [ "$attempt" = 1 ] && [ -n "$prev" ]; then port=$prev; else port=$((20000 + RANDOM % 40000)); fi
    port_free "$port" || continue
    write_registry_config "$port"
    setsid nohup docker-registry serve "$RDIR/config.yml" >"$LOGS/registry.log" 2>&1 </dev/null 9>&- &
    pid=$!
    echo "$pid" >"$RUN/registry.pid"
    for i in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      ss -Hltnp "sport = :$port" 2>/dev/null | grep -q "pid=$pid," && break
      sleep 0.05
    done
    if kill -0 "$pid" 2>/dev/null && ss -Hltnp "sport = :$port" 2>/dev/null | grep -q "pid=$pid,"; then
      echo "$port" >"$RDIR/port"
      for i in $(seq 1 100); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' -m 1 "http://127.0.0.1:$port/v2/")" = 200 ] && break
        sleep 0.05
      done
      registry_up || die "registry on 127.0.0.1:$port does not answer (log: $LOGS/registry.log)"
      log "registry started on 127.0.0.1:$port (pid $pid, data $RDIR/data)"
      return 0
    fi
    kill "$pid" 2>/dev/null || true
    rm -f "$RUN/registry.pid"
    log "port $port taken, trying another"
  done
  tail -5 "$LOGS/registry.log" || true
  die "could not start the registry on a free loopback port"
}

push_image() {
  local port id
  port=$(registry_port)
  id=$(image_id)
  if [ -n "$(registry_digest "$port")" ] && [ "$(cat "$RDIR/.pushed-image-id" 2>/dev/null || true)" = "$id" ]; then
    log "$REG_REPO:$REG_TAG present in the registry"
    return 0
  fi
  rm -f "$RDIR/.pushed-image-id"
  skopeo copy -q --dest-tls-verify=false "containers-storage:$IMAGE" \
    "docker://127.0.0.1:$port/$REG_REPO:$REG_TAG" 2>"$LOGS/skopeo-push.log" || {
    cat "$LOGS/skopeo-push.log"
    die "skopeo push to the registry failed"
  }
  [ -n "$(registry_digest "$port")" ] || die "pushed, but the registry does not serve $REG_REPO:$REG_TAG"
  echo "$id" >"$RDIR/.pushed-image-id"
  log "pushed $IMAGE to 127.0.0.1:$port/$REG_REPO:$REG_TAG"
}

start_podman_api() {
  if podman_api_up; then
    log "podman API up on unix://$SOCK (pid $(cat "$RUN/podman.pid"))"
    return 0
  fi
  stop_pid "$RUN/podman.pid" podman >/dev/null
  rm -f "$SOCK"
  setsid nohup podman system service --time=0 "unix://$SOCK" >"$LOGS/podman-service.log" 2>&1 </dev/null 9>&- &
  echo $! >"$RUN/podman.pid"
  local i
  for i in $(seq 1 100); do
    curl -s -m 1 --unix-socket "$SOCK" http://d/_ping 2>/dev/null | grep -q OK && break
    sleep 0.1
  done
  podman_api_up || die "podman API did not come up (log: $LOGS/podman-service.log)"
  log "podman API started on unix://$SOCK (pid $(cat "$RUN/podman.pid"))"
}

smoke() {
  local out port
  out=$(podman run --rm --network=none "$IMAGE" /bin/sh -c 'echo "$(. /etc/os-release && echo $ID-$VERSION_ID)"') ||
    die "podman run failed"
  [ "$out" = debian-12 ] || die "podman run printed '$out', expected debian-12"
  curl -s -m 5 --unix-socket "$SOCK" http://d/images/json | grep -q "$IMAGE" || die "podman API does not list $IMAGE"
  port=$(registry_port)
  [ -n "$(registry_digest "$port")" ] || die "registry does not serve $REG_REPO:$REG_TAG"
  log "smoke: podman run, API /images/json, registry manifest: OK"
}

json_str() { printf '"%s"' "$1"; } # paths are checked to be plain above

write_env_json() {
  local port tmp
  port=$(registry_port)
  tmp=$STATE/env.json.partial
  {
    printf '{\n'
    printf '  "stateDir": %s,\n' "$(json_str "$STATE")"
    printf '  "rootfs": %s,\n' "$(json_str "$ROOTFS")"
    printf '  "rootfsSecurity": %s,\n' "$(json_str "$ROOTFS_SECURITY")"
    printf '  "images": {\n'
    printf '    "podman": %s,\n' "$(json_str "$IMAGE")"
    printf '    "ociArchive": %s,\n' "$(json_str "$OCI_ARCHIVE")"
    printf '    "dockerArchive": %s,\n' "$(json_str "$DOCKER_ARCHIVE")"
    printf '    "ociLayout": %s\n' "$(json_str "$OCI_LAYOUT:latest")"
    printf '  },\n'
    printf '  "registry": %s,\n' "$(json_str "127.0.0.1:$port")"
    printf '  "registryImage": %s,\n' "$(json_str "127.0.0.1:$port/$REG_REPO:$REG_TAG")"
    printf '  "podmanSocket": %s,\n' "$(json_str "$SOCK")"
    printf '  "containersConf": %s\n' "$(json_str "$CONTAINERS_CONF")"
    printf '}\n'
  } >"$tmp"
  if cmp -s "$tmp" "$STATE/env.json"; then
    rm -f "$tmp"
    log "env.json up to date"
  else
    mv "$tmp" "$STATE/env.json"
    log "wrote $STATE/env.json"
  fi
}

# --- commands --------------------------------------------------------------------------------------

cmd_up() {
  need_root up
  mkdir -p "$STATE" "$RUN" "$LOGS" "$RDIR"
  take_lock
  step packages install_pkgs "${PKGS[@]}"
  step containers.conf write_containers_conf
  step rootfs build_rootfs
  step rootfs-security build_rootfs_security
  step podman-image import_image
  step save-images save_images
  step registry start_registry
  step push push_image
  step podman-api start_podman_api
  # --- runtime (issue #5): bpftrace, tracefs and the netcat package for the sensor e2e test -----
  step ebpf bash "$(dirname "${BASH_SOURCE[0]}")/ebpf-env.sh" up
  # --- end runtime ---------------------------------------------------------------------------------
  step smoke smoke
  step env.json write_env_json
  log "up in $(fmt $(($(us) - T0)))s"
  if [ "$STATE/env.json" != /var/lib/bollard-test/env.json ]; then
    echo "  export BOLLARD_TEST_ENV=$STATE/env.json"
  fi
}

cmd_down() {
  need_root down
  mkdir -p "$STATE" "$RUN"
  take_lock
  stop_pid "$RUN/podman.pid" podman
  rm -f "$SOCK"
  stop_pid "$RUN/registry.pid" docker-registry
  if [ "${1:-}" = --purge ]; then
    # The podman image name is machine-wide: remove it only if this STATE imported it.
    if command -v podman >/dev/null && [ -n "$(image_id)" ] &&
      [ "$(image_id)" = "$(cat "$STATE/.imported-image-id" 2>/dev/null || true)" ]; then
      podman rmi -f "$IMAGE" >/dev/null
    fi
    rm -rf "$IMAGES" "$RDIR" "$STATE/env.json" "$STATE/.imported-image-id" "$LOGS"
    log "purged images, registry data and env.json (kept $ROOTFS)"
  fi
}

cmd_status() {
  local bad=0 port
  check() {
    if eval "$2"; then printf '  %-14s ok    %s\n' "$1" "$3"; else
      printf '  %-14s DOWN  %s\n' "$1" "$3"
      bad=1
    fi
  }
  port=$(registry_port)
  echo "test environment in $STATE:"
  check rootfs '[ -s "$ROOTFS/var/lib/dpkg/status" ]' "$ROOTFS"
  check podman-image 'command -v podman >/dev/null && podman image exists "$IMAGE" 2>/dev/null' "$IMAGE"
  check oci-archive '[ -s "$OCI_ARCHIVE" ]' "$OCI_ARCHIVE"
  check docker-archive '[ -s "$DOCKER_ARCHIVE" ]' "$DOCKER_ARCHIVE"
  check oci-layout '[ -f "$OCI_LAYOUT/index.json" ]' "$OCI_LAYOUT:latest"
  check registry 'registry_up' "127.0.0.1:${port:-?} (pid $(cat "$RUN/registry.pid" 2>/dev/null || echo -))"
  check registry-image '[ -n "$port" ] && [ -n "$(registry_digest "$port")" ]' "127.0.0.1:${port:-?}/$REG_REPO:$REG_TAG"
  check podman-api 'podman_api_up' "unix://$SOCK (pid $(cat "$RUN/podman.pid" 2>/dev/null || echo -))"
  check env.json '[ -s "$STATE/env.json" ]' "$STATE/env.json"
  return $bad
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down "${2:-}" ;;
  status) cmd_status ;;
  -h | --help | help) usage ;;
  *)
    usage >&2
    exit 2
    ;;
esac
