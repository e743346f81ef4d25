#!/usr/bin/env bash
# serve_load.sh: how many audit events per second does `vigil serve` commit from concurrent
# loopback webhook clients posting EventList batches of 400, how long does a batch wait for its
# 200 (p50/p99), and how much memory does vigil hold (peak RSS) — at a sustainable load and under
# overload? A benchmark, not a test: it reports, it asserts nothing about speed.
#
#   bench/serve_load.sh [--build-dir DIR] [--events N] [--seconds S] [--connections "1 4 8"]
#                       [--overload-connections N] [--data-dir DIR]
#
# Needs vigil, vigil_gen_audit and vigil_serve_load built in the build dir (RelWithDebInfo or
# Release). Each run starts a fresh `vigil serve` (built-in catalog, a new SQLite store with
# synchronous=FULL) on 127.0.0.1 with an ephemeral port.
set -euo pipefail

build_dir=build
events=400000
seconds=10
connections="1 4 8"
overload=64
data_dir=bench/data
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build_dir=$2; shift 2 ;;
    --events) events=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --overload-connections) overload=$2; shift 2 ;;
    --data-dir) data_dir=$2; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "serve_load.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

vigil=$build_dir/src/cli/vigil
gen=$build_dir/bench/vigil_gen_audit
client=$build_dir/bench/vigil_serve_load
for b in "$vigil" "$gen" "$client"; do
  [ -x "$b" ] || { echo "serve_load.sh: $b is not built (ninja -C $build_dir vigil vigil_gen_audit vigil_serve_load)" >&2; exit 2; }
done
mkdir -p "$data_dir"
batches=$data_dir/serve_batches_${events}.jsonl
[ -s "$batches" ] || "$gen" --events "$events" --format eventlist -o "$batches" >/dev/null 2>&1
work=$(mktemp -d "${TMPDIR:-/tmp}/vigil-serve-load-XXXXXX")
trap 'rm -rf "$work"' EXIT

# run_one LABEL CONNECTIONS [extra serve flags...]
run_one() {
  local label=$1 conns=$2; shift 2
  local db=$work/$label.db log=$work/$label.log
  rm -f "$db"*
  "$vigil" serve --listen 127.0.0.1:0 --db "$db" "$@" 2>"$log" &
  local pid=$!
  local port=""
  for _ in $(seq 1 500); do
    port=$(sed -n 's/.*listening on [^ ]*:\([0-9]*\) .*/\1/p' "$log" | head -1)
    [ -n "$port" ] && break
    sleep 0.02
  done
  [ -n "$port" ] || { echo "vigil serve did not start:" >&2; cat "$log" >&2; kill "$pid"; exit 1; }
  local result
  result=$("$client" --port "$port" --batches "$batches" --connections "$conns" --seconds "$seconds")
  local hwm
  hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
  kill -TERM "$pid"
  wait "$pid" || true
  echo "{\"run\":\"$label\",\"peak_rss_kib\":$hwm,\"client\":$result}"
}

echo "# vigil serve load: $(nproc) cores, $(wc -l <"$batches") batches of up to 400 events, ${seconds}s per run"
for c in $connections; do
  run_one "c$c" "$c"
done
# Overload: many more clients than the pipeline keeps up with, and a small queue; vigil should
# answer 429 (clients retry) and its memory should stay flat.
run_one "overload$overload" "$overload" --config <(printf 'limits:\n  queue_batches: 8\n  http_threads: 16\n')
