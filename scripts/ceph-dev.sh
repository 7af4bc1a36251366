#!/usr/bin/env bash
# A one-node Ceph cluster for development and tests, as the current user, on 127.0.0.1.
#
#   scripts/ceph-dev.sh up DIR     create (first time) or restart the cluster in DIR, wait until it
#                                  is healthy, create the pool `coffer`, print the conf path
#   scripts/ceph-dev.sh down DIR   stop every daemon started for DIR (its pid files)
#   scripts/ceph-dev.sh env DIR    print `export CEPH_CONF=...` lines for DIR
#   scripts/ceph-dev.sh restart-osd DIR [SECONDS]
#                                  stop the OSD (SIGTERM: it tells the mon it goes down, so
#                                  clients wait for it instead of timing out), keep it down
#                                  SECONDS (default 0), start it again and wait until it is up
#                                  and every PG is active+clean (the tests of a load that
#                                  outlives an OSD restart; the data stays: BlueStore reopens)
#
# It installs nothing (scripts/install-deps.sh --test does). One mon (a), one mgr (x), one OSD
# (0) with BlueStore on a sparse file DIR/osd.0.block: no LVM, no root-only kernel features, no
# systemd. Everything (conf, keyring, data, logs, sockets, pid files) lives under DIR. Never
# the in-memory object store: it fills silently at 1 GiB and the cluster goes HEALTH_ERR.
#
# cephx is on, with an admin keyring generated into DIR/keyring: Coffer's RADOS backend
# authenticates the way it must against a real cluster (a user name and its key), so the tests
# exercise that path; generating keys costs nothing measurable.
#
# Environment: COFFER_CEPH_TIMEOUT (seconds to wait for health, default 180),
# COFFER_CEPH_BLOCK_SIZE (bytes of the sparse BlueStore file, default 8 GiB: room for the tests of a whole run, whose deleted blobs are reclaimed minutes later).
set -euo pipefail

usage() { echo "usage: $0 up DIR | down DIR | env DIR | restart-osd DIR [SECONDS]" >&2; exit 2; }
[ $# -eq 2 ] || { [ $# -eq 3 ] && [ "$1" = restart-osd ]; } || usage
cmd=$1
dir=$2
down_s=${3:-0}
timeout_s=${COFFER_CEPH_TIMEOUT:-180}
block_size=${COFFER_CEPH_BLOCK_SIZE:-8589934592}
pool=coffer

case "$cmd" in up) mkdir -p "$dir" ;; down | env | restart-osd) [ -d "$dir" ] || { echo "ceph-dev: no such directory $dir" >&2; exit 1; } ;; *) usage ;; esac
dir=$(cd "$dir" && pwd)
conf=$dir/ceph.conf
keyring=$dir/keyring

say() { echo "ceph-dev: $*" >&2; }
die() { say "$*"; exit 1; }
ceph_() { timeout 20 ceph -c "$conf" --connect-timeout 10 "$@"; }

# The pid of a daemon of this cluster if it runs (a pid file whose process is a ceph daemon
# started with this conf), else nothing.
live_pid() {
  local f=$1 pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f" 2>/dev/null || true)
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 0
  if tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "-c $conf"; then echo "$pid"; fi
}

do_down() {
  local f pid n stopped=0
  for f in "$dir"/run/*.pid; do
    [ -e "$f" ] || continue
    pid=$(live_pid "$f")
    if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; stopped=$((stopped + 1)); fi
  done
  # Bounded wait for every daemon to exit; whatever is left after 30 s is killed.
  for n in $(seq 1 300); do
    local left=0
    for f in "$dir"/run/*.pid; do
      [ -e "$f" ] || continue
      [ -z "$(live_pid "$f")" ] || left=1
    done
    [ $left -eq 1 ] || break
    if [ "$n" -eq 300 ]; then
      for f in "$dir"/run/*.pid; do
        [ -e "$f" ] || continue
        pid=$(live_pid "$f"); [ -z "$pid" ] || { say "killing $pid ($f) after 30 s"; kill -KILL "$pid" 2>/dev/null || true; }
      done
    fi
    sleep 0.1
  done
  rm -f "$dir"/run/*.pid "$dir"/run/*.asok
  say "stopped $stopped daemon(s) of $dir"
}

do_env() {
  [ -f "$conf" ] || die "no cluster in $dir (no ceph.conf)"
  echo "export CEPH_CONF=$conf"
  echo "export COFFER_TEST_RADOS_CONF=$conf"
  echo "export COFFER_TEST_RADOS_POOL=$pool"
  echo "export COFFER_TEST_RADOS_USER=admin"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

log_tails() {
  local f
  for f in "$dir"/log/*.log; do
    [ -e "$f" ] || continue
    echo "---- tail $f" >&2
    tail -n 15 "$f" >&2
  done
}

# Polls CHECK (a shell function) every 0.5 s until it succeeds or the deadline passes; on timeout
# prints WHAT, the cluster status if the mon answers, and the daemons' log tails.
wait_for() {
  local what=$1 check=$2
  while ! $check; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      say "timed out after ${timeout_s}s waiting for $what"
      ceph_ -s >&2 2>&1 || true
      log_tails
      exit 1
    fi
    sleep 0.5
  done
}

# Every PG active+clean.
pgs_clean() {
  ceph_ pg stat --format json 2>/dev/null | python3 -c '
import json, sys
s = json.load(sys.stdin)
s = s.get("pg_summary", s)
n = s.get("num_pgs", 0)
clean = sum(x["num"] for x in s.get("num_pg_by_state", []) if x["name"] == "active+clean")
sys.exit(0 if n > 0 and clean == n else 1)'
}

# HEALTH_OK, or HEALTH_WARN only for the expected one-node checks; and every PG active+clean.
health_ok() {
  ceph_ health detail --format json 2>/dev/null | python3 -c '
import json, sys
expected = {"POOL_NO_REDUNDANCY", "TOO_FEW_OSDS", "AUTH_INSECURE_GLOBAL_ID_RECLAIM_ALLOWED", "AUTH_INSECURE_GLOBAL_ID_RECLAIM"}
h = json.load(sys.stdin)
if h["status"] == "HEALTH_OK": sys.exit(0)
if h["status"] == "HEALTH_WARN" and set(h.get("checks", {})) <= expected: sys.exit(0)
sys.exit(1)' || return 1
  pgs_clean
}
mon_answers() { ceph_ mon stat >/dev/null 2>&1; }
up_osds() { ceph_ osd stat --format json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["num_up_osds"])' 2>/dev/null; }
osd_up() { [ "$(up_osds)" = 1 ]; }
osd_down() { [ "$(up_osds)" = 0 ]; }
mgr_up() { ceph_ mgr stat --format json 2>/dev/null | python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["available"] else 1)'; }

create_cluster() {
  local fsid port osd_uuid
  mkdir -p "$dir"/{run,log,crash,mon.a,mgr.x,osd.0}
  fsid=$(python3 -c 'import uuid; print(uuid.uuid4())')
  port=$(free_port)
  cat >"$conf" <<EOF
; Generated by scripts/ceph-dev.sh: a one-node development cluster.
[global]
fsid = $fsid
mon host = [v2:127.0.0.1:$port]
mon initial members = a
public addr = 127.0.0.1
ms bind msgr1 = false
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
keyring = $keyring
run dir = $dir/run
admin socket = $dir/run/\$name.asok
pid file = $dir/run/\$name.pid
log file = $dir/log/\$name.log
crash dir = $dir/crash
osd pool default size = 1
osd pool default min size = 1
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon warn on insecure global id reclaim allowed = false
mon data avail warn = 5
mon data avail crit = 2

[client]
; Clients (the ceph CLI, librados in tests) are many at once: no admin socket, one shared log.
admin socket =
log file = $dir/log/client.log

[mon]
mon data = $dir/\$name

[mgr]
mgr data = $dir/\$name
mgr initial modules = iostat

[osd]
osd data = $dir/\$name
osd objectstore = bluestore
bluestore block path = $dir/\$name.block
bluestore block create = true
bluestore block size = $block_size
bluestore block db create = false
bluestore block wal create = false
bluestore fsck on mount = false
osd memory target = 939524096
EOF
  # One keyring for the whole cluster; the mon imports every entity in it at mkfs.
  ceph-authtool --create-keyring --gen-key -n mon. --cap mon 'allow *' "$keyring" >/dev/null
  ceph-authtool --gen-key -n client.admin --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' --cap mds 'allow *' "$keyring" >/dev/null
  ceph-authtool --gen-key -n mgr.x --cap mon 'allow profile mgr' --cap osd 'allow *' --cap mds 'allow *' "$keyring" >/dev/null
  ceph-authtool --gen-key -n osd.0 --cap mon 'allow profile osd' --cap mgr 'allow profile osd' --cap osd 'allow *' "$keyring" >/dev/null
  chmod 600 "$keyring"
  monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$port]" "$dir/monmap" >/dev/null
  ceph-mon -c "$conf" -i a --mkfs --monmap "$dir/monmap" --keyring "$keyring" >/dev/null 2>&1 \
    || { log_tails; die "ceph-mon --mkfs failed"; }
  ceph-mon -c "$conf" -i a
  wait_for "the mon to answer" mon_answers
  osd_uuid=$(python3 -c 'import uuid; print(uuid.uuid4())')
  ceph_ osd new "$osd_uuid" 0 >/dev/null
  ceph-osd -c "$conf" -i 0 --mkfs --osd-uuid "$osd_uuid" >"$dir/log/osd.0.mkfs.log" 2>&1 \
    || { tail -n 20 "$dir/log/osd.0.mkfs.log" >&2; die "ceph-osd --mkfs failed"; }
  touch "$dir/created"
}

do_up() {
  command -v ceph-mon >/dev/null && command -v ceph-osd >/dev/null && command -v ceph-mgr >/dev/null \
    || die "the Ceph daemons are not installed (scripts/install-deps.sh --test installs them)"
  deadline=$(($(date +%s) + timeout_s))
  local start=$SECONDS
  if [ ! -f "$dir/created" ]; then
    [ -z "$(ls -A "$dir")" ] || die "$dir is neither empty nor a cluster made by this script"
    say "creating a one-node cluster in $dir"
    create_cluster
  else
    [ -n "$(live_pid "$dir/run/mon.a.pid")" ] || ceph-mon -c "$conf" -i a
    wait_for "the mon to answer" mon_answers
  fi
  [ -n "$(live_pid "$dir/run/mgr.x.pid")" ] || ceph-mgr -c "$conf" -i x
  [ -n "$(live_pid "$dir/run/osd.0.pid")" ] || ceph-osd -c "$conf" -i 0
  wait_for "osd.0 to be up" osd_up
  wait_for "the mgr to be available" mgr_up
  ceph_ osd pool create "$pool" 8 8 replicated >/dev/null 2>&1 || die "cannot create the pool $pool"
  ceph_ osd pool set "$pool" size 1 --yes-i-really-mean-it >/dev/null 2>&1 || die "cannot set the size of $pool"
  ceph_ osd pool application enable "$pool" coffer --yes-i-really-mean-it >/dev/null 2>&1 || die "cannot tag $pool"
  wait_for "HEALTH_OK and every PG active+clean" health_ok
  say "healthy after $((SECONDS - start)) s; pool $pool; conf:"
  echo "$conf"
}

do_restart_osd() {
  [ -f "$dir/created" ] || die "no cluster in $dir"
  case "$down_s" in '' | *[!0-9.]*) die "restart-osd: SECONDS must be a number, not '$down_s'" ;; esac
  deadline=$(($(date +%s) + timeout_s))
  local pid start=$SECONDS n cmdline
  pid=$(live_pid "$dir/run/osd.0.pid")
  [ -n "$pid" ] || die "osd.0 of $dir is not running"
  kill -TERM "$pid"
  # Bounded wait for it to exit (it flushes BlueStore and tells the mon first); an exited
  # daemon that nobody reaped yet has an empty command line.
  for n in $(seq 1 300); do
    cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)
    [[ $cmdline == *"-c $conf"* ]] || break
    [ "$n" -lt 300 ] || die "osd.0 (pid $pid) did not exit within 30 s of SIGTERM"
    sleep 0.1
  done
  wait_for "the mon to see osd.0 down" osd_down
  say "osd.0 stopped after $((SECONDS - start)) s; starting it again in $down_s s"
  sleep "$down_s"
  ceph-osd -c "$conf" -i 0
  wait_for "osd.0 to be up" osd_up
  wait_for "every PG active+clean" pgs_clean
  say "osd.0 up and every PG active+clean, $((SECONDS - start)) s after the stop"
}

case "$cmd" in
  up) do_up ;;
  down) do_down ;;
  env) do_env ;;
  restart-osd) do_restart_osd ;;
esac
