#!/bin/bash
# Makes the real DNS messages embedded in stack/wire/dns_test.cc: dnsmasq (2.90) answers dig
# (BIND 9.18) in a network namespace of our own, tcpdump records the exchange, and tshark prints
# every UDP payload as hex. Run as root from an empty directory:
#   bash stack/wire/testdata/make_dns_captures.sh   -> dns.pcap, dig.out, hex.txt
set -u
NS=dnsp$$
DIR=$(mktemp -d)
ip netns add $NS
DPID= TPID=
trap 'kill $DPID $TPID 2>/dev/null; wait; ip netns del $NS; rm -rf $DIR' EXIT
ip netns exec $NS ip link set lo up
ip netns exec $NS ip addr add 198.18.53.1/32 dev lo
ip netns exec $NS ip addr add fd00:53::1/128 dev lo
cat > $DIR/hosts <<H
198.18.0.10 host10.example.test
fd00::10 host10.example.test
H
ip netns exec $NS tcpdump -i lo -U -w dns.pcap udp port 53 2>tcpdump.err &
TPID=$!
ip netns exec $NS dnsmasq --no-daemon --port 53 --listen-address 198.18.53.1 --bind-interfaces \
  --no-resolv --no-hosts --addn-hosts=$DIR/hosts \
  --host-record=www.example.test,198.18.0.9,fd00::9 \
  --cname=alias.example.test,www.example.test \
  --txt-record=txt.example.test,"v=spf1 -all","second string" \
  --srv-host=_sip._udp.example.test,sip.example.test,5060,10,20 \
  --mx-host=example.test,mail.example.test,10 \
  --auth-zone=example.test,198.18.0.0/16,fd00::/64 --auth-server=ns1.example.test,198.18.53.1 \
  --auth-soa=2026112501,hostmaster.example.test \
  --log-queries 2>dnsmasq.err &
DPID=$!
sleep 1
D="ip netns exec $NS dig @198.18.53.1 +tries=1 +time=2"
{
$D www.example.test A
$D www.example.test AAAA
$D alias.example.test A
$D txt.example.test TXT
$D _sip._udp.example.test SRV
$D example.test MX
$D -x 198.18.0.9
$D example.test SOA
$D example.test NS
$D nothere.example.test A
$D host10.example.test AAAA
$D +noedns www.example.test A
} >dig.out
sleep 1
kill $TPID; wait $TPID
tshark -r dns.pcap -T fields -e frame.number -e udp.payload >hex.txt
