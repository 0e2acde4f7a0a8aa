#!/usr/bin/python3
"""pcap_same EXPECTED ACTUAL - do two pcaps hold the same frames, in order?

Compares frame bytes only (timestamps differ by construction).  Exit 0 if
equal; else prints how many matched and the first difference, exit 1.
Standard library only.
"""
import struct
import sys


def frames(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return []
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        order = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        order = ">"
    else:
        sys.exit(f"pcap_same: {path}: not a pcap file")
    out, off = [], 24
    while off + 16 <= len(data):
        _, _, caplen, _ = struct.unpack(order + "IIII", data[off:off + 16])
        off += 16
        out.append(data[off:off + caplen])
        off += caplen
    return out


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: pcap_same EXPECTED ACTUAL")
    exp, act = frames(sys.argv[1]), frames(sys.argv[2])
    for i, (e, a) in enumerate(zip(exp, act)):
        if e != a:
            where = next((j for j in range(min(len(e), len(a))) if e[j] != a[j]), min(len(e), len(a)))
            print(f"frame {i + 1}: differs at byte {where} (len {len(e)} expected, {len(a)} got)")
            sys.exit(1)
    if len(exp) != len(act):
        print(f"{len(act)} frames, expected {len(exp)} (first {min(len(exp), len(act))} equal)")
        sys.exit(1)
    print(f"{len(exp)} frames equal")


main()
