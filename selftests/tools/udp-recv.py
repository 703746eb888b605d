#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""udp-recv.py PORT SECONDS

Print "IP:PORT" of the first datagram received on PORT and exit 0; exit 1
printing nothing when SECONDS pass without one.
"""
import socket
import sys

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", int(sys.argv[1])))
s.settimeout(float(sys.argv[2]))
try:
    _, addr = s.recvfrom(2048)
except socket.timeout:
    sys.exit(1)
print("%s:%d" % addr)
