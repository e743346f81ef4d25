#!/usr/bin/env bash
# Installs everything vigil needs to build, test and benchmark on Debian 12, assuming nothing is
# installed (not even a compiler). Idempotent: a second run installs nothing new.
# Run as root (or with sudo available).
set -euo pipefail

packages=(
  # toolchain
  build-essential g++ clang lld llvm libclang-rt-14-dev cmake ninja-build pkg-config git ca-certificates
  # libraries (DESIGN.md "Dependencies")
  libsimdjson-dev nlohmann-json3-dev libyaml-cpp-dev libsqlite3-dev libcli11-dev libfmt-dev
  libspdlog-dev libre2-dev zlib1g-dev libssl-dev libcpp-httplib-dev libbrotli-dev
  libmaxminddb-dev libnats-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev sqlite3 python3 time mmdb-bin
  nats-server
  # the console's rendering tests (node --test, web/test) and its browser tests (web/e2e:
  # Debian's chromium driven by playwright-core from npm, installed below)
  nodejs chromium fonts-liberation
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# npm: Debian's package, unless a Node.js that bundles its own npm (e.g. NodeSource's) is there.
command -v npm >/dev/null 2>&1 || missing+=(npm)

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
