#!/usr/bin/env bash
# How much does `vigil scan --db` cost with PostgreSQL instead of SQLite, and do several scans of
# the same file running at once into one PostgreSQL store leave exactly the findings one scan
# leaves? Checks the result (same ids and counts as SQLite) before quoting any time.
#
#   bench/pg_store.sh BUILD_DIR [EVENTS] [WORKERS]
#
# BUILD_DIR holds src/cli/vigil and tests/vigil_pg_server (a throwaway PostgreSQL server,
# tests/pg_server.h); vigil_gen_audit is taken from BUILD_DIR/bench or $VIGIL_GEN_AUDIT.
# EVENTS (default 200000) generated events with attack rate 0.02; WORKERS (default 4) parallel
# scans. Times are wall-clock seconds on whatever machine runs it: compare them within one run.
set -euo pipefail
build=${1:?usage: bench/pg_store.sh BUILD_DIR [EVENTS] [WORKERS]}
events=${2:-200000}
workers=${3:-4}
vigil="$build/src/cli/vigil"
pgserver="$build/tests/vigil_pg_server"
gen=${VIGIL_GEN_AUDIT:-$build/bench/vigil_gen_audit}
for f in "$vigil" "$pgserver" "$gen"; do [[ -x $f ]] || { echo "missing $f" >&2; exit 2; }; done

tmp=$(mktemp -d)
trap 'exec 3>&- 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$tmp"' EXIT
"$gen" --events "$events" --attack-rate 0.02 --seed 7 -o "$tmp/audit.jsonl"

# The server lives as long as our end of its stdin stays open (fd 3).
mkfifo "$tmp/in"
"$pgserver" bench bench_parallel <"$tmp/in" >"$tmp/url" 2>"$tmp/pg.log" &
exec 3>"$tmp/in"
for _ in $(seq 1 600); do [[ $(wc -l <"$tmp/url") -ge 2 ]] && break; sleep 0.1; done
url=$(sed -n 1p "$tmp/url")
url2=$(sed -n 2p "$tmp/url")
[[ $url == postgres://* ]] || { echo "no server: $(cat "$tmp/pg.log")" >&2; exit 1; }

scan() {  # scan DB: one `vigil scan --db DB`, prints wall seconds
  local start end rc=0
  start=$(date +%s.%N)
  "$vigil" scan --db "$1" --cluster bench --format json -o /dev/null "$tmp/audit.jsonl" \
    2>>"$tmp/scan.err" || rc=$?
  end=$(date +%s.%N)
  [[ $rc == 0 || $rc == 1 ]] || { echo "vigil scan exited $rc: $(tail -n 3 "$tmp/scan.err")" >&2; exit 1; }
  echo "$end - $start" | bc
}
listed() {  # listed DB: "id count" lines, sorted
  "$vigil" findings list --db "$1" --format json --limit 0 |
    python3 -c 'import json,sys
for l in sys.stdin:
    j=json.loads(l); print(j["id"], j["count"], j["first_seen"], j["last_seen"])' | sort
}

t_sqlite=$(scan "$tmp/vigil.db")
t_pg_first=$(scan "$url")
t_pg_again=$(scan "$url")
listed "$tmp/vigil.db" >"$tmp/sqlite.txt"
listed "$url" >"$tmp/pg.txt"
cmp -s "$tmp/sqlite.txt" "$tmp/pg.txt" || { echo "PostgreSQL differs from SQLite" >&2; diff "$tmp/sqlite.txt" "$tmp/pg.txt" | head >&2; exit 1; }

# WORKERS scans of the same file at once into the second, empty database.
start=$(date +%s.%N)
pids=()
for _ in $(seq 1 "$workers"); do
  "$vigil" scan --db "$url2" --cluster bench --format json -o /dev/null "$tmp/audit.jsonl" \
    2>>"$tmp/scan.err" & pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || [[ $? == 1 ]] || { echo "a parallel scan failed: $(tail -n 3 "$tmp/scan.err")" >&2; exit 1; }; done
end=$(date +%s.%N)
t_parallel=$(echo "$end - $start" | bc)
listed "$url2" >"$tmp/pg_parallel.txt"
cmp -s "$tmp/sqlite.txt" "$tmp/pg_parallel.txt" || { echo "parallel scans changed the findings" >&2; exit 1; }

findings=$(wc -l <"$tmp/sqlite.txt")
echo "events=$events findings=$findings"
echo "sqlite first scan:            ${t_sqlite}s"
echo "postgres first scan:          ${t_pg_first}s"
echo "postgres re-scan (no change): ${t_pg_again}s"
echo "postgres $workers scans at once into an empty store: ${t_parallel}s (findings identical to one SQLite scan)"
