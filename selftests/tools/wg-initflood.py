#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""wg-initflood.py HOST PORT RESPONDER_PUB SECONDS RATE PRIVKEY...

Sends authentic WireGuard handshake initiations to HOST:PORT for as long as
SECONDS, about RATE a second in all, taking the initiator's static private
keys (base64) in turn.  Each one is built as the protocol description says
(Noise_IKpsk2: e, es, s, ss, {timestamp}) with a timestamp later than the
one before, and a valid mac1 for RESPONDER_PUB, so
the responder authenticates it, finds the peer and answers.  Responses are
read and counted, not checked.  Stops early on SIGTERM.  Prints "sent N responses R"; exits 0 when it
sent at least one initiation.  Needs python3-cryptography.
"""
import base64
import hashlib
import hmac
import os
import signal
import socket
import struct
import sys
import time

from cryptography.hazmat.primitives.asymmetric.x25519 import (
    X25519PrivateKey, X25519PublicKey)
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

CONSTRUCTION = b"Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s"
IDENTIFIER = b"WireGuard v1 zx2c4 Jason@zx2c4.com"


def blake(*parts):
    h = hashlib.blake2s()
    for p in parts:
        h.update(p)
    return h.digest()


def hmac_b2s(key, data):
    return hmac.new(key, data, hashlib.blake2s).digest()


def kdf2(ck, data):
    prk = hmac_b2s(ck, data)
    t1 = hmac_b2s(prk, b"\x01")
    return t1, hmac_b2s(prk, t1 + b"\x02")


def raw_pub(key):
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


class Initiator:
    """One static key.  The ephemeral key is made once and used for every
    initiation (the responder does not remember ephemerals), so only the
    timestamp's AEAD and mac1 are computed per message: fast enough under
    TCG."""

    def __init__(self, priv_b64, resp_pub):
        static = X25519PrivateKey.from_private_bytes(base64.b64decode(priv_b64))
        resp = X25519PublicKey.from_public_bytes(resp_pub)
        ck = blake(CONSTRUCTION)
        h = blake(blake(ck, IDENTIFIER), resp_pub)
        eph = X25519PrivateKey.generate()
        self.epub = raw_pub(eph)
        h = blake(h, self.epub)
        ck = kdf2(ck, self.epub)[0]
        ck, key = kdf2(ck, eph.exchange(resp))
        self.enc_static = ChaCha20Poly1305(key).encrypt(bytes(12), raw_pub(static), h)
        self.h = blake(h, self.enc_static)
        self.key = kdf2(ck, static.exchange(resp))[1]
        self.mac1_key = blake(b"mac1----", resp_pub)

    def initiation(self, sender, tai64n):
        enc_time = ChaCha20Poly1305(self.key).encrypt(bytes(12), tai64n, self.h)
        body = (struct.pack("<II", 1, sender) + self.epub + self.enc_static + enc_time)
        mac1 = hashlib.blake2s(body, key=self.mac1_key, digest_size=16).digest()
        return body + mac1 + bytes(16)


def main():
    if len(sys.argv) < 7:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    host, port = sys.argv[1], int(sys.argv[2])
    resp_pub = base64.b64decode(sys.argv[3])
    secs, rate = float(sys.argv[4]), float(sys.argv[5])
    inits = [Initiator(k, resp_pub) for k in sys.argv[6:]]
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.setblocking(False)
    # TAI64N, strictly increasing from one message to the next
    base = (0x400000000000000A + int(time.time())) << 32
    sent = responses = 0
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    start = time.monotonic()
    while not stop and time.monotonic() - start < secs:
        for ini in inits:
            stamp = base + sent * 1000
            msg = ini.initiation(int.from_bytes(os.urandom(4), "little"),
                                 struct.pack(">QI", stamp >> 32, stamp & 0xffffffff))
            try:
                s.sendto(msg, (host, port))
                sent += 1
            except (BlockingIOError, OSError):
                pass
        try:
            while True:
                if len(s.recv(2048)) == 92:
                    responses += 1
        except (BlockingIOError, OSError):
            pass
        # paced, not a benchmark: RATE is a target, not an assertion
        time.sleep(len(inits) / rate)
    print(f"sent {sent} responses {responses}")
    return 0 if sent else 1


if __name__ == "__main__":
    sys.exit(main())
