#!/usr/bin/env bash
# The second command: install what is missing, build, and run every test:
# the Swift unit tests, compose.yaml validation, and the live suite that starts the real
# server on free loopback ports and drives it with the aws CLI and boto3.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test

echo "== swift build"
swift build --build-tests

echo "== unit tests (swift test)"
swift test --skip-build --parallel

echo "== compose.yaml (docker-compose config, offline)"
docker-compose -f compose.yaml config -q && echo "compose.yaml is valid"

echo "== bucket-policies/ (coffer policy test)"; "$(swift build --show-bin-path)/coffer" policy test bucket-policies/

echo "== live tests (pytest: real server, aws CLI, boto3)"
COFFER_BIN="$(swift build --show-bin-path)/coffer" python3 -m pytest -q Tests/live "$@"
