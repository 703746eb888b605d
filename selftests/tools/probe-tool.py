#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""probe-tool.py: capture and replay wgmesh probe messages in tests.

  probe-tool.py capture IFACE PORT OUT [SECONDS] [--type 0xE1] [--outgoing]
                        [--echo]
      Listen on IFACE (AF_PACKET, IPv4 and IPv6) for a 64-byte UDP payload
      of the given probe type (default: request, 0xE1) to destination PORT,
      received (default) or sent (--outgoing) by this namespace.  Creates
      OUT.ready once listening, then writes the payload as hex to OUT.
      --echo: wait for a request whose echoed challenge (bytes 32..39) is
      not zero; at the deadline take the last request seen instead.
      Exits 1 when nothing came within SECONDS (default 20).

  probe-tool.py send BIND DEST PORT HEX [--count N] [--junk-mac] [--wait S]
      From a UDP socket bound to address BIND, send the probe HEX to
      DEST:PORT N times (default 1).  --junk-mac replaces the mac (the last
      16 bytes) of each copy by random bytes.  Then listens S seconds
      (default 0.5) after the last one.  Prints the number of datagrams
      received back.
"""
import os
import socket
import struct
import sys
import time


def udp_payload(frame):
    """(dport, payload) of an Ethernet frame carrying UDP, else None."""
    ethertype = struct.unpack("!H", frame[12:14])[0]
    ip = frame[14:]
    if ethertype == 0x0800 and len(ip) >= 20 and ip[9] == 17:
        udp = ip[(ip[0] & 15) * 4:]
    elif ethertype == 0x86DD and len(ip) >= 40 and ip[6] == 17:
        udp = ip[40:]
    else:
        return None
    if len(udp) < 8:
        return None
    return struct.unpack("!H", udp[2:4])[0], udp[8:]


def capture(args):
    want_type = 0xE1
    outgoing = False
    echo = False
    last = None
    rest = []
    i = 0
    while i < len(args):
        if args[i] == "--type":
            want_type = int(args[i + 1], 0)
            i += 2
        elif args[i] == "--outgoing":
            outgoing = True
            i += 1
        elif args[i] == "--echo":
            echo = True
            i += 1
        else:
            rest.append(args[i])
            i += 1
    iface, port, out = rest[0], int(rest[1]), rest[2]
    secs = float(rest[3]) if len(rest) > 3 else 20.0
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.ntohs(0x0003))
    s.bind((iface, 0))
    open(out + ".ready", "w").close()
    end = time.monotonic() + secs
    while time.monotonic() < end:
        s.settimeout(max(end - time.monotonic(), 0.01))
        try:
            frame, addr = s.recvfrom(65536)
        except socket.timeout:
            break
        if (addr[2] == socket.PACKET_OUTGOING) != outgoing:
            continue
        got = udp_payload(frame)
        if not got:
            continue
        dport, payload = got
        if dport == port and len(payload) == 64 and payload[0] == want_type:
            last = payload
            if echo and not any(payload[32:40]):
                continue
            break
    if last is None:
        return 1
    with open(out, "w") as f:
        f.write(last.hex())
    return 0


def send(args):
    count, junk, wait = 1, False, 0.5
    rest = []
    i = 0
    while i < len(args):
        if args[i] == "--count":
            count = int(args[i + 1])
            i += 2
        elif args[i] == "--junk-mac":
            junk = True
            i += 1
        elif args[i] == "--wait":
            wait = float(args[i + 1])
            i += 2
        else:
            rest.append(args[i])
            i += 1
    bind, dest, port, msg = rest[0], rest[1], int(rest[2]), bytes.fromhex(rest[3])
    fam = socket.AF_INET6 if ":" in dest else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    s.bind((bind, 0))
    s.setblocking(False)
    got = 0
    for _ in range(count):
        m = msg[:48] + os.urandom(16) if junk else msg
        while True:
            try:
                s.sendto(m, (dest, port))
                break
            except BlockingIOError:
                time.sleep(0.001)
        try:
            while True:
                s.recvfrom(2048)
                got += 1
        except BlockingIOError:
            pass
    end = time.monotonic() + wait
    s.setblocking(True)
    while time.monotonic() < end:
        s.settimeout(max(end - time.monotonic(), 0.01))
        try:
            s.recvfrom(2048)
            got += 1
        except socket.timeout:
            break
    print(got)
    return 0


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("capture", "send"):
        sys.stderr.write(__doc__)
        return 2
    if sys.argv[1] == "capture":
        return capture(sys.argv[2:])
    return send(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
