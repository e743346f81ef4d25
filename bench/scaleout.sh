#!/usr/bin/env bash
# Scale-out on one machine (docs/scale-out.md): how many audit events per second do 1, 2 and 3
# `vigil serve` workers commit from JetStream into one PostgreSQL store, how long does an event take
# from the webhook front to its committed finding (p50/p99), and how far behind do the consumers
# fall under a burst? Checks the result first: the workers' findings must equal one `vigil scan`
# of the same events (ids and counts), or no number is quoted.
#
#   bench/scaleout.sh BUILD_DIR [EVENTS] [CLUSTERS] [WORKER_COUNTS]
#
# BUILD_DIR holds src/cli/vigil, tests/vigil_pg_server (a throwaway PostgreSQL server) and
# bench/vigil_gen_audit. EVENTS (default 200000) generated events, spread over CLUSTERS (default 6)
# clusters; WORKER_COUNTS (default "1 2 3"). One nats-server node with JetStream (file storage) on
# a loopback port. Everything runs on this machine: with 2 cores, the front, NATS, PostgreSQL and
# the workers share them, which is what limits the numbers (see the closing report).
set -euo pipefail
build=${1:?usage: bench/scaleout.sh BUILD_DIR [EVENTS] [CLUSTERS] [WORKER_COUNTS]}
events=${2:-200000}
clusters=${3:-6}
counts=${4:-1 2 3}
vigil="$(realpath "$build/src/cli/vigil")"
pgserver="$build/tests/vigil_pg_server"
gen=${VIGIL_GEN_AUDIT:-$build/bench/vigil_gen_audit}
nats=$(command -v nats-server || echo /usr/sbin/nats-server)
for f in "$vigil" "$pgserver" "$gen" "$nats"; do [[ -x $f ]] || { echo "missing $f" >&2; exit 2; }; done

tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  exec 3>&- 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() {  # wait_http PORT: until /healthz answers
  for _ in $(seq 1 300); do
    python3 - "$1" <<'PY' 2>/dev/null && return 0
import sys, urllib.request
urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/healthz", timeout=1)
PY
    sleep 0.1
  done
  echo "nothing answers on port $1" >&2; return 1
}

"$gen" --events "$events" --attack-rate 0.02 --seed 11 --format eventlist -o "$tmp/bodies.jsonl"
steady_events=$((events / 5))
"$gen" --events "$steady_events" --attack-rate 0.02 --seed 12 --format eventlist -o "$tmp/steady.jsonl"
echo "corpus: $events events in $(wc -l <"$tmp/bodies.jsonl") webhook bodies over $clusters clusters," \
  "then $steady_events at a steady rate"

# The reference: one process, the same events, each body under the cluster the bench sends it as.
python3 - "$tmp/bodies.jsonl" "$clusters" "$tmp" <<'PY'
import sys
bodies, clusters, tmp = sys.argv[1], int(sys.argv[2]), sys.argv[3]
outs = [open(f"{tmp}/ref-c{i}.jsonl", "w") for i in range(clusters)]
for n, line in enumerate(open(bodies)):
    outs[n % clusters].write(line)
for n, line in enumerate(open(f"{tmp}/steady.jsonl")):
    outs[n % clusters].write(line)
PY
cat >"$tmp/steady.py" <<'PY'
# steady.py BODIES CLUSTERS PORT EVENTS_PER_SECOND: posts the bodies (400 events each) at that rate.
import sys, time, http.client
bodies, clusters, port, rate = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
t0 = time.time(); sent = 0
for n, body in enumerate(open(bodies).read().splitlines()):
    due = t0 + sent / rate
    if due > time.time(): time.sleep(due - time.time())
    c.request("POST", f"/k8s-audit?cluster=c{n % clusters}", body, {"Content-Type": "application/json"})
    r = c.getresponse(); r.read()
    if r.status != 200: raise SystemExit(f"front answered {r.status}")
    sent += body.count('"auditID"')
PY
cat >"$tmp/monitor.py" <<'PY'
# monitor.py drain TOTAL FRONT_PORT WORKER_PORT...: waits until the workers acknowledged TOTAL
#   messages; prints "seconds_from_first_ack_to_last peak_lag".
# monitor.py snapshot FRONT_PORT WORKER_PORT...: the histograms now, as JSON.
# monitor.py latency BEFORE.json FRONT_PORT WORKER_PORT...: p50/p99 (ms) of the histograms' growth
#   since BEFORE: "webhook_p50 webhook_p99 commit_p50 commit_p99".
import sys, time, json, re, urllib.request
def scrape(p):
    try:
        return urllib.request.urlopen(f"http://127.0.0.1:{p}/metrics", timeout=5).read().decode()
    except Exception:
        return ""
def total(text, family, **labels):
    out = 0.0
    for lab, v in re.findall(r'^' + family + r'(?:\{([^}]*)\})? (\S+)$', text, re.M):
        if all(f'{k}="{v2}"' in (lab or "") for k, v2 in labels.items()): out += float(v)
    return out
def hist(texts, family, **labels):
    h = {}
    for t in texts:
        for lab, v in re.findall(r'^' + family + r'_bucket\{([^}]*)\} (\S+)$', t, re.M):
            if not all(f'{k}="{v2}"' in lab for k, v2 in labels.items()): continue
            le = re.search(r'le="([^"]+)"', lab).group(1)
            h[le] = h.get(le, 0) + float(v)
    return h
def snapshot(front, workers):
    return {"webhook": hist([scrape(front)], "vigil_webhook_request_seconds", code="200"),
            "commit": hist([scrape(p) for p in workers], "vigil_jetstream_commit_latency_seconds")}
def quantile(h, q):
    n = h.get("+Inf", 0)
    for le, v in sorted(((float(k), v) for k, v in h.items() if k != "+Inf")):
        if n and v >= q * n: return f"{le * 1000:g}"
    return ">max"
mode = sys.argv[1]
if mode == "drain":
    want, workers = int(sys.argv[2]), sys.argv[4:]
    peak = 0.0; first = None; start = time.time()
    while True:
        texts = [scrape(p) for p in workers]
        acked = sum(total(t, "vigil_jetstream_messages_total", result="acked") for t in texts)
        peak = max(peak, sum(total(t, "vigil_jetstream_consumer_lag") for t in texts))
        if acked > 0 and first is None: first = time.time()
        if acked >= want: break
        if time.time() - start > 1800: raise SystemExit("not drained in 30 min")
        time.sleep(0.05)
    print(f"{time.time() - first:.2f} {peak:.0f}")
elif mode == "snapshot":
    print(json.dumps(snapshot(sys.argv[2], sys.argv[3:])))
else:
    before = json.load(open(sys.argv[2])); now = snapshot(sys.argv[3], sys.argv[4:])
    d = {k: {le: v - before[k].get(le, 0) for le, v in now[k].items()} for k in now}
    print(quantile(d["webhook"], 0.5), quantile(d["webhook"], 0.99),
          quantile(d["commit"], 0.5), quantile(d["commit"], 0.99))
PY
mkfifo "$tmp/in"
"$pgserver" ref $(for w in $counts; do echo "run$w"; done) <"$tmp/in" >"$tmp/urls" 2>"$tmp/pg.log" &
pids+=($!)
exec 3>"$tmp/in"
want=$((1 + $(wc -w <<<"$counts")))
for _ in $(seq 1 600); do [[ $(wc -l <"$tmp/urls") -ge $want ]] && break; sleep 0.1; done
[[ $(sed -n 1p "$tmp/urls") == postgres://* ]] || { echo "no PostgreSQL: $(cat "$tmp/pg.log")" >&2; exit 1; }
ref_url=$(sed -n 1p "$tmp/urls")
# The same-run yardsticks: one `vigil scan` process per cluster, into PostgreSQL (the reference
# findings) and into SQLite, timed. The machine is shared and noisy: the workers' rates are quoted
# as ratios to these.
scan_all() {  # scan_all DB: wall seconds for scanning every cluster's events into DB
  local start end
  start=$(date +%s.%N)
  for i in $(seq 0 $((clusters - 1))); do
    "$vigil" scan --db "$1" --cluster "c$i" --format json -o /dev/null "$tmp/ref-c$i.jsonl" || [[ $? == 1 || $? == 3 ]]
  done
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}
all_events=$((events + steady_events))
t_pg=$(scan_all "$ref_url")
t_sqlite=$(scan_all "$tmp/ref.db")
scan_pg_rate=$(python3 -c "print(int($all_events / $t_pg))")
scan_sqlite_rate=$(python3 -c "print(int($all_events / $t_sqlite))")
echo "vigil scan, one process: $scan_sqlite_rate events/s into SQLite, $scan_pg_rate into PostgreSQL"

# findings_of URL: "id count" lines, sorted. Attack sequences by the total of their counts, as the
# tests compare them: a sequence's id is fixed when it first qualifies, so it depends on the order
# in which events arrive, and every event adds to exactly one sequence's count in any order.
findings_of() {
  "$vigil" findings list --db "$1" --limit 0 --format json |
    python3 -c 'import sys,json
seq = 0
for l in sys.stdin:
    f = json.loads(l)
    if f["type"].startswith("Control:"): continue  # KubeAudit.4 delivery checks: serve only
    if f["type"].startswith("AttackSequence:"): seq += f["count"]
    else: print(f["id"], f["count"], f["type"])
print("attack-sequences-total", seq)' | sort
}
findings_of "$ref_url" >"$tmp/ref.findings"
echo "reference (vigil scan): $(wc -l <"$tmp/ref.findings") lines (one per finding, attack sequences as one total)"

printf '\n%-8s %10s %9s %8s %10s %14s %14s %10s %s\n' workers events/s "÷scan-pg" drain_s peak_lag \
  "webhook p50/99" "commit p50/99" "worker RSS" "findings (lines)"
run=1
for w in $counts; do
  run=$((run + 1))
  url=$(sed -n "${run}p" "$tmp/urls")
  dir="$tmp/run$w"; mkdir -p "$dir"
  nport=$(free_port)
  "$nats" -js -sd "$dir/js" -a 127.0.0.1 -p "$nport" >"$dir/nats.log" 2>&1 &
  pids+=($!)
  fport=$(free_port)
  cat >"$dir/front.yaml" <<YAML
listen: 127.0.0.1:$fport
db: $dir/front.db
limits: { max_clusters: 64 }
jetstream: { role: front, urls: ["nats://127.0.0.1:$nport"], replicas: 1 }
YAML
  "$vigil" serve -c "$dir/front.yaml" >"$dir/front.log" 2>&1 &
  pids+=($!)
  wait_http "$fport"
  # The burst: every body into the stream first (workers not running yet), so the workers then
  # drain a full backlog — their throughput — while the lag falls from its peak.
  python3 - "$tmp/bodies.jsonl" "$clusters" "$fport" <<'PY'
import sys, http.client, threading
bodies, clusters, port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
lines = open(bodies).read().splitlines()
def send(part):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for n, body in part:
        for attempt in range(50):
            c.request("POST", f"/k8s-audit?cluster=c{n % clusters}", body, {"Content-Type": "application/json"})
            r = c.getresponse(); r.read()
            if r.status == 200: break
        else:
            raise SystemExit(f"front kept refusing: {r.status}")
ts = [threading.Thread(target=send, args=([(n, b) for n, b in enumerate(lines) if n % 4 == k],)) for k in range(4)]
[t.start() for t in ts]; [t.join() for t in ts]
PY
  start=$(date +%s.%N)
  wports=()
  wpids=()
  for k in $(seq 1 "$w"); do
    p=$(free_port); wports+=("$p")
    cat >"$dir/worker$k.yaml" <<YAML
listen: 127.0.0.1:$p
db: $url
limits: { max_clusters: 64 }
jetstream: { role: worker, urls: ["nats://127.0.0.1:$nport"], replicas: 1, worker_id: w$k }
YAML
    "$vigil" serve -c "$dir/worker$k.yaml" >"$dir/worker$k.log" 2>&1 &
    pids+=($!)
    wpids+=($!)
  done
  # Drained: every event acknowledged after its commit. Throughput counts from the first
  # acknowledgement (process start and lease taking left out) to the last.
  python3 "$tmp/monitor.py" drain "$events" "$fport" "${wports[@]}" >"$dir/result"
  read -r drain peak <"$dir/result"
  # Latency: a second corpus at a steady rate the workers keep up with (half the drain rate),
  # then the histograms' growth over that phase: webhook request (front, ends with JetStream's
  # acknowledgement) and stream-to-commit (workers).
  python3 "$tmp/monitor.py" snapshot "$fport" "${wports[@]}" >"$dir/before.json"
  rate=$(python3 -c "print(max(500, int($events / $drain / 2)))")
  python3 "$tmp/steady.py" "$tmp/steady.jsonl" "$clusters" "$fport" "$rate"
  python3 "$tmp/monitor.py" drain "$((events + steady_events))" "$fport" "${wports[@]}" >/dev/null
  python3 "$tmp/monitor.py" latency "$dir/before.json" "$fport" "${wports[@]}" >"$dir/latency"
  read -r w50 w99 c50 c99 <"$dir/latency"
  findings_of "$url" >"$dir/findings"
  if ! cmp -s "$tmp/ref.findings" "$dir/findings"; then
    echo "workers=$w: findings differ from vigil scan:" >&2
    diff "$tmp/ref.findings" "$dir/findings" | head >&2
    exit 1
  fi
  # Peak resident memory of the largest worker (each owns about CLUSTERS/WORKERS clusters).
  rss=0
  for p in "${wpids[@]}"; do
    kb=$(awk '/^VmHWM:/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
    (( kb > rss )) && rss=$kb
  done
  rate=$(python3 -c "print(int($events / $drain))")
  printf '%-8s %10s %9s %8s %10s %14s %14s %10s %s\n' "$w" "$rate" \
    "$(python3 -c "print(f'{$rate / $scan_pg_rate:.2f}')")" "$drain" \
    "$peak" "${w50}/${w99} ms" "${c50}/${c99} ms" "$((rss / 1024)) MiB" "$(wc -l <"$dir/findings") (= scan)"
  for p in "${pids[@]:1}"; do kill "$p" 2>/dev/null || true; done
  wait "${pids[@]:1}" 2>/dev/null || true
  pids=("${pids[0]}")
done
