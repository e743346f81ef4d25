#!/usr/bin/env bash
# Runs every libFuzzer target built in BUILD_DIR/fuzz for SECONDS each, starting from the
# committed seed corpus in fuzz/corpus/<target>/ (copied, so the repo is not modified).
# A crash fails the run and leaves the reproducer in fuzz/corpus-work/.
# usage: fuzz/run.sh BUILD_DIR [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${1:?usage: fuzz/run.sh BUILD_DIR [SECONDS]}
SECONDS_EACH=${2:-30}
shopt -s nullglob
targets=("$BUILD_DIR"/fuzz/*_fuzz)
if [ ${#targets[@]} -eq 0 ]; then
  echo "fuzz/run.sh: no fuzz targets in $BUILD_DIR/fuzz" >&2
  exit 1
fi
status=0
for bin in "${targets[@]}"; do
  name=$(basename "$bin")
  work="fuzz/corpus-work/$name"
  rm -rf "$work"
  mkdir -p "$work"
  if [ -d "fuzz/corpus/$name" ]; then cp -r "fuzz/corpus/$name/." "$work/"; fi
  dict=()
  if [ -f "fuzz/$name.dict" ]; then dict=(-dict="fuzz/$name.dict"); fi
  echo "fuzz: $name for ${SECONDS_EACH}s"
  if ! "$bin" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 "${dict[@]}" \
      -artifact_prefix="$work/" -print_final_stats=1 "$work" >"$work.log" 2>&1; then
    echo "fuzz: $name FAILED; last lines of $work.log:" >&2
    tail -n 40 "$work.log" >&2
    status=1
  else
    grep -E 'stat::number_of_executed_units|Done [0-9]+ runs' "$work.log" | tail -n 2 || true
  fi
done
exit $status
