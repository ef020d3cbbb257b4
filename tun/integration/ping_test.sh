#!/bin/bash
# KernelPingsUstackOverTun / KernelPingsUstackOverTap: `ustack up` creates a namespace and a
# TUN (or TAP) device in it with the kernel side at 198.18.0.1/24 and fd00:1::1/64; the
# kernel's own ping and ping -6 reach ustack at 198.18.0.2 and fd00:1::2 (over TAP the kernel
# resolves us with ARP and NDP) with payloads from 0 to 60000 bytes, fragmented both ways
# (RFC 791 §2.3, RFC 8200 §4.5), and a flood of 1000 echo requests per family loses none.
# Then SIGINT: ustack prints its counters, exits 0 and removes the namespace it created.
#   usage: ping_test.sh tun|tap
MODE="${1:?usage: ping_test.sh tun|tap}"
source "$(dirname "$0")/lib.sh"
require_root

DEV="ust${ID}${MODE:1:1}"
start_ustack "--$MODE" "$DEV" --netns "$NS" \
  --addr 198.18.0.2/24 --addr fd00:1::2/64 --peer 198.18.0.1/24 --peer fd00:1::1/64 --seed 1

# The first exchange may wait for ARP/NDP and DAD; give it a few seconds once.
wait_reachable() {
  for _ in $(seq 20); do
    in_ns ping -c 1 -W 1 "$1" >/dev/null 2>&1 && return 0
  done
  return 1
}
wait_reachable 198.18.0.2 || die "198.18.0.2 never answered a ping over $MODE"
wait_reachable fd00:1::2 || die "fd00:1::2 never answered a ping -6 over $MODE"

ping_ok() {  # ping_ok ADDR SIZE: two echoes of SIZE bytes, both answered, payload checked
  local out
  out=$(in_ns ping -c 2 -i 0.2 -W 3 -s "$2" "$1" 2>&1)
  grep -q " 0% packet loss" <<<"$out" || { echo "$out" >&2; return 1; }
  # ping reports "wrong data byte" when the echoed payload differs from what it sent.
  ! grep -qi "wrong data" <<<"$out"
}

# 1472 = the largest unfragmented ICMP payload at MTU 1500 for IPv4 (1452 for IPv6);
# one byte more forces fragmentation.
for size in 0 1 56 1472 1473 4000 8000 30000 60000; do
  check "ping -s $size over $MODE" ping_ok 198.18.0.2 "$size"
done
for size in 0 1 56 1452 1453 4000 8000 30000 60000; do
  check "ping -6 -s $size over $MODE" ping_ok fd00:1::2 "$size"
done

flood_ok() {  # flood_ok [-6] ADDR: 1000 echo requests, none lost
  local out
  out=$(in_ns ping -q -f -c 1000 -w 60 "$@" 2>&1)
  echo "$out" | tail -2
  grep -q "1000 packets transmitted, 1000 received" <<<"$out" || { echo "$out" >&2; return 1; }
}
check "ping -f -c 1000 over $MODE: no loss" flood_ok 198.18.0.2
check "ping -6 -f -c 1000 over $MODE: no loss" flood_ok fd00:1::2

COUNTERS=$(dump_counters)
echo "$COUNTERS"
at_least() {  # at_least SECTION NAME MIN
  local v
  v=$(echo "$COUNTERS" | counter "$1" "$2")
  [ "$v" -ge "$3" ] || { echo "$1 $2 = $v, want >= $3" >&2; return 1; }
}
check "icmp in_echos counted" at_least Icmp in_echos 1000
check "icmp6 in_echos counted" at_least Icmp6 in_echos 1000
check "IPv4 reassembled the kernel's fragments" at_least Ip reasm_oks 1
check "IPv4 fragmented our replies" at_least Ip frag_creates 2
check "IPv6 reassembled the kernel's fragments" at_least Ip6 reasm_oks 1
check "IPv6 fragmented our replies" at_least Ip6 frag_creates 2

stop_ustack INT
check "ustack exits 0 on SIGINT" test "$USTACK_RC" -eq 0
check "counters printed at exit" test "$(grep -c "end of counters" "$USTACK_LOG")" -ge 2
check "namespace $NS removed at exit" bash -c "! ip netns list | grep -qw '$NS'"
finish
