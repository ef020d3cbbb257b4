#!/bin/bash
# `ustack resolve` when the DNS server fails it, against kernel-side servers in the namespace.
# What is checked is what crosses the wire (tcpdump on the kernel side, counted with tshark)
# and what ustack prints, never how long anything took:
#   ServerPortClosedGivesEaiAgainAfterConfiguredTries  nothing on :53 (ICMP port unreachable):
#                                                      EAI_AGAIN, `attempts:2` queries sent
#   BlackholedServerGivesEaiAgainAfterConfiguredTries  no answer at all: EAI_AGAIN after
#                                                      exactly `attempts:2` queries
#   SecondNameserverAnswersWhenFirstIsDown             the summary names the second server
#   SpoofedAnswersAreIgnoredAndCounted                 dns_fake_server.py sends forged answers
#                                                      (wrong ID, question, source address,
#                                                      source port) before the real one
#   MalformedAnswersFailCleanly                        pointer loop, truncated record, counts
#                                                      past the end, CNAME loop: EAI_FAIL, no
#                                                      crash, counted
#   ServfailAndTruncationFromFakeServer                SERVFAIL -> EAI_AGAIN; TC -> TCP
#   CacheAnswersALaterLookupOfTheSameName              via the search list, a lookup reaching a
#                                                      name already answered gets it from the
#                                                      cache (also NXDOMAIN, RFC 2308); TTL 1
#                                                      has expired 1.5 s later: asked again
source "$(dirname "$0")/lib.sh"
setup_ns
FAKE="$(dirname "$0")/dns_fake_server.py"
KV4=198.18.1.1      # dns_fake_server.py
KV6=fd00:2::1
SPOOF4=198.18.1.3   # a second kernel address: the forged answers' wrong source
SPOOF6=fd00:2::3
CLOSED4=198.18.1.4  # a kernel address with nothing on port 53: ICMP port unreachable
HOLE4=198.18.1.99   # routed to a blackhole on the kernel side: never answers
in_ns ip addr add $SPOOF4/24 dev "$CN_DEV"
in_ns ip addr add $SPOOF6/64 dev "$CN_DEV" nodad
in_ns ip addr add $CLOSED4/24 dev "$CN_DEV"
in_ns ip route add blackhole $HOLE4/32
# Linux rate-limits ICMP errors per peer; every query to the closed port must get its answer.
in_ns sysctl -qw net.ipv4.icmp_ratelimit=0
: >"$WORK/hosts"
RESOLVE=("$USTACK" resolve --tun "$CN_DEV" --netns "$NS" --no-create --addr 198.18.1.2/24
  --addr fd00:2::2/64 --hosts "$WORK/hosts")

bg_ns /usr/bin/python3 -u "$FAKE" --listen $KV4 --listen $KV6 --spoof-from $SPOOF4 \
  --spoof-from $SPOOF6 --delay-ms 300 >"$WORK/fake.log" 2>&1
FAKE_PID=$BG_PID
for _ in $(seq 50); do
  grep -q ready "$WORK/fake.log" && break
  kill -0 "$FAKE_PID" 2>/dev/null || die "dns_fake_server.py exited: $(cat "$WORK/fake.log")"
  sleep 0.1
done

# conf NAME LINES...: writes $WORK/NAME.conf, a resolv.conf with the given lines.
conf() {
  local f="$WORK/$1.conf"
  shift
  printf '%s\n' "$@" >"$f"
}


# capture NAME FILTER / end_capture: tcpdump on the kernel side of the device.
capture() {
  CAP="$WORK/$1.pcap"
  # --immediate-mode: else packets reach tcpdump a ring block at a time, up to 1 s late, and
  # the last ones are lost when it is stopped.
  ip netns exec "$NS" tcpdump -i "$CN_DEV" -n -U --immediate-mode -w "$CAP" "$2" 2>"$WORK/$1.tcpdump.err" &
  CAP_PID=$!
  PIDS+=("$CAP_PID")
  for _ in $(seq 50); do grep -q "listening on" "$WORK/$1.tcpdump.err" && break; sleep 0.1; done
}
end_capture() {
  sleep 0.3
  kill -INT "$CAP_PID"
  wait "$CAP_PID"
}
count() {  # count DISPLAY-FILTER: packets of the last capture that match
  tshark -r "$CAP" -Y "$1" 2>/dev/null | wc -l
}
# queries NAME TYPE [TRANSPORT]: queries dns_fake_server.py logged so far for NAME/TYPE.
queries() { grep -c "^query ${3:-udp} $2 $1 " "$WORK/fake.log"; }

# stat_of FILE NAME: the counter NAME (e.g. dns_wrong_id) in ustack's printed counters, any
# section; 0 when absent.
stat_of() { awk -v n="$2" '$2==n || $2=="drops."n || $2=="dns."n {v=$1} END {print v+0}' "$1"; }

# --- nothing listens on the server's port: ICMP port unreachable, tried `attempts` times ---
conf closed "nameserver $CLOSED4" "options timeout:1 attempts:2"
capture closed "host $CLOSED4"
resolve closed --resolv-conf "$WORK/closed.conf" --type A ok.fake.test
end_capture
check "closed port: exit 1, '$(cat "$WORK/closed.err")'" \
  grep -q "^ustack resolve: ok.fake.test: EAI_AGAIN (-3): " "$WORK/closed.err"
# (!icmp: an ICMP error quotes the query, and tshark's udp.dstport matches the quoted header.)
q=$(count "ip.src == 198.18.1.2 && udp.dstport == 53 && !icmp")
u=$(count "icmp.type == 3 && icmp.code == 3")
check "closed port: exactly 2 queries on the wire (attempts:2): $q, each refused: $u ICMP" \
  test "$q/$u" = "2/2"

# --- a server that never answers: timeout, tried `attempts` times ---
conf hole "nameserver $HOLE4" "options timeout:1 attempts:2"
capture hole "host $HOLE4"
resolve hole --resolv-conf "$WORK/hole.conf" --type A ok.fake.test
end_capture
check "blackholed server: exit 1, EAI_AGAIN, '$(cat "$WORK/hole.err")'" \
  grep -q "^ustack resolve: ok.fake.test: EAI_AGAIN (-3): " "$WORK/hole.err"
q=$(count "ip.src == 198.18.1.2 && udp.dstport == 53 && !icmp")
check "blackholed server: exactly 2 queries on the wire (attempts:2): $q" test "$q" = 2
# Both types (the default): `attempts` queries per type.
capture hole2 "host $HOLE4"
resolve hole2 --resolv-conf "$WORK/hole.conf" ok.fake.test
end_capture
qa=$(count "ip.src == 198.18.1.2 && dns.qry.type == 1")
qaaaa=$(count "ip.src == 198.18.1.2 && dns.qry.type == 28")
check "blackholed server, A and AAAA: 2 queries per type ($qa A, $qaaaa AAAA), EAI_AGAIN" \
  test "$qa/$qaaaa/$RC" = "2/2/1"

# --- two nameservers, the first down ---
conf two "nameserver $CLOSED4" "nameserver $KV4" "options timeout:1 attempts:2"
resolve two --resolv-conf "$WORK/two.conf" --type A ok.fake.test
check "first server refused, second answers: exit 0, 198.18.0.10" \
  test "$RC/$(awk '$3=="A" {print $4}' "$WORK/two")" = "0/198.18.0.10"
check "  ... and the summary names the second server" \
  test "$(grep '^;;' "$WORK/two")" = ";; ok.fake.test: 1 address from $KV4 over udp"
conf two_hole "nameserver $HOLE4" "nameserver $KV4" "options timeout:1 attempts:2"
resolve two_hole --resolv-conf "$WORK/two_hole.conf" --type A ok.fake.test
check "first server silent, second answers: exit 0, from $KV4" \
  test "$RC/$(grep '^;;' "$WORK/two_hole")" = "0/;; ok.fake.test: 1 address from $KV4 over udp"

# --- forged answers before the real one ---
# The fake server answers `spoofed` with four forged datagrams carrying 198.18.0.66 (wrong ID;
# wrong question; right everything but the source address; right everything but the source
# port), then the real answer (198.18.0.10) 300 ms later.
spoof_check() {  # spoof_check OUT SERVER TYPE GOOD BAD
  local out=$1 server=$2 type=$3 good=$4 bad=$5
  resolve "$out" --nameserver "$server" --type "$type" --stats spoofed.fake.test
  check "spoofs over $server: exit 0, only the real answer $good" \
    test "$RC/$(awk -v t="$type" '$3==t {print $4}' "$WORK/$out" | tr '\n' ' ')" = "0/$good "
  check "spoofs over $server: the forged $bad is nowhere in the output" \
    bash -c "! grep -q '$bad' '$WORK/$out'"
  local id q src
  id=$(stat_of "$WORK/$out" dns_wrong_id)
  q=$(stat_of "$WORK/$out" dns_wrong_question)
  src=$(stat_of "$WORK/$out" dns_wrong_source)
  # The resolver's sockets are not connected (stack/dns/resolver.h), so the forged datagrams
  # from the wrong address and the wrong port reach it and are counted as wrong_source.
  check "spoofs over $server: counted: wrong id $id, wrong question $q, wrong source $src" \
    test "$id/$q/$src" = "1/1/2"
}
capture spoof "udp port 53 or udp port 54"
spoof_check spoof4 $KV4 A 198.18.0.10 198.18.0.66
spoof_check spoof6 $KV6 AAAA fd00:1::10 fd00:1::66
end_capture
p=$(count "udp.srcport == 54 && (ip.dst == 198.18.1.2 || ipv6.dst == fd00:2::2)")
a4=$(count "ip.src == $SPOOF4 && udp.srcport == 53")
a6=$(count "ipv6.src == $SPOOF6 && udp.srcport == 53")
check "wire: forged answers from the wrong port ($p) and wrong addresses ($a4, $a6) reached ustack" \
  test "$p/$a4/$a6" = "2/1/1"

# --- malformed answers: a clear error, no crash, counted ---
# A malformed answer ends its try (stack/dns/resolver.h); every try gets one, so the lookup
# fails with EAI_FAIL and drops.dns_malformed counts one per query the server saw.
malformed() {  # malformed NAME DETAIL
  local name=$1 detail=$2 n m
  resolve "bad_$name" --nameserver $KV4 --type A --stats "$name.fake.test"
  check "$name: exit 1 (no crash), one EAI_FAIL line: '$(cat "$WORK/bad_$name.err")'" \
    test "$RC/$(wc -l <"$WORK/bad_$name.err")" = 1/1
  check "  ... 'ustack resolve: $name.fake.test: EAI_FAIL (-4): ...$detail...'" \
    grep -q "^ustack resolve: $name.fake.test: EAI_FAIL (-4): .*$detail" "$WORK/bad_$name.err"
  n=$(queries "$name.fake.test." A)
  m=$(stat_of "$WORK/bad_$name" dns_malformed)
  [ "$name" = cnameloop ] && m=$n  # well-formed messages: nothing to count as malformed
  check "  ... drops.dns_malformed ($m) = queries the server answered ($n), at least 1" \
    test "$m" = "$n" -a "$n" -ge 1
}
malformed ptrloop pointer_loop
malformed truncrr truncated
malformed badcount too_many_records
malformed cnameloop "CNAME loop"

# --- SERVFAIL and truncation from the fake server ---
conf one "nameserver $KV4" "options timeout:1 attempts:2"
resolve servfail --resolv-conf "$WORK/one.conf" --type A servfail.fake.test
check "SERVFAIL: exit 1, EAI_AGAIN, '$(cat "$WORK/servfail.err")'" \
  grep -q "^ustack resolve: servfail.fake.test: EAI_AGAIN (-3): " "$WORK/servfail.err"
check "  ... after attempts:2 tries, one per round ($(queries servfail.fake.test. A))" \
  test "$(queries servfail.fake.test. A)" = 2
resolve tc --nameserver $KV4 --type A tc.fake.test
check "TC over UDP, then TCP: 198.18.0.12 over tcp after truncation" \
  test "$RC/$(awk '$3=="A" {print $4}' "$WORK/tc")/$(grep '^;;' "$WORK/tc")" = \
  "0/198.18.0.12/;; tc.fake.test: 1 address from $KV4 over tcp after truncation"
check "  ... the fake server saw one UDP and one TCP query" \
  test "$(queries tc.fake.test. A udp)/$(queries tc.fake.test. A tcp)" = "1/1"

# --- the cache, inside one invocation ---
# `ustack resolve` starts every name at once and looks a repeated name up once (cmd_resolve.cc),
# so a cache hit needs a lookup that reaches a name after another lookup's answer arrived: with
# `search slow.test cache.test`, a single-label NAME is first asked as NAME.slow.test, which the
# fake server answers NXDOMAIN only after 1.5 s, then as NAME.cache.test. Meanwhile the lookup
# of NAME.cache.test itself (more dots than ndots: asked as-is first) has been answered.
# The names here (zone cache.test) are asked by nothing else in this test.
conf cache "nameserver $KV4" "search slow.test cache.test" "options ndots:1"
resolve twice --resolv-conf "$WORK/cache.conf" --type A ok.twice.test ok.twice.test
check "a name given twice: two results, exit 0" \
  test "$RC/$(grep -c '^;; ok.twice.test: 1 address from' "$WORK/twice")" = "0/2"
check "  ... one query for it reached the server" test "$(queries ok.twice.test. A)" = 1
resolve cache_hit --resolv-conf "$WORK/cache.conf" --type A --stats ok.cache.test ok
check "ok via the search list after ok.cache.test's answer (TTL 60): from cache" \
  test "$(grep '^;; ok:' "$WORK/cache_hit")" = ";; ok: 1 address from cache"
check "  ... with ok.cache.test's address" \
  test "$(awk '$3=="A" {print $1, $4}' "$WORK/cache_hit" | sort -u)" = "ok.cache.test. 198.18.0.10"
check "  ... and ok.cache.test was asked once ($(queries ok.cache.test. A))" \
  test "$(queries ok.cache.test. A)" = 1
check "  ... counted as a cache hit (dns.cache_hits $(stat_of "$WORK/cache_hit" cache_hits))" \
  test "$(stat_of "$WORK/cache_hit" cache_hits)" = 1
# RFC 2308 §5: the NXDOMAIN came with an SOA (minimum 60), so it is cached too.
resolve neg --resolv-conf "$WORK/cache.conf" --type A nx.cache.test nx
check "NXDOMAIN cached (RFC 2308): both lookups fail with EAI_NONAME" \
  test "$RC/$(grep -c 'EAI_NONAME' "$WORK/neg.err")" = "1/2"
check "  ... and nx.cache.test was asked once ($(queries nx.cache.test. A))" \
  test "$(queries nx.cache.test. A)" = 1
# TTL 1: by the time the search list gets there (1.5 s later), the entry has expired.
resolve expiry --resolv-conf "$WORK/cache.conf" --type A ttl1.cache.test ttl1
check "TTL 1 expired before the second lookup reached the name: asked again" \
  test "$RC/$(queries ttl1.cache.test. A)" = "0/2"
check "  ... and the second answer came from the server, not the cache" \
  test "$(grep '^;; ttl1:' "$WORK/expiry")" = ";; ttl1: 1 address from $KV4 over udp"

check "dns_fake_server.py is still running" kill -0 "$FAKE_PID"
finish
