#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks to build, run and test Coffer:
# system libraries (LevelDB, libcrypto, zlib), docker-compose (to validate compose.yaml
# offline), curl, and the Python clients the live tests drive (awscli, boto3, moto, pytest).
# With --test (the test command's install) also a one-node Ceph (ceph-mon, ceph-osd, ceph-mgr)
# and librados-dev, for the RADOS tests and scripts/ceph-dev.sh; the serve command stays light.
# Idempotent: it installs only what is missing. Swift itself must already be on PATH.
set -euo pipefail

need_apt=()
for pkg in libleveldb-dev libssl-dev zlib1g-dev curl; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ "${1:-}" = "--test" ]; then
  # Debian's Ceph (16.2.x on bookworm): the daemons scripts/ceph-dev.sh starts, and the
  # librados headers the CRados module map and the CofferRados tests build against.
  for pkg in ceph-mon ceph-osd ceph-mgr librados-dev; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
  done
fi
if [ "${COFFER_SKIP_COMPOSE:-0}" != 1 ] && ! command -v docker-compose >/dev/null 2>&1; then
  need_apt+=(docker-compose)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "install-deps: apt-get install ${need_apt[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
need_pip=()
$PY -c "import boto3" 2>/dev/null || need_pip+=(boto3)
command -v aws >/dev/null 2>&1 || need_pip+=(awscli)
if [ "${1:-}" = "--test" ]; then
  $PY -c "import pytest" 2>/dev/null || need_pip+=(pytest)
  $PY -c "import moto.server" 2>/dev/null || need_pip+=("moto[server]")
  # The live tests that tamper with a stopped server's LevelDB (test_versioning.py).
  $PY -c "import plyvel" 2>/dev/null || need_pip+=(plyvel)
fi
if [ ${#need_pip[@]} -gt 0 ]; then
  echo "install-deps: pip install ${need_pip[*]}"
  $PY -m pip install -q "${need_pip[@]}" || $PY -m pip install -q --break-system-packages "${need_pip[@]}"
fi

command -v swift >/dev/null 2>&1 || { echo "install-deps: swift is not on PATH (Swift 6.1 or newer is required)" >&2; exit 1; }
