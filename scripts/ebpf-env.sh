#!/usr/bin/env bash
# ebpf-env.sh - make this machine ready for Bollard's eBPF sensor (bollard runtime) and its tests:
# installs Debian's bpftrace (0.17 on bookworm), mounts tracefs (and debugfs when it can), and
# proves that a syscall tracepoint attaches, and downloads the netcat-traditional package the sensor
# e2e test installs into an image at build time (STATE/debs). Idempotent; called by
# `scripts/test-env.sh up`.
#
# Usage:  sudo scripts/ebpf-env.sh [up|status]
# Env:    BOLLARD_TEST_STATE  state directory for logs (default /var/lib/bollard-test)
set -Eeuo pipefail

STATE=${BOLLARD_TEST_STATE:-/var/lib/bollard-test}
LOGS=$STATE/logs
log() { printf '[ebpf-env] %s\n' "$*"; }
die() {
  log "ERROR: $*"
  exit 1
}
mounted() { awk -v m="$1" '$2 == m {f=1} END {exit !f}' /proc/mounts; }

status() {
  local bad=0
  if command -v bpftrace >/dev/null; then log "bpftrace $(bpftrace --version 2>/dev/null | awk '{print $2}')"; else
    log "bpftrace missing"
    bad=1
  fi
  if ls "$STATE"/debs/netcat-traditional_*.deb >/dev/null 2>&1; then log "netcat-traditional package present"; else
    log "netcat-traditional package missing"
    bad=1
  fi
  if mounted /sys/kernel/tracing; then log "tracefs mounted"; else
    log "tracefs not mounted"
    bad=1
  fi
  return $bad
}

up() {
  [ "$(id -u)" = 0 ] || die "run as root"
  mkdir -p "$LOGS"
  if ! dpkg-query -W -f='${Status}' bpftrace 2>/dev/null | grep -q 'install ok installed'; then
    log "installing bpftrace"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$LOGS/apt-ebpf-update.log" 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o Dpkg::Use-Pty=0 bpftrace >"$LOGS/apt-ebpf.log" 2>&1 || {
      tail -20 "$LOGS/apt-ebpf.log"
      die "apt-get install bpftrace failed (log: $LOGS/apt-ebpf.log)"
    }
  fi
  mounted /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing || die "cannot mount tracefs"
  mounted /sys/kernel/debug || mount -t debugfs nodev /sys/kernel/debug 2>/dev/null || true
  [ -r /sys/kernel/tracing/events/syscalls/sys_enter_execve/id ] || die "syscall tracepoints are not visible under /sys/kernel/tracing"
  # Prove a probe attaches (bpftrace prints a harmless RLIMIT_MEMLOCK warning without CAP_SYS_RESOURCE).
  timeout 60 bpftrace -e 'tracepoint:syscalls:sys_enter_getppid { exit(); } BEGIN { printf("ok\n"); exit(); }' \
    >"$LOGS/bpftrace-smoke.log" 2>&1 || {
    cat "$LOGS/bpftrace-smoke.log"
    die "bpftrace cannot attach a tracepoint"
  }
  grep -q '^ok' "$LOGS/bpftrace-smoke.log" || die "bpftrace smoke test printed nothing"
  # The e2e test builds an image with this package installed (a real package install at build time).
  mkdir -p "$STATE/debs"
  if ! ls "$STATE"/debs/netcat-traditional_*.deb >/dev/null 2>&1; then
    (cd "$STATE/debs" && apt-get download -o APT::Sandbox::User=root netcat-traditional >"$LOGS/apt-download.log" 2>&1) || {
      DEBIAN_FRONTEND=noninteractive apt-get update -qq >>"$LOGS/apt-download.log" 2>&1 || true
      (cd "$STATE/debs" && apt-get download -o APT::Sandbox::User=root netcat-traditional >>"$LOGS/apt-download.log" 2>&1) ||
        die "apt-get download netcat-traditional failed (log: $LOGS/apt-download.log)"
    }
  fi
  log "bpftrace $(bpftrace --version | awk '{print $2}') attaches; tracefs mounted"
}

case "${1:-up}" in
  up) up ;;
  status) status ;;
  *)
    echo "usage: $0 [up|status]" >&2
    exit 2
    ;;
esac
