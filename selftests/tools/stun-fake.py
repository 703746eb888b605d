#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""A STUN Binding responder that can lie, for selftests/vm/45-stun.sh.

usage: stun-fake.py ADDR PORT MODE COUNTFILE [ALT_ADDR]

MODE good:  answers every Binding request with the observed source as
            XOR-MAPPED-ADDRESS (what a real server does).
MODE forge: answers every request only with responses a client must drop:
            a success with another transaction id (from ADDR:PORT), a success
            with the right transaction id from ADDR:PORT+1 and (when ALT_ADDR
            is given) from ALT_ADDR:PORT, and a Binding error response with
            the right transaction id.  Each claims 198.51.100.77:1111.

After every request COUNTFILE holds the number of requests seen so far.
Runs until killed.
"""
import os
import socket
import struct
import sys

MAGIC = 0x2112A442


def response(txid, host, port, mtype=0x0101):
    """A Binding response carrying XOR-MAPPED-ADDRESS host:port."""
    xport = port ^ (MAGIC >> 16)
    if ":" in host:
        raw = socket.inet_pton(socket.AF_INET6, host)
        key = struct.pack("!I", MAGIC) + txid
        attr = struct.pack("!HHBBH", 0x0020, 20, 0, 2, xport) + \
            bytes(a ^ b for a, b in zip(raw, key))
    else:
        raw = struct.unpack("!I", socket.inet_aton(host))[0]
        attr = struct.pack("!HHBBHI", 0x0020, 8, 0, 1, xport, raw ^ MAGIC)
    return struct.pack("!HHI", mtype, len(attr), MAGIC) + txid + attr


def bind(addr, port):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    return s


def main():
    addr, port, mode, countfile = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    alt_addr = sys.argv[5] if len(sys.argv) > 5 else None
    main_sock = bind(addr, port)
    other_port = bind(addr, port + 1)
    other_addr = bind(alt_addr, port) if alt_addr else None
    seen = 0
    while True:
        data, src = main_sock.recvfrom(2048)
        if len(data) < 20 or struct.unpack("!HHI", data[:8]) != (1, len(data) - 20, MAGIC):
            continue
        txid = data[8:20]
        if mode == "good":
            main_sock.sendto(response(txid, src[0], src[1]), src)
        else:
            fake = "198.51.100.77"
            main_sock.sendto(response(os.urandom(12), fake, 1111), src)
            other_port.sendto(response(txid, fake, 1111), src)
            if other_addr:
                other_addr.sendto(response(txid, fake, 1111), src)
            main_sock.sendto(response(txid, fake, 1111, mtype=0x0111), src)
        seen += 1
        with open(countfile + ".tmp", "w") as f:
            f.write("%d\n" % seen)
        os.replace(countfile + ".tmp", countfile)


if __name__ == "__main__":
    main()
