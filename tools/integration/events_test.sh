#!/bin/bash
# `ustack serve --events FILE` over TUN with the kernel as the client: python connects to the
# echo service over IPv4, writes, reads the echo and closes. The events file must parse as the
# documented format (docs/events.md) and hold the handshake (SYN in, SYN-ACK out), the state
# changes of a passive open and a passive close with their RFC 9293 sections, and `ustack
# ladder` must draw it.
source "$(dirname "$0")/lib.sh"
setup_ns
EVENTS="$WORK/events.jsonl"
start_serve --events "$EVENTS" echo:7

out=$(tcp_echo_line "hello events")
check "the echo came back ($out)" test "$out" = "hello events"
sleep 0.5  # ustack's FIN and the kernel's last ACK
stop_ustack
check "ustack serve stopped cleanly (rc $USTACK_RC)" test "$USTACK_RC" = 0

summary=$(/usr/bin/python3 - "$EVENTS" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
head = json.loads(lines[0])
assert head["format"] == "ustack-events" and head["version"] == 1, head
assert head["tool"] == "serve", head
conn = None
for n, line in enumerate(lines[1:], 2):
    e = json.loads(line)  # every line parses
    for k in ("time", "category", "event", "data"):
        assert k in e, (n, line)
    if e["event"] == "segment_received" and e["data"]["flags"] == "S" and \
            e["conn"].startswith("198.18.0.2:7>"):
        conn = e["conn"]
assert conn, "no SYN to port 7"
mine = [json.loads(l) for l in lines[1:]]
mine = [e for e in mine if e.get("conn") == conn]
for e in mine:
    d = e["data"]
    if e["event"] in ("segment_received", "segment_sent"):
        print(e["event"], d["flags"], d["len"], "mss" in d.get("options", {}))
    elif e["event"] == "state":
        print("state", d["from"], d["to"], d.get("rfc9293", "-"))
print("conn", conn)
PY
)
echo "$summary" | head -40
check "the file parses and has the SYN to port 7" grep -q '^conn 198.18.0.2:7>198.18.0.1:' \
  <<<"$summary"
check "the kernel's SYN came in with its MSS" grep -qx 'segment_received S 0 True' <<<"$summary"
check "ustack's SYN-ACK went out with its MSS" grep -qx 'segment_sent S. 0 True' <<<"$summary"
check "the 13 bytes came in" grep -qx 'segment_received P. 13 False' <<<"$summary"
for s in "LISTEN SYN_RECEIVED 3.10.7.2" "SYN_RECEIVED ESTABLISHED 3.10.7.4" \
  "ESTABLISHED CLOSE_WAIT 3.10.7.4" "CLOSE_WAIT LAST_ACK 3.10.4" "LAST_ACK CLOSED 3.10.7.4"; do
  check "state change $s" grep -qx "state $s" <<<"$summary"
done

conn=$(sed -n 's/^conn //p' <<<"$summary")
"$USTACK" ladder --conn "$conn" "$EVENTS" >"$WORK/ladder" 2>&1
check "ustack ladder draws it" test $? = 0
cat "$WORK/ladder"
check "the ladder shows the SYN at relative 0" grep -qE '<---  S 0:0\(0\) win [0-9]+ <mss' \
  "$WORK/ladder"
check "the ladder shows the state change" grep -q '== SYN_RECEIVED -> ESTABLISHED' "$WORK/ladder"
check "the ladder shows the echo with cwnd" grep -qE 'P\. 1:14\(13\) ack 14 .* --->  cwnd' \
  "$WORK/ladder"
finish
