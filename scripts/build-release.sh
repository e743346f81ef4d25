#!/usr/bin/env bash
# Builds vigil for production use on this machine: Release, compiled for this CPU (VIGIL_NATIVE),
# with profile-guided optimisation (GCC). It first builds an instrumented vigil and lets it scan
# generated audit traffic (bench/gen, seed 7: not the benchmark's seed 42) in the configurations
# users run: the built-in catalog alone and with Falco's k8s-audit rules, each output format, the
# JSON-lines, EventList and CloudWatch-export input shapes. GCC then rebuilds from the counts
# those scans wrote, laying out the hot paths (the key reader, the rule gates, aggregation) for
# the branches they took. A scan takes 6-10 % less CPU than a plain Release build's
# (bench/README.md, "Eighth pass"); what it finds is the same.
#
# usage: scripts/build-release.sh [--build-dir DIR] [--no-pgo] [TARGET...]
#   --build-dir DIR  build directory (default: $VIGIL_BUILD_DIR or build-release)
#   --no-pgo         a plain Release build (VIGIL_PGO=OFF), e.g. to compare
#   TARGET...        what to build (default: vigil); the training needs vigil and
#                    vigil_gen_audit, which are built as well
# Extra CMake options go in VIGIL_CMAKE_ARGS (a space-separated list). The binary is
# DIR/src/cli/vigil. Needs what scripts/install-deps.sh installs.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${VIGIL_BUILD_DIR:-$repo/build-release}
pgo=1
targets=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --build-dir) build_dir=${2:?--build-dir needs a directory}; shift ;;
    --no-pgo) pgo=0 ;;
    -h | --help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "build-release.sh: unknown option '$1'" >&2; exit 2 ;;
    *) targets+=("$1") ;;
  esac
  shift
done
[[ ${#targets[@]} -gt 0 ]] || targets=(vigil)
jobs=${VIGIL_JOBS:-$(nproc)}
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
# shellcheck disable=SC2206  # VIGIL_CMAKE_ARGS is a list of words on purpose
extra=(${VIGIL_CMAKE_ARGS:-})
say() { echo "build-release.sh: $*" >&2; }

cache=$build_dir/CMakeCache.txt
if [[ -f $cache ]] && ! grep -q '^CMAKE_BUILD_TYPE:[A-Z]*=Release$' "$cache"; then
  say "$build_dir is a $(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$cache") build; not reconfiguring it (pick another --build-dir)"
  exit 2
fi

configure() {  # configure PGO_MODE
  cmake -S "$repo" -B "$build_dir" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
    -DVIGIL_BUILD_TESTS=OFF -DVIGIL_PGO="$1" "${extra[@]}" >/dev/null
}

if [[ $pgo == 0 ]]; then
  configure OFF
  cmake --build "$build_dir" -j "$jobs" --target "${targets[@]}"
  exit 0
fi

profile=$build_dir/pgo-profile
say "1/3 instrumented build in $build_dir"
configure generate
cmake --build "$build_dir" -j "$jobs" --target vigil vigil_gen_audit "${targets[@]}"

say "2/3 training scans (generated traffic, seed 7)"
rm -rf "$profile"
train=$build_dir/pgo-train
mkdir -p "$train"
gen=$build_dir/bench/vigil_gen_audit
vigil=$build_dir/src/cli/vigil
rules=$repo/bench/rules/falco_k8s_audit_rules.yaml
"$gen" --megabytes 40 --seed 7 -o "$train/audit.jsonl" 2>/dev/null
"$gen" --megabytes 4 --seed 8 --format eventlist -o "$train/eventlist.jsonl" 2>/dev/null
"$gen" --megabytes 4 --seed 9 --format cloudwatch-export -o "$train/cloudwatch.jsonl" 2>/dev/null
scan() { "$vigil" scan -q -o /dev/null "$@"; }
scan --format json --rules "$rules" "$train/audit.jsonl"
scan --format json "$train/audit.jsonl"
scan --format asff --rules "$rules" "$train/eventlist.jsonl"
scan --format ocsf "$train/cloudwatch.jsonl"
scan --format table --rules "$rules" "$train/cloudwatch.jsonl"
if [[ -x $build_dir/bench/vigil_parse_floor ]]; then
  # The benchmark's floor gets the same treatment, so that vigil/floor compares like with like.
  "$build_dir/bench/vigil_parse_floor" "$train/audit.jsonl" --repeat 1 >/dev/null
fi
rm -rf "$train"
[[ -n $(find "$profile" -name '*.gcda' -print -quit 2>/dev/null) ]] ||
  { say "the training wrote no profile into $profile"; exit 1; }

say "3/3 optimised build from the profile"
configure use
cmake --build "$build_dir" -j "$jobs" --target "${targets[@]}"
say "built ${targets[*]} in $build_dir (Release, profile-guided)"
