#!/usr/bin/python3
"""Answers ICMP and ICMPv6 echo requests that the kernel routes into a TUN device.

Used by make_pcap_file_captures.sh to get real raw-IP traffic (LINKTYPE_RAW) on a TUN while
tcpdump records it: the kernel sends echo requests into the TUN, this script turns each into
an echo reply and writes it back. Runs until it is killed or --count replies were sent.

usage: tun_echo_responder.py DEV [--count N]   (DEV must exist: ip tuntap add DEV mode tun)
"""
import argparse
import fcntl
import os
import struct

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def reply(pkt: bytes):
    version = pkt[0] >> 4
    if version == 4 and len(pkt) >= 28 and pkt[9] == 1:
        ihl = (pkt[0] & 0x0F) * 4
        if pkt[ihl] != 8:  # echo request
            return None
        ip = bytearray(pkt[:ihl])
        ip[12:16], ip[16:20] = pkt[16:20], pkt[12:16]  # swapping leaves the IP checksum valid
        icmp = bytearray(pkt[ihl:])
        icmp[0] = 0  # echo reply
        icmp[2:4] = b"\0\0"
        icmp[2:4] = struct.pack("!H", checksum(bytes(icmp)))
        return bytes(ip) + bytes(icmp)
    if version == 6 and len(pkt) >= 48 and pkt[6] == 58 and pkt[40] == 128:
        src, dst = pkt[24:40], pkt[8:24]
        icmp = bytearray(pkt[40:])
        icmp[0] = 129  # echo reply
        icmp[2:4] = b"\0\0"
        pseudo = src + dst + struct.pack("!I3xB", len(icmp), 58)
        icmp[2:4] = struct.pack("!H", checksum(pseudo + bytes(icmp)))
        return pkt[:8] + src + dst + bytes(icmp)
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dev")
    ap.add_argument("--count", type=int, default=0)
    args = ap.parse_args()
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", args.dev.encode(), IFF_TUN | IFF_NO_PI))
    sent = 0
    while args.count == 0 or sent < args.count:
        r = reply(os.read(fd, 65535))
        if r is not None:
            os.write(fd, r)
            sent += 1


if __name__ == "__main__":
    main()
