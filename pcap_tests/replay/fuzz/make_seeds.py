#!/usr/bin/env python3
"""Writes the replay fuzzer's seed corpus from real captures (classic pcap, Ethernet or raw IP).

Usage: make_seeds.py OUT_DIR CAPTURE... ; one seed per capture, in replay_input_fuzzer.cc's
input format: flags byte 0, then [step u8 (10 ms units)][len u16 BE][IP packet] records.
"""
import os
import struct
import sys


def packets(path):
    data = open(path, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic not in (0xA1B2C3D4, 0xA1B23C4D):
        raise SystemExit(f"{path}: only classic little-endian pcap is read here")
    nano = magic == 0xA1B23C4D
    linktype = struct.unpack("<I", data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack("<IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        t = sec + frac / (1e9 if nano else 1e6)
        if linktype == 1:
            if frame[12:14] not in (b"\x08\x00", b"\x86\xdd"):
                continue
            frame = frame[14:]
        yield t, frame


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for cap in sys.argv[2:]:
        seed = bytearray([0])
        last = None
        for t, ip in packets(cap):
            step = 0 if last is None else min(255, int((t - last) * 100))
            last = t
            seed += bytes([step]) + struct.pack(">H", len(ip)) + ip
        name = os.path.basename(cap).replace(".pcap", "")
        open(os.path.join(out, name), "wb").write(seed)


main()
