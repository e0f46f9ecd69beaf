#!/usr/bin/env bash
# Install everything sluice needs on Debian 12, build it, and run the main job
# on a generated sample.  Idempotent: re-running skips what is already there.
#   scripts/setup.sh          install + build + demo
#   scripts/setup.sh --deps   install dependencies only (used by scripts/test.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
DEPS_ONLY=0
[ "${1:-}" = "--deps" ] && DEPS_ONLY=1

APT_PKGS="build-essential pkg-config clang libclang-rt-14-dev zlib1g-dev libzstd-dev liblz4-dev libsnappy-dev libbrotli-dev libsqlite3-dev sqlite3 libmicrohttpd-dev chromium wrk nodejs npm"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"

missing=""
for p in $APT_PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# nodejs may come from elsewhere (e.g. a preinstalled node); accept a working node+npm
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
    missing=$(echo "$missing" | tr ' ' '\n' | grep -vx -e nodejs -e npm | tr '\n' ' ')
fi
if [ -n "$(echo "$missing" | tr -d ' ')" ]; then
    echo "setup: installing Debian packages:$missing"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi

if [ ! -d tests/oracle/node_modules/@duckdb/node-api ]; then
    echo "setup: installing the DuckDB oracle and test tooling from npm (tests/oracle)"
    # npm ci rejects this lock on npm 11 (optional per-platform packages of
    # @duckdb/node-bindings are left out of it), so install from it without saving
    (cd tests/oracle && npm install --no-save --no-audit --no-fund --loglevel=error)
fi
[ "$DEPS_ONLY" = 1 ] && exit 0

echo "setup: building sluice (make)"
make -s -j"$(nproc)" >/dev/null
exec scripts/demo.sh
