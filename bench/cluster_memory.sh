#!/usr/bin/env bash
# How much memory does one cluster's state cost a `vigil serve` (a JetStream worker holds the same
# per-cluster state: the dedup window, the attack-sequence window, the baselines)? One `vigil serve`
# with a SQLite store receives the same generated events (EVENTS per cluster) as each of N
# clusters in turn; after each step it prints the process's resident memory (VmRSS) and the growth
# per added cluster. A benchmark, not a test: it reports, it asserts nothing.
#
#   bench/cluster_memory.sh BUILD_DIR [EVENTS_PER_CLUSTER] [CLUSTER_COUNTS]
#
# EVENTS_PER_CLUSTER (default 20000, attack rate 0.02) posted as webhook bodies of 400 events;
# CLUSTER_COUNTS (default "1 8 32 128") the steps. Memory is machine-independent enough to quote
# as is (same binary, same allocator); the events per cluster and the rule set decide it.
set -euo pipefail
build=${1:?usage: bench/cluster_memory.sh BUILD_DIR [EVENTS_PER_CLUSTER] [CLUSTER_COUNTS]}
events=${2:-20000}
counts=${3:-1 8 32 128}
vigil="$build/src/cli/vigil"
gen=${VIGIL_GEN_AUDIT:-$build/bench/vigil_gen_audit}
for f in "$vigil" "$gen"; do [[ -x $f ]] || { echo "missing $f" >&2; exit 2; }; done

tmp=$(mktemp -d)
pid=
cleanup() { [[ -n $pid ]] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT

"$gen" --events "$events" --attack-rate 0.02 --seed 5 --format eventlist -o "$tmp/bodies.jsonl" 2>/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
max=$(tr ' ' '\n' <<<"$counts" | sort -n | tail -1)
cat >"$tmp/serve.yaml" <<YAML
listen: 127.0.0.1:$port
db: $tmp/vigil.db
limits: { max_clusters: $((max + 1)) }
YAML
"$vigil" serve -c "$tmp/serve.yaml" >"$tmp/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 300); do
  python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/healthz', timeout=1)" \
    2>/dev/null && break
  sleep 0.1
done
rss() { awk '/^VmRSS:/ {print $2}' "/proc/$pid/status"; }
post() {  # post FIRST LAST: every body to clusters cFIRST..cLAST
  python3 - "$tmp/bodies.jsonl" "$port" "$1" "$2" <<'PY'
import sys, http.client
bodies, port, first, last = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
lines = open(bodies).read().splitlines()
c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
for k in range(first, last + 1):
    for body in lines:
        c.request("POST", f"/k8s-audit?cluster=c{k}", body, {"Content-Type": "application/json"})
        r = c.getresponse(); r.read()
        if r.status != 200: raise SystemExit(f"serve answered {r.status}: {r.read()[:200]}")
PY
}
base=$(rss)
printf '%-9s %10s %16s\n' clusters "RSS MiB" "per cluster KiB"
printf '%-9s %10s %16s\n' 0 "$((base / 1024))" "-"
done_clusters=0
prev_rss=$base
for n in $counts; do
  post "$done_clusters" "$((n - 1))"
  now=$(rss)
  added=$((n - done_clusters))
  printf '%-9s %10s %16s\n' "$n" "$((now / 1024))" "$(( (now - prev_rss) / added ))"
  prev_rss=$now
  done_clusters=$n
done
echo "($events events per cluster; the per-cluster column is the growth since the previous step" \
  "divided by the clusters added; the first step includes one-time allocations)"
