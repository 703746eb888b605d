#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
#
# relay-bind.py IFNAME PEER_PUBKEY_B64 ADDR PORT: the relay bind path of
# SET_DEVICE end to end, over a raw generic netlink socket (meshadm does
# not send bind keys: meshd does).  ADDR:PORT must be an IPv4 address of
# this namespace; it stands in for the relay.  Prints one line per check,
# "ok<TAB>DESC<TAB>" or "not ok<TAB>DESC<TAB>WHY", and exits 1 if any failed.
#
#  - a relay id or key where they do not belong is refused, each with its
#    own extended-ack message, and changes nothing;
#  - a relay candidate with id and key makes the module send, from the
#    tunnel's socket, a bind to ADDR:PORT whose bytes and keyed BLAKE2s MAC
#    follow Documentation/relay.rst ("Bind message");
#  - GET_DEVICE reports the id but never the key;
#  - a new key is bound at once, with a larger counter.
import base64
import hashlib
import os
import socket
import struct
import sys
import time

NETLINK_GENERIC = 16
NETLINK_CAP_ACK = 10
NETLINK_EXT_ACK = 11
SOL_NETLINK = 270
GENL_ID_CTRL = 0x10
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID = 1
CTRL_ATTR_FAMILY_NAME = 2
NLM_F_REQUEST = 0x1
NLM_F_ACK = 0x4
NLM_F_DUMP = 0x300
NLMSG_ERROR = 2
NLMSG_DONE = 3
NLMSGERR_ATTR_MSG = 1
NLA_F_NESTED = 0x8000
# kernel/uapi/linux/wgmesh.h
WGM_CMD_GET_DEVICE = 1
WGM_CMD_SET_DEVICE = 2
WGM_DEVICE_A_IFNAME = 2
WGM_DEVICE_A_PEERS = 8
WGM_PEER_A_PUBLIC_KEY = 1
WGM_PEER_A_CANDIDATES = 12
WGM_CANDIDATE_A_ENDPOINT = 1
WGM_CANDIDATE_A_KIND = 10
WGM_CANDIDATE_A_RELAY_ID = 11
WGM_CANDIDATE_A_RELAY_KEY = 12
WGM_CANDIDATE_KIND_DIRECT = 0
WGM_CANDIDATE_KIND_RELAY = 1


def attr(kind, payload):
    n = 4 + len(payload)
    return struct.pack("HH", n, kind) + payload + b"\0" * ((4 - n % 4) % 4)


def nest(kind, payload):
    return attr(kind | NLA_F_NESTED, payload)


def attrs(buf):
    off = 0
    while off + 4 <= len(buf):
        n, kind = struct.unpack_from("HH", buf, off)
        if n < 4:
            return
        yield kind & ~NLA_F_NESTED, buf[off + 4:off + n]
        off += (n + 3) & ~3


def messages(data):
    off = 0
    while off + 16 <= len(data):
        n, kind = struct.unpack_from("IH", data, off)
        if n < 16:
            return
        yield kind, data[off + 16:off + n]
        off += (n + 3) & ~3


class Genl:
    def __init__(self):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
        self.sock.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1)
        self.sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        self.sock.bind((0, 0))
        self.sock.settimeout(10)
        self.seq = 0
        self.fam = GENL_ID_CTRL
        for kind, payload in self.request(CTRL_CMD_GETFAMILY, attr(CTRL_ATTR_FAMILY_NAME, b"wgmesh\0")):
            for a, v in attrs(payload[4:]):
                if a == CTRL_ATTR_FAMILY_ID:
                    self.fam = struct.unpack_from("H", v)[0]
        if self.fam == GENL_ID_CTRL:
            sys.exit("wgmesh family not found")

    def request(self, cmd, body, flags=NLM_F_REQUEST):
        """Every message of the answer, up to and including the ack or DONE."""
        self.seq += 1
        genl = struct.pack("BBH", cmd, 1, 0) + body
        self.sock.send(struct.pack("IHHII", 16 + len(genl), self.fam, flags, self.seq, 0) + genl)
        out = []
        while True:
            for kind, payload in messages(self.sock.recv(1 << 20)):
                out.append((kind, payload))
                if kind in (NLMSG_ERROR, NLMSG_DONE) or not flags & NLM_F_DUMP:
                    return out

    def set_device(self, body):
        """(errno, extack message) of a SET_DEVICE."""
        for kind, payload in self.request(WGM_CMD_SET_DEVICE, body, NLM_F_REQUEST | NLM_F_ACK):
            if kind != NLMSG_ERROR:
                continue
            err = -struct.unpack_from("i", payload)[0]
            msg = ""
            for a, v in attrs(payload[4 + 16:]):
                if a == NLMSGERR_ATTR_MSG:
                    msg = v.rstrip(b"\0").decode()
            return err, msg
        return -1, "no ack"


def sockaddr_in(addr, port):
    return struct.pack("=H", socket.AF_INET) + struct.pack("!H", port) + \
        socket.inet_aton(addr) + b"\0" * 8


def candidate(ep, kind=None, rid=None, key=None):
    body = attr(WGM_CANDIDATE_A_ENDPOINT, ep)
    if kind is not None:
        body += attr(WGM_CANDIDATE_A_KIND, struct.pack("B", kind))
    if rid is not None:
        body += attr(WGM_CANDIDATE_A_RELAY_ID, struct.pack("I", rid))
    if key is not None:
        body += attr(WGM_CANDIDATE_A_RELAY_KEY, key)
    return nest(0, body)


def main():
    if len(sys.argv) != 5:
        sys.exit("usage: relay-bind.py IFNAME PEER_PUBKEY_B64 ADDR PORT")
    ifname, pub = sys.argv[1].encode() + b"\0", base64.b64decode(sys.argv[2])
    addr, port = sys.argv[3], int(sys.argv[4])
    ep = sockaddr_in(addr, port)
    nl = Genl()
    relay = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    relay.bind((addr, port))
    relay.settimeout(10)
    results = []

    def check(desc, cond, why=""):
        results.append(cond)
        print("%s\t%s\t%s" % ("ok" if cond else "not ok", desc, "" if cond else why), flush=True)

    def set_cands(*cands):
        peer = attr(WGM_PEER_A_PUBLIC_KEY, pub) + nest(WGM_PEER_A_CANDIDATES, b"".join(cands))
        return nl.set_device(attr(WGM_DEVICE_A_IFNAME, ifname) +
                             nest(WGM_DEVICE_A_PEERS, nest(0, peer)))

    def dump():
        return b"".join(p for _, p in nl.request(WGM_CMD_GET_DEVICE, attr(WGM_DEVICE_A_IFNAME, ifname),
                                                  NLM_F_REQUEST | NLM_F_DUMP))

    def bind_of(key):
        """The next bind that arrives within 10 s, checked against key:
        (ok, counter, why).  Probe requests to the same address (the
        module probes every candidate) are passed over."""
        deadline = time.monotonic() + 10
        while True:
            relay.settimeout(max(deadline - time.monotonic(), 0.01))
            try:
                msg, src = relay.recvfrom(2048)
            except socket.timeout:
                return False, 0, "no bind arrived within 10 s"
            if msg[:1] != b"\xe3":
                continue
            if len(msg) != 32 or msg[1:4] != b"wgm":
                return False, 0, "malformed bind: %s from %s" % (msg.hex(), src)
            rid, ctr = struct.unpack_from("<IQ", msg, 4)
            mac = hashlib.blake2s(msg[:16], key=key, digest_size=16).digest()
            if msg[16:] != mac:
                return False, ctr, "MAC %s, want %s" % (msg[16:].hex(), mac.hex())
            return True, ctr, "id %d" % rid

    def drain():
        relay.setblocking(False)
        try:
            while True:
                relay.recv(2048)
        except BlockingIOError:
            pass

    key1, key2 = os.urandom(32), os.urandom(32)
    refusals = [
        ("an id and key on a direct candidate",
         candidate(ep, WGM_CANDIDATE_KIND_DIRECT, 7, key1), "relay id and key need a candidate of kind relay"),
        ("an id and key without a kind", candidate(ep, None, 7, key1),
         "relay id and key need a candidate of kind relay"),
        ("a relay id without a key", candidate(ep, WGM_CANDIDATE_KIND_RELAY, 7, None),
         "relay id without a relay key"),
        ("a relay key without an id", candidate(ep, WGM_CANDIDATE_KIND_RELAY, None, key1),
         "relay key without a relay id"),
        ("a 31-byte relay key", candidate(ep, WGM_CANDIDATE_KIND_RELAY, 7, key1[:31]),
         "relay key must be exactly 32 bytes"),
        ("relay id 0", candidate(ep, WGM_CANDIDATE_KIND_RELAY, 0, key1), "relay id 0 is not an allocation"),
    ]
    cand_ep = attr(WGM_CANDIDATE_A_ENDPOINT, ep)
    for desc, cand, want in refusals:
        err, msg = set_cands(cand)
        check("%s is refused: %s" % (desc, want), err == 22 and msg == want,
              "errno %d, extack '%s'" % (err, msg))
    check("the refusals changed nothing: no candidate at that address", cand_ep not in dump())

    err, msg = set_cands(candidate(ep, WGM_CANDIDATE_KIND_RELAY, 7, key1))
    check("a relay candidate with id 7 and a key is accepted", err == 0, "errno %d '%s'" % (err, msg))
    ok, ctr1, why = bind_of(key1)
    check("the module binds it: id 7, MAC under the key", ok and why == "id 7", why)
    got = dump()
    check("GET_DEVICE reports the relay id", struct.pack("HHI", 8, WGM_CANDIDATE_A_RELAY_ID, 7) in got)
    check("GET_DEVICE never reports the key", key1 not in got)

    drain()
    err, msg = set_cands(candidate(ep, WGM_CANDIDATE_KIND_RELAY, 7, key2))
    check("the same candidate with a new key is accepted", err == 0, "errno %d '%s'" % (err, msg))
    ok, ctr2, why = bind_of(key2)
    check("the new key is bound at once", ok, why)
    check("with a larger counter", ctr2 > ctr1, "%d then %d" % (ctr1, ctr2))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
