#!/bin/bash
# UstackPcapMatchesKernelTcpdump (TUN and TAP): `ustack up --pcap FILE` records every packet the
# stack sends and receives. The file opens in tshark with no malformed packets and no
# error-level expert info, and holds exactly what tcpdump captured on the kernel's end of the
# device over the same exchange (pings in both families, fragmented ones, a UDP port
# unreachable).
#   usage: pcap_test.sh tun|tap
MODE="${1:?usage: pcap_test.sh tun|tap}"
source "$(dirname "$0")/lib.sh"
require_root
command -v tshark >/dev/null || die "tshark is missing (tools/setup.sh installs it)"
command -v tcpdump >/dev/null || die "tcpdump is missing (tools/setup.sh installs it)"

DEV="ust${ID}${MODE:1:1}"
OURS="$WORK/ustack.pcap"
THEIRS="$WORK/kernel.pcap"
start_ustack "--$MODE" "$DEV" --netns "$NS" --pcap "$OURS" \
  --addr 198.18.0.2/24 --addr fd00:1::2/64 --peer 198.18.0.1/24 --peer fd00:1::1/64 --seed 4
for _ in $(seq 20); do in_ns ping -c 1 -W 1 fd00:1::2 >/dev/null 2>&1 && break; done

in_ns tcpdump -i "$DEV" -n -U -s 0 -w "$THEIRS" 2>"$WORK/tcpdump.err" &
TCPDUMP_PID=$!
PIDS+=("$TCPDUMP_PID")
for _ in $(seq 50); do grep -q "listening on" "$WORK/tcpdump.err" && break; sleep 0.1; done
grep -q "listening on" "$WORK/tcpdump.err" || die "tcpdump did not start: $(cat "$WORK/tcpdump.err")"

in_ns ping -c 3 -i 0.2 -W 2 198.18.0.2 >/dev/null || die "ping failed"
in_ns ping -c 2 -i 0.2 -W 2 -s 4000 198.18.0.2 >/dev/null || die "fragmented ping failed"
in_ns ping -6 -c 3 -i 0.2 -W 2 fd00:1::2 >/dev/null || die "ping -6 failed"
in_ns ping -6 -c 2 -i 0.2 -W 2 -s 4000 fd00:1::2 >/dev/null || die "fragmented ping -6 failed"
in_ns /usr/bin/python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b'closed port', ('198.18.0.2', 9))" || die "udp send failed"
sleep 0.5

kill -TERM "$TCPDUMP_PID"  # background jobs ignore SIGINT
wait "$TCPDUMP_PID"
stop_ustack INT
[ "$USTACK_RC" -eq 0 ] || die "ustack exited $USTACK_RC"
[ -s "$OURS" ] || die "ustack wrote no pcap"

tshark_clean() {
  local frames bad
  frames=$(tshark -r "$OURS" 2>"$WORK/tshark.err" | wc -l)
  # (tshark warns about running as root; anything else on stderr is a problem)
  if [ -n "$(grep -v "Running as user" "$WORK/tshark.err")" ]; then
    cat "$WORK/tshark.err" >&2
    return 1
  fi
  bad=$(tshark -r "$OURS" -Y "_ws.malformed || _ws.expert.severity >= error" 2>/dev/null)
  echo "  tshark read $frames frames"
  [ "$frames" -gt 0 ] && [ -z "$bad" ] || { echo "$bad" >&2; return 1; }
}
check "tshark reads ustack's pcap with no malformed packets" tshark_clean
check "tshark sees ICMP and ICMPv6 echo, fragments and port unreachable" bash -c "
  tshark -r '$OURS' -Y 'icmp.type == 0' | grep -q . &&
  tshark -r '$OURS' -Y 'icmpv6.type == 129' | grep -q . &&
  tshark -r '$OURS' -Y 'ip.flags.mf == 1' | grep -q . &&
  tshark -r '$OURS' -Y 'ipv6.fragment' | grep -q . &&
  tshark -r '$OURS' -Y 'icmp.type == 3 && icmp.code == 3' | grep -q ."
check "ustack's pcap matches the kernel side's tcpdump" \
  /usr/bin/python3 "$(dirname "$0")/pcap_compare.py" "$OURS" "$THEIRS"
finish
