#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""wgconf.py gen PEERS IPS [SEED]   print a wg(8)-format configuration
   wgconf.py norm FILE             print FILE in a canonical form

gen: an [Interface] with a private key and ListenPort 51820, PEERS peers
with IPS allowed IPs each (half IPv4, half IPv6, unique across peers, mixed
prefix lengths), every 3rd with an endpoint (IPv4 and IPv6 in turn), every
5th with a preshared key, every 7th with a persistent keepalive.  Keys are
random; SEED makes the output reproducible.

norm: parse a configuration (sections and keys case-insensitive, comments,
repeated AllowedIPs lines) and print it canonically: interface keys, then
peers sorted by public key, allowed IPs as a sorted set of networks,
addresses and endpoints in one spelling, "off"/0 values omitted.  Two
configurations mean the same when their normal forms are equal.
"""
import base64
import ipaddress
import random
import sys


def b64(rng):
    return base64.b64encode(bytes(rng.getrandbits(8) for _ in range(32))).decode()


def gen(peers, ips, seed):
    rng = random.Random(seed)
    priv = bytearray(bytes(rng.getrandbits(8) for _ in range(32)))
    priv[0] &= 248  # clamped, as wg genkey prints and the kernel stores it
    priv[31] = (priv[31] & 127) | 64
    out = ["[Interface]", "PrivateKey = %s" % base64.b64encode(bytes(priv)).decode(),
           "ListenPort = 51820", ""]
    for i in range(peers):
        hi, lo = i >> 8, i & 255
        v4 = ["10.%d.%d.0/26" % (hi, lo), "10.%d.%d.64/27" % (hi, lo),
              "10.%d.%d.128/32" % (hi, lo), "100.%d.%d.0/24" % (64 + hi, lo),
              "10.%d.%d.160/28" % (hi, lo), "10.%d.%d.192/30" % (hi, lo)]
        v6 = ["fd00:%x::/64" % i, "fd01::%x/128" % i, "2001:db8:%x::/48" % i,
              "fd02:%x:1::/80" % i, "fd03:%x::/96" % i, "fd04::%x:0/112" % i]
        nv4 = ips // 2
        allowed = v4[:nv4] + v6[:ips - nv4]
        out.append("[Peer]")
        out.append("PublicKey = %s" % b64(rng))
        if i % 5 == 0:
            out.append("PresharedKey = %s" % b64(rng))
        out.append("AllowedIPs = %s" % ", ".join(allowed))
        if i % 3 == 0:
            if i % 2:
                out.append("Endpoint = [2001:db8::%x]:%d" % (i + 1, 10000 + i))
            else:
                out.append("Endpoint = 198.51.100.%d:%d" % (i % 250 + 1, 10000 + i))
        if i % 7 == 0:
            out.append("PersistentKeepalive = %d" % (i % 60 + 1))
        out.append("")
    print("\n".join(out))


def norm_endpoint(v):
    host, _, port = v.rpartition(":")
    if host.startswith("["):
        host = host[1:-1]
        pct = host.find("%")
        zone = host[pct:] if pct >= 0 else ""
        host = str(ipaddress.ip_address(host[:pct] if pct >= 0 else host)) + zone
        return "[%s]:%d" % (host, int(port))
    return "%s:%d" % (ipaddress.ip_address(host), int(port))


def norm(path):
    iface = {}
    peers = {}
    cur = None
    with open(path) as f:
        for n, raw in enumerate(f, 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            if line.startswith("["):
                sec = line.strip("[] \t").lower()
                if sec == "interface":
                    cur = iface
                elif sec == "peer":
                    cur = {"allowedips": set()}
                    peers.setdefault(id(cur), cur)
                else:
                    sys.exit("%s:%d: unknown section %s" % (path, n, line))
                continue
            k, sep, v = line.partition("=")
            if not sep or cur is None:
                sys.exit("%s:%d: not a key = value line" % (path, n))
            k, v = k.strip().lower(), v.strip()
            if k == "allowedips":
                for a in v.split(","):
                    a = a.strip()
                    if a:
                        cur["allowedips"].add(ipaddress.ip_network(a, strict=False))
            elif k == "endpoint":
                cur[k] = norm_endpoint(v)
            elif k in ("persistentkeepalive", "fwmark", "listenport"):
                val = 0 if v == "off" else int(v, 0)
                if val or k == "listenport":
                    cur[k] = str(val)
            else:
                cur[k] = v
    out = ["[Interface]"]
    for k in sorted(iface):
        out.append("%s = %s" % (k, iface[k]))
    for p in sorted(peers.values(), key=lambda p: p.get("publickey", "")):
        out.append("[Peer]")
        for k in sorted(p):
            if k == "allowedips":
                nets = sorted(p[k], key=lambda x: (x.version, x.network_address, x.prefixlen))
                out.append("allowedips = %s" % ", ".join(str(x) for x in nets))
            else:
                out.append("%s = %s" % (k, p[k]))
    print("\n".join(out))


def main():
    a = sys.argv[1:]
    if len(a) >= 3 and a[0] == "gen":
        gen(int(a[1]), int(a[2]), int(a[3]) if len(a) > 3 else 1)
    elif len(a) == 2 and a[0] == "norm":
        norm(a[1])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
