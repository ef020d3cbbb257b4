#!/bin/bash
# Installs every Debian package the build, the tools and the tests need. Idempotent and quiet
# when everything is already there; run as root (the tests create TUN devices and namespaces).
set -euo pipefail

PACKAGES=(
  # build
  bazel-bootstrap g++ clang libclang-rt-14-dev clang-format
  libboost-dev libpcap-dev libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev
  nlohmann-json3-dev
  # `ustack sandbox --enable-seccomp`
  libseccomp-dev
  # real peers and capture tools the tests and the demo drive
  iproute2 iputils-ping tcpdump tshark netcat-openbsd socat curl dnsutils dnsmasq iperf3
  python3 python3-scapy procps
  # the Python binding (python/): headers, its tests (pytest) and `pip install ./python` offline
  # into a venv (//python:install_test)
  python3-dev pybind11-dev python3-pytest python3-pip python3-setuptools python3-wheel
  python3-venv
  # `ustack slirp4netns` run by rootlesskit (tools/integration/slirp4netns_test.sh)
  rootlesskit
  # /etc/services: ports by name (tools/port_name.h)
  netbase
  # `ustack report`: dygraphs inlined into its pages; Chromium opens them headless in the tests
  libjs-dygraphs chromium
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: need root to install: ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null || true
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
