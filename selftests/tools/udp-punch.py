#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""udp-punch.py LOCAL_PORT PEER_IP PEER_PORT SECONDS

Send a datagram to PEER every 100 ms from LOCAL_PORT; exit 0 as soon as a
datagram from PEER arrives (and after sending a few more so the other side
sees ours), 1 when SECONDS pass without one.  A test fixture for NAT
topologies: it shows whether simultaneous sending opens a path.
"""
import socket
import sys
import time


def main():
    lport, pip, pport, secs = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", lport))
    s.settimeout(0.1)
    end = time.monotonic() + secs
    got = None
    while time.monotonic() < end:
        s.sendto(b"punch", (pip, pport))
        try:
            data, addr = s.recvfrom(2048)
            if addr[0] == pip:
                got = addr
                break
        except socket.timeout:
            pass
    if got is None:
        return 1
    for _ in range(10):
        s.sendto(b"punch", (pip, pport))
        time.sleep(0.05)
    return 0


if __name__ == "__main__":
    sys.exit(main())
