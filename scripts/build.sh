#!/usr/bin/env bash
# Configures and builds vigil into build/ (or $VIGIL_BUILD_DIR). Extra arguments go to cmake;
# $VIGIL_TARGETS (space-separated) limits what is built.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${VIGIL_BUILD_DIR:-build}
JOBS=${VIGIL_JOBS:-$(nproc)}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
# shellcheck disable=SC2086
ninja -C "$BUILD_DIR" -j "$JOBS" ${VIGIL_TARGETS:-}
