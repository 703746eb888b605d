#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
# Independent reference of the WireGuard handshake (from the whitepaper),
# checking the bytes the C code produced.
import hashlib, hmac, struct, sys
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives import serialization

v = {}
for line in open(sys.argv[1]):
    k, _, h = line.strip().partition('=')
    v[k] = bytes.fromhex(h)

def H(*parts):
    return hashlib.blake2s(b''.join(parts)).digest()

def MAC(key, data):
    return hashlib.blake2s(data, key=key, digest_size=16).digest()

def HMAC(key, data):
    return hmac.new(key, data, hashlib.blake2s).digest()

def KDF(n, key, data):
    prk = HMAC(key, data)
    out, t = [], b''
    for i in range(1, n + 1):
        t = HMAC(prk, t + bytes([i]))
        out.append(t)
    return out

def pub(priv):
    return X25519PrivateKey.from_private_bytes(priv).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)

def DH(priv, pubk):
    return X25519PrivateKey.from_private_bytes(priv).exchange(X25519PublicKey.from_public_bytes(pubk))

def AEAD(key, counter, plain, ad):
    return ChaCha20Poly1305(key).encrypt(b'\0' * 4 + struct.pack('<Q', counter), plain, ad)

fails = 0
def check(name, cond):
    global fails
    print(('ok   ' if cond else 'FAIL ') + name)
    fails += not cond

apriv, bpriv, psk = v['apriv'], v['bpriv'], v['psk']
apub, bpub = pub(apriv), pub(bpriv)
ei, er = v['epriv_i'], v['epriv_r']
init, resp = v['init'], v['resp']
check('init len', len(init) == 148)
check('resp len', len(resp) == 92)

C = H(b'Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s')
Hh = H(C, b'WireGuard v1 zx2c4 Jason@zx2c4.com')
Hh = H(Hh, bpub)
Epub_i = pub(ei)
check('init type', init[0:4] == b'\x01\0\0\0')
check('init ephemeral', init[8:40] == Epub_i)
(C,) = KDF(1, C, Epub_i)
Hh = H(Hh, Epub_i)
C, k = KDF(2, C, DH(ei, bpub))
enc_static = AEAD(k, 0, apub, Hh)
check('init static', init[40:88] == enc_static)
Hh = H(Hh, enc_static)
C, k = KDF(2, C, DH(apriv, bpub))
ts = ChaCha20Poly1305(k).decrypt(b'\0' * 12, init[88:116], Hh)
check('init timestamp sealed', AEAD(k, 0, ts, Hh) == init[88:116])
secs, ns = struct.unpack('>QI', ts)
check('tai64n seconds', secs == (1 << 62) + 10 + 1700000000)
check('tai64n ns rounded', ns <= 123456789 and ns % (1 << 24) == 0)
Hh = H(Hh, init[88:116])
check('init mac1', init[116:132] == MAC(H(b'mac1----', bpub), init[:116]))
check('init mac2 zero', init[132:148] == b'\0' * 16)

# response
Epub_r = pub(er)
check('resp type', resp[0:4] == b'\x02\0\0\0')
check('resp receiver', resp[8:12] == init[4:8])
check('resp ephemeral', resp[12:44] == Epub_r)
(C,) = KDF(1, C, Epub_r)
Hh = H(Hh, Epub_r)
(C,) = KDF(1, C, DH(er, Epub_i))
(C,) = KDF(1, C, DH(er, apub))
C, tau, k = KDF(3, C, psk)
Hh = H(Hh, tau)
empty = AEAD(k, 0, b'', Hh)
check('resp empty', resp[44:60] == empty)
check('resp mac1', resp[60:76] == MAC(H(b'mac1----', apub), resp[:60]))
Ti_send, Ti_recv = KDF(2, C, b'')
check('initiator send key', v['i_send'] == Ti_send)
check('initiator recv key', v['i_recv'] == Ti_recv)

# cookie reply
def rotl(x, n): return ((x << n) | (x >> (32 - n))) & 0xffffffff
def hchacha(key, nonce16):
    s = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574] + list(struct.unpack('<8I', key)) + list(struct.unpack('<4I', nonce16))
    def qr(a, b, c, d):
        s[a] = (s[a] + s[b]) & 0xffffffff; s[d] = rotl(s[d] ^ s[a], 16)
        s[c] = (s[c] + s[d]) & 0xffffffff; s[b] = rotl(s[b] ^ s[c], 12)
        s[a] = (s[a] + s[b]) & 0xffffffff; s[d] = rotl(s[d] ^ s[a], 8)
        s[c] = (s[c] + s[d]) & 0xffffffff; s[b] = rotl(s[b] ^ s[c], 7)
    for _ in range(10):
        qr(0, 4, 8, 12); qr(1, 5, 9, 13); qr(2, 6, 10, 14); qr(3, 7, 11, 15)
        qr(0, 5, 10, 15); qr(1, 6, 11, 12); qr(2, 7, 8, 13); qr(3, 4, 9, 14)
    return struct.pack('<8I', *(s[0:4] + s[12:16]))

cm, init2 = v['cookie_msg'], v['init2']
check('cookie type', cm[0:4] == b'\x03\0\0\0' and len(cm) == 64)
check('cookie receiver', cm[4:8] == init2[4:8])
nonce = cm[8:32]
sub = hchacha(H(b'cookie--', bpub), nonce[:16])
cookie = ChaCha20Poly1305(sub).decrypt(b'\0' * 4 + nonce[16:], cm[32:64], v['cookie_for_mac1'])
src = bytes([192, 168, 1, 2]) + struct.pack('>H', 51820)
check('cookie value', cookie == MAC(v['cookie_secret'], src))
check('init2 mac1', init2[116:132] == MAC(H(b'mac1----', bpub), init2[:116]))
check('init2 mac2', init2[132:148] == MAC(cookie, init2[:132]))
print('failures:', fails)
sys.exit(1 if fails else 0)
