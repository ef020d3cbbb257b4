#!/usr/bin/python3
"""A scripted DNS server for the resolver's failure tests, run on the kernel side of the TUN.

    dns_fake_server.py --listen ADDR [--listen ADDR ...] [--port 53]
                       [--spoof-from ADDR ...] [--delay-ms 300] [--slow-ms 1500]

Serves UDP and TCP (RFC 1035 §4.2) on every ADDR. What it answers depends on the first label
of the question's name (any zone, e.g. `spoofed.fake.test.`); every answer echoes the question.

  ok         A 198.18.0.10 / AAAA fd00:1::10, TTL 60
  ttl1       A 198.18.0.11 / AAAA fd00:1::11, TTL 1 (cache expiry)
  spoofed    first four forged answers carrying 198.18.0.66 / fd00:1::66, each wrong in one way:
               wrong ID         from the server's own address and port, ID xor 0x5555
               wrong question   right ID, the question and answer name `other.` + zone
               wrong address    right ID and question, sent from the first --spoof-from address
                                of the query's family (a second kernel address on the device)
               wrong port       right ID and question, from the server's address, port + 1
             then, --delay-ms later, the real answer 198.18.0.10 / fd00:1::10
  ptrloop    an answer whose owner name is a compression pointer to itself (RFC 1035 §4.1.4)
  truncrr    an A record whose RDLENGTH (4) runs past the end of the message
  badcount   ANCOUNT 5 with one record present
  cnameloop  `cnameloop` CNAME `cnameloop2`, `cnameloop2` CNAME `cnameloop` (and a query for
             cnameloop2 gets the same two records)
  tc         over UDP: TC set and no answers; over TCP: A 198.18.0.12 / AAAA fd00:1::12
  servfail   SERVFAIL
  silent     no answer at all
  nodata     NOERROR, no answers, SOA in the authority section (RFC 2308 §2.2)
  anything else: NXDOMAIN with the SOA (minimum 60)
Any name in the zone `slow.test.` gets NXDOMAIN (with the SOA) only after --slow-ms: a resolver
whose search list starts with slow.test reaches its next candidate that much later, which is
how a test makes one lookup ask a name after another lookup's answer is cached (or expired).

Every query is logged to stdout, one line each, flushed:
    query udp A ok.fake.test. from 198.18.1.2#40123 id 0x1a2b
so a test counts what reached the server. "ready" is printed once every socket listens.
"""

import argparse
import heapq
import ipaddress
import select
import socket
import struct
import sys
import time

TYPE_A, TYPE_NS, TYPE_CNAME, TYPE_SOA, TYPE_AAAA, TYPE_OPT = 1, 2, 5, 6, 28, 41
TYPE_NAMES = {1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 28: "AAAA", 41: "OPT", 255: "ANY"}
RCODE_NOERROR, RCODE_SERVFAIL, RCODE_NXDOMAIN = 0, 2, 3
CLASS_IN = 1


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def parse_query(msg):
    """(id, flags, qname, qtype, qclass, has_opt) of a query, or None if it is not one."""
    if len(msg) < 12:
        return None
    qid, flags, qd, _an, _ns, ar = struct.unpack("!6H", msg[:12])
    if flags & 0x8000 or qd != 1:
        return None
    pos, labels = 12, []
    while True:
        if pos >= len(msg):
            return None
        n = msg[pos]
        pos += 1
        if n == 0:
            break
        if n & 0xC0 or pos + n > len(msg):
            return None
        labels.append(msg[pos:pos + n].decode("ascii", "replace"))
        pos += n
    if pos + 4 > len(msg):
        return None
    qtype, qclass = struct.unpack("!HH", msg[pos:pos + 4])
    return qid, flags, ".".join(labels).lower() + ".", qtype, qclass, ar > 0


def rr(name, rtype, ttl, rdata, name_bytes=None):
    owner = name_bytes if name_bytes is not None else encode_name(name)
    return owner + struct.pack("!HHIH", rtype, CLASS_IN, ttl, len(rdata)) + rdata


def addr_rr(name, qtype, last_octet, ttl):
    if qtype == TYPE_A:
        return rr(name, TYPE_A, ttl, socket.inet_pton(socket.AF_INET, "198.18.0.%d" % last_octet))
    # The same number in the IPv6 text: 10 -> fd00:1::10.
    return rr(name, TYPE_AAAA, ttl,
              socket.inet_pton(socket.AF_INET6, "fd00:1::%d" % last_octet))


def soa_rr(zone):
    rdata = (encode_name("ns." + zone) + encode_name("hostmaster." + zone) +
             struct.pack("!5I", 1, 3600, 600, 86400, 60))
    return rr(zone, TYPE_SOA, 60, rdata)


def message(qid, qname, qtype, rcode=RCODE_NOERROR, answers=(), authority=(), tc=False,
            ancount=None, opt=False):
    flags = 0x8000 | 0x0400 | 0x0100 | 0x0080 | rcode  # QR AA RD RA
    if tc:
        flags |= 0x0200
    additional = [b"\0" + struct.pack("!HHIH", TYPE_OPT, 1232, 0, 0)] if opt else []
    header = struct.pack("!6H", qid, flags, 1, len(answers) if ancount is None else ancount,
                         len(authority), len(additional))
    question = encode_name(qname) + struct.pack("!HH", qtype, CLASS_IN)
    return header + question + b"".join(answers) + b"".join(authority) + b"".join(additional)


def zone_of(qname):
    return qname.split(".", 1)[1] if "." in qname.rstrip(".") else "."


def address_answer(qid, qname, qtype, octet, ttl, opt):
    if qtype not in (TYPE_A, TYPE_AAAA):
        return message(qid, qname, qtype, authority=[soa_rr(zone_of(qname))], opt=opt)
    return message(qid, qname, qtype, answers=[addr_rr(qname, qtype, octet, ttl)], opt=opt)


def answer(query, transport):
    """The real answer to a query (bytes), or None for no answer."""
    qid, _flags, qname, qtype, _qclass, opt = query
    label, zone = qname.split(".", 1)[0], zone_of(qname)
    if zone == "slow.test.":
        return message(qid, qname, qtype, rcode=RCODE_NXDOMAIN, authority=[soa_rr(zone)], opt=opt)
    if label == "ok" or label == "spoofed":
        return address_answer(qid, qname, qtype, 10, 60, opt)
    if label == "ttl1":
        return address_answer(qid, qname, qtype, 11, 1, opt)
    if label == "tc":
        if transport == "udp":
            return message(qid, qname, qtype, tc=True, opt=opt)
        return address_answer(qid, qname, qtype, 12, 60, opt)
    if label == "ptrloop":
        # The answer's owner name is a pointer to its own offset.
        head = message(qid, qname, qtype, ancount=1, opt=False)
        here = len(head)
        owner = struct.pack("!H", 0xC000 | here)
        return head + rr(None, TYPE_A, 60, b"\xc6\x12\x00\x0a", name_bytes=owner)
    if label == "truncrr":
        head = message(qid, qname, qtype, ancount=1, opt=False)
        # Owner = pointer to the question name (offset 12); RDLENGTH 4, two bytes present.
        return head + b"\xc0\x0c" + struct.pack("!HHIH", TYPE_A, CLASS_IN, 60, 4) + b"\xc6\x12"
    if label == "badcount":
        return message(qid, qname, qtype, ancount=5,
                       answers=[addr_rr(qname, TYPE_A, 13, 60)], opt=False)
    if label in ("cnameloop", "cnameloop2"):
        a, b = "cnameloop." + zone, "cnameloop2." + zone
        first, second = (a, b) if label == "cnameloop" else (b, a)
        return message(qid, qname, qtype, opt=opt, answers=[
            rr(first, TYPE_CNAME, 60, encode_name(second)),
            rr(second, TYPE_CNAME, 60, encode_name(first))])
    if label == "servfail":
        return message(qid, qname, qtype, rcode=RCODE_SERVFAIL, opt=opt)
    if label == "silent":
        return None
    if label == "nodata":
        return message(qid, qname, qtype, authority=[soa_rr(zone)], opt=opt)
    return message(qid, qname, qtype, rcode=RCODE_NXDOMAIN, authority=[soa_rr(zone)], opt=opt)


def spoofs(query):
    """The four forged answers for `spoofed`: (kind, bytes)."""
    qid, _flags, qname, qtype, _qclass, opt = query
    forged = address_answer(qid, qname, qtype, 66, 60, opt)
    other = "other." + zone_of(qname)
    return [
        ("wrong-id", address_answer(qid ^ 0x5555, qname, qtype, 66, 60, opt)),
        ("wrong-question", address_answer(qid, other, qtype, 66, 60, opt)),
        ("wrong-address", forged),
        ("wrong-port", forged),
    ]


class Server:
    def __init__(self, args):
        self.args = args
        self.udp, self.tcp, self.conns = [], [], {}
        self.timers = []  # heap of (when, seq, socket, bytes, peer)
        self.seq = 0
        self.spoof_addr = {}  # family -> socket bound to the --spoof-from address, same port
        self.spoof_port = {}  # (listen address) -> socket bound to port + 1
        for addr in args.listen:
            fam = family(addr)
            u = socket.socket(fam, socket.SOCK_DGRAM)
            u.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            u.bind((addr, args.port))
            self.udp.append(u)
            t = socket.socket(fam, socket.SOCK_STREAM)
            t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            t.bind((addr, args.port))
            t.listen(16)
            self.tcp.append(t)
            p = socket.socket(fam, socket.SOCK_DGRAM)
            p.bind((addr, args.port + 1))
            self.spoof_port[addr] = p
        for addr in args.spoof_from:
            s = socket.socket(family(addr), socket.SOCK_DGRAM)
            s.bind((addr, args.port))
            self.spoof_addr[family(addr)] = s

    def log(self, text):
        sys.stdout.write(text + "\n")
        sys.stdout.flush()

    def later(self, delay_s, sock, data, peer):
        self.seq += 1
        heapq.heappush(self.timers, (time.monotonic() + delay_s, self.seq, sock, data, peer))

    def on_udp(self, sock):
        data, peer = sock.recvfrom(65535)
        query = parse_query(data)
        if query is None:
            self.log("bad query from %s#%d (%d bytes)" % (peer[0], peer[1], len(data)))
            return
        self.log_query("udp", query, peer)
        reply = answer(query, "udp")
        if query[2].split(".", 1)[0] == "spoofed":
            local = sock.getsockname()[0]
            for kind, forged in spoofs(query):
                out = sock
                if kind == "wrong-address":
                    out = self.spoof_addr.get(sock.family)
                    if out is None:
                        self.log("no --spoof-from address for this family: not sent")
                        continue
                elif kind == "wrong-port":
                    out = self.spoof_port[local]
                out.sendto(forged, peer[:2])
                self.log("spoof %s to %s#%d" % (kind, peer[0], peer[1]))
            if reply is not None:
                self.later(self.args.delay_ms / 1000.0, sock, reply, peer[:2])
            return
        if reply is not None and zone_of(query[2]) == "slow.test.":
            self.later(self.args.slow_ms / 1000.0, sock, reply, peer[:2])
        elif reply is not None:
            sock.sendto(reply, peer[:2])

    def on_tcp_data(self, conn):
        buf = self.conns[conn]
        chunk = conn.recv(65535)
        if not chunk:
            self.close(conn)
            return
        buf += chunk
        while len(buf) >= 2:
            n = struct.unpack("!H", buf[:2])[0]
            if len(buf) < 2 + n:
                break
            msg, buf = buf[2:2 + n], buf[2 + n:]
            query = parse_query(msg)
            if query is None:
                self.log("bad tcp query (%d bytes)" % len(msg))
                continue
            self.log_query("tcp", query, conn.getpeername())
            reply = answer(query, "tcp")
            if reply is not None:
                conn.sendall(struct.pack("!H", len(reply)) + reply)
        self.conns[conn] = buf

    def close(self, conn):
        del self.conns[conn]
        conn.close()

    def log_query(self, transport, query, peer):
        qid, _f, qname, qtype, _c, opt = query
        self.log("query %s %s %s from %s#%d id 0x%04x%s" % (
            transport, TYPE_NAMES.get(qtype, str(qtype)), qname, peer[0], peer[1], qid,
            " edns" if opt else ""))

    def run(self):
        self.log("ready")
        while True:
            now = time.monotonic()
            while self.timers and self.timers[0][0] <= now:
                _, _, sock, data, peer = heapq.heappop(self.timers)
                sock.sendto(data, peer)
                self.log("delayed answer to %s#%d" % peer[:2])
            timeout = max(0.0, self.timers[0][0] - now) if self.timers else None
            readable, _, _ = select.select(self.udp + self.tcp + list(self.conns), [], [],
                                           timeout)
            for s in readable:
                if s in self.udp:
                    self.on_udp(s)
                elif s in self.tcp:
                    conn, _ = s.accept()
                    self.conns[conn] = b""
                elif s in self.conns:
                    try:
                        self.on_tcp_data(s)
                    except OSError:
                        self.close(s)


def family(addr):
    return socket.AF_INET6 if ipaddress.ip_address(addr).version == 6 else socket.AF_INET


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--listen", action="append", required=True)
    p.add_argument("--port", type=int, default=53)
    p.add_argument("--spoof-from", action="append", default=[])
    p.add_argument("--delay-ms", type=int, default=300)
    p.add_argument("--slow-ms", type=int, default=1500)
    Server(p.parse_args()).run()


if __name__ == "__main__":
    main()
