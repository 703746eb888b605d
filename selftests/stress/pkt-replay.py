#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""pkt-replay.py IFACE DPORT CAPTURE_SECS REPLAY_SECS

Capture, on IFACE, the UDP frames this host sends to port DPORT (IPv4 and
IPv6, up to 4000 distinct frames) for CAPTURE_SECS or until it holds a
probe request (0xE1) and a data message (4), then send those exact
frames out of IFACE again and again for REPLAY_SECS: a replay from the
original source address and port, as an attacker on the path would do it.
Prints "capturing" once listening, then the message types captured (first
payload byte, hex, and count) and, at the end, "captured N replayed M".  Exits 1 when nothing was captured.
"""
import socket
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


def udp_dport_type(f):
    """(dport, first payload byte) of an Ethernet/IP/UDP frame, else None."""
    if len(f) < 14:
        return None
    et = int.from_bytes(f[12:14], "big")
    if et == 0x0800 and len(f) >= 34:
        ihl = (f[14] & 0xF) * 4
        if f[23] != 17:
            return None
        u = 14 + ihl
    elif et == 0x86DD and len(f) >= 62:
        if f[20] != 17:
            return None
        u = 54
    else:
        return None
    if len(f) < u + 9:
        return None
    return int.from_bytes(f[u + 2:u + 4], "big"), f[u + 8]


def main():
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    iface, dport = sys.argv[1], int(sys.argv[2])
    cap_secs, rep_secs = float(sys.argv[3]), float(sys.argv[4])
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    s.settimeout(0.2)
    print("capturing", flush=True)
    frames, seen, types = [], set(), {}
    end = time.time() + cap_secs
    while time.time() < end and len(frames) < 4000:
        try:
            f, addr = s.recvfrom(65535)
        except socket.timeout:
            continue
        if addr[2] != PACKET_OUTGOING:
            continue
        r = udp_dport_type(f)
        if r is None or r[0] != dport or f in seen:
            continue
        seen.add(f)
        frames.append(f)
        types[r[1]] = types.get(r[1], 0) + 1
        if 0xE1 in types and 4 in types and len(frames) >= 8:
            break
    print("types " + " ".join("%02x:%d" % kv for kv in sorted(types.items())), flush=True)
    sent = 0
    end = time.time() + rep_secs
    while frames and time.time() < end:
        for f in frames:
            try:
                s.send(f)
                sent += 1
            except OSError:
                time.sleep(0.001)
        time.sleep(0.01)
    print("captured %d replayed %d" % (len(frames), sent), flush=True)
    return 0 if frames else 1


if __name__ == "__main__":
    sys.exit(main())
