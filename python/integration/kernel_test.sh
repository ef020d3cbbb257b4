#!/bin/bash
# kernel_test.sh PYTHON: python/integration/kernel_test.py under pytest against the real
# kernel over a TUN, in a namespace made here and deleted on exit (also on failure). Needs root
# and /dev/net/tun: FAILS without them (nothing is skipped). Addresses: 198.18.0.0/24,
# fd00:1::/64 only inside that namespace.
set -uo pipefail
PY=$1
if [ "$(id -u)" != 0 ] || [ ! -c /dev/net/tun ]; then
  echo "FAIL: needs root and /dev/net/tun" >&2
  exit 1
fi
export USTACK_TEST_NS="ustpy$$" USTACK_TEST_DEV="uspy$$"
trap 'ip netns del "$USTACK_TEST_NS" 2>/dev/null' EXIT
ip netns add "$USTACK_TEST_NS" || exit 1
ip -n "$USTACK_TEST_NS" link set lo up
ip netns exec "$USTACK_TEST_NS" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
  net.ipv6.conf.default.accept_dad=0
export PYTHONPATH="$PWD/python" PYTHONDONTWRITEBYTECODE=1
"$PY" -m pytest -v -p no:cacheprovider ${XML_OUTPUT_FILE:+--junitxml="$XML_OUTPUT_FILE"} \
  python/integration/kernel_test.py
