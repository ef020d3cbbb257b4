#!/bin/bash
# `ustack resolve` against dnsmasq, a real DNS server the test runs in the namespace, with
# `dig` against the same server as the referee, record for record:
#   UstackResolvesAAndAaaaLikeDig                A + AAAA, addresses as sets, TTLs, RFC 6724
#                                                order (IPv4 before ULA IPv6). A TTL is the
#                                                answer's: the smallest along the CNAME chain
#   UstackFollowsTwoLinkCnameChainLikeDig        www -> alias -> web, the chain as dig shows it
#   UstackFallsBackToTcpForHundredARecords       100 A records do not fit 1232 bytes: TC over
#                                                UDP, then TCP (seen by tcpdump), all 100
#   UstackReportsNxdomainAsEaiNoname             NXDOMAIN -> EAI_NONAME, exit 1, the exact line
#   UstackReportsNodataAsEaiNoname               AAAA of a v4-only name -> EAI_NONAME; the
#                                                default (A and AAAA) still returns its A
#   UstackQueriesOverIpv6Transport               --nameserver fd00:2::1
#   UstackQueriesOverTcpWhenAsked                --tcp: TCP only, no UDP query on the wire
#   UstackSendsEdnsWith1232BytePayload           what the queries carry (tshark)
source "$(dirname "$0")/lib.sh"
setup_ns
KV4=198.18.1.1
KV6=fd00:2::1
: >"$WORK/hosts"  # an empty hosts file: every answer comes from the server
RESOLVE=("$USTACK" resolve --tun "$CN_DEV" --netns "$NS" --no-create --addr 198.18.1.2/24
  --addr fd00:2::2/64 --hosts "$WORK/hosts")

# --- dnsmasq, configured by a file written here ---
{
  echo "local=/ustack.test/"  # answer from the records below only: NXDOMAIN for the rest
  echo "host-record=web.ustack.test,198.18.0.80,fd00:1::80,300"
  echo "host-record=v4only.ustack.test,198.18.0.4,300"
  echo "cname=www.ustack.test,alias.ustack.test,120"
  echo "cname=alias.ustack.test,web.ustack.test,120"
  for i in $(seq 1 100); do echo "host-record=many.ustack.test,198.18.2.$i,300"; done
} >"$WORK/dnsmasq.conf"
bg_ns dnsmasq --no-daemon --no-resolv --no-hosts --bind-interfaces --port 53 \
  --listen-address=$KV4 --listen-address=$KV6 --conf-file="$WORK/dnsmasq.conf" \
  --pid-file="$WORK/dnsmasq.pid" --user=root --log-queries --log-facility=- \
  >"$WORK/dnsmasq.log" 2>&1
DNSMASQ_PID=$BG_PID
for _ in $(seq 50); do
  in_ns ss -Hlun "sport = :53" | grep -q "$KV6" && break
  kill -0 "$DNSMASQ_PID" 2>/dev/null || die "dnsmasq exited: $(cat "$WORK/dnsmasq.log")"
  sleep 0.1
done
in_ns dig +short @$KV4 web.ustack.test | grep -q 198.18.0.80 || die "dnsmasq does not answer dig"

# Every packet on the device, for the wire checks at the end. --immediate-mode: without it
# tcpdump hands packets over a ring block at a time (up to 1 s late) and loses the last ones
# when it is stopped.
ip netns exec "$NS" tcpdump -i "$CN_DEV" -n -U --immediate-mode -w "$WORK/all.pcap" 2>"$WORK/tcpdump.err" &
DUMP_PID=$!
PIDS+=("$DUMP_PID")
for _ in $(seq 50); do grep -q "listening on" "$WORK/tcpdump.err" && break; sleep 0.1; done


# What dig and ustack say, reduced to comparable lines:
#   addresses: "CANONICAL TYPE ADDR TTL" (sorted);  links: "OWNER CNAME TARGET" (sorted)
dig_addrs() {  # dig_addrs SERVER NAME TYPE...
  local server=$1 name=$2 t
  shift 2
  for t in "$@"; do
    in_ns dig +noall +answer +tcp "@$server" "$name" "$t"
  done | awk '$4=="A" || $4=="AAAA" {print $1, $4, $5, $2}' | sort -u
}
dig_links() {  # dig_links SERVER NAME
  for t in A AAAA; do in_ns dig +noall +answer "@$1" "$2" "$t"; done |
    awk '$4=="CNAME" {print $1, "CNAME", $5}' | sort -u
}
ustack_addrs() { awk 'NF==4 && ($3=="A" || $3=="AAAA") {print $1, $3, $4, $2}' "$1" | sort; }
ustack_links() { awk 'NF==3 && $2=="CNAME" {print $1, "CNAME", $3}' "$1" | sort; }

# chain_ttl SERVER NAME: the smallest TTL of the CNAME records dig shows for NAME (none: 2^31).
chain_ttl() {
  for t in A AAAA; do in_ns dig +noall +answer "@$1" "$2" "$t"; done |
    awk 'BEGIN {m = 2147483647} $4=="CNAME" && $2 < m {m = $2} END {print m}'
}

# same_records FILE SERVER NAME TYPE...: ustack's addresses equal dig's as sets (canonical name,
# type, address), and each TTL is what the answer is good for: the smallest of the address
# record's and every CNAME's along the chain (how ustack reports it, stack/dns/resolver.h
# "seconds left"), at most 5 s less (a server's cached records count down; dnsmasq's own keep
# their TTL).
same_records() {
  local file=$1 server=$2 name=$3 chain
  shift 3
  dig_addrs "$server" "$name" "$@" >"$WORK/dig.addrs"
  ustack_addrs "$file" >"$WORK/ustack.addrs"
  chain=$(chain_ttl "$server" "$name")
  if ! diff <(cut -d' ' -f1-3 "$WORK/dig.addrs") <(cut -d' ' -f1-3 "$WORK/ustack.addrs") \
    >"$WORK/addrs.diff"; then
    echo "  addresses differ (< dig, > ustack):"
    sed 's/^/    /' "$WORK/addrs.diff" | head -20
    return 1
  fi
  [ -s "$WORK/dig.addrs" ] || { echo "  dig has no addresses for $name"; return 1; }
  join -j1 <(awk '{print $1"/"$2"/"$3, $4}' "$WORK/dig.addrs") \
    <(awk '{print $1"/"$2"/"$3, $4}' "$WORK/ustack.addrs") |
    awk -v chain="$chain" '{
      want = $2 < chain ? $2 : chain
      if ($3 > want || $3 < want - 5) {
        print "  TTL " $1 ": dig " $2 " (CNAMEs " chain "), ustack " $3; bad = 1 } }
      END { exit bad }'
}

summary() {  # summary FILE NAME: the ";; NAME: ..." line
  grep "^;; $2: " "$1"
}

# --- A and AAAA of one name ---
resolve web web.ustack.test
check "web.ustack.test: exit 0" test "$RC" = 0
check "web.ustack.test: A and AAAA equal dig's (addresses, TTLs)" \
  same_records "$WORK/web" $KV4 web.ustack.test A AAAA
check "web.ustack.test: summary line" \
  test "$(summary "$WORK/web" web.ustack.test)" = ";; web.ustack.test: 2 addresses from $KV4 over udp"
# RFC 6724 §6 rule 6 with the default policy table (§2.1): ::ffff:0:0/96 has precedence 35,
# fc00::/7 precedence 3, so the IPv4 address comes before the ULA one (as glibc orders them).
check "web.ustack.test: RFC 6724 order, IPv4 before ULA IPv6" \
  test "$(awk 'NF==4 && ($3=="A" || $3=="AAAA") {print $3}' "$WORK/web" | tr '\n' ' ')" = "A AAAA "

# --- a CNAME chain of two links ---
resolve www www.ustack.test
check "www.ustack.test: exit 0" test "$RC" = 0
check "www.ustack.test: the CNAME chain equals dig's" \
  diff <(dig_links $KV4 www.ustack.test) <(ustack_links "$WORK/www")
check "www.ustack.test: two links, in chain order" \
  test "$(awk '$2=="CNAME" {print $1 ">" $3}' "$WORK/www" | tr '\n' ' ')" = \
  "www.ustack.test.>alias.ustack.test. alias.ustack.test.>web.ustack.test. "
check "www.ustack.test: addresses of the canonical name equal dig's, TTL the chain's (120)" \
  same_records "$WORK/www" $KV4 www.ustack.test A AAAA
check "www.ustack.test: summary line" \
  test "$(summary "$WORK/www" www.ustack.test)" = ";; www.ustack.test: 2 addresses from $KV4 over udp"

# --- 100 A records: truncated over UDP even with EDNS0's 1232 bytes, so TCP ---
resolve many --type A many.ustack.test
check "many.ustack.test: exit 0" test "$RC" = 0
check "many.ustack.test: all 100 A records, equal to dig's over TCP" \
  same_records "$WORK/many" $KV4 many.ustack.test A
check "many.ustack.test: 100 addresses" test "$(ustack_addrs "$WORK/many" | wc -l)" = 100
check "many.ustack.test: summary says TCP after truncation" \
  test "$(summary "$WORK/many" many.ustack.test)" = \
  ";; many.ustack.test: 100 addresses from $KV4 over tcp after truncation"

# --- NXDOMAIN and NODATA ---
check "dig agrees nx.ustack.test is NXDOMAIN" \
  bash -c "ip netns exec $NS dig @$KV4 nx.ustack.test | grep -q 'status: NXDOMAIN'"
resolve nx nx.ustack.test
check "nx.ustack.test: exit 1, '$(cat "$WORK/nx.err")'" test "$RC/$(cat "$WORK/nx.err")" = \
  "1/ustack resolve: nx.ustack.test: EAI_NONAME (-2): Name or service not known (NXDOMAIN from $KV4)"
check "nx.ustack.test: nothing on stdout" test ! -s "$WORK/nx"

check "dig agrees v4only.ustack.test has no AAAA (NOERROR, no answer)" \
  bash -c "ip netns exec $NS dig @$KV4 v4only.ustack.test AAAA | grep -q 'status: NOERROR.*' &&
    test -z \"\$(ip netns exec $NS dig +short @$KV4 v4only.ustack.test AAAA)\""
resolve nodata --type AAAA v4only.ustack.test
check "AAAA of v4only.ustack.test: exit 1, '$(cat "$WORK/nodata.err")'" test "$RC/$(cat "$WORK/nodata.err")" = \
  "1/ustack resolve: v4only.ustack.test: EAI_NONAME (-2): Name or service not known (NODATA from $KV4)"
resolve v4only v4only.ustack.test
check "v4only.ustack.test, A and AAAA asked: its A, equal to dig's" \
  same_records "$WORK/v4only" $KV4 v4only.ustack.test A AAAA
check "v4only.ustack.test: summary line" \
  test "$(summary "$WORK/v4only" v4only.ustack.test)" = ";; v4only.ustack.test: 1 address from $KV4 over udp"

# --- IPv6 transport to the server ---
resolve web6 --nameserver $KV6 www.ustack.test
check "over IPv6 to $KV6: exit 0" test "$RC" = 0
check "over IPv6: records equal dig's (dig over IPv6 too)" \
  same_records "$WORK/web6" $KV6 www.ustack.test A AAAA
check "over IPv6: summary names the IPv6 server" \
  test "$(summary "$WORK/web6" www.ustack.test)" = ";; www.ustack.test: 2 addresses from $KV6 over udp"

# --- --tcp ---
resolve tcp --tcp --type A web.ustack.test
check "--tcp: exit 0 and the A record" \
  test "$RC/$(ustack_addrs "$WORK/tcp" | cut -d' ' -f1-3)" = "0/web.ustack.test. A 198.18.0.80"
check "--tcp: summary says over tcp" \
  test "$(summary "$WORK/tcp" web.ustack.test)" = ";; web.ustack.test: 1 address from $KV4 over tcp"

# --- several names in one invocation: one block each, in the order given ---
resolve multi --type A web.ustack.test v4only.ustack.test
check "two names in one invocation: two summaries in order" \
  test "$(grep '^;;' "$WORK/multi" | cut -d: -f1 | tr '\n' ' ')" = \
  ";; web.ustack.test ;; v4only.ustack.test "

# --- what crossed the wire ---
sleep 0.3
kill -INT "$DUMP_PID"
wait "$DUMP_PID"
tsh() { tshark -r "$WORK/all.pcap" -Y "$1" -T fields -e "${2:-frame.number}" 2>/dev/null; }
udp_q=$(tsh 'ip.src == 198.18.1.2 && udp.dstport == 53 && dns.qry.name == "many.ustack.test"' | wc -l)
tc_r=$(tsh 'ip.src == 198.18.1.1 && udp.srcport == 53 && dns.flags.truncated == 1' | wc -l)
tcp_q=$(tsh 'ip.src == 198.18.1.2 && tcp.dstport == 53 && dns.qry.name == "many.ustack.test"' | wc -l)
check "wire: one UDP query for many.ustack.test ($udp_q), a TC answer ($tc_r), one TCP query ($tcp_q)" \
  test "$udp_q/$tc_r/$tcp_q" = "1/1/1"
tcp_only=$(tsh 'ip.src == 198.18.1.2 && udp.dstport == 53 && dns.qry.name == "web.ustack.test" && dns.qry.type == 1' | wc -l)
# web.ustack.test A was asked over UDP by the first lookup and the two-name one; --tcp adds none.
check "wire: --tcp sent no UDP query (UDP queries for web A: $tcp_only, want 2)" test "$tcp_only" = 2
payloads=$(tsh 'ip.src == 198.18.1.2 && udp.dstport == 53' dns.rr.udp_payload_size | sort -u | tr '\n' ' ')
check "wire: every UDP query carries EDNS0 with a 1232-byte payload ('$payloads')" \
  test "$payloads" = "1232 "
v6q=$(tsh 'ipv6.src == fd00:2::2 && udp.dstport == 53' | wc -l)
check "wire: queries over IPv6 ($v6q)" test "$v6q" -ge 2
malformed=$(tshark -r "$WORK/all.pcap" -Y '_ws.malformed || _ws.expert.severity >= error' 2>/dev/null | wc -l)
check "wire: tshark finds no malformed packet ($malformed)" test "$malformed" = 0
finish
