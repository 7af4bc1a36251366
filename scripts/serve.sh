#!/usr/bin/env bash
# The first command: install what is missing, build, and start `coffer serve` on the
# embedded defaults (./coffer-data, HTTP 127.0.0.1:9000, HTTPS 127.0.0.1:9443, generated
# root credentials and a local CA). Extra arguments go to `coffer serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release --product coffer
exec .build/release/coffer serve "$@"
