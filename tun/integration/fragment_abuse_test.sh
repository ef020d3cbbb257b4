#!/bin/bash
# UstackSurvivesFragmentAbuseFromScapy: crafted IPv4 and IPv6 fragments from the kernel side
# (scapy in the namespace): overlapping (dropped: RFC 5722, and Linux's rule for IPv4),
# duplicated, out of order, and thousands that never complete. ustack must not crash, must
# answer the valid reordered datagrams, keep its reassembly memory under the cap (4 MiB per
# family; at a limit the oldest incomplete datagrams are evicted), count the drops by reason,
# expire the incomplete datagrams after the reassembly timeout (30 s, RFC 791 / RFC 8200 §4.5),
# and still answer pings afterwards.
source "$(dirname "$0")/lib.sh"
require_root
ABUSE="$(dirname "$0")/fragment_abuse.py"
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c "import scapy" 2>/dev/null ||
  die "Debian's python3-scapy is missing (tools/setup.sh installs it)"

DEV="ust${ID}f"
start_ustack --tun "$DEV" --netns "$NS" \
  --addr 198.18.0.2/24 --addr fd00:1::2/64 --peer 198.18.0.1/24 --peer fd00:1::1/64 --seed 3
in_ns ping -c 1 -W 2 198.18.0.2 >/dev/null || die "no ping reply before the abuse"

for phase in overlap duplicate reorder incomplete; do
  check "fragment abuse: $phase" in_ns /usr/bin/python3 "$ABUSE" "$phase"
  kill -0 "$USTACK_PID" 2>/dev/null || die "ustack died during the $phase phase"
done
INCOMPLETE_SENT=$(date +%s)

C1=$(dump_counters)
echo "$C1"
value() { echo "$1" | counter "$2" "$3"; }
check "IPv4 overlap drops counted" test "$(value "$C1" Drops ipv4_reassembly_overlap)" -ge 1
check "IPv6 overlap drops counted" test "$(value "$C1" Drops ipv6_reassembly_overlap)" -ge 1
# At a limit the oldest incomplete datagrams are evicted (Linux inet_frag_evictor); a datagram
# too big for the cap by itself is dropped.
limit4=$(($(value "$C1" Drops ipv4_reassembly_memory) +
  $(value "$C1" Drops ipv4_reassembly_evicted)))
limit6=$(($(value "$C1" Drops ipv6_reassembly_memory) +
  $(value "$C1" Drops ipv6_reassembly_evicted)))
check "IPv4 reassembly limits hit and counted ($limit4)" test "$limit4" -ge 1
check "IPv6 reassembly limits hit and counted ($limit6)" test "$limit6" -ge 1
MEM=$(value "$C1" Reassembly memory_bytes)
check "reassembly memory $MEM <= 2 x 4 MiB cap" test "$MEM" -le $((2 * 4 * 1024 * 1024))
RSS_KB=$(awk '/^VmRSS/{print $2}' "/proc/$USTACK_PID/status")
check "process RSS ${RSS_KB} kB stays under 64 MiB" test "$RSS_KB" -lt 65536

check "still answers ping after the abuse" in_ns ping -c 2 -W 2 198.18.0.2
check "still answers ping -6 after the abuse" in_ns ping -6 -c 2 -W 2 fd00:1::2

# The never-completed datagrams time out 30 s after their first fragment.
WAIT=$(( 32 - ($(date +%s) - INCOMPLETE_SENT) ))
[ "$WAIT" -gt 0 ] && sleep "$WAIT"
C2=$(dump_counters)
echo "$C2"
check "IPv4 reassembly timeouts counted" test "$(value "$C2" Drops ipv4_reassembly_timeout)" -ge 1
check "IPv6 reassembly timeouts counted" test "$(value "$C2" Drops ipv6_reassembly_timeout)" -ge 1
check "no datagram left pending after the timeout" \
  test "$(value "$C2" Reassembly datagrams_pending)" -eq 0
check "reassembly memory released" test "$(value "$C2" Reassembly memory_bytes)" -eq 0

stop_ustack INT
check "ustack exits 0" test "$USTACK_RC" -eq 0
finish
