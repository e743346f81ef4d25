#!/usr/bin/env bash
# What do attack sequences, baselines and a large threat list cost per event, compared with the
# rules alone? (issue 6; docs/anomalies.md)
#
# Runs `vigil scan --format json -o /dev/null` over one generated audit log in six
# configurations, alternating them so a noisy phase of a shared machine hits all, and prints the
# median time of each, events/s, and the extra nanoseconds per event over "rules":
#   rules       --no-sequences                        (the rules alone)
#   sequences   --sequences                           (attack sequences on)
#   intel       --no-sequences --threat-list big=...  (a list of --list-entries random addresses;
#                                                      loading 1,000,000 entries is timed apart,
#                                                      on an empty log)
#   baselines   --no-sequences --baselines            (learning; every event parsed in full)
#   geo         --no-sequences --geoip-db C --geoip-db A (GeoIP/ASN: a Country and an ASN database
#                                                      with a record for every generated caller,
#                                                      written by vigil_geo_lookup)
#   all         --baselines --threat-list big=...     (everything on)
# Then the threat-list lookup micro-benchmark (vigil_ip_lookup: 10 .. 1,000,000 entries, with
# and without labels) and the GeoIP lookup micro-benchmark (vigil_geo_lookup: uncached, cached).
# Results are checked (every configuration counts the generated number of events), timings are
# not. The last line is the report as JSON.
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: bench/analytics.sh [--build-dir DIR] [--no-build] [--size-mb N] [--reps N]
                          [--list-entries N] [--data-dir DIR]
  --build-dir DIR     build directory (default: $VIGIL_BUILD_DIR or ./build-bench)
  --no-build          use the binaries already built
  --size-mb N         size of the generated log (default 300)
  --reps N            runs per configuration, median reported (default 3)
  --list-entries N    entries in the threat list of the timed configurations (default 10000);
                      the time to load a 1,000,000-entry list is measured apart
  --data-dir DIR      where generated files are cached (default bench/data)
USAGE
}
die() { echo "bench/analytics.sh: $*" >&2; exit 1; }

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${VIGIL_BUILD_DIR:-$repo/build-bench}
data_dir=$repo/bench/data
build=1 size_mb=300 reps=3 entries=10000 big_entries=1000000
while [[ $# -gt 0 ]]; do
  case $1 in
    --build-dir) build_dir=${2:?}; shift ;;
    --no-build) build=0 ;;
    --size-mb) size_mb=${2:?}; shift ;;
    --reps) reps=${2:?}; shift ;;
    --list-entries) entries=${2:?}; shift ;;
    --data-dir) data_dir=${2:?}; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument '$1'" ;;
  esac
  shift
done
[[ $size_mb =~ ^[1-9][0-9]*$ && $reps =~ ^[1-9][0-9]*$ && $entries =~ ^[1-9][0-9]*$ ]] ||
  die "--size-mb, --reps and --list-entries take positive integers"
[[ -n ${EPOCHREALTIME:-} ]] || die "needs bash 5 (EPOCHREALTIME)"

if [[ $build == 1 ]]; then
  if [[ ! -f $build_dir/CMakeCache.txt ]]; then
    cmake -S "$repo" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DVIGIL_BUILD_TESTS=OFF >/dev/null
  fi
  cmake --build "$build_dir" -j "${BENCH_JOBS:-2}" --target vigil vigil_gen_audit vigil_ip_lookup vigil_geo_lookup >/dev/null ||
    die "build failed (cmake --build $build_dir --target vigil vigil_gen_audit vigil_ip_lookup vigil_geo_lookup)"
fi
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build_dir/CMakeCache.txt")
vigil=$build_dir/src/cli/vigil
gen=$build_dir/bench/vigil_gen_audit
lookup=$build_dir/bench/vigil_ip_lookup
geo_lookup=$build_dir/bench/vigil_geo_lookup
[[ -x $vigil && -x $gen && -x $lookup && -x $geo_lookup ]] || die "missing binaries in $build_dir"

mkdir -p "$data_dir"
log=$data_dir/analytics-${size_mb}mb.jsonl
if [[ ! -f $log || ! -f $log.events ]]; then
  echo "bench/analytics.sh: generating $log" >&2
  "$gen" --megabytes "$size_mb" --seed 42 -o "$log.tmp" 2>"$log.gen" || die "generator failed"
  mv "$log.tmp" "$log"
  sed -n 's/.* events=\([0-9]*\) .*/\1/p' "$log.gen" >"$log.events"
fi
events=$(cat "$log.events")
[[ -n $events ]] || die "cannot read the event count of $log"
write_list() {  # write_list N -> path
  local path=$data_dir/threat-list-$1.txt
  if [[ ! -f $path ]]; then
    echo "bench/analytics.sh: writing $path" >&2
    awk -v n="$1" 'BEGIN { srand(42); for (i = 0; i < n; i++)
      printf "%d.%d.%d.%d\n", 1 + int(rand() * 222), int(rand() * 256), int(rand() * 256), int(rand() * 256) }' >"$path"
  fi
  echo "$path"
}
list=$(write_list "$entries")
big_list=$(write_list "$big_entries")

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$geo_lookup" "$tmp" 20000 >/dev/null || die "vigil_geo_lookup failed to write the bench databases"
names=(rules sequences intel baselines geo all)
args_for() {
  case $1 in
    rules) echo "--no-sequences" ;;
    sequences) echo "--sequences" ;;
    intel) echo "--no-sequences --threat-list big=$list" ;;
    baselines) echo "--no-sequences --baselines" ;;
    geo) echo "--no-sequences --geoip-db $tmp/bench-country.mmdb --geoip-db $tmp/bench-asn.mmdb" ;;
    all) echo "--sequences --baselines --threat-list big=$list" ;;
  esac
}
declare -A secs
for ((r = 0; r < reps; r++)); do
  for name in "${names[@]}"; do
    # shellcheck disable=SC2046
    start=$EPOCHREALTIME
    "$vigil" scan --format json -o /dev/null --no-progress $(args_for "$name") "$log" 2>"$tmp/err" || {
      rc=$?; [[ $rc == 3 ]] || die "$name: vigil scan exited $rc: $(tail -n 3 "$tmp/err")"; }
    end=$EPOCHREALTIME
    got=$(grep -oE '^vigil: [0-9]+ events' "$tmp/err" | grep -oE '[0-9]+' | head -n1)
    [[ $got == "$events" ]] || die "$name: vigil counted '$got' events, the generator wrote $events"
    secs[$name]+="$(awk -v s="$start" -v e="$end" 'BEGIN {printf "%.4f", e - s}') "
  done
done
median() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
: >"$tmp/empty.jsonl"
load_secs=""
for ((r = 0; r < reps; r++)); do
  start=$EPOCHREALTIME
  "$vigil" scan --format json -o /dev/null --no-progress --threat-list "big=$big_list" "$tmp/empty.jsonl" 2>/dev/null
  end=$EPOCHREALTIME
  load_secs+="$(awk -v s="$start" -v e="$end" 'BEGIN {printf "%.4f", e - s}') "
done
load=$(median "$load_secs")

echo "vigil scan over $log ($events events, $build_type build, median of $reps)"
base=$(median "${secs[rules]}")
json="{\"bench\":\"analytics\",\"events\":$events,\"build\":\"$build_type\",\"reps\":$reps,\"list_entries\":$entries,\"load_seconds_${big_entries}_entries\":$load,\"configs\":["
first=1
for name in "${names[@]}"; do
  s=$(median "${secs[$name]}")
  eps=$(awk -v n="$events" -v s="$s" 'BEGIN {printf "%.0f", n / s}')
  extra=$(awk -v n="$events" -v s="$s" -v b="$base" 'BEGIN {printf "%.1f", (s - b) * 1e9 / n}')
  printf '  %-10s %8.3f s  %10s events/s  %+8s ns/event vs rules   (%s)\n' "$name" "$s" "$eps" "$extra" "$(args_for "$name" | sed "s|$list|LIST|; s|$tmp/||g")"
  [[ $first == 1 ]] || json+=","
  first=0
  json+="{\"name\":\"$name\",\"seconds\":$s,\"events_per_second\":$eps,\"extra_ns_per_event\":$extra}"
done
json+="]}"
echo "loading a $big_entries-entry threat list (vigil scan of an empty log): $load s"
echo "threat-list lookups (vigil_ip_lookup):"
"$lookup" | sed 's/^/  /'
echo "GeoIP lookups (vigil_geo_lookup):"
"$geo_lookup" "$tmp" | sed 's/^/  /'
echo "$json"
