#!/usr/bin/env bash
# jetstream_load.sh: how many audit events per second does `vigil serve` as a JetStream front
# publish (every event acknowledged by JetStream before the 200) from concurrent loopback webhook
# clients, and how fast does one worker then drain that stream into a fresh store? A benchmark,
# not a test: it reports, it asserts nothing about speed.
#
#   bench/jetstream_load.sh [--build-dir DIR] [--events N] [--seconds S] [--connections N]
#
# Needs nats-server, and vigil, vigil_gen_audit and vigil_serve_load built in the build dir. One
# nats-server node (file storage in a temporary directory), stream replicas 1.
set -euo pipefail

build_dir=build
events=200000
seconds=10
conns=4
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build_dir=$2; shift 2 ;;
    --events) events=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --connections) conns=$2; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "jetstream_load.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
vigil=$build_dir/src/cli/vigil
gen=$build_dir/bench/vigil_gen_audit
client=$build_dir/bench/vigil_serve_load
nats=$(command -v nats-server || echo /usr/sbin/nats-server)
for b in "$vigil" "$gen" "$client" "$nats"; do
  [ -x "$b" ] || { echo "jetstream_load.sh: $b is missing" >&2; exit 2; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/vigil-js-load-XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
batches=$work/batches.jsonl
"$gen" --events "$events" --format eventlist -o "$batches" >/dev/null 2>&1

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$nats" -a 127.0.0.1 -p "$port" -js -sd "$work/nats" >"$work/nats.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 250); do (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.02; done

# start_serve NAME ROLE: starts vigil serve; its HTTP port is left in $served_port.
start_serve() {
  local name=$1 role=$2
  printf 'listen: 127.0.0.1:0\ndb: %s\njetstream:\n  role: %s\n  urls: nats://127.0.0.1:%s\n' \
    "$work/$name.db" "$role" "$port" >"$work/$name.yaml"
  "$vigil" serve -c "$work/$name.yaml" 2>"$work/$name.log" &
  pids+=($!)
  local p=""
  for _ in $(seq 1 500); do
    p=$(sed -n 's/.*listening on [^ ]*:\([0-9]*\) .*/\1/p' "$work/$name.log" | head -1)
    [ -n "$p" ] && break
    sleep 0.02
  done
  [ -n "$p" ] || { echo "vigil serve ($name) did not start:" >&2; cat "$work/$name.log" >&2; exit 1; }
  served_port=$p
}
metric_sum() {  # metric_sum PORT FAMILY
  curl -s "http://127.0.0.1:$1/metrics" | awk -v f="$2" 'index($0, f) == 1 {s += $NF} END {printf "%d\n", s}'
}

start_serve front front
front=$served_port
echo "# vigil JetStream front: $(nproc) cores, $(wc -l <"$batches") batches of up to 400 events, ${seconds}s, $conns connections"
echo "{\"run\":\"front\",\"client\":$("$client" --port "$front" --batches "$batches" --connections "$conns" --seconds "$seconds")}"
stored=$(metric_sum "$front" vigil_jetstream_published_total)
start_serve worker worker
worker=$served_port
start=$(date +%s.%N)
while [ "$(metric_sum "$worker" vigil_jetstream_messages_total)" -lt "$stored" ]; do sleep 0.1; done
end=$(date +%s.%N)
python3 -c "import sys; n=$stored; t=$end-$start; print('{\"run\":\"worker_drain\",\"events\":%d,\"seconds\":%.2f,\"events_per_second\":%.0f}' % (n, t, n/t))"
