#!/bin/bash
# A few scenarios played live against this machine's kernel (a TUN in a fresh namespace; root):
# the kernel still passes each script, its run still matches the committed capture (so a
# kernel change or a recorder bug shows), and ustack's live run differs from it only as the
# allow lists explain. Timing-insensitive scenarios only; a run that misses is tried twice more
# (a loaded machine may delay the kernel's answer past the script's tolerance).
set -uo pipefail
USTACK="$(realpath "$1")"
cd "$(dirname "$(realpath "$0")")"
OUT="${TEST_TMPDIR:-/tmp}/live.$$"
mkdir -p "$OUT"
trap 'rm -rf "$OUT"' EXIT
failures=0
check() {  # NAME ARGS...: `ustack scenario run NAME.pkt ARGS` exits 0, within three tries
  local name=$1
  shift
  for try in 1 2 3; do
    "$USTACK" scenario run "$name.pkt" "$@" >"$OUT/out" 2>&1 && return 0
  done
  echo "FAIL $name $*:"
  sed 's/^/  /' "$OUT/out"
  failures=$((failures + 1))
}
for name in handshake_passive_all_options ooo_sack_blocks close_active \
  rst_in_window_challenge_ack ipv6_handshake_and_data udp_echo urgent_receive urgent_send; do
  check "$name" --against kernel --kernel-capture "captures/$name.kernel.pcap"
  check "$name" --against both
done
echo "$failures failures"
[ "$failures" = 0 ]
