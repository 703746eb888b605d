#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
#
# dump-hold.py IFNAME CMD...: start a wgmesh GET_DEVICE dump of IFNAME over a
# raw generic netlink socket, read only its first datagram, run CMD (a
# command line, e.g. "ip link del IFNAME") while the rest of the dump waits
# unread, then read the dump to its end.  Prints one line:
#
#   first MSGS cmd RC end done|errno:N|stalled peers PEERS
#
# MSGS: messages in the first datagram; RC: CMD's exit status (124: CMD
# was still running after 30 s, i.e. it hung on the unread dump); PEERS:
# peer nests seen over the whole dump.  Raw sockets on purpose: the point
# is a reader that stops in the middle, which libraries hide.
import socket
import struct
import subprocess
import sys

NETLINK_GENERIC = 16
GENL_ID_CTRL = 0x10
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID = 1
CTRL_ATTR_FAMILY_NAME = 2
NLM_F_REQUEST = 0x1
NLM_F_ACK = 0x4
NLM_F_DUMP = 0x300
NLMSG_ERROR = 2
NLMSG_DONE = 3
NLA_F_NESTED = 0x8000
WGM_CMD_GET_DEVICE = 1
WGM_DEVICE_A_IFNAME = 2
WGM_DEVICE_A_PEERS = 8


def attr(kind, payload):
    n = 4 + len(payload)
    return struct.pack("HH", n, kind) + payload + b"\0" * ((4 - n % 4) % 4)


def attrs(buf):
    """(type, payload) of each attribute in buf."""
    off = 0
    while off + 4 <= len(buf):
        n, kind = struct.unpack_from("HH", buf, off)
        if n < 4:
            return
        yield kind & ~NLA_F_NESTED, buf[off + 4:off + n]
        off += (n + 3) & ~3


def request(sock, kind, flags, seq, cmd, body):
    genl = struct.pack("BBH", cmd, 1, 0) + body
    sock.send(struct.pack("IHHII", 16 + len(genl), kind, flags, seq, 0) + genl)


def messages(data):
    """(type, payload after nlmsghdr) of each message in a datagram."""
    off = 0
    while off + 16 <= len(data):
        n, kind = struct.unpack_from("IH", data, off)
        if n < 16:
            return
        yield kind, data[off + 16:off + n]
        off += (n + 3) & ~3


def family_id(sock):
    request(sock, GENL_ID_CTRL, NLM_F_REQUEST, 1, CTRL_CMD_GETFAMILY,
            attr(CTRL_ATTR_FAMILY_NAME, b"wgmesh\0"))
    for kind, payload in messages(sock.recv(65536)):
        if kind == NLMSG_ERROR:
            sys.exit("wgmesh family not found: errno %d" % -struct.unpack_from("i", payload)[0])
        for a, v in attrs(payload[4:]):
            if a == CTRL_ATTR_FAMILY_ID:
                return struct.unpack_from("H", v)[0]
    sys.exit("no family id in the controller's answer")


def count(data, fam):
    """(messages, peers, end) of a datagram; end: None, 'done' or 'errno:N'."""
    msgs = peers = 0
    for kind, payload in messages(data):
        if kind == NLMSG_DONE:
            # a dump that failed after its first message ends with
            # NLMSG_DONE carrying the (negative) errno
            err = struct.unpack_from("i", payload)[0] if len(payload) >= 4 else 0
            return msgs, peers, "errno:%d" % -err if err else "done"
        if kind == NLMSG_ERROR:
            return msgs, peers, "errno:%d" % -struct.unpack_from("i", payload)[0]
        if kind != fam:
            continue
        msgs += 1
        for a, v in attrs(payload[4:]):
            if a == WGM_DEVICE_A_PEERS:
                peers += sum(1 for _ in attrs(v))
    return msgs, peers, None


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: dump-hold.py IFNAME CMD...")
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
    sock.bind((0, 0))
    fam = family_id(sock)
    request(sock, fam, NLM_F_REQUEST | NLM_F_DUMP, 2, WGM_CMD_GET_DEVICE,
            attr(WGM_DEVICE_A_IFNAME, sys.argv[1].encode() + b"\0"))
    # Buffers large enough for any dump message: a short read truncates
    # the datagram and its peers would look missing.
    first, peers, end = count(sock.recv(1 << 20), fam)
    try:
        rc = subprocess.run(sys.argv[2:], timeout=30).returncode
    except subprocess.TimeoutExpired:
        rc = 124
    sock.settimeout(30)
    while end is None:
        try:
            _, p, end = count(sock.recv(1 << 20), fam)
        except socket.timeout:
            end = "stalled"
        except OSError as e:
            end = "errno:%d" % e.errno
        peers += p
    print("first %d cmd %d end %s peers %d" % (first, rc, end, peers))
    return 0


if __name__ == "__main__":
    sys.exit(main())
