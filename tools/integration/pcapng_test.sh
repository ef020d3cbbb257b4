#!/bin/bash
# `ustack serve --pcap FILE.pcapng --events FILE` over TUN with the kernel as the client: the
# capture is pcapng (by its name), tshark reads it, capinfos shows the interface description,
# every packet ustack sent carries a comment saying what it was and the connection's state
# (tun/pcap_comments.h), every packet it received one saying what it did (written once the
# stack handled it), and the events file is still complete.
source "$(dirname "$0")/lib.sh"
setup_ns
PCAP="$WORK/serve.pcapng"
EVENTS="$WORK/events.jsonl"
start_serve --pcap "$PCAP" --events "$EVENTS" echo:7

out=$(tcp_echo_line "hello pcapng")
check "the echo came back ($out)" test "$out" = "hello pcapng"
sleep 0.5  # ustack's FIN and the kernel's last ACK
stop_ustack
check "ustack serve stopped cleanly (rc $USTACK_RC)" test "$USTACK_RC" = 0

check "the file is pcapng" bash -c "capinfos -t '$PCAP' | grep -q pcapng"
capinfos "$PCAP" >"$WORK/capinfos" 2>&1
cat "$WORK/capinfos"
check "capinfos shows the interface by name" grep -q "Name = $SV_DEV" "$WORK/capinfos"
check "with its description: device and addresses" \
  grep -q "Description = ustack tun $SV_DEV 198.18.0.2/24 fd00:1::2/64" "$WORK/capinfos"
check "and nanosecond timestamps" grep -qi "nanoseconds" "$WORK/capinfos"

tshark -r "$PCAP" -Y "tcp.port == 7" -T fields -E separator='|' \
  -e frame.p2p_dir -e tcp.flags.str -e frame.comment >"$WORK/frames" 2>"$WORK/tshark.err"
# (tshark warns about running as root; anything else is an error)
check "tshark reads it without errors" test -z "$(grep -v 'Running as user' "$WORK/tshark.err")"
cat "$WORK/frames"
check "the SYN-ACK explained" grep -qE '^0\|.*\|SYN-ACK; state SYN_RECEIVED' "$WORK/frames"
check "the echoed data explained" grep -qE '^0\|.*\|data; state ESTABLISHED' "$WORK/frames"
check "ustack's FIN in LAST_ACK" grep -qE '^0\|.*\|FIN; state LAST_ACK' "$WORK/frames"
check "the kernel's SYN: a new connection" grep -qE '^1\|.*\|SYN; state SYN_RECEIVED$' "$WORK/frames"
check "the handshake's ACK acknowledges our SYN" \
  grep -qE '^1\|.*\|ACKs our SYN; cwnd [0-9]+; state ESTABLISHED$' "$WORK/frames"
check "the data received, in order" grep -qE '^1\|.*\|(.*; )?data 13 bytes, in order; ' "$WORK/frames"
check "the kernel's last ACK closes" grep -qE '^1\|.*\|ACKs .*state CLOSED$' "$WORK/frames"
check "every packet has a comment" test -z "$(grep -E '\|$' "$WORK/frames")"
check "the events file is still written" grep -q '"event":"segment_sent"' "$EVENTS"
finish
