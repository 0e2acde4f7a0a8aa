#!/usr/bin/python3
"""pcapcmp EXPECTED ACTUAL - compare two pcap files packet by packet.

Compares every record's bytes and timestamp (to the microsecond: the common
precision of both files).  Handles microsecond and nanosecond pcap files of
either byte order.  Exit 0 if equal; else prints the first difference and
exits 1.  Standard library only, so it runs wherever python3 does.
"""
import struct
import sys

MAGICS = {
    b"\xd4\xc3\xb2\xa1": ("<", 1000), b"\xa1\xb2\xc3\xd4": (">", 1000),
    b"\x4d\x3c\xb2\xa1": ("<", 1), b"\xa1\xb2\x3c\x4d": (">", 1),
}


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24 or data[:4] not in MAGICS:
        sys.exit(f"pcapcmp: {path}: not a pcap file")
    order, ns_per_unit = MAGICS[data[:4]]
    linktype = struct.unpack(order + "I", data[20:24])[0]
    recs, off = [], 24
    while off + 16 <= len(data):
        sec, frac, caplen, _ = struct.unpack(order + "IIII", data[off:off + 16])
        off += 16
        if off + caplen > len(data):
            sys.exit(f"pcapcmp: {path}: truncated record {len(recs) + 1}")
        ts_us = sec * 1000000 + (frac * ns_per_unit) // 1000
        recs.append((ts_us, data[off:off + caplen]))
        off += caplen
    return linktype, recs


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: pcapcmp EXPECTED ACTUAL")
    lt_e, exp = read(sys.argv[1])
    lt_a, act = read(sys.argv[2])
    if lt_e != lt_a:
        print(f"link types differ: expected {lt_e}, got {lt_a}")
        return 1
    for i, (e, a) in enumerate(zip(exp, act)):
        if e[1] != a[1]:
            at = next((k for k in range(min(len(e[1]), len(a[1]))) if e[1][k] != a[1][k]),
                      min(len(e[1]), len(a[1])))
            print(f"packet {i + 1}: bytes differ at offset {at} "
                  f"(expected {len(e[1])} bytes, got {len(a[1])})\n"
                  f"  expected: {e[1][at:at + 16].hex()}\n  actual:   {a[1][at:at + 16].hex()}")
            return 1
        if e[0] != a[0]:
            print(f"packet {i + 1}: timestamp expected {e[0]} us, got {a[0]} us")
            return 1
    if len(exp) != len(act):
        print(f"expected {len(exp)} packets, got {len(act)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
