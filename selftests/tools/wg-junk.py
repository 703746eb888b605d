#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""wg-junk.py junk HOST PORT [SECONDS]
   wg-junk.py flood HOST PORT PUBKEY COUNT [SECONDS]

junk: send malformed datagrams of every WireGuard message type (1..4),
unknown types, wgmesh probe types (0xE1/0xE2) and STUN-like payloads --
truncated, oversized, with reserved bytes set, correctly sized garbage --
to HOST:PORT from one socket, then listen on it for SECONDS (default 1).
Prints "sent N replies M"; exits 0 when nothing came back.

flood: send COUNT handshake initiations with a valid mac1 for the responder
public key PUBKEY (base64) and random contents, while receiving for SECONDS
after the last one (default 3).  Counts the cookie replies (type 3, 64
bytes, receiver index = one of our sender indices) and checks that each
decrypts (XChaCha20-Poly1305 under BLAKE2s("cookie--" || PUBKEY) with the
initiation's mac1 as associated data) when python3-cryptography is present.
Prints "sent N cookies C verified V other O"; exits 0 when C > 0, O == 0
and every checked cookie verified.
"""
import base64
import hashlib
import os
import random
import socket
import struct
import sys
import threading
import time


def mk_socket(host):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 22)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", 0))
    return s


def mac1_key(pub):
    return hashlib.blake2s(b"mac1----" + pub).digest()


def mac(key, data):
    return hashlib.blake2s(data, key=key, digest_size=16).digest()


def junk_packets(rng):
    """Yield (label, payload) for every malformed case."""
    def rb(n):
        return bytes(rng.getrandbits(8) for _ in range(n)) if n < 4096 else os.urandom(n)

    sizes = [0, 1, 2, 3, 4, 5, 7, 8, 12, 15, 16, 17, 31, 32, 33, 47, 48,
             63, 64, 65, 91, 92, 93, 147, 148, 149, 200, 1000, 1400, 1472,
             1500, 2000, 9000, 65000]
    types = [1, 2, 3, 4, 0, 5, 6, 0x7f, 0x80, 0xff, 0xE1, 0xE2, 0xE3]
    for t in types:
        for n in sizes:
            if n == 0:
                yield ("empty", b"")
                continue
            # type byte, reserved zero, random rest
            p = bytes([t]) + b"\0\0\0" + rb(max(n - 4, 0))
            yield ("type %#x len %d" % (t, n), p[:n])
            # reserved bytes not zero
            if n >= 4:
                yield ("type %#x reserved set len %d" % (t, n),
                       bytes([t, 1, 0, 0]) + rb(n - 4))
            # all zeros after the type
            yield ("type %#x zeros len %d" % (t, n), bytes([t]) + bytes(n - 1))
    # data messages with chosen receiver indices and counters
    for idx in (0, 1, 0xffffffff):
        for ctr in (0, 1, 1 << 63, (1 << 64) - 1):
            for body in (0, 16, 32, 1400):
                yield ("data idx %#x ctr %#x body %d" % (idx, ctr, body),
                       struct.pack("<IIQ", 4, idx, ctr) + rb(body))
    # wgmesh probes: exact length with magic, random id and mac; short ones
    for t in (0xE1, 0xE2):
        for _ in range(8):
            yield ("probe %#x" % t, bytes([t]) + b"wgm" + rb(60))
        for n in range(1, 64, 7):
            yield ("probe %#x short %d" % (t, n), (bytes([t]) + b"wgm" + rb(60))[:n])
        yield ("probe %#x long" % t, bytes([t]) + b"wgm" + rb(124))
    # STUN: binding request, unsolicited success response, broken lengths
    cookie = struct.pack(">I", 0x2112A442)
    for mtype in (0x0001, 0x0101, 0x0111, 0x0011):
        tid = rb(12)
        yield ("stun %#x" % mtype, struct.pack(">HH", mtype, 0) + cookie + tid)
        attr = struct.pack(">HHBBH", 0x0020, 8, 0, 1, 0x1234) + rb(4)
        yield ("stun %#x xor-mapped" % mtype,
               struct.pack(">HH", mtype, len(attr)) + cookie + tid + attr)
        yield ("stun %#x bad length" % mtype,
               struct.pack(">HH", mtype, 0xfffc) + cookie + tid + attr)
        yield ("stun %#x attr overrun" % mtype,
               struct.pack(">HH", mtype, 8) + cookie + tid +
               struct.pack(">HH", 0x0020, 0xff00) + rb(4))
        yield ("stun %#x truncated" % mtype, (struct.pack(">HH", mtype, 0) + cookie + tid)[:19])


def junk(host, port, secs):
    s = mk_socket(host)
    rng = random.Random(0x5eed)
    sent = 0
    for label, p in junk_packets(rng):
        try:
            s.sendto(p, (host, port))
            sent += 1
        except OSError as e:
            print("# send %s (%d bytes): %s" % (label, len(p), e))
        if sent % 64 == 0:
            time.sleep(0.001)  # pace, so that the receiver queue keeps up
    s.settimeout(secs)
    replies = 0
    end = time.time() + secs
    while time.time() < end:
        try:
            data, src = s.recvfrom(65535)
        except socket.timeout:
            break
        replies += 1
        print("# reply from %s: %d bytes, first %s" % (src, len(data), data[:8].hex()))
    print("sent %d replies %d" % (sent, replies))
    return 0 if replies == 0 else 1


def hchacha20(key, nonce16):
    def rotl(v, c):
        return ((v << c) & 0xffffffff) | (v >> (32 - c))

    def qr(x, a, b, c, d):
        x[a] = (x[a] + x[b]) & 0xffffffff; x[d] = rotl(x[d] ^ x[a], 16)
        x[c] = (x[c] + x[d]) & 0xffffffff; x[b] = rotl(x[b] ^ x[c], 12)
        x[a] = (x[a] + x[b]) & 0xffffffff; x[d] = rotl(x[d] ^ x[a], 8)
        x[c] = (x[c] + x[d]) & 0xffffffff; x[b] = rotl(x[b] ^ x[c], 7)

    x = list(struct.unpack("<4I", b"expand 32-byte k")) + \
        list(struct.unpack("<8I", key)) + list(struct.unpack("<4I", nonce16))
    for _ in range(10):
        qr(x, 0, 4, 8, 12); qr(x, 1, 5, 9, 13); qr(x, 2, 6, 10, 14); qr(x, 3, 7, 11, 15)
        qr(x, 0, 5, 10, 15); qr(x, 1, 6, 11, 12); qr(x, 2, 7, 8, 13); qr(x, 3, 4, 9, 14)
    return struct.pack("<8I", *(x[0:4] + x[12:16]))


def xchacha_open(key, nonce24, ct, ad):
    try:
        from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
    except ImportError:
        return None
    sub = hchacha20(key, nonce24[:16])
    try:
        ChaCha20Poly1305(sub).decrypt(b"\0\0\0\0" + nonce24[16:], ct, ad)
        return True
    except Exception:
        return False


def flood(host, port, pub_b64, count, secs):
    pub = base64.b64decode(pub_b64)
    k1 = mac1_key(pub)
    s = mk_socket(host)
    base = random.getrandbits(31)
    macs = {}
    got = {"cookies": 0, "verified": 0, "bad": 0, "other": 0}
    stop = threading.Event()
    ckey = hashlib.blake2s(b"cookie--" + pub).digest()
    replies = []

    def rx():
        s.settimeout(0.2)
        while not stop.is_set():
            try:
                data, _ = s.recvfrom(2048)
            except socket.timeout:
                continue
            replies.append(data)

    th = threading.Thread(target=rx)
    th.start()
    # Built before the first send: the flood must outpace the DUT's
    # handshake worker even where Python is slow (a debug kernel, TCG).
    pkts = []
    for i in range(count):
        idx = (base + i) & 0xffffffff
        body = struct.pack("<II", 1, idx) + os.urandom(108)
        m1 = mac(k1, body)
        macs[idx] = m1
        pkts.append(body + m1 + bytes(16))
    sent = 0
    dst = (host, port)
    for pkt in pkts:
        try:
            s.sendto(pkt, dst)
            sent += 1
        except OSError:
            time.sleep(0.001)
    end = time.time() + secs
    while time.time() < end and not replies:
        time.sleep(0.05)
    time.sleep(0.5)  # let the rest of a burst arrive; counting only
    stop.set()
    th.join()
    checked = 0
    for data in replies:
        if len(data) == 64 and data[0] == 3 and data[1:4] == b"\0\0\0":
            ridx = struct.unpack("<I", data[4:8])[0]
            if ridx not in macs:
                got["other"] += 1
                continue
            got["cookies"] += 1
            if checked < 50:
                checked += 1
                r = xchacha_open(ckey, data[8:32], data[32:64], macs[ridx])
                if r is True:
                    got["verified"] += 1
                elif r is False:
                    got["bad"] += 1
        else:
            got["other"] += 1
    print("sent %d cookies %d verified %d bad %d other %d" %
          (sent, got["cookies"], got["verified"], got["bad"], got["other"]))
    return 0 if got["cookies"] > 0 and got["other"] == 0 and got["bad"] == 0 else 1


def main():
    a = sys.argv[1:]
    if len(a) >= 3 and a[0] == "junk":
        return junk(a[1], int(a[2]), float(a[3]) if len(a) > 3 else 1.0)
    if len(a) >= 5 and a[0] == "flood":
        return flood(a[1], int(a[2]), a[3], int(a[4]), float(a[5]) if len(a) > 5 else 3.0)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
