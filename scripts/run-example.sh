#!/usr/bin/env bash
# The README's first command: install what vigil needs, build it, and scan the bundled example
# audit log (benign traffic with a few attacks mixed in), printing a findings table.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
VIGIL_BUILD_DIR=build ./scripts/build.sh -DVIGIL_BUILD_TESTS=OFF -DVIGIL_BUILD_BENCH=OFF
echo
echo "\$ vigil scan --format table examples/audit/example.jsonl.gz"
# Exit code 3 would mean "a finding at or above --fail-on"; here we only show the table.
./build/src/cli/vigil scan --format table examples/audit/example.jsonl.gz
