#!/usr/bin/env bash
# Installs every Debian package Lantern needs to build, test and run. Idempotent: when nothing
# is missing it only checks (well under a second) and touches neither apt's lists nor the network.
# Usage: bash scripts/setup.sh        (as root on Debian 12)
set -euo pipefail

packages=(
  # toolchain
  g++ cmake make pkg-config git
  # actors, services, wire formats
  libcaf-dev libzmq3-dev cppzmq-dev libcereal-dev
  # TLS between nodes (CAF's OpenSSL module needs OpenSSL's headers; the CLI makes certificates)
  libssl-dev openssl
  # models; OpenBLAS (OpenMP flavour) replaces the reference BLAS, ~12x faster for LibTorch
  libtorch-dev libopenblas0-openmp
  # config, CLI, logging, JSON, HTTP, storage
  libtomlplusplus-dev libcli11-dev libspdlog-dev nlohmann-json3-dev libcpp-httplib-dev
  libsqlite3-dev sqlite3 libre2-dev
  # tests and benchmarks; clang and libFuzzer for the fuzz targets of every decoder
  libgtest-dev libgmock-dev libbenchmark-dev clang libfuzzer-14-dev
  # NetHack: the real game, decoded from its terminal by libvterm
  nethack-console libvterm-dev
  # example external environments and plots
  python3 python3-zmq gnuplot-nox
  # multi-host cluster tests: network namespaces and veth pairs
  iproute2
  # the console: the terminal UI (ncurses, tested through tmux), the dashboard's charts (served
  # by Lantern: no CDN), and its tests (a real Prometheus, headless Chromium driven by Selenium)
  libncurses-dev tmux libjs-chart.js prometheus chromium chromium-driver python3-selenium
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "installed" ]] || missing+=("$p")
done

if (( ${#missing[@]} == 0 )); then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "setup: missing packages: ${missing[*]}" >&2
  echo "setup: run this script as root to install them" >&2
  exit 1
fi

echo "setup: installing ${#missing[@]} packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -o DPkg::Lock::Timeout=300
apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=300 "${missing[@]}"
echo "setup: done"
