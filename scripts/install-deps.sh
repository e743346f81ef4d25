#!/usr/bin/env bash
# Installs what vigil needs on Debian 12, assuming nothing is installed (not even a compiler).
# Idempotent: a second run installs nothing new. Run as root (or with sudo available).
#
#   install-deps.sh          what building vigil needs (the README's first command)
#   install-deps.sh --tests  that, plus what the test suite, the fuzzers and the benchmarks need:
#                            clang, GoogleTest, the servers the integration tests start, Node.js
#                            and Chromium for the console's tests (the README's second command)
set -euo pipefail

with_tests=0
case "${1:-}" in
  "") ;;
  --tests) with_tests=1 ;;
  *) echo "usage: install-deps.sh [--tests]" >&2; exit 2 ;;
esac

packages=(
  # toolchain
  build-essential g++ cmake ninja-build pkg-config git ca-certificates
  # libraries (DESIGN.md "Dependencies")
  libsimdjson-dev nlohmann-json3-dev libyaml-cpp-dev libyaml-dev libsqlite3-dev libcli11-dev
  libfmt-dev libspdlog-dev libre2-dev zlib1g-dev libssl-dev libcpp-httplib-dev libbrotli-dev
  libmaxminddb-dev libpq-dev libnats-dev
  # libpq-dev also brings libpq5, the libpq.so.5 that vigil loads at run time (not linked) for
  # postgres:// stores (docs/postgres.md)
)
test_packages=(
  # the fuzz targets (libFuzzer) and the sanitizer build
  clang lld llvm libclang-rt-14-dev
  # tests and benchmarks (postgresql and nats-server: the servers the integration tests start)
  libgtest-dev libgmock-dev libbenchmark-dev sqlite3 python3 time mmdb-bin postgresql nats-server
  # the console's rendering tests (node --test, web/test) and its browser tests (web/e2e:
  # Debian's chromium driven by playwright-core from npm, installed below)
  nodejs chromium fonts-liberation
)
if [ "$with_tests" -eq 1 ]; then packages+=("${test_packages[@]}"); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# npm: Debian's package, unless a Node.js that bundles its own npm (e.g. NodeSource's) is there.
if [ "$with_tests" -eq 1 ]; then command -v npm >/dev/null 2>&1 || missing+=(npm); fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
else
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  echo "install-deps: done"
fi

if [ "$with_tests" -eq 0 ]; then exit 0; fi

# The console's browser tests: playwright-core, pinned by web/e2e/package-lock.json (no browser
# download: it drives /usr/bin/chromium). `npm ci` again only when the lock file changed.
e2e="$(dirname "$0")/../web/e2e"
stamp="$e2e/node_modules/.vigil-installed-lock.json"
if cmp -s "$e2e/package-lock.json" "$stamp" 2>/dev/null; then
  echo "install-deps: web/e2e node_modules up to date"
else
  echo "install-deps: npm ci in web/e2e"
  (cd "$e2e" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  cp "$e2e/package-lock.json" "$stamp"
fi
