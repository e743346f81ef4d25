#!/usr/bin/env bash
# The console's API latency with N findings (default 100,000) in a real SQLite store behind a real
# `vigil serve` on loopback. Prints p50/p95/max per request and the console's load time
# (bench/README.md "Console"). With --paint, also the time to first useful paint of the findings
# list in headless Chromium (web/e2e/paint.bench.mjs; needs /usr/bin/chromium and `npm ci` in
# web/e2e, which scripts/install-deps.sh --tests does); --paint-only skips the API timings.
# Usage: bench/console_latency.sh [--findings N] [--build-dir DIR] [--paint|--paint-only] [--runs R]
set -euo pipefail
cd "$(dirname "$0")/.."
n=100000
build=build
paint=0
query=1
runs=10
while [ $# -gt 0 ]; do
  case "$1" in
    --findings) n="$2"; shift 2 ;;
    --build-dir) build="$2"; shift 2 ;;
    --paint) paint=1; shift ;;
    --paint-only) paint=1; query=0; shift ;;
    --runs) runs="$2"; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
work=$(mktemp -d)
trap 'if [ -n "${pid:-}" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi; rm -rf "$work"' EXIT
token=bench-$RANDOM$RANDOM
echo "$token admin bench" > "$work/api.tokens"
"$build/bench/vigil_console_bench" fill "$work/vigil.db" "$n"
"$build/src/cli/vigil" serve --listen 127.0.0.1:0 --db "$work/vigil.db" \
  --api-token-file "$work/api.tokens" 2> "$work/serve.log" &
pid=$!
port=""
for _ in $(seq 1 300); do
  port=$(sed -n 's/.*listening on [^ ]*:\([0-9][0-9]*\) .*/\1/p' "$work/serve.log" 2>/dev/null | head -1 || true)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { cat "$work/serve.log"; exit 1; }
echo "vigil serve on port $port with $n findings ($(nproc) CPUs, $(uptime | sed 's/.*load average: //') load)"
if [ "$query" -eq 1 ]; then "$build/bench/vigil_console_bench" query "$port" "$token"; fi
if [ "$paint" -eq 1 ]; then node web/e2e/paint.bench.mjs "http://127.0.0.1:$port" "$work/api.tokens" "$runs"; fi
