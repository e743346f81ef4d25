#!/usr/bin/env bash
# End-to-end benchmark: how close does `vigil scan`, with its built-in catalog plus Falco's
# k8s-audit ruleset, come to the JSON-parse floor of the same file on the same machine, and does
# its peak memory stay flat as the input grows? See bench/README.md.
#
# It builds vigil_gen_audit, vigil_parse_floor and vigil with scripts/build-release.sh (Release,
# profile-guided; --no-pgo for a plain build) in ./build-bench or --build-dir, generates a
# >= 300 MB audit log and one 4x smaller (cached in bench/data/), then prints in one run: (a) the
# simdjson On-Demand floor (6 fields per event, one thread), (b) vigil scan throughput, (c) their
# ratio, and vigil's peak RSS at both sizes. Every figure is the median of
# --reps runs; floor and vigil runs alternate so a noisy phase of a shared machine hits both.
# The last line of output is the same report as one JSON object.
#
# Results are validated, timings are not: the script fails if the floor or vigil see a different
# number of events than were generated, never because a target was missed.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: bench/run.sh [--quick] [--build-dir DIR] [--no-build] [--reps N] [--size-mb N]
                    [--seed S] [--data-dir DIR] [--json-out FILE] [--require-vigil]
                    [--allow-non-release] [--no-pgo]
  --quick              small files (20 MB and 5 MB) and one repetition: checks that everything
                       still runs and agrees (what CI runs); the numbers mean little
  --build-dir DIR      build directory to use (default: $VIGIL_BUILD_DIR or ./build-bench);
                       built with scripts/build-release.sh (Release, profile-guided)
  --no-build           do not (re)build; use the binaries already in the build directory
  --no-pgo             build without profile-guided optimisation (a plain Release build)
  --reps N             runs per measurement, median reported (default 5; 1 with --quick)
  --size-mb N          size of the large file in MB (default 300; 20 with --quick);
                       the small file is a quarter of it
  --seed S             generator seed (default 42)
  --data-dir DIR       where generated files are cached (default bench/data)
  --json-out FILE      also write the JSON report to FILE
  --require-vigil      fail if the vigil binary does not exist (default: report and go on)
  --allow-non-release  accept a build directory that is not CMAKE_BUILD_TYPE=Release
EOF
}

die() {
  echo "bench/run.sh: $*" >&2
  exit 1
}

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${VIGIL_BUILD_DIR:-$repo/build-bench}
data_dir=$repo/bench/data
quick=0 build=1 pgo=1 reps="" size_mb="" seed=42 json_out="" require_vigil=0 allow_non_release=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --quick) quick=1 ;;
    --build-dir) build_dir=${2:?--build-dir needs a directory}; shift ;;
    --no-build) build=0 ;;
    --no-pgo) pgo=0 ;;
    --reps) reps=${2:?--reps needs a number}; shift ;;
    --size-mb) size_mb=${2:?--size-mb needs a number}; shift ;;
    --seed) seed=${2:?--seed needs a number}; shift ;;
    --data-dir) data_dir=${2:?--data-dir needs a directory}; shift ;;
    --json-out) json_out=${2:?--json-out needs a file}; shift ;;
    --require-vigil) require_vigil=1 ;;
    --allow-non-release) allow_non_release=1 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument '$1'" ;;
  esac
  shift
done
if [[ $quick == 1 ]]; then
  reps=${reps:-1} size_mb=${size_mb:-20}
else
  reps=${reps:-5} size_mb=${size_mb:-300}
fi
[[ $reps =~ ^[1-9][0-9]*$ ]] || die "--reps must be a positive integer"
[[ $size_mb =~ ^[1-9][0-9]*$ ]] || die "--size-mb must be a positive integer"
[[ $seed =~ ^[0-9]+$ ]] || die "--seed must be a non-negative integer"
[[ $size_mb -ge 4 ]] || die "--size-mb must be at least 4 (the small file is a quarter of it)"
if [[ $quick == 0 && $size_mb -lt 300 ]]; then
  echo "bench/run.sh: note: --size-mb $size_mb is below the 300 MB the benchmark is specified for" >&2
fi
small_mb=$((size_mb / 4))
[[ -x /usr/bin/time ]] || die "/usr/bin/time is missing: install Debian's 'time' package (scripts/install-deps.sh --tests)"
[[ -n ${EPOCHREALTIME:-} ]] || die "needs bash 5 (EPOCHREALTIME)"
rules=$repo/bench/rules/falco_k8s_audit_rules.yaml
[[ -f $rules ]] || die "missing $rules"

# --- build -------------------------------------------------------------------------------------
# vigil and the floor are built the way vigil is built for production: scripts/build-release.sh
# (Release, -march=native, profile-guided optimisation trained on generated traffic of another
# seed). --no-pgo measures a plain Release build instead.
jobs=${BENCH_JOBS:-2}
if [[ $build == 1 ]]; then
  echo "bench/run.sh: building in $build_dir (scripts/build-release.sh$([[ $pgo == 0 ]] && echo ' --no-pgo'))" >&2
  build_log=$(mktemp)
  pgo_flag=()
  [[ $pgo == 1 ]] || pgo_flag=(--no-pgo)
  if ! VIGIL_JOBS=$jobs "$repo/scripts/build-release.sh" --build-dir "$build_dir" "${pgo_flag[@]}" \
    vigil vigil_gen_audit vigil_parse_floor >"$build_log" 2>&1; then
    grep -E 'error|FAILED|build-release' "$build_log" | head -n 20 >&2
    rm -f "$build_log"
    die "building failed (see: scripts/build-release.sh --build-dir $build_dir)"
  fi
  rm -f "$build_log"
fi
[[ -f $build_dir/CMakeCache.txt ]] || die "$build_dir is not a CMake build directory"
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build_dir/CMakeCache.txt")
if [[ $build_type != Release ]]; then
  [[ $allow_non_release == 1 ]] ||
    die "$build_dir is a '${build_type:-default}' build; benchmark a Release build (or pass --allow-non-release)"
  echo "bench/run.sh: warning: '$build_type' build, timings are not representative" >&2
fi
build_pgo=$(sed -n 's/^VIGIL_PGO:[A-Z]*=//p' "$build_dir/CMakeCache.txt")
case $build_pgo in
  use) build_kind="$build_type, profile-guided" ;;
  generate) build_kind="$build_type, INSTRUMENTED for profiling (slow)" ;;
  *) build_kind="$build_type, no PGO" ;;
esac
gen=$build_dir/bench/vigil_gen_audit
floor=$build_dir/bench/vigil_parse_floor
vigil=$build_dir/src/cli/vigil
[[ -x $gen && -x $floor ]] || die "missing $gen or $floor (build them, or drop --no-build)"
vigil_present=0
if [[ -x $vigil ]]; then
  vigil_present=1
else
  msg="no vigil binary at $vigil (not built yet: cmake --build $build_dir --target vigil); reporting the floor only"
  [[ $require_vigil == 0 ]] || die "$msg"
  echo "bench/run.sh: $msg" >&2
fi

# --- data ---------------------------------------------------------------------------------------
# A generated file is reused only if the generator's sources, seed and size are unchanged.
mkdir -p "$data_dir"
gen_hash=$(cat "$repo"/bench/gen_audit.cc "$repo"/bench/gen/*.h "$repo"/bench/gen/*.cc | sha256sum | cut -c1-16)
generate() {  # generate MB -> sets gen_path, gen_events
  local mb=$1 suffix="" path stamp key
  [[ $seed == 42 ]] || suffix="-seed$seed"
  path=$data_dir/audit-${mb}mb$suffix.jsonl
  stamp=$path.stamp
  key="gen=$gen_hash seed=$seed megabytes=$mb"
  if [[ ! -f $path || ! -f $stamp || $(head -n1 "$stamp") != "$key" ]]; then
    echo "bench/run.sh: generating $path" >&2
    rm -f "$stamp"
    "$gen" --megabytes "$mb" --seed "$seed" -o "$path.tmp" 2>"$path.log" ||
      die "generator failed: $(cat "$path.log")"
    mv "$path.tmp" "$path"
    { echo "$key"; cat "$path.log"; } >"$stamp"
    rm -f "$path.log"
  fi
  gen_path=$path
  gen_events=$(sed -n 's/.* events=\([0-9]*\) .*/\1/p' "$stamp")
  [[ -n $gen_events ]] || die "cannot read the event count from $stamp"
}
generate "$size_mb"
big=$gen_path big_events=$gen_events
generate "$small_mb"
small=$gen_path small_events=$gen_events
big_bytes=$(stat -c %s "$big")
small_bytes=$(stat -c %s "$small")

# --- measurements -------------------------------------------------------------------------------
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<" $1"; }  # field LINE KEY

# floor_run FILE EXPECTED_EVENTS: one untimed check + one timed run of every variant.
declare -A floor_secs floor_cpu
floor_run() {
  local out line v ev
  out=$("$floor" "$1" --repeat 1) || die "vigil_parse_floor failed on $1"
  while read -r line; do
    v=$(field "$line" variant)
    ev=$(field "$line" events)
    [[ $ev == "$2" ]] || die "floor ($v) counted $ev events in $1, the generator wrote $2"
    floor_secs[$v]+="$(field "$line" median_s) "
    floor_cpu[$v]+="$(field "$line" cpu_s) "
    floor_info=$line
  done <<<"$out"
}

# vigil_run FILE EXPECTED_EVENTS: sets run_s, run_rss_kb, run_cpu_s and run_summary; checks the
# exit code and the event count.
vigil_run() {
  local start end rc summary events rss user sys
  start=$EPOCHREALTIME
  set +e
  /usr/bin/time -f '%M %U %S' -o "$tmp/time" \
    "$vigil" scan --format json -o /dev/null --rules "$rules" "$1" 2>"$tmp/stderr"
  rc=$?
  set -e
  end=$EPOCHREALTIME
  # 0: ran; 3: ran and --fail-on matched (not passed here, but not a failure of the run).
  [[ $rc == 0 || $rc == 3 ]] || die "vigil scan exited $rc on $1: $(tail -n 5 "$tmp/stderr")"
  summary=$(grep -v '^\s*$' "$tmp/stderr" | tail -n 1)
  events=$(grep -oE '(events?[=: ]+[0-9]+|[0-9]+ events?)' <<<"$summary" | grep -oE '[0-9]+' | head -n 1 || true)
  [[ -n $events ]] || die "vigil scan's summary line does not state an event count: '$summary'"
  [[ $events == "$2" ]] || die "vigil scan counted $events events in $1, the generator wrote $2 (summary: '$summary')"
  run_summary=$summary
  # GNU time puts "Command exited with non-zero status N" before the figures when rc != 0.
  read -r rss user sys < <(tail -n 1 "$tmp/time")
  run_s=$(awk -v s="$start" -v e="$end" 'BEGIN {printf "%.6f", e - s}')
  run_rss_kb=$rss
  run_cpu_s=$(awk -v u="$user" -v y="$sys" 'BEGIN {printf "%.2f", u + y}')
}

echo "bench/run.sh: measuring ($reps run(s) each, alternating floor and vigil)" >&2
vigil_secs=() vigil_rss_big=() vigil_rss_small=() vigil_cpu=()
for ((r = 0; r < reps; r++)); do
  floor_run "$big" "$big_events"
  if [[ $vigil_present == 1 ]]; then
    vigil_run "$big" "$big_events"
    vigil_secs+=("$run_s") vigil_rss_big+=("$run_rss_kb") vigil_cpu+=("$run_cpu_s")
    vigil_summary=$run_summary
  fi
done
if [[ $vigil_present == 1 ]]; then
  for ((r = 0; r < reps; r++)); do
    vigil_run "$small" "$small_events"
    vigil_rss_small+=("$run_rss_kb")
  done
fi
# The small file through the floor too: a count check, not a timing.
small_floor=$("$floor" "$small" --repeat 1 --variants od_line) || die "vigil_parse_floor failed on $small"
[[ $(field "$small_floor" events) == "$small_events" ]] ||
  die "the floor counted $(field "$small_floor" events) events in $small, the generator wrote $small_events"

# --- report -------------------------------------------------------------------------------------
rate() { awk -v n="$1" -v s="$2" 'BEGIN {printf "%.0f", n / s}'; }
mbps() { awk -v b="$1" -v s="$2" 'BEGIN {printf "%.1f", b / 1e6 / s}'; }
div() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a / b}'; }
human() { awk -v n="$1" 'BEGIN {s = sprintf("%.0f", n); r = ""; while (length(s) > 3) {r = "," substr(s, length(s) - 2) r; s = substr(s, 1, length(s) - 3)} print s r}'; }

declare -A f_s f_eps f_mbps f_cpu f_eps_cpu
for v in framing od_line od_many dom_line; do
  # shellcheck disable=SC2086
  f_s[$v]=$(median ${floor_secs[$v]})
  # shellcheck disable=SC2086
  f_cpu[$v]=$(median ${floor_cpu[$v]})
  f_eps[$v]=$(rate "$big_events" "${f_s[$v]}")
  f_mbps[$v]=$(mbps "$big_bytes" "${f_s[$v]}")
  f_eps_cpu[$v]=$(rate "$big_events" "${f_cpu[$v]}")
done
kernel=$(field "$floor_info" ondemand_kernel)
simdjson_version=$(field "$floor_info" simdjson)
cpu_model=$(sed -n 's/^model name\s*:\s*//p' /proc/cpuinfo | head -n 1)

mode="full"
[[ $quick == 1 ]] && mode="quick (validation only; timings not meaningful)"
echo
echo "vigil end-to-end benchmark — $(date -u +%Y-%m-%dT%H:%M:%SZ), $mode"
echo "machine: ${cpu_model:-unknown CPU}, $(nproc) cores; build: $build_dir (${build_type:-?})"
echo "input:   ${big#"$repo"/} — $(human "$big_events") events, $(mbps "$big_bytes" 1) MB (seed $seed)"
echo "every figure is the median of $reps run(s); one thread; MB = 10^6 bytes; events/CPU-s uses"
echo "the process's CPU time instead of wall time, which a busy shared machine disturbs less"
echo
echo "build: ${build_dir#"$repo"/} ($build_kind; vigil and the floor alike)"
echo "(a) JSON-parse floor: simdjson $simdjson_version, 6 fields per event (On-Demand kernel: $kernel)"
row() { printf '    %-34s %12s %9s %14s\n' "$@"; }
row "" "events/s" "MB/s" "events/CPU-s"
row "On-Demand per line  [the floor]" "$(human "${f_eps[od_line]}")" "${f_mbps[od_line]}" "$(human "${f_eps_cpu[od_line]}")"
row "On-Demand iterate_many" "$(human "${f_eps[od_many]}")" "${f_mbps[od_many]}" "$(human "${f_eps_cpu[od_many]}")"
row "DOM per line" "$(human "${f_eps[dom_line]}")" "${f_mbps[dom_line]}" "$(human "${f_eps_cpu[dom_line]}")"
row "read + memchr only" "$(human "${f_eps[framing]}")" "${f_mbps[framing]}" "$(human "${f_eps_cpu[framing]}")"
echo
ratio="" ratio_dom="" ratio_cpu="" rss_big="" rss_small="" rss_ratio="" v_eps="" v_mbps="" v_s=""
cpu_wall="" v_cpu="" v_eps_cpu=""
if [[ $vigil_present == 1 ]]; then
  v_s=$(median "${vigil_secs[@]}")
  v_eps=$(rate "$big_events" "$v_s")
  v_mbps=$(mbps "$big_bytes" "$v_s")
  v_cpu=$(median "${vigil_cpu[@]}")
  v_eps_cpu=$(rate "$big_events" "$v_cpu")
  cpu_wall=$(div "$v_cpu" "$v_s")
  ratio=$(div "$v_eps" "${f_eps[od_line]}")
  ratio_cpu=$(div "$v_eps_cpu" "${f_eps_cpu[od_line]}")
  ratio_dom=$(div "$v_eps" "${f_eps[dom_line]}")
  rss_big=$(median "${vigil_rss_big[@]}")
  rss_small=$(median "${vigil_rss_small[@]}")
  rss_ratio=$(div "$rss_big" "$rss_small")
  rss_big_mb=$(awk -v k="$rss_big" 'BEGIN {printf "%.1f", k * 1024 / 1e6}')
  rss_small_mb=$(awk -v k="$rss_small" 'BEGIN {printf "%.1f", k * 1024 / 1e6}')
  met() { awk "BEGIN {print ($1) ? \"met\" : \"MISSED\"}"; }  # met 'AWK CONDITION' 
  echo "(b) vigil scan --format json -o /dev/null --rules bench/rules/falco_k8s_audit_rules.yaml"
  echo "    (built-in catalog + Falco's k8s-audit rules)"
  row "" "events/s" "MB/s" "events/CPU-s"
  row "throughput" "$(human "$v_eps")" "$v_mbps" "$(human "$v_eps_cpu")"
  printf '    %.3f s wall, %.2f s CPU (CPU/wall %.2f)\n' "$v_s" "$v_cpu" "$cpu_wall"
  echo "    summary: $vigil_summary"
  echo
  printf '(c) vigil / floor (On-Demand per line)   %.3f   target >= 0.40: %s\n' "$ratio" \
    "$(met "$ratio >= 0.4")"
  printf '    same, per CPU-second                 %.3f\n' "$ratio_cpu"
  printf '    vigil / DOM per line                 %.3f\n' "$ratio_dom"
  echo
  echo "peak RSS of vigil scan (/usr/bin/time %M)"
  printf '    %-40s %7s MB\n' "${small#"$repo"/} ($(mbps "$small_bytes" 1) MB)" "$rss_small_mb" \
    "${big#"$repo"/} ($(mbps "$big_bytes" 1) MB)" "$rss_big_mb"
  printf '    %-40s %7.3f   target <= 1.10 and < 150 MB: %s\n' "ratio (4x the input)" \
    "$rss_ratio" "$(met "$rss_ratio <= 1.10 && $rss_big_mb < 150")"
  [[ $(awk -v c="$cpu_wall" 'BEGIN {print (c > 1.2)}') == 0 ]] ||
    echo "note: vigil used more CPU time than wall time (${cpu_wall}x): it is not single-threaded"
else
  echo "(b) vigil scan: not measured — there is no $vigil"
  echo "(c) ratio: not measured"
fi

num() { [[ -n $1 ]] && echo "$1" || echo null; }
json=$(printf '{"bench":"vigil-scan-vs-floor","mode":"%s","reps":%d,"seed":%d,' \
  "$([[ $quick == 1 ]] && echo quick || echo full)" "$reps" "$seed")
json+=$(printf '"build":{"type":"%s","pgo":"%s"},' "$build_type" "${build_pgo:-OFF}")
json+=$(printf '"input":{"path":"%s","bytes":%d,"events":%d},' "${big#"$repo"/}" "$big_bytes" "$big_events")
json+=$(printf '"small_input":{"path":"%s","bytes":%d,"events":%d},' "${small#"$repo"/}" "$small_bytes" "$small_events")
json+=$(printf '"floor":{"simdjson":"%s","ondemand_kernel":"%s"' "$simdjson_version" "$kernel")
for v in od_line od_many dom_line framing; do
  json+=$(printf ',"%s":{"seconds":%s,"cpu_seconds":%s,"events_per_s":%s,"mb_per_s":%s,"events_per_cpu_s":%s}' \
    "$v" "${f_s[$v]}" "${f_cpu[$v]}" "${f_eps[$v]}" "${f_mbps[$v]}" "${f_eps_cpu[$v]}")
done
json+="},"
json+=$(printf '"vigil":{"present":%s,"seconds":%s,"cpu_seconds":%s,"events_per_s":%s,"mb_per_s":%s,"events_per_cpu_s":%s,"cpu_per_wall":%s,"peak_rss_kb":%s,"peak_rss_kb_small":%s},' \
  "$([[ $vigil_present == 1 ]] && echo true || echo false)" "$(num "$v_s")" "$(num "$v_cpu")" \
  "$(num "$v_eps")" "$(num "$v_mbps")" "$(num "$v_eps_cpu")" "$(num "$cpu_wall")" "$(num "$rss_big")" "$(num "$rss_small")")
json+=$(printf '"ratio_vigil_over_floor":%s,"ratio_vigil_over_floor_cpu":%s,"ratio_vigil_over_dom":%s,"rss_ratio":%s,' \
  "$(num "$ratio")" "$(num "$ratio_cpu")" "$(num "$ratio_dom")" "$(num "$rss_ratio")")
json+='"targets":{"ratio_min":0.4,"rss_ratio_max":1.1,"rss_max_mb":150}}'
echo
echo "$json"
[[ -z $json_out ]] || echo "$json" >"$json_out"
