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
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev sqlite3 python3 time
  # the console's rendering tests (node --test, web/test)
  nodejs
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
