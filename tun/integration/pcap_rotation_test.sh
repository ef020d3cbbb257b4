#!/bin/bash
# UstackPcapSnaplenAndRotationLikeTcpdump: `ustack up --pcap FILE --pcap-size 1` starts FILE1,
# FILE2, ... once a file is over a million octets (tcpdump -C 1), losing no packet; `--snaplen
# 96` keeps the first 96 octets of each packet and the original length (tcpdump -s 96). Every
# file is read back by tcpdump and by `ustack dump` with a filter. Kernel: ping -f over TUN.
source "$(dirname "$0")/lib.sh"
require_root
command -v tcpdump >/dev/null || die "tcpdump is missing (tools/setup.sh installs it)"
tcpdump() { command tcpdump -Z root "$@"; }

DEV="ust${ID}r"
ADDRS=(--addr 198.18.0.2/24 --peer 198.18.0.1/24)
pings=800  # 1600 packets of 1428 octets: 2.3 MB, so three files of at most 1 MB and a packet

# --- Rotation ------------------------------------------------------------------------------
start_ustack --tun "$DEV" --netns "$NS" "${ADDRS[@]}" --pcap "$WORK/rot.pcap" --pcap-size 1
grep -q "new file every 1 MB" "$USTACK_LOG" || die "ustack does not say it rotates: $(cat "$USTACK_LOG")"
in_ns ping -f -c "$pings" -s 1400 -W 2 198.18.0.2 >"$WORK/ping.txt" 2>&1 || die "ping: $(cat "$WORK/ping.txt")"
stop_ustack INT
[ "$USTACK_RC" -eq 0 ] || die "ustack exited $USTACK_RC"

files=("$WORK/rot.pcap" "$WORK/rot.pcap1" "$WORK/rot.pcap2")
check "three files: rot.pcap, rot.pcap1, rot.pcap2 and no rot.pcap3" bash -c "
  [ -s '${files[0]}' ] && [ -s '${files[1]}' ] && [ -s '${files[2]}' ] && [ ! -e '$WORK/rot.pcap3' ]"
full_size_ok() {  # a closed file is over 1 MB by less than one packet
  local f size
  for f in "${files[0]}" "${files[1]}"; do
    size=$(stat -c %s "$f")
    echo "  $(basename "$f"): $size octets"
    [ "$size" -gt 1000000 ] && [ "$size" -le $((1000000 + 16 + 1428)) ] || return 1
  done
}
check "each full file is just over 1,000,000 octets" full_size_ok
echo_count() {  # the echo requests and replies of every file, counted by tcpdump and ustack
  local f t=0 u=0
  for f in "${files[@]}"; do
    t=$((t + $(tcpdump -n -r "$f" 'icmp[icmptype] == icmp-echo or icmp[icmptype] == icmp-echoreply' 2>/dev/null | wc -l)))
    u=$((u + $("$USTACK" dump "$f" 'icmp[icmptype] == icmp-echo or icmp[icmptype] == icmp-echoreply' | grep -c 'ICMP echo')))
  done
  echo "  tcpdump: $t, ustack dump: $u, want $((2 * pings))"
  [ "$t" = $((2 * pings)) ] && [ "$u" = $((2 * pings)) ]
}
check "no packet lost across the files (tcpdump and ustack dump agree)" echo_count

# --- Snapshot length -----------------------------------------------------------------------
start_ustack --tun "$DEV" --netns "$NS" "${ADDRS[@]}" --pcap "$WORK/snap.pcap" --snaplen 96
in_ns ping -c 3 -i 0.2 -s 1000 -W 2 198.18.0.2 >/dev/null || die "ping -s 1000 failed"
stop_ustack INT
[ "$USTACK_RC" -eq 0 ] || die "ustack exited $USTACK_RC"
check "tcpdump reads snapshot length 96" bash -c "
  tcpdump -n -r '$WORK/snap.pcap' 2>&1 >/dev/null | grep -q 'snapshot length 96'"
check "every echo is cut to 96 of its 1028 octets" bash -c "
  [ \$('$USTACK' dump -v '$WORK/snap.pcap' icmp | grep -c '^  \[captured 96 of 1028 bytes\]$') = 6 ] &&
  [ \$(tcpdump -n -r '$WORK/snap.pcap' icmp 2>/dev/null | grep -c 'ICMP echo .*length 1008') = 6 ]"
finish
