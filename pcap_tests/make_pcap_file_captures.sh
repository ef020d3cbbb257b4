#!/bin/bash
# Re-makes the small captures that tun/pcap_file_test.cc reads (see captures/README.md):
#
#   captures/pcapio_any_sll2.pcap       tcpdump -i any                    LINUX_SLL2, microseconds
#   captures/pcapio_any_sll.pcap        tcpdump -i any -y LINUX_SLL       LINUX_SLL,  microseconds
#   captures/pcapio_veth_nano.pcap      tcpdump -i VETH --time-stamp-precision=nano -s 100
#                                                                     EN10MB, ns, snaplen 100
#   captures/pcapio_veth.pcapng         tshark -i VETH -F pcapng -w       pcapng, EN10MB
#   captures/pcapio_tun_raw.pcap        tcpdump -i TUN                    RAW (101), microseconds
#
# and next to each FILE, FILE.tshark.txt = `tshark -r FILE -T fields -e frame.len
# -e frame.cap_len -e frame.time_epoch`, the values the test checks the reader against.
#
# Topology (names carry our pid, addresses only from 198.18.0.0/15 and fd00::/8):
#   ns pcp<pid>a: veth 198.18.1.1/24 fd00:1::1/64 -- ns pcp<pid>b: veth 198.18.1.2/24 fd00:1::2/64
#   ns pcp<pid>a: TUN 198.18.3.1/24 fd00:3::1/64, answered by tun_echo_responder.py
# Traffic: ping -c 2 and ping -6 -c 2 across the veth (plus the ARP/NDP they cause), then the
# same to 198.18.3.2 / fd00:3::2 through the TUN.
#
# usage (root): pcap_tests/make_pcap_file_captures.sh [OUTDIR]   (default pcap_tests/captures)
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
OUT="$(realpath "${1:-$HERE/captures}")"
A="pcp$$a"
B="pcp$$b"
VA="pcp$$va"
VB="pcp$$vb"
TUN="pcp$$t"
PIDS=()

cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  ip netns del "$A" 2>/dev/null || true
  ip netns del "$B" 2>/dev/null || true
}
trap cleanup EXIT

ip netns add "$A"
ip netns add "$B"
ip link add "$VA" type veth peer name "$VB"
ip link set "$VA" netns "$A"
ip link set "$VB" netns "$B"
for ns in "$A" "$B"; do ip -n "$ns" link set lo up; done
ip -n "$A" addr add 198.18.1.1/24 dev "$VA"
ip -n "$A" addr add fd00:1::1/64 dev "$VA" nodad
ip -n "$B" addr add 198.18.1.2/24 dev "$VB"
ip -n "$B" addr add fd00:1::2/64 dev "$VB" nodad
ip -n "$A" link set "$VA" up
ip -n "$B" link set "$VB" up
ip -n "$A" tuntap add dev "$TUN" mode tun
ip -n "$A" addr add 198.18.3.1/24 dev "$TUN"
ip -n "$A" addr add fd00:3::1/64 dev "$TUN" nodad
ip -n "$A" link set "$TUN" up

# Stops the processes started since index $1 (tcpdump and tshark close their files on SIGTERM).
stop_from() {
  local i
  for ((i = $1; i < ${#PIDS[@]}; i++)); do kill "${PIDS[$i]}" 2>/dev/null || true; done
  for ((i = $1; i < ${#PIDS[@]}; i++)); do wait "${PIDS[$i]}" 2>/dev/null || true; done
}

# 1. Across the veth: Linux cooked v1/v2 on "any", Ethernet with ns timestamps, pcapng.
first=${#PIDS[@]}
ip netns exec "$A" tcpdump -q --immediate-mode -i any -U -w "$OUT/pcapio_any_sll2.pcap" icmp or icmp6 or arp 2>/dev/null &
PIDS+=($!)
ip netns exec "$A" tcpdump -q --immediate-mode -i any -y LINUX_SLL -U -w "$OUT/pcapio_any_sll.pcap" icmp or icmp6 or arp 2>/dev/null &
PIDS+=($!)
ip netns exec "$A" tcpdump -q --immediate-mode -i "$VA" --time-stamp-precision=nano -s 100 -U -w "$OUT/pcapio_veth_nano.pcap" 2>/dev/null &
PIDS+=($!)
ip netns exec "$A" tshark -q -i "$VA" -F pcapng -w "$OUT/pcapio_veth.pcapng" 2>/dev/null &
PIDS+=($!)
sleep 3  # tshark takes a moment before it captures
ip netns exec "$A" ping -q -c 2 -i 0.2 198.18.1.2 >/dev/null
ip netns exec "$A" ping -6 -q -c 2 -i 0.2 fd00:1::2 >/dev/null
sleep 1
stop_from "$first"

# 2. Through the TUN: raw IP packets, no link header.
first=${#PIDS[@]}
ip netns exec "$A" /usr/bin/python3 "$HERE/tun_echo_responder.py" "$TUN" &
PIDS+=($!)
ip netns exec "$A" tcpdump -q --immediate-mode -i "$TUN" -U -w "$OUT/pcapio_tun_raw.pcap" 2>/dev/null &
PIDS+=($!)
sleep 1
ip netns exec "$A" ping -q -c 2 -i 0.2 198.18.3.2 >/dev/null
ip netns exec "$A" ping -6 -q -c 2 -i 0.2 fd00:3::2 >/dev/null
sleep 1
stop_from "$first"

for f in pcapio_any_sll2.pcap pcapio_any_sll.pcap pcapio_veth_nano.pcap pcapio_veth.pcapng \
  pcapio_tun_raw.pcap; do
  tshark -r "$OUT/$f" -T fields -e frame.len -e frame.cap_len -e frame.time_epoch \
    >"$OUT/$f.tshark.txt" 2>/dev/null
  echo "$f: $(capinfos -E -c "$OUT/$f" 2>/dev/null | tail -2 | tr -s ' ' | tr '\n' ' ')"
done
