import sys
from scapy.all import *
iface = sys.argv[1]
ll_b = "fe80::ff:fe00:502"
ll_a = "fe80::ff:fe00:501"
mac_a = "02:00:00:00:05:01"; mac_b = "02:00:00:00:05:02"
ra = (Ether(src=mac_b, dst="33:33:00:00:00:01") / IPv6(src=ll_b, dst="ff02::1", hlim=255) /
      ICMPv6ND_RA(chlim=64, M=0, O=1, routerlifetime=1800, reachabletime=30000, retranstimer=1000) /
      ICMPv6NDOptSrcLLAddr(lladdr=mac_b) / ICMPv6NDOptMTU(mtu=1500) /
      ICMPv6NDOptPrefixInfo(prefixlen=64, L=1, A=1, validlifetime=86400, preferredlifetime=14400, prefix="fd00:5::") /
      ICMPv6NDOptRDNSS(lifetime=600, dns=["fd00:5::53"]))
sendp(ra, iface=iface, verbose=False)
# Frag needed: quotes a 1400-byte UDP datagram from A with DF.
inner4 = IP(src="198.18.5.1", dst="198.18.5.99", flags="DF", id=0x1234, ttl=63) / UDP(sport=40000, dport=4000) / (b"x" * 1372)
fn = Ether(src=mac_b, dst=mac_a) / IP(src="198.18.5.2", dst="198.18.5.1") / ICMP(type=3, code=4, nexthopmtu=1280) / bytes(inner4)[:28]
sendp(fn, iface=iface, verbose=False)
inner6 = IPv6(src="fd00:5::1", dst="fd00:5::99", hlim=63) / UDP(sport=40000, dport=4000) / (b"y" * 1400)
ptb = Ether(src=mac_b, dst=mac_a) / IPv6(src="fd00:5::2", dst="fd00:5::1") / ICMPv6PacketTooBig(mtu=1280) / bytes(inner6)[:1232]
sendp(ptb, iface=iface, verbose=False)
# Time exceeded from a "router"
te = Ether(src=mac_b, dst=mac_a) / IP(src="198.18.5.2", dst="198.18.5.1") / ICMP(type=11, code=0) / bytes(IP(src="198.18.5.1", dst="198.18.5.77", ttl=1)/UDP(sport=33434, dport=33435)/b"abcd")[:28]
sendp(te, iface=iface, verbose=False)
