#!/usr/bin/python3
"""Writes the seed corpus of vnet_input_fuzzer (tun/fuzz/corpus/vnet_input_fuzzer/).

Each seed is a small conversation in the fuzzer's input format: a handshake to the
listener on port 80 (or an answer to the stack's own SYN) followed by data, some of it as a
GSO super-packet with a partial checksum, over IPv4 and IPv6. Run from the repository root.
"""
import os
import struct

OUT = "tun/fuzz/corpus/vnet_input_fuzzer"
V4 = (bytes([198, 18, 0, 1]), bytes([198, 18, 0, 2]))
V6 = (bytes.fromhex("fd000001" + "00" * 11 + "01"), bytes.fromhex("fd000001" + "00" * 11 + "02"))


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(w for (w,) in struct.iter_unpack("!H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def tcp(src, dst, sport, dport, seq, ack, flags, payload=b"", options=b"", partial=False):
    off = (20 + len(options)) // 4
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, off << 4, flags, 65535, 0, 0)
    seg = hdr + options + payload
    if len(src) == 4:
        pseudo = src + dst + struct.pack("!BBH", 0, 6, len(seg))
    else:
        pseudo = src + dst + struct.pack("!IxxxB", len(seg), 6)
    c = csum(pseudo) if partial else (~csum(pseudo + seg) & 0xFFFF)
    seg = seg[:16] + struct.pack("!H", c) + seg[18:]
    if len(src) == 4:
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(seg), 1, 0x4000, 64, 6, 0, src, dst)
        ip = ip[:10] + struct.pack("!H", ~csum(ip) & 0xFFFF) + ip[12:]
    else:
        ip = struct.pack("!IHBB16s16s", 6 << 28, len(seg), 6, 64, src, dst)
    return ip + seg


def udp(src, dst, sport, dport, payload, partial=False, ident=1):
    """A UDP datagram (or USO super-packet: the UDP length is the whole's, as Linux sends it)."""
    ulen = 8 + len(payload)
    if len(src) == 4:
        pseudo = src + dst + struct.pack("!BBH", 0, 17, ulen)
    else:
        pseudo = src + dst + struct.pack("!IxxxB", ulen, 17)
    seg = struct.pack("!HHHH", sport, dport, ulen, 0) + payload
    c = csum(pseudo) if partial else (~csum(pseudo + seg) & 0xFFFF)
    seg = seg[:6] + struct.pack("!H", c) + seg[8:]
    if len(src) == 4:
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + ulen, ident, 0, 64, 17, 0, src, dst)
        ip = ip[:10] + struct.pack("!H", ~csum(ip) & 0xFFFF) + ip[12:]
    else:
        ip = struct.pack("!IHBB16s16s", 6 << 28, ulen, 17, 64, src, dst)
    return ip + seg


def uso(addrs, flags, gso_size=700, count=6, last=123):
    """USO on receive: a UDP super-packet (VIRTIO_NET_HDR_GSO_UDP_L4) to the fuzzer's socket on
    port 53, `count` datagrams of gso_size and a short last one."""
    src, dst = addrs
    ihl = 20 if len(src) == 4 else 40
    data = bytes(range(256)) * ((gso_size * count + last) // 256 + 1)
    data = data[:gso_size * count + last]
    return rec(0, vnet(flags, 5, ihl + 8, gso_size, ihl, 6) +
               udp(src, dst, 5555, 53, data, partial=flags & 1))


def vnet(flags=0, gso=0, hdr_len=0, gso_size=0, start=0, offset=0):
    return struct.pack("<BBHHHH", flags, gso, hdr_len, gso_size, start, offset)


def rec(step, body):
    return struct.pack("!BH", step, len(body)) + body


SYN_OPTS = bytes.fromhex("020405b4" "0402" "080a0000000100000000" "01030307")


def conversation(addrs, gso_type, first_flags):
    src, dst = addrs
    ihl = 20 if len(src) == 4 else 40
    out = bytes([first_flags])
    out += rec(0, vnet() + tcp(src, dst, 5555, 80, 1000, 0, 0x02, options=SYN_OPTS))
    out += rec(0x81, vnet() + tcp(src, dst, 5555, 80, 0, 0, 0x10))
    data = bytes(range(256)) * 16
    out += rec(0x81, vnet(1, gso_type, ihl + 20, 1448, ihl, 16) +
               tcp(src, dst, 5555, 80, 0, 0, 0x18, data, partial=True))
    out += rec(0x81, vnet(2) + tcp(src, dst, 5555, 80, 0, 0, 0x18, b"hello"))
    out += rec(0x85, vnet() + tcp(src, dst, 5555, 80, 0, 0, 0x11))
    return out


def answer_our_syn(addrs):
    src, dst = addrs
    out = bytes([1])
    out += rec(0x81, vnet() + tcp(src, dst, 0, 0, 7000, 0, 0x12, options=SYN_OPTS))
    out += rec(0x81, vnet() + tcp(src, dst, 0, 0, 0, 0, 0x10))
    out += rec(0x8a, vnet() + tcp(src, dst, 0, 0, 0, 0, 0x10))
    out += rec(0x8a, vnet() + tcp(src, dst, 0, 0, 0, 0, 0x04))
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    seeds = {
        "v4_listener_gso": conversation(V4, 1, 0),
        "v6_listener_gso": conversation(V6, 4, 2),
        "v4_listener_bulk": conversation(V4, 1, 1),
        "v6_answer_syn": answer_our_syn(V6),
        "v4_bad_gso_type": bytes([0]) + rec(0, vnet(1, 3, 40, 8, 20, 6) +
                                            tcp(*V4, 5555, 80, 1, 0, 0x02)),
        "v4_offsets_past_end": bytes([0]) + rec(0, vnet(1, 1, 40, 100, 60, 16) +
                                                tcp(*V4, 5555, 80, 1, 0, 0x02)),
        # USO on receive: partial checksum, verified, neither (dropped), a 1-byte gso_size.
        "v4_uso_needs_csum": bytes([0]) + uso(V4, 1),
        "v6_uso_needs_csum": bytes([0]) + uso(V6, 1),
        "v4_uso_data_valid": bytes([0]) + uso(V4, 2, gso_size=1000, count=3, last=1),
        "v6_uso_unvouched": bytes([0]) + uso(V6, 0),
        "v4_uso_tiny_segments": bytes([0]) + uso(V4, 1, gso_size=1, count=100, last=0),
    }
    for name, data in seeds.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
