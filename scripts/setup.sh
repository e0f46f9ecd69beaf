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

APT_PKGS="build-essential pkg-config clang libclang-rt-14-dev zlib1g-dev libzstd-dev liblz4-dev libsnappy-dev libbrotli-dev libsqlite3-dev sqlite3 libmicrohttpd-dev libyaml-dev chromium wrk nodejs npm"
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

# npm packages, each directory from its package-lock.json: tests/oracle (the DuckDB
# oracle, playwright-core for the browser test, which drives Debian's chromium and never
# downloads a browser) and web/ (the dashboard's chart library, embedded by make).
# npm_missing prints every direct dependency of the lock that node_modules lacks or has
# at another version.  npm ci rejects the oracle's lock on npm 11 (optional per-platform
# packages of @duckdb/node-bindings are left out of it), so install from it without saving.
npm_missing() {
    node -e '
        const fs = require("fs"), dir = process.argv[1];
        const lock = JSON.parse(fs.readFileSync(dir + "/package-lock.json", "utf8"));
        for (const name of Object.keys(lock.packages[""].dependencies || {})) {
            const want = (lock.packages["node_modules/" + name] || {}).version;
            let have = null;
            try { have = JSON.parse(fs.readFileSync(dir + "/node_modules/" + name + "/package.json", "utf8")).version; } catch (e) {}
            if (have !== want) console.log(name + "@" + want);
        }' "$1"
}
for dir in tests/oracle web; do
    need=$(npm_missing "$dir")
    if [ -n "$need" ]; then
        echo "setup: installing npm packages in $dir:" $need
        (cd "$dir" && npm install --no-save --no-audit --no-fund --loglevel=error)
        need=$(npm_missing "$dir")
        [ -z "$need" ] || { echo "setup: npm install in $dir left out:" $need >&2; exit 1; }
    fi
done
[ "$DEPS_ONLY" = 1 ] && exit 0

echo "setup: building sluice (make)"
make -s -j"$(nproc)" >/dev/null
exec scripts/demo.sh
