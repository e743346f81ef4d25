#!/usr/bin/env bash
# `vigil serve` on the example data, so the console has something to show: stores the demo
# snapshot's control results (examples/snapshots/demo), starts vigil serve on loopback, posts the
# example audit log (examples/audit/example.jsonl.gz, 4,000 events with a handful of attacks) to
# its webhook as cluster "example", and prints the console's address. Ctrl-C stops it.
#
#   scripts/run-console-example.sh            serve on 127.0.0.1:8765 (VIGIL_LISTEN to change)
#   scripts/run-console-example.sh --check    the same on a free port; checks the console is
#                                             populated, then stops (the test `console_example`)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${VIGIL_BUILD_DIR:-build}
vigil=$build/src/cli/vigil
if [ ! -x "$vigil" ]; then
  VIGIL_BUILD_DIR=$build ./scripts/build.sh -DVIGIL_BUILD_TESTS=OFF -DVIGIL_BUILD_BENCH=OFF
fi
check=0
listen=${VIGIL_LISTEN:-127.0.0.1:8765}
if [ "${1:-}" = "--check" ]; then
  check=1
  listen=127.0.0.1:0
fi
work=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
db=$work/vigil.db

# Control results (GuardDuty.5 and its siblings) from the bundled AWS snapshot; failing controls
# make the exit code 3, which is expected here.
rc=0
"$vigil" controls check --snapshot examples/snapshots/demo --db "$db" --format json \
  -o "$work/controls.json" || rc=$?
if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then echo "controls check failed ($rc)" >&2; exit 1; fi

"$vigil" serve --listen "$listen" --db "$db" 2> "$work/serve.log" &
pid=$!
port=""
for _ in $(seq 1 300); do
  port=$(sed -n 's/.*listening on [^ ]*:\([0-9][0-9]*\) .*/\1/p' "$work/serve.log" 2>/dev/null | head -1 || true)
  [ -n "$port" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
  sleep 0.1
done
[ -n "$port" ] || { cat "$work/serve.log" >&2; exit 1; }
base="http://127.0.0.1:$port"

python3 - "$base" "$check" <<'PY'
import json, sys, urllib.request
base, check = sys.argv[1], sys.argv[2] == "1"
with open("examples/audit/example.jsonl.gz", "rb") as f:
    body = f.read()
req = urllib.request.Request(base + "/k8s-audit?cluster=example", data=body, method="POST")
with urllib.request.urlopen(req) as r:
    print("webhook:", r.read().decode())
if check:
    with urllib.request.urlopen(base + "/") as r:
        assert r.status == 200 and "default-src 'self'" in r.headers["Content-Security-Policy"]
    with urllib.request.urlopen(base + "/api/v1/stats/overview") as r:
        o = json.load(r)
    assert o["total"] > 0, o
    assert any(c["cluster"] == "example" for c in o["clusters"]), o["clusters"]
    with urllib.request.urlopen(base + "/api/v1/controls/matrix") as r:
        m = json.load(r)
    assert m["cells"], m
    print(f"console populated: {o['total']} findings, {len(m['cells'])} control results")
PY

if [ "$check" -eq 1 ]; then exit 0; fi
echo
echo "The console: $base/   (no token needed on loopback without --api-token-file; Ctrl-C stops)"
wait "$pid"
